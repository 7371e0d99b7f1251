import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { inject } from 'vitest';

const run = promisify(execFile);

/**
 * Throwaway PostgreSQL servers for tests, from Debian's server binaries
 * (package `postgresql`): initdb into a temporary directory owned by the
 * `postgres` user, then pg_ctl to start it on a free port, listening on
 * 127.0.0.1 only, trusting local connections, with fsync on (the store's
 * durability is under test).
 *
 * One server is shared by the whole run (postgres-global-setup.ts starts it;
 * `testPostgres()` reads it in a test file); each test file creates its own
 * databases in it. A test that stops or restarts PostgreSQL must start a
 * private server with `startPostgresServer()`, never stop the shared one:
 * other files run against it at the same time.
 */

/** Where a server listens and lives; plain data, so vitest can hand it to test files. */
export interface PostgresServerInfo {
  /** Connects as the superuser `postgres` to the `postgres` database. */
  readonly adminUrl: string;
  readonly port: number;
  readonly dataDir: string;
  readonly binDir: string;
}

/** What the global setup hands to test files: the server, or why there is none. */
export type ProvidedPostgres =
  | ({ readonly available: true } & PostgresServerInfo)
  | { readonly available: false; readonly reason: string };

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: ProvidedPostgres;
  }
}

export type ShutdownMode = 'fast' | 'immediate';

export interface PostgresServer {
  readonly info: PostgresServerInfo;
  /**
   * fast (default): open sessions are ended and the server shuts down cleanly, as an
   * operator's restart does. immediate: it stops at once, as in a crash, and replays its WAL on start.
   */
  stop(mode?: ShutdownMode): Promise<void>;
  start(): Promise<void>;
  restart(mode?: ShutdownMode): Promise<void>;
  /** Stops the server (immediately) and deletes its directory. */
  destroy(): Promise<void>;
}

const MISSING =
  'install the Debian package `postgresql` (apt-get install postgresql): the PostgreSQL tests need its initdb and pg_ctl';

const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The bin directory holding initdb and pg_ctl: the newest /usr/lib/postgresql/<version>/bin, else from PATH. */
export function findPostgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+(\.\d+)?$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  }
  throw new Error(`PostgreSQL server binaries not found in ${root}/*/bin or on PATH: ${MISSING}`);
}

/** Runs a server binary, as the `postgres` user when we are root (PostgreSQL refuses to run as root). */
async function runAs(owner: Owner | undefined, file: string, args: readonly string[], cwd: string) {
  const [command, argv] =
    owner === undefined ? [file, [...args]] : ['runuser', ['-u', 'postgres', '--', file, ...args]];
  try {
    return await run(command, argv, { cwd, timeout: 60_000 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${[command, ...argv].join(' ')} failed: ${stderr || stdout || String(error)}`, {
      cause: error,
    });
  }
}

interface Owner {
  readonly uid: number;
  readonly gid: number;
}

/** Root runs the server as `postgres`; anyone else runs it as themselves. */
function serverOwner(): Owner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error(`running as root, but there is no \`postgres\` user to run the server as: ${MISSING}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** initdb's locale options: a real language's collation where the server has ICU, so tests catch locale-dependent ordering. */
function localeArgs(binDir: string): string[] {
  const major = Number(/postgresql\/(\d+)/.exec(binDir)?.[1] ?? 0);
  return major >= 15 ? ['--locale=C', '--locale-provider=icu', '--icu-locale=en-US'] : ['--locale=C'];
}

/** Creates and starts a fresh server. Callers must `destroy()` it; a process exit does it as a last resort. */
export async function startPostgresServer(): Promise<PostgresServer> {
  const binDir = findPostgresBinDir();
  const owner = serverOwner();
  const root = mkdtempSync(join(tmpdir(), 'strata-pg-'));
  const dataDir = join(root, 'data');
  const logFile = join(root, 'server.log');
  if (owner !== undefined) chownSync(root, owner.uid, owner.gid);
  chmodSync(root, 0o700);
  const pgCtl = join(binDir, 'pg_ctl');
  let port = 0;

  const emergencyStop = () => {
    try {
      const args = ['-D', dataDir, '-m', 'immediate', '-w', 'stop'];
      if (owner === undefined) execFileSync(pgCtl, args, { cwd: root, stdio: 'ignore' });
      else execFileSync('runuser', ['-u', 'postgres', '--', pgCtl, ...args], { cwd: root, stdio: 'ignore' });
    } catch {
      // Not running.
    }
    rmSync(root, { recursive: true, force: true });
  };
  // A script killed by a signal runs no 'exit' listeners: stop the server there too, then
  // let the signal do what it would have done (exit, unless someone else handles it).
  const onSignal = (signal: NodeJS.Signals) => {
    forget();
    emergencyStop();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const forget = () => {
    process.removeListener('exit', emergencyStop);
    for (const signal of SIGNALS) process.removeListener(signal, onSignal);
  };
  process.once('exit', emergencyStop);
  for (const signal of SIGNALS) process.once(signal, onSignal);

  const start = async () => {
    const options = [
      `-p ${port}`,
      `-k ${root}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=on',
      '-c synchronous_commit=on',
      '-c max_connections=300',
      '-c shared_buffers=32MB',
    ].join(' ');
    try {
      await runAs(
        owner,
        pgCtl,
        ['-D', dataDir, '-l', logFile, '-w', '-t', '60', '-o', options, 'start'],
        root,
      );
    } catch (error) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2_000) : '';
      throw new Error(`${(error as Error).message}\n${log}`, { cause: error });
    }
  };
  const ctl = (...args: string[]) => runAs(owner, pgCtl, ['-D', dataDir, '-w', '-t', '60', ...args], root);

  try {
    await runAs(
      owner,
      join(binDir, 'initdb'),
      ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', ...localeArgs(binDir)],
      root,
    );
    // Another process may take the port between freePort() and the server binding it: try again.
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await start();
        break;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  } catch (error) {
    forget();
    emergencyStop();
    throw error;
  }

  const info: PostgresServerInfo = {
    adminUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    binDir,
  };
  return {
    info,
    stop: async (mode = 'fast') => {
      await ctl('-m', mode, 'stop');
    },
    start,
    restart: async (mode = 'fast') => {
      await ctl('-m', mode, 'stop');
      await start();
    },
    destroy: async () => {
      forget();
      await ctl('-m', 'immediate', 'stop').catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * The run's shared server, for a test file. Throws (failing the file, never
 * skipping it) when the global setup could not start one.
 */
export function testPostgres(): PostgresServerInfo {
  const provided = inject('postgres');
  if (provided === undefined) {
    throw new Error(
      'no PostgreSQL server was provided: vitest.config.ts must list test/support/postgres-global-setup.ts',
    );
  }
  if (!provided.available) throw new Error(provided.reason);
  return provided;
}

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** Drops it, ending any sessions still connected. */
  drop(): Promise<void>;
}

let created = 0;

/** Creates an empty database `strata_test_<random>` on the server at `adminUrl`. */
export async function createTestDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `strata_test_${process.pid}_${++created}_${Math.random().toString(36).slice(2, 8)}`;
  await adminQuery(adminUrl, `create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      await adminQuery(adminUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

/** Runs one statement on a connection of its own. */
export async function adminQuery(url: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}
