import BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, Kysely, type SqliteDatabase, SqliteDialect } from 'kysely';
import type { Clock } from '../runtime/clock.js';
import type { IdGenerator } from '../runtime/ids.js';
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
  async beginRead(conn) {
    // In WAL mode a deferred transaction takes its snapshot at the first read and keeps it.
    await conn.executeQuery(BEGIN);
  },
};

/** Waits this long for another process's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;
/** Distinct statements Strata runs are a few dozen; the cap only bounds a pathological caller. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * The embedded store: one SQLite file in WAL mode. Two connections: a writer,
 * whose single connection Kysely lends to one transaction at a time (that is
 * what serialises writes within the process), and a read-only reader, which
 * WAL lets read committed data while a write transaction is open.
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  const writerDb = new BetterSqlite3(options.file);
  let writer: Kysely<Database> | undefined;
  let reader: Kysely<Database> | undefined;
  try {
    writerDb.pragma('journal_mode = WAL');
    writerDb.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    writerDb.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    writerDb.pragma('foreign_keys = ON');
    writer = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(writerDb) }) });
    await migrateToLatest(writer, sqliteDialect);

    // Opened after migrating, so it never sees a half-built schema.
    const readerDb = new BetterSqlite3(options.file, { readonly: true });
    readerDb.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    reader = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(readerDb) }) });
    return new SqlStore({ writer, reader, dialect: sqliteDialect, clock: options.clock, ids: options.ids });
  } catch (error) {
    await reader?.destroy();
    if (writer) await writer.destroy();
    else writerDb.close();
    throw error;
  }
}

/**
 * Kysely's SQLite driver prepares every statement it runs; better-sqlite3
 * does not cache, so re-preparing the same SQL costs more than running it.
 * Kysely compiles a query shape to the same SQL every time, so caching by
 * text is safe. Safe as long as no statement is iterated while run again:
 * the store never streams.
 */
function cachingStatements(db: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => db.close(),
    prepare(sql) {
      let statement = cache.get(sql);
      if (statement === undefined) {
        statement = db.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}
