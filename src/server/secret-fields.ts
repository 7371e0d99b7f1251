import { findKind, type KindDefinition } from '../model/kinds.js';
import type { ApiObject } from '../model/object.js';
import type { FieldIssue } from '../model/validation.js';

/**
 * What a kind's secret fields read as for a caller who may not update the object. Fixed, so
 * a write can recognise a redacted copy sent back, and it names the permission that would
 * reveal the value.
 */
export function redactionMarker(def: KindDefinition): string {
  return `<redacted: needs update on ${def.kind}>`;
}

/** The object with each secret field it holds replaced by the marker; the same object when it holds none. */
export function redactSecrets(def: KindDefinition, object: ApiObject): ApiObject {
  let redacted: unknown = object;
  for (const field of def.secretFields ?? []) {
    redacted = replaceAt(redacted, field.split('.'), redactionMarker(def));
  }
  return redacted as ApiObject;
}

/**
 * The secret fields of a raw object (as a client sent it) that carry its kind's marker. Such a
 * write comes from a redacted copy (a `get -o yaml` by someone who may not update it, applied
 * back by someone who may): storing it would replace the credential with the marker, and
 * keeping the stored value instead would make the marker mean "unchanged", so the file applied
 * would no longer be what is stored. It is refused, naming the field.
 */
export function markedSecrets(raw: unknown): FieldIssue[] {
  const kind = isRecord(raw) && typeof raw.kind === 'string' ? findKind(raw.kind) : undefined;
  if (kind === undefined) return [];
  const marker = redactionMarker(kind);
  return (kind.secretFields ?? [])
    .filter((field) => valueAt(raw, field.split('.')) === marker)
    .map((field) => ({
      field,
      message: `carries the redaction marker, not a value: send the real value (only a caller who may update the ${kind.kind} reads it)`,
    }));
}

function replaceAt(value: unknown, path: readonly string[], marker: string): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return marker;
  if (!isRecord(value) || !Object.hasOwn(value, head)) return value;
  const inner = replaceAt(value[head], rest, marker);
  return inner === value[head] ? value : { ...value, [head]: inner };
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let at = value;
  for (const key of path) {
    if (!isRecord(at) || !Object.hasOwn(at, key)) return undefined;
    at = at[key];
  }
  return at;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
