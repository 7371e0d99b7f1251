import type { AuditInput, AuditRecord } from '../governance/audit/audit-event.js';
import type { ApiObject, ObjectInput, ObjectKey, StringMap } from '../model/object.js';

/** Who is writing, and why: every mutation carries it so its audit record is written in the same transaction. */
export interface MutationContext {
  readonly requestId: string;
  readonly subject: { readonly name: string; readonly tenant?: string };
  /** The API verb as the audit trail names it: create, update, apply, update-status, delete, … */
  readonly verb: string;
  /**
   * Set by leader-only controllers: the write commits only if this lease is
   * still theirs at this epoch (checked inside the transaction); otherwise FencedError.
   */
  readonly fence?: Fence;
}

/** A leader-election lease: `epoch` grows with every change of holder and fences the writes made under it. */
export interface Lease {
  readonly name: string;
  readonly holder: string;
  readonly epoch: number;
  /** In the database's clock, epoch milliseconds. */
  readonly expiresAtMs: number;
}

export interface Fence {
  readonly lease: string;
  readonly holder: string;
  readonly epoch: number;
}

export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

export interface WriteResult {
  readonly object: ApiObject;
  readonly outcome: ApplyOutcome;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One entry of the revision-ordered event log. For DELETED, the object as it was, at the deleting revision. */
export interface StoreEvent {
  readonly revision: number;
  readonly type: EventType;
  readonly object: ApiObject;
  /** For MODIFIED: the labels before the change, so a selector can tell entering and leaving from changing. */
  readonly previousLabels?: StringMap;
}

export interface ListQuery {
  readonly kind: string;
  /** Only objects of this project; undefined lists every project (and cluster-path objects). */
  readonly project?: string;
  /** Only objects owned by this tenant. */
  readonly tenant?: string;
  /** Applied in the store's paging loop, so a page still holds up to `limit` matching items. */
  readonly filter?: (object: ApiObject) => boolean;
  readonly limit?: number;
  /** Opaque token from a previous page. */
  readonly continue?: string;
}

export interface ListResult {
  readonly items: readonly ApiObject[];
  /** The store revision the list reflects; watch from here to see every later change. */
  readonly revision: number;
  readonly continue?: string;
}

/** A bearer token as stored: only the SHA-256 of its secret is kept. */
export interface TokenRecord {
  readonly id: string;
  readonly secretHash: string;
  readonly subject: string;
  /** A token pinned to a tenant can never act outside it, whatever its subject's bindings say. */
  readonly tenant?: string;
  readonly project?: string;
  readonly description?: string;
  readonly createdAt: string;
  readonly expiresAt?: string;
  readonly revokedAt?: string;
}

/** The writes available inside one transaction; all of them commit or none does. */
export interface WriteTx {
  get(key: ObjectKey): Promise<ApiObject | undefined>;
  /** Throws AlreadyExistsError. */
  create(input: ObjectInput): Promise<ApiObject>;
  /** Replaces labels, annotations and spec. Throws NotFoundError, StaleVersionError. */
  update(input: ObjectInput): Promise<WriteResult>;
  /** Create or update. Throws StaleVersionError when input carries an outdated resourceVersion. */
  apply(input: ObjectInput): Promise<WriteResult>;
  /** Replaces status only; never bumps generation. Throws NotFoundError, StaleVersionError. */
  updateStatus(key: ObjectKey, status: unknown, expectedResourceVersion?: string): Promise<ApiObject>;
  /** Throws NotFoundError, StaleVersionError. */
  delete(key: ObjectKey, expectedResourceVersion?: string): Promise<ApiObject>;
  insertToken(token: TokenRecord): Promise<void>;
  /** Throws NotFoundError (kind "Token"). */
  revokeToken(id: string): Promise<TokenRecord>;
}

/**
 * The persistence port. SQLite is the embedded default; PostgreSQL satisfies
 * the same contract (one conformance suite runs against both). Every write
 * bumps one global revision, appends to the event log, and appends a
 * hash-chained audit record, all in one transaction.
 */
export interface Store {
  get(key: ObjectKey): Promise<ApiObject | undefined>;
  list(query: ListQuery): Promise<ListResult>;
  /** Runs `fn` in one transaction; its mutations are audited under `context`. */
  write<T>(context: MutationContext, fn: (tx: WriteTx) => Promise<T>): Promise<T>;

  /** Events with revision > `after`, oldest first. Throws RevisionGoneError when compacted. */
  events(after: number, limit: number): Promise<readonly StoreEvent[]>;
  currentRevision(): Promise<number>;
  /** Called after each commit that changed objects, with the new revision. Returns an unsubscribe function. */
  onCommit(listener: (revision: number) => void): () => void;

  /** Appends an audit record that is not tied to a mutation (a denied request). */
  appendAudit(input: AuditInput): Promise<AuditRecord>;
  /** Audit records with seq > `after`, in chain order. */
  readAudit(after: number, limit: number): Promise<readonly AuditRecord[]>;

  /**
   * Takes the lease for `holder` for `ttlMs` if it is free or expired, or renews
   * it if `holder` already holds it. Returns the lease when `holder` holds it
   * afterwards, undefined when another does. A change of holder is audited.
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<Lease | undefined>;
  /** Ends `holder`'s lease now, if it still holds it. */
  releaseLease(name: string, holder: string): Promise<void>;
  readLease(name: string): Promise<Lease | undefined>;

  findToken(id: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<readonly TokenRecord[]>;

  close(): Promise<void>;
}
