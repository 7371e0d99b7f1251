/**
 * Whole-process helpers: `strata up` and the `strata` CLI (and kubectl) run as
 * real child processes, the way a user runs them. Every test file gets its own
 * temp dir with its own STRATA_CONFIG, HOME and kubectl cache, so nothing leaks
 * between files or from the developer's machine.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
export const STRATA_BIN = join(REPO_ROOT, 'bin', 'strata.js');
export const DEMO_DIR = join(REPO_ROOT, 'examples', 'demo');

/** Ceiling for one CLI / kubectl call; a hung call fails the test instead of the whole run. */
const RUN_TIMEOUT_MS = 20_000;
/** Ceiling for `strata up` to print its "listening on" line. */
const UP_TIMEOUT_MS = 30_000;

/** Variables from the developer's shell that would point a child at the wrong server or config. */
const SCRUBBED = [
  'STRATA_SERVER',
  'STRATA_TOKEN',
  'STRATA_CONFIG',
  'STRATA_CONTEXT',
  'STRATA_CA_FILE',
  'STRATA_STORE',
  'KUBECONFIG',
  'KUBECACHEDIR',
  'NODE_OPTIONS',
];

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Non-empty lines of a stream, for counting and matching. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** A fresh directory under the OS temp dir; removed by the Sandbox that made it. */
export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `strata-e2e-${prefix}-`));
}

/** A TCP port nothing listens on (bound on port 0, then released). */
export async function closedPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Runs a command with a timeout, capturing both streams and the exit code; never rejects on exit ≠ 0. */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; input?: string; cwd?: string; timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${command} ${args.join(' ')} did not finish within ${options.timeoutMs ?? RUN_TIMEOUT_MS} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, options.timeoutMs ?? RUN_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {
      // The child may exit before reading stdin (usage errors); that is its answer, not ours.
    });
    child.stdin.end(options.input ?? '');
  });
}

