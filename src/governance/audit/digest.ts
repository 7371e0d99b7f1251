import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** Lower-case hex SHA-256 of the UTF-8 bytes of `text`. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** SHA-256 of the canonical JSON of `value`: equal JSON data, equal digest. */
export function objectDigest(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
