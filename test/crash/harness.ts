/**
 * The crash harness: runs `strata up` as a child process under a steady load
 * of applies, status writes and deletes from concurrent clients, SIGKILLs it
 * at random (seeded) moments and restarts it on the same store, or restarts
 * the database engine under it; then checks the store against every answer
 * the clients got (see verify.ts for the four checks).
 *
 * Library, not a test: test/crash/*.test.ts run it short, bench/crash.ts long.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Rng } from '../../src/runtime/rng.js';
import { type Document, markerDocuments, parentDocuments, pluralOf } from './documents.js';
import { JsonClient } from './http-client.js';
import { Ledger } from './ledger.js';
import { CrashLoad, ServerGate } from './load.js';
import type { StoreTarget } from './store-target.js';
import { type StrataProcess, spawnStrata } from './strata-process.js';
import { type Verification, verifyStore, type WatchRecord } from './verify.js';
import { WatchObserver } from './watch-observer.js';

export type { StoreTarget } from './store-target.js';
export { postgresTarget, sqliteTarget } from './store-target.js';

/**
 * kill-strata: SIGKILL the control plane and start it again on the same store.
 * restart-store: restart the database engine under a control plane that keeps
 * running; it must reconnect by itself.
 */
export type CrashMode = 'kill-strata' | 'restart-store';

export interface CrashOptions {
  readonly target: StoreTarget;
  readonly mode?: CrashMode;
  /** SIGKILLs under load (kill-strata) or engine restarts (restart-store). */
  readonly kills: number;
  readonly seed: number;
  readonly clients?: number;
  readonly sitesPerClient?: number;
  readonly nodesPerClient?: number;
  /** How long after a (re)start, under load, the next kill lands: uniform in [min, max] ms. */
  readonly killDelayMs?: readonly [number, number];
  /** Every n-th restart (default 5; 0 never) is itself killed during start-up, at a random moment. */
  readonly startupKillEvery?: number;
  /** restart-store: a write must be acknowledged again within this long after the engine is back. */
  readonly recoveryTimeoutMs?: number;
  /** Per-request ceiling; a request that hangs longer counts as a failure (TIMEOUT). */
  readonly requestTimeoutMs?: number;
  /** `bin/strata.js` of another build (default: this checkout's, which must be built). */
  readonly strataBin?: string;
  /** Kept (not deleted) when given; a fresh temp dir otherwise. */
  readonly dataDir?: string;
  readonly log?: (line: string) => void;
}

export interface CrashReport extends Verification {
  readonly store: StoreTarget['name'];
  readonly mode: CrashMode;
  readonly seed: number;
  /** SIGKILLs under load, or engine restarts: each one survived when `ok`. */
  readonly kills: number;
  /** …of which landed while at least one write was sent and not yet answered. */
  readonly killsMidWrite: number;
  /** Extra SIGKILLs of a control plane that was still starting (not in `kills`). */
  readonly startupKills: number;
  readonly clients: number;
  readonly requests: number;
  readonly reads: number;
  readonly sentWrites: number;
  /** Answers that were not acknowledgements, by cause. */
  readonly failures: Readonly<Record<string, number>>;
  /** restart-store: the longest time from the engine being back to the next acknowledged write. */
  readonly maxRecoveryMs?: number;
  /** Watch streams opened (one per watched kind, plus one per resume after a kill or outage). */
  readonly watchStreams: number;
  readonly durationMs: number;
  /** Where a failed run left its data dir and store. */
  readonly dataDir?: string;
  /** Zero losses and no problem of any kind. */
  readonly ok: boolean;
}

const BASE = '/apis/strata.dev/v1alpha1';

