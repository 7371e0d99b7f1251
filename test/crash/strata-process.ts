import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const STRATA_BIN = join(REPO_ROOT, 'bin', 'strata.js');

/** Ceiling for `strata up` to print its banner; a start that hangs is a finding, not a wait. */
const UP_TIMEOUT_MS = 30_000;
/** Kept of each stream for the report when a start fails or the process dies on its own. */
const TAIL_CHARS = 4_000;

/** Variables from the caller's shell that would point the child at another store or config. */
const SCRUBBED = ['STRATA_SERVER', 'STRATA_TOKEN', 'STRATA_CONTEXT', 'STRATA_STORE', 'NODE_OPTIONS'];

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StrataProcessOptions {
  readonly dataDir: string;
  /** Extra `strata up` arguments, e.g. `--store postgres://…`. */
  readonly args: readonly string[];
  /** The CLI context file `strata up` writes its context into (kept out of the user's HOME). */
  readonly configFile: string;
  /** Another build's bin/strata.js (a deliberately broken one proves the checks bite); this checkout's by default. */
  readonly bin?: string;
}

/**
 * One `strata up` child process, run the way a user runs it (built bin, plain
 * HTTP on a free port). `listening` settles with the URL from its banner, or
 * rejects if the process exits or hangs first.
 */
export class StrataProcess {
  readonly child: ChildProcess;
  readonly listening: Promise<string>;
  readonly exited: Promise<ProcessExit>;
  #killed = false;
  #exit: ProcessExit | undefined;
  #stdout = '';
  #stderr = '';

  constructor(options: StrataProcessOptions) {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of SCRUBBED) delete env[key];
    env.STRATA_CONFIG = options.configFile;
    env.NO_COLOR = '1';
    this.child = spawn(
      process.execPath,
      [
        options.bin ?? STRATA_BIN,
        'up',
        '--data-dir',
        options.dataDir,
        '--port',
        '0',
        '--no-tls',
        ...options.args,
      ],
      { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stdout = (this.#stdout + chunk).slice(-TAIL_CHARS);
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr = (this.#stderr + chunk).slice(-TAIL_CHARS);
    });
    this.exited = new Promise((done) => {
      this.child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        done(this.#exit);
      });
    });
    this.listening = new Promise<string>((resolveUrl, reject) => {
      let seen = '';
      const timer = setTimeout(() => {
        reject(new Error(`strata up did not listen within ${UP_TIMEOUT_MS} ms\n${this.output()}`));
      }, UP_TIMEOUT_MS);
      const onData = (chunk: string) => {
        seen += chunk;
        const match = /listening on (\S+)/.exec(seen);
        // The banner is one console.log; its last line says the start is complete.
        if (match && seen.includes('Stop with Ctrl-C.')) {
          clearTimeout(timer);
          this.child.stdout!.off('data', onData);
          resolveUrl(match[1]!);
        }
      };
      this.child.stdout!.on('data', onData);
      void this.exited.then((exit) => {
        clearTimeout(timer);
        reject(
          new Error(`strata up exited (${exit.code ?? exit.signal}) before listening\n${this.output()}`),
        );
      });
    });
    // A kill during start-up rejects `listening`; whoever cares awaits it, nobody else should crash on it.
    this.listening.catch(() => undefined);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True once the process has exited without this harness killing it: a crash of its own. */
  get diedOnItsOwn(): boolean {
    return this.#exit !== undefined && !this.#killed;
  }

  get exitStatus(): ProcessExit | undefined {
    return this.#exit;
  }

  /** SIGKILL: no shutdown hook runs, buffers are not flushed, sockets are reset. */
  async kill(): Promise<ProcessExit> {
    this.#killed = true;
    if (this.#exit === undefined) this.child.kill('SIGKILL');
    return this.exited;
  }

  /** SIGTERM (a clean shutdown), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<ProcessExit> {
    this.#killed = true;
    if (this.#exit === undefined) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
  }

  /** The tails of stdout and stderr, for error messages. */
  output(): string {
    return `--- stdout ---\n${this.#stdout}\n--- stderr ---\n${this.#stderr}`;
  }
}

const live = new Set<StrataProcess>();

/** Spawns `strata up`; every process spawned here is SIGKILLed if this process exits first. */
export function spawnStrata(options: StrataProcessOptions): StrataProcess {
  const proc = new StrataProcess(options);
  live.add(proc);
  void proc.exited.then(() => live.delete(proc));
  return proc;
}

process.once('exit', () => {
  for (const proc of live) proc.child.kill('SIGKILL');
});