/** The absolute path of an executable on PATH, or undefined. */
export function which(name: string): string | undefined {
  const found = spawnSync('which', [name], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim() !== '') return found.stdout.trim();
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir !== '' && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** A running `strata up` child process. */
export interface UpProcess {
  readonly url: string;
  readonly dataDir: string;
  /** Everything it printed on stdout up to and including the banner. */
  readonly banner: string;
  readonly child: ChildProcess;
  /** SIGTERM, then SIGKILL after a grace period; resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * One test file's world: a temp root holding the CLI context file, a HOME and
 * a kubectl cache, plus every `strata up` started through it, all torn down by
 * `dispose()` (call it from afterAll: it runs even when tests fail).
 */
export class Sandbox {
  readonly #ups = new Set<UpProcess>();
  readonly #dirs: string[] = [];

  private constructor(
    readonly root: string,
    readonly configFile: string,
    readonly home: string,
  ) {}

  static async create(name: string): Promise<Sandbox> {
    const root = await tempDir(name);
    const sandbox = new Sandbox(root, join(root, 'strata-config.json'), join(root, 'home'));
    sandbox.#dirs.push(root);
    return sandbox;
  }

  /** The environment every child gets: scrubbed, with this sandbox's config file and HOME. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of SCRUBBED) delete env[key];
    return {
      ...env,
      STRATA_CONFIG: this.configFile,
      HOME: this.home,
      KUBECACHEDIR: join(this.root, 'kube-cache'),
      NO_COLOR: '1',
      ...extra,
    };
  }

  /** A data dir inside the sandbox (not created: `strata up` creates it). */
  dataDir(name = 'data'): string {
    return join(this.root, name);
  }

  /** `node bin/strata.js …args`. */
  strata(args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}) {
    return runProcess(process.execPath, [STRATA_BIN, ...args], {
      env: this.env(options.env),
      ...(options.input !== undefined && { input: options.input }),
    });
  }

  /** kubectl, with a throwaway HOME and discovery cache; fails loudly when kubectl is missing. */
  kubectl(args: readonly string[]) {
    const path = which('kubectl');
    if (path === undefined) {
      throw new Error(
        'kubectl is required for the e2e suite (the "Done when" of the kubectl issue is checked with the real client); install it on PATH (e.g. /usr/bin/kubectl)',
      );
    }
    return runProcess(path, ['--cache-dir', join(this.root, 'kube-cache'), ...args], { env: this.env() });
  }

  /** Starts `strata up` on a free port (port 0, URL read from its banner) and waits until it listens. */
  async up(options: { dataDir?: string; demo?: boolean; extraArgs?: readonly string[] } = {}) {
    const dataDir = options.dataDir ?? this.dataDir();
    const args = [
      STRATA_BIN,
      'up',
      '--data-dir',
      dataDir,
      '--port',
      '0',
      ...(options.demo ? ['--demo'] : []),
      ...(options.extraArgs ?? []),
    ];
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: this.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let exited = child.exitCode !== null;
    const exit = new Promise<void>((done) =>
      child.once('exit', () => {
        exited = true;
        done();
      }),
    );
    const up: UpProcess = {
      url: '',
      dataDir,
      banner: '',
      child,
      async stop() {
        if (!exited) {
          child.kill('SIGTERM');
          const grace = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exit;
          clearTimeout(grace);
        }
        liveUps.delete(up);
      },
    };
    this.#ups.add(up);
    liveUps.add(up);

    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const url = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`strata up did not listen within ${UP_TIMEOUT_MS} ms\n${stdout}\n${stderr}`)),
        UP_TIMEOUT_MS,
      );
      const onData = (chunk: string) => {
        stdout += chunk;
        const match = /listening on (\S+)/.exec(stdout);
        // The banner is one console.log: wait for its last line so callers see all of it.
        if (match && stdout.includes('Stop with Ctrl-C.')) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          resolveUrl(match[1]!);
        }
      };
      child.stdout.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`strata up exited (${code ?? signal}) before listening\n${stdout}\n${stderr}`));
      });
    }).catch(async (error: Error) => {
      await up.stop();
      throw error;
    });
    // Keep draining stdout so the child never blocks on a full pipe.
    child.stdout.resume();
    Object.assign(up, { url, banner: stdout });
    return up;
  }

  /** Stops every `strata up` of this sandbox and removes its temp dirs. */
  async dispose(): Promise<void> {
    await Promise.all([...this.#ups].map((u) => u.stop()));
    this.#ups.clear();
    for (const dir of this.#dirs) await rm(dir, { recursive: true, force: true });
  }
}

const liveUps = new Set<UpProcess>();

// Last resort: a worker that dies without running afterAll must not leave servers behind.
process.once('exit', () => {
  for (const up of liveUps) up.child.kill('SIGKILL');
});

/** Reads a kubectl-style table (columns padded to a common start) into records keyed by header. */
export function parseTable(text: string): Record<string, string>[] {
  const [header, ...rows] = lines(text);
  if (header === undefined) return [];
  const starts: { name: string; at: number }[] = [];
  for (const match of header.matchAll(/\S+(?: \S+)*/g)) starts.push({ name: match[0], at: match.index });
  return rows.map((row) => {
    const record: Record<string, string> = {};
    starts.forEach((column, i) => {
      const end = starts[i + 1]?.at ?? row.length;
      record[column.name] = row.slice(column.at, end).trim();
    });
    return record;
  });
}

/** The documents of the demo fleet, as `strata up --demo` loads them. */
export async function demoDocuments(): Promise<Record<string, unknown>[]> {
  const docs: Record<string, unknown>[] = [];
  for (const file of (await readdir(DEMO_DIR)).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    for (const doc of YAML.parseAllDocuments(readFileSync(join(DEMO_DIR, file), 'utf8'))) {
      const value = doc.toJS() as Record<string, unknown> | null;
      if (value) docs.push(value);
    }
  }
  return docs;
}

/** The `strata_<id>_<secret>` token's id, as `token list` shows it. */
export function tokenId(token: string): string {
  const match = /^strata_([^_]+)_/.exec(token.trim());
  if (!match) throw new Error(`not a Strata token: ${token}`);
  return match[1]!;
}