export async function runCrashHarness(options: CrashOptions): Promise<CrashReport> {
  const mode = options.mode ?? 'kill-strata';
  const clients = options.clients ?? 8;
  const [minDelay, maxDelay] = options.killDelayMs ?? [50, 800];
  const log = options.log ?? (() => undefined);
  const { target } = options;
  if (mode === 'restart-store' && target.restart === undefined) {
    throw new Error(`the ${target.name} target cannot restart its engine`);
  }
  const rng = new Rng(options.seed);
  const ownDir = options.dataDir === undefined;
  const root = options.dataDir ?? (await mkdtemp(join(tmpdir(), `strata-crash-${target.name}-`)));
  const dataDir = join(root, 'data');
  const configFile = join(root, 'cli-config.json');
  const started = performance.now();

  const ledger = new Ledger();
  const gate = new ServerGate();
  const load = new CrashLoad(
    ledger,
    gate,
    { clients, sitesPerClient: options.sitesPerClient ?? 3, nodesPerClient: options.nodesPerClient ?? 2 },
    rng.fork(),
  );
  const problems: string[] = [];
  let proc: StrataProcess | undefined;
  let killsMidWrite = 0;
  let startupKills = 0;
  let kills = 0;
  let maxRecoveryMs: number | undefined;
  const watchers: { kind: string; watcher: WatchObserver }[] = [];
  const watched: WatchRecord[] = [];
  const spawn = () =>
    spawnStrata({
      dataDir,
      args: target.upArgs,
      configFile,
      ...(options.strataBin !== undefined && { bin: options.strataBin }),
    });

  /** Starts a control plane and opens the gate to it once it listens. */
  const up = async (): Promise<StrataProcess> => {
    const next = spawn();
    const url = await next.listening.catch(async (error: unknown) => {
      await next.kill();
      throw error;
    });
    const token = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    gate.open(new JsonClient(url, token, options.requestTimeoutMs ?? 15_000));
    return next;
  };
  /** Fails the run if the control plane died before the harness killed it. */
  const checkAlive = (p: StrataProcess, when: string) => {
    if (p.diedOnItsOwn) {
      throw new Error(`strata up died on its own ${when} (${JSON.stringify(p.exitStatus)})\n${p.output()}`);
    }
  };

  try {
    proc = await up();
    const first = (await gate.get())!;
    await applyAll(first, parentDocuments());
    for (const kind of WATCHED) {
      const list = await first.call('GET', `${BASE}/${pluralOf(kind)}`);
      if (!list.ok || list.status !== 200) throw new Error(`could not list ${kind}: ${JSON.stringify(list)}`);
      const from = Number((list.body as { metadata: { resourceVersion: string } }).metadata.resourceVersion);
      watchers.push({ kind, watcher: new WatchObserver(pluralOf(kind), gate, from) });
    }
    for (const { watcher } of watchers) watcher.start();
    load.start();
    for (let k = 0; k < options.kills; k++) {
      if (mode === 'kill-strata') {
        await sleep(rng.int(minDelay, maxDelay));
        checkAlive(proc, 'under load');
        if (load.inFlightWrites > 0) killsMidWrite++;
        gate.close();
        await proc.kill();
        kills++;
        const every = options.startupKillEvery ?? 5;
        if (every > 0 && (k + 1) % every === 0) {
          // Kill a restart too, somewhere in its start-up: migrations, bootstrap, listen.
          const starting = spawn();
          await Promise.race([sleep(rng.int(0, 700)), starting.exited]);
          checkAlive(starting, 'while starting');
          await starting.kill();
          startupKills++;
        }
        proc = await up();
      } else {
        await sleep(rng.int(300, 1500));
        if (load.inFlightWrites > 0) killsMidWrite++;
        await target.restart!();
        const back = performance.now();
        kills++;
        const recovered = await waitFor(() => load.lastAckAt > back, options.recoveryTimeoutMs ?? 30_000);
        checkAlive(proc, 'after the engine restart');
        if (!recovered) {
          problems.push(
            `no write was acknowledged within ${options.recoveryTimeoutMs ?? 30_000} ms of restart ${k + 1}`,
          );
          break;
        }
        maxRecoveryMs = Math.max(maxRecoveryMs ?? 0, load.lastAckAt - back);
      }
      log(
        `${mode === 'kill-strata' ? 'kill' : 'restart'} ${k + 1}/${options.kills}: ${ledger.acknowledgedWrites} writes acknowledged, ${ledger.failures.total} failed`,
      );
    }
    // A last stretch of load on the last incarnation, then stop the clients and kill it idle:
    // the last answers must survive a kill that nothing was in the middle of, too.
    await sleep(rng.int(200, 500));
    checkAlive(proc, 'under load');
    await load.stop();
    // One last write of each watched kind: a watcher that has seen it has seen everything before it.
    const marks = await applyAll((await gate.get())!, markerDocuments());
    for (const { kind, watcher } of watchers) {
      const until = marks.get(kind)!;
      if (!(await waitFor(() => watcher.lastRevision >= until, 15_000))) {
        problems.push(
          `the ${kind} watcher did not reach revision ${until} (it is at ${watcher.lastRevision})`,
        );
      }
      watched.push({ kind, from: watcher.from, until, events: watcher.events });
    }
    gate.shut();
    for (const { watcher } of watchers) await watcher.stop();
    await proc.kill();
  } catch (error) {
    gate.shut();
    await load.stop();
    for (const { watcher } of watchers) await watcher.stop();
    await proc?.kill();
    // The data dir is kept for a post-mortem.
    throw new Error(
      `crash run failed (seed ${options.seed}; data kept in ${root}): ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }

  const store = await target.open(dataDir);
  let verification: Verification;
  try {
    verification = await verifyStore(store, ledger, watched);
  } finally {
    await store.close();
  }
  const integrity = (await target.integrity?.(dataDir)) ?? [];

  const allProblems = [
    ...problems,
    ...ledger.clientProblems.map((p) => `client saw: ${p}`),
    ...watchers.flatMap(({ watcher }) => watcher.problems.map((p) => `watcher saw: ${p}`)),
    ...integrity.map((p) => `${target.name} integrity: ${p}`),
    ...verification.problems,
  ];
  const ok = allProblems.length === 0 && verification.losses === 0;
  // A failed run keeps its data dir (and says where) for a post-mortem.
  if (ok && ownDir) await rm(root, { recursive: true, force: true });
  return {
    store: target.name,
    mode,
    seed: options.seed,
    kills,
    killsMidWrite,
    startupKills,
    clients,
    requests: ledger.requests,
    reads: ledger.reads,
    sentWrites: ledger.sentWrites,
    failures: ledger.failures.toJSON(),
    ...(maxRecoveryMs !== undefined && { maxRecoveryMs: Math.round(maxRecoveryMs) }),
    watchStreams: watchers.reduce((n, { watcher }) => n + watcher.streams, 0),
    durationMs: Math.round(performance.now() - started),
    ...verification,
    problems: allProblems,
    ...(!ok && { dataDir: root }),
    ok,
  };
}

/** The kinds a watcher follows through the whole run. */
const WATCHED = ['Site', 'Node'] as const;

/** Applies documents that must succeed; returns the revision each kind's last one was acknowledged at. */
async function applyAll(http: JsonClient, docs: readonly Document[]): Promise<Map<string, number>> {
  const revisions = new Map<string, number>();
  for (const doc of docs) {
    const result = await http.call('PUT', `${BASE}/${pluralOf(doc.kind)}/${doc.metadata.name}`, doc);
    if (!result.ok || result.status >= 300) {
      throw new Error(`could not apply ${doc.kind} ${doc.metadata.name}: ${JSON.stringify(result)}`);
    }
    const body = result.body as { metadata: { resourceVersion: string } };
    revisions.set(doc.kind, Number(body.metadata.resourceVersion));
  }
  return revisions;
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** The figures as one line of JSON (what bench/crash.ts ends with). */
export function reportLine(report: CrashReport): string {
  return JSON.stringify({
    bench: 'crash',
    store: report.store,
    mode: report.mode,
    seed: report.seed,
    kills: report.kills,
    killsMidWrite: report.killsMidWrite,
    startupKills: report.startupKills,
    clients: report.clients,
    acknowledgedWrites: report.acknowledgedWrites,
    losses: report.losses,
    unacknowledgedWrites: report.unacknowledgedWrites,
    unacknowledgedCommitted: report.unacknowledgedCommitted,
    sentWrites: report.sentWrites,
    requests: report.requests,
    reads: report.reads,
    revision: report.revision,
    events: report.events,
    objects: report.objects,
    auditRecords: report.auditRecords,
    watchedEvents: report.watchedEvents,
    watchStreams: report.watchStreams,
    failures: report.failures,
    ...(report.maxRecoveryMs !== undefined && { maxRecoveryMs: report.maxRecoveryMs }),
    problems: report.problems.length,
    durationMs: report.durationMs,
    ok: report.ok,
  });
}
