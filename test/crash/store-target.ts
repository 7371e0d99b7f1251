import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { systemClock } from '../../src/runtime/clock.js';
import { DEFAULT_SQLITE_FILE, openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';

/**
 * The store a crash run drives, as a parameter: the harness only needs to
 * tell `strata up` where it is, open it itself for the checks, and (for the
 * restart mode) restart the engine under a running control plane.
 */
export interface StoreTarget {
  readonly name: 'sqlite' | 'postgres';
  /** `strata up` arguments naming the store; none for the SQLite file in the data dir. */
  readonly upArgs: readonly string[];
  /** Opens the store in this process, for the checks, once no server runs. */
  open(dataDir: string): Promise<Store>;
  /** Problems the engine itself finds in its files (SQLite: PRAGMA integrity_check). */
  integrity?(dataDir: string): Promise<readonly string[]>;
  /** Restarts the database engine under the running control plane; resolves once it accepts connections again. */
  restart?(): Promise<void>;
}

/** The embedded default: `<dataDir>/strata.db`, as `strata up` opens it without --store. */
export function sqliteTarget(): StoreTarget {
  return {
    name: 'sqlite',
    upArgs: [],
    open: (dataDir) => openStore(undefined, { dataDir, clock: systemClock }),
    async integrity(dataDir) {
      const db = new BetterSqlite3(join(dataDir, DEFAULT_SQLITE_FILE), { readonly: true });
      try {
        const rows = db.pragma('integrity_check') as { integrity_check: string }[];
        const problems = rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
        const foreign = db.pragma('foreign_key_check') as unknown[];
        if (foreign.length > 0) problems.push(`${foreign.length} foreign key violations`);
        return problems;
      } finally {
        db.close();
      }
    },
  };
}

/** A PostgreSQL database at `url`; `restart` restarts its cluster (for the restart-store mode). */
export function postgresTarget(url: string, restart?: () => Promise<void>): StoreTarget {
  return {
    name: 'postgres',
    upArgs: ['--store', url],
    open: (dataDir) => openStore(url, { dataDir, clock: systemClock }),
    ...(restart !== undefined && { restart }),
  };
}
