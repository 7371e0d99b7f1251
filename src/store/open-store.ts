import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Clock } from '../runtime/clock.js';
import { type IdGenerator, randomIds } from '../runtime/ids.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export interface OpenStoreOptions {
  /** Where the default SQLite file lives, and what relative sqlite: paths are resolved against. */
  readonly dataDir: string;
  readonly clock: Clock;
  /** Object uids; random UUIDs by default. */
  readonly ids?: IdGenerator;
  /** SQLite only (PostgreSQL's durability is the server's `synchronous_commit`). */
  readonly synchronous?: 'FULL' | 'NORMAL';
}

/** The file name of the embedded store under the data dir. */
export const DEFAULT_SQLITE_FILE = 'strata.db';

/**
 * Opens the store a URL names:
 * - undefined or `sqlite:` → `<dataDir>/strata.db`;
 * - `sqlite:<path>` or `sqlite://<path>` → that file, relative paths under the data dir;
 * - `postgres://…` or `postgresql://…` → that PostgreSQL database (it must exist; the schema is created).
 */
export async function openStore(url: string | undefined, options: OpenStoreOptions): Promise<Store> {
  if (url !== undefined && isPostgresUrl(url)) {
    // Loaded only when asked for, so the embedded default never loads the pg driver.
    const { openPostgresStore } = await import('./postgres-store.js');
    return openPostgresStore({ url, clock: options.clock, ids: options.ids ?? randomIds });
  }
  const file = sqliteFile(url, options.dataDir);
  mkdirSync(dirname(file), { recursive: true });
  return openSqliteStore({
    file,
    clock: options.clock,
    ids: options.ids ?? randomIds,
    ...(options.synchronous === undefined ? undefined : { synchronous: options.synchronous }),
  });
}

export function isPostgresUrl(url: string): boolean {
  return url.startsWith('postgres://') || url.startsWith('postgresql://');
}

/** The SQLite file `url` names; throws for any other kind of URL. */
export function sqliteFile(url: string | undefined, dataDir: string): string {
  if (url === undefined) return resolve(dataDir, DEFAULT_SQLITE_FILE);
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    return resolve(dataDir, path === '' ? DEFAULT_SQLITE_FILE : path);
  }
  if (isPostgresUrl(url))
    throw new Error(`${JSON.stringify(url)} names a PostgreSQL database, not a SQLite file`);
  throw new Error(`unsupported store URL ${JSON.stringify(url)}: use sqlite:<file> or postgres://…`);
}
