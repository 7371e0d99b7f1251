import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely } from 'kysely';
import type { Clock } from '../runtime/clock.js';
import type { IdGenerator } from '../runtime/ids.js';
import { BetterSqliteDialect } from './better-sqlite-dialect.js';
import { migrateToLatest } from './migrations/migrate.js';
import type { Database } from './schema.js';
import type { SqlDialect } from './sql-dialect.js';
import { SqlStore } from './sql-store.js';
import type { Store } from './store.js';

export interface SqliteStoreOptions {
  /** The database file; created (with its -wal and -shm companions) when missing. */
  readonly file: string;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /**
   * FULL (default) syncs the WAL on every commit: nothing acknowledged is lost
   * even if the machine loses power. NORMAL survives a crash of the process
   * but may lose the last commits on power loss, for far more commits per second.
   */
  readonly synchronous?: 'FULL' | 'NORMAL';
}

const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');
const BEGIN = CompiledQuery.raw('begin');

export const sqliteDialect: SqlDialect = {
  int64Type: 'integer',
  async beginWrite(conn) {
    await conn.executeQuery(BEGIN_IMMEDIATE);
  },
  nowMsSql: "cast((julianday('now') - 2440587.5) * 86400000 as integer)",
  async beginRead(conn) {
    // In WAL mode a deferred transaction takes its snapshot at the first read and keeps it.
    await conn.executeQuery(BEGIN);
  },
};

/** Waits this long for another process's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * The embedded store: one SQLite file in WAL mode, two connections. The
 * writer lends its one connection to one transaction at a time; the
 * read-only reader serves reads, which WAL lets see committed data while a
 * write transaction is open.
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const writerDb = new BetterSqlite3(options.file);
  const writer = new Kysely<Database>({ dialect: new BetterSqliteDialect(writerDb) });
  try {
    writerDb.pragma('journal_mode = WAL');
    writerDb.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    writerDb.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    writerDb.pragma('foreign_keys = ON');
    await migrateToLatest(writer, sqliteDialect);
  } catch (error) {
    writerDb.close();
    throw error;
  }

  // Opened after migrating, so it never sees a half-built schema.
  const readerDb = new BetterSqlite3(options.file, { readonly: true });
  const reader = new Kysely<Database>({ dialect: new BetterSqliteDialect(readerDb) });
  try {
    readerDb.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Also initialises Kysely's driver: Kysely.destroy() skips a driver that never ran
    // a query, which would leave this file open after close().
    await reader.selectFrom('revision').select('revision').execute();
  } catch (error) {
    readerDb.close();
    writerDb.close();
    throw error;
  }
  return new SqlStore({ writer, reader, dialect: sqliteDialect, clock: options.clock, ids: options.ids });
}
