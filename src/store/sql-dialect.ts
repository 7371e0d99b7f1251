import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * What differs between the SQL engines behind SqlStore; every query is shared.
 * `conn` is a Kysely bound to one connection (from `db.connection()`), so
 * the statements that follow run in the transaction begun here.
 */
export interface SqlDialect {
  /** Column type for revisions and seqs: SQLite's `integer` makes a primary key the rowid. */
  readonly int64Type: 'integer' | 'bigint';
  /**
   * Begins a transaction that no other writer, in this process or another, can
   * interleave with until it commits: the revision and the audit head it reads
   * must still be the latest when it writes. SQLite: BEGIN IMMEDIATE (takes the
   * write lock up front, so a read-then-write never fails with SQLITE_BUSY
   * half-way). PostgreSQL: BEGIN plus a transaction-scoped lock.
   */
  beginWrite(conn: Kysely<Database>): Promise<void>;
  /** Begins a read-only transaction whose statements all see one snapshot. */
  beginRead(conn: Kysely<Database>): Promise<void>;
  /**
   * A SQL expression for the database's own clock in epoch milliseconds (an integer).
   * Leases expire by it, so replicas whose clocks disagree still agree on who leads.
   */
  readonly nowMsSql: string;
  /**
   * Collation for the text columns lists are ordered by, where the engine's
   * default might not compare bytes: pages must come out in one order on every
   * engine. SQLite compares bytes already; PostgreSQL's default follows the
   * database's locale, so it names "C".
   */
  readonly bytewiseCollation?: string;
  /**
   * Runs inside a write transaction that moved the revision to `revision`,
   * just before COMMIT, to tell other processes once it commits. PostgreSQL:
   * NOTIFY, which is delivered only if the transaction commits.
   */
  announceCommit?(conn: Kysely<Database>, revision: number): Promise<void>;
}
