/** The object an audited request was about. */
export interface AuditObjectRef {
  readonly kind: string;
  readonly name?: string;
  readonly tenant?: string;
  readonly project?: string;
}

export type AuditOutcome = 'allowed' | 'denied';

/** What a caller supplies; the chain fields are computed when the record is appended. */
export interface AuditInput {
  readonly time: string;
  readonly requestId: string;
  readonly subject: { readonly name: string; readonly tenant?: string };
  readonly verb: string;
  readonly object: AuditObjectRef;
  readonly outcome: AuditOutcome;
  /** HTTP status of the response for denied requests; the reason names why. */
  readonly code?: number;
  readonly reason?: string;
  /** SHA-256 of the canonical JSON of the object before and after a mutation. */
  readonly beforeDigest?: string;
  readonly afterDigest?: string;
  /** The store revision a mutation produced. */
  readonly revision?: number;
}

/**
 * A record in the chain. `hash` = SHA-256(prevHash + canonicalJSON(event)),
 * where event is every field but `hash` itself (seq and prevHash included),
 * so editing, deleting, inserting or reordering a record breaks the chain.
 */
export interface AuditRecord extends AuditInput {
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
}

/** The prevHash of the first record. */
export const GENESIS_HASH = '0'.repeat(64);
