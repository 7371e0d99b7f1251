import { randomUUID } from 'node:crypto';

/** Generates object uids and request ids; injected so tests can make them predictable. */
export type IdGenerator = () => string;

export const randomIds: IdGenerator = () => randomUUID();

export function sequentialIds(prefix = 'id'): IdGenerator {
  let n = 0;
  return () => `${prefix}-${++n}`;
}
