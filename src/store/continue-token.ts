import { BadContinueTokenError } from './errors.js';

/** Where a list page ended: lists are ordered by (project, name), project '' for cluster-path objects. */
export interface ListPosition {
  readonly project: string;
  readonly name: string;
}

/** Opaque to clients: base64url of the last key returned, so the next page starts strictly after it. */
export function encodeContinue(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.project, position.name]), 'utf8').toString('base64url');
}

/** Throws BadContinueTokenError for anything encodeContinue did not produce. */
export function decodeContinue(token: string): ListPosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new BadContinueTokenError(token);
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    typeof decoded[0] !== 'string' ||
    typeof decoded[1] !== 'string'
  ) {
    throw new BadContinueTokenError(token);
  }
  return { project: decoded[0], name: decoded[1] };
}
