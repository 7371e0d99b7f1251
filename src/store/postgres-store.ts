import { CompiledQuery, Kysely, PostgresDialect } from 'kysely';
import type { Clock } from '../runtime/clock.js';
import type { IdGenerator } from '../runtime/ids.js';
import { migrateToLatest } from './migrations/migrate.js';
import { COMMIT_CHANNEL, type CommitFeedOptions, PostgresCommitFeed } from './postgres-commit-feed.js';
import { asStoreError, connectionConfig, createPostgresPool } from './postgres-pool.js';
import type { Database } from './schema.js';
import type { SqlDialect } from './sql-dialect.js';
import { SqlStore, type SqlStoreOptions } from './sql-store.js';
import type { Store } from './store.js';

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database`; the database must exist, the schema is created. */
  readonly url: string;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Connections at most (default 10): one writes at a time, the others serve reads. */
  readonly poolSize?: number;
  /** How often to read the revision in case a commit notification was lost (default 1 s). */
  readonly pollIntervalMs?: number;
  /** Reports losing and regaining the notification connection; process warnings by default. */
  readonly warn?: (message: string) => void;
}

/**
 * The key of the advisory lock every write transaction takes first, in every
 * replica: the bytes of "STRATAwr". Transaction-scoped, so a writer that dies
 * (or whose connection drops) releases it with its transaction.
 */
const WRITE_LOCK_KEY = '6004514643731642226';

// One round trip each: with no parameters pg sends the text as a simple query, which may hold several statements.
const BEGIN_WRITE = CompiledQuery.raw(`begin; select pg_advisory_xact_lock(${WRITE_LOCK_KEY})`);
const BEGIN_READ = CompiledQuery.raw('begin isolation level repeatable read read only');

export const postgresDialect: SqlDialect = {
  int64Type: 'bigint',
  bytewiseCollation: '"C"',
  async beginWrite(conn) {
    // Read committed: every statement after the lock sees what the previous holder committed.
    await conn.executeQuery(BEGIN_WRITE);
  },
  async beginRead(conn) {
    await conn.executeQuery(BEGIN_READ);
  },
  nowMsSql: '(extract(epoch from clock_timestamp()) * 1000)::bigint',
  async announceCommit(conn, revision) {
    // Queued by the transaction and delivered only if it commits. `revision` is an integer we made.
    await conn.executeQuery(CompiledQuery.raw(`notify ${COMMIT_CHANNEL}, '${revision}'`));
  },
};

const DEFAULT_POOL_SIZE = 10;
const DEFAULT_POLL_INTERVAL_MS = 1_000;

/** SqlStore plus the feed that tells it about other replicas' commits. */
class PostgresStore extends SqlStore {
  readonly #feed: PostgresCommitFeed;

  constructor(options: SqlStoreOptions, feed: Omit<CommitFeedOptions, 'readRevision' | 'onRevision'>) {
    super(options);
    this.#feed = new PostgresCommitFeed({
      ...feed,
      readRevision: () => this.currentRevision(),
      onRevision: (revision) => this.observeRevision(revision),
    });
  }

  async start(): Promise<void> {
    // Listeners hear only what commits from now on.
    this.observeRevision(await this.currentRevision());
    await this.#feed.start();
  }

  override async close(): Promise<void> {
    await this.#feed.stop();
    await super.close();
  }
}

/**
 * The store for several control-plane replicas sharing one PostgreSQL
 * database. Same statements as SQLite (SqlStore); writes from every replica
 * are serialised by an advisory lock, so revisions stay gap-free and the
 * audit chain linear; commits are announced with NOTIFY and heard by the
 * other replicas' onCommit listeners.
 *
 * When the server goes away, requests fail with StoreUnavailableError, and
 * the store recovers by itself once it is back: the pool opens new
 * connections, the notification connection reconnects with backoff.
 */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({
      pool: createPostgresPool({ url: options.url, size: options.poolSize ?? DEFAULT_POOL_SIZE }),
    }),
  });
  // Kysely's migrator holds a PostgreSQL advisory lock while it migrates, so replicas
  // starting together migrate once; the others wait, then find nothing to do.
  try {
    await migrateToLatest(db, postgresDialect);
  } catch (error) {
    await db.destroy();
    throw asStoreError(error);
  }
  const store = new PostgresStore(
    { writer: db, reader: db, dialect: postgresDialect, clock: options.clock, ids: options.ids },
    {
      connection: connectionConfig(options.url),
      pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      warn: options.warn ?? ((message) => process.emitWarning(message, 'StoreWarning')),
    },
  );
  try {
    await store.start();
  } catch (error) {
    await store.close();
    throw asStoreError(error);
  }
  return store;
}
