import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import pg from 'pg';
import { StoreUnavailableError } from './errors.js';

export interface PostgresPoolOptions {
  /** `postgres://user:password@host:port/database?…`; libpq-style parameters in it win over the defaults here. */
  readonly url: string;
  /** Connections at most; writes use one at a time, reads the rest. */
  readonly size: number;
}

/** Waits this long for a connection before a request fails with StoreUnavailableError (not forever). */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * A session left inside a transaction this long is ended by the server. Every
 * writer holds the cross-replica write lock for its whole transaction, so a
 * replica that froze mid-transaction (paused VM, lost host) must not stall
 * the others for longer than this. Store transactions last milliseconds.
 */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000;

/** Connection settings shared by the pool and the LISTEN connection. */
export function connectionConfig(url: string): pg.ClientConfig {
  return {
    connectionString: url,
    application_name: 'strata',
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
    options: `-c idle_in_transaction_session_timeout=${IDLE_IN_TRANSACTION_TIMEOUT_MS}`,
  };
}

/**
 * A pg Pool as Kysely's PostgresDialect sees it, with every failure to reach
 * the server turned into StoreUnavailableError, so callers (the API) can tell
 * "the database is down, retry" from a bug. SQL errors pass through unchanged.
 */
export function createPostgresPool(options: PostgresPoolOptions): PostgresPool {
  const pool = new pg.Pool({ ...connectionConfig(options.url), max: options.size });
  // Without these, a server restart crashes the process: pg emits 'error' on the pool for
  // an idle client, and on a checked-out client between queries (inside a transaction).
  pool.on('error', () => {
    // An idle connection the server closed (a restart): the pool has already dropped it,
    // and the next request opens a new one. The commit feed reports the outage once.
  });
  pool.on('connect', (client) => {
    client.on('error', () => {
      // The client is now unusable: its next query fails (and is reported there),
      // and the pool discards it when it is released.
    });
  });
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw asStoreError(error);
      }
      let wrapped = clients.get(client);
      if (wrapped === undefined) {
        wrapped = wrapClient(client);
        clients.set(client, wrapped);
      }
      return wrapped;
    },
    end: () => pool.end(),
  };
}

/** Kysely streams (the cursor overload of `query`) only with a cursor class configured; the store never does. */
function wrapClient(client: pg.PoolClient): PostgresPoolClient {
  const wrapped: Pick<PostgresPoolClient, 'release'> & {
    query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  } = {
    async query<R>(sql: string, parameters: ReadonlyArray<unknown>) {
      try {
        return (await client.query(sql, [...parameters])) as unknown as PostgresQueryResult<R>;
      } catch (error) {
        throw asStoreError(error);
      }
    },
    release: () => client.release(),
  };
  return wrapped as PostgresPoolClient;
}

/** SQLSTATEs that mean the server or the connection, not the statement, failed. */
const UNAVAILABLE_STATES: Record<string, string> = {
  '57P01': 'the server is shutting down',
  '57P02': 'the server crashed',
  '57P03': 'the server is starting up or shutting down',
  '53300': 'the server has no free connections',
  '25P03': 'the session was idle in a transaction for too long',
};

/** Node socket errors met when the server is down or unreachable. */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENOENT',
]);

/** What pg says when a connection dies or cannot be had; it gives these no code. */
const UNAVAILABLE_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|Client was closed|Connection ended/i;

/** Whether `error` says the database could not be reached or dropped the connection. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code in UNAVAILABLE_STATES || code.startsWith('08') || UNAVAILABLE_CODES.has(code)) return true;
  }
  if (error instanceof AggregateError) return error.errors.some(isUnavailable);
  return UNAVAILABLE_MESSAGE.test(error.message);
}

/** StoreUnavailableError for a connection failure; any other error unchanged. */
export function asStoreError(error: unknown): unknown {
  if (error instanceof StoreUnavailableError || !isUnavailable(error)) return error;
  const code = (error as { code?: unknown }).code;
  const known = typeof code === 'string' ? UNAVAILABLE_STATES[code] : undefined;
  const message = (error as Error).message || (typeof code === 'string' ? code : 'connection failed');
  return new StoreUnavailableError(known === undefined ? message : `${known}: ${message}`, { cause: error });
}
