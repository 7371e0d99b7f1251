import type { ColumnType } from 'kysely';

/**
 * A 64-bit integer column. better-sqlite3 returns it as a number; node-postgres
 * returns int8 as a string (it may exceed 2^53). Read it with `toNumber`:
 * revisions and seqs stay far below 2^53.
 */
export type Int64 = ColumnType<number | string, number, number>;
export type NullableInt64 = ColumnType<number | string | null, number | null, number | null>;

export function toNumber(value: number | string | bigint): number {
  return typeof value === 'number' ? value : Number(value);
}

/** One row, id 1: the global revision, bumped once per changed object. */
export interface RevisionTable {
  id: number;
  revision: Int64;
}

export interface ObjectsTable {
  kind: string;
  /** '' for cluster-path kinds, so (kind, project, name) can be the primary key. */
  project: string;
  name: string;
  tenant: string | null;
  uid: string;
  resource_version: Int64;
  generation: Int64;
  created_at: string;
  /** The full object as JSON; the other columns are copies for querying. */
  body: string;
  /**
   * objectDigest of the object, kept from when it was written: the next change's
   * audit record needs it as beforeDigest, and re-canonicalising the stored
   * object for it would cost as much as the rest of the write.
   */
  digest: string;
}

export interface EventsTable {
  revision: Int64;
  type: string;
  kind: string;
  project: string;
  name: string;
  tenant: string | null;
  /** The object as JSON; for DELETED, as it was, at the deleting revision. */
  body: string;
  /** For MODIFIED: the labels before the change, as JSON (null when there were none). */
  previous_labels: string | null;
}

export interface AuditTable {
  seq: Int64;
  time: string;
  request_id: string;
  subject: string;
  verb: string;
  kind: string;
  project: string | null;
  name: string | null;
  tenant: string | null;
  outcome: string;
  revision: NullableInt64;
  prev_hash: string;
  hash: string;
  /** Canonical JSON of the whole record: the source of truth that verification reads. */
  body: string;
}

export interface TokensTable {
  id: string;
  secret_hash: string;
  subject: string;
  tenant: string | null;
  project: string | null;
  description: string | null;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface LeasesTable {
  name: string;
  holder: string;
  epoch: Int64;
  expires_at_ms: Int64;
}

export interface Database {
  revision: RevisionTable;
  objects: ObjectsTable;
  events: EventsTable;
  audit: AuditTable;
  tokens: TokensTable;
  leases: LeasesTable;
}
