/**
 * Submit → running on the local provider (issue 6 "Measure"): short workloads (`true`, 10m CPU)
 * created through the HTTP API of an in-process control plane (SQLite store, admission controller,
 * local provider running real child processes), arriving as a seeded Poisson stream. For each
 * workload: from the moment its create response arrives to the commit of the status write that
 * says the pod started (phase Running, or for a pod that ended before the runner wrote, the write
 * with startedAt and Succeeded), and to the one that says Succeeded, observed on the store's event
 * log (commit times are taken when the store announces each revision). Goal: p99 submit → Running ≤ 100 ms
 * (Kubernetes' pod-startup SLO is p99 ≤ 5 s, image pulls excluded).
 *
 *   npm run bench:local -- [--count 1000] [--rate 20] [--seed 42]
 *
 * `--rate` is arrivals per second. Prints the figures, then one JSON line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Rng } from '../src/runtime/rng.js';
import { startControlPlane } from '../src/server/control-plane.js';

const GOAL_P99_MS = 100;

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '20' },
    seed: { type: 'string', default: '42' },
  },
});
const count = Number(args.count);
const rate = Number(args.rate);
const seed = Number(args.seed);

const dataDir = await mkdtemp(join(tmpdir(), 'strata-bench-local-'));
const plane = await startControlPlane({
  dataDir,
  port: 0,
  host: '127.0.0.1',
  demo: false,
  tls: false,
});
const token = plane.bootstrap.adminToken;

/**
 * Commits as the store announces them (its head revision then, and the time), oldest first; an
 * event's commit is the first announced at or after its revision (one write may hold several events).
 */
const commits: { revision: number; at: number }[] = [];
const admitted = new Map<string, number>();
const running = new Map<string, number>();
const finished = new Map<string, { at: number; phase: string }>();
let seen = (await plane.store.events(0, 1)).at(0)?.revision ?? 0;
let reading = Promise.resolve();
plane.store.onCommit((revision) => {
  commits.push({ revision, at: performance.now() });
  reading = reading.then(readEvents);
});
async function readEvents(): Promise<void> {
  for (;;) {
    const events = await plane.store.events(seen, 1000);
    for (const event of events) {
      seen = event.revision;
      while (commits.length > 0 && commits[0]!.revision < event.revision) commits.shift();
      const at = commits[0]?.at;
      if (event.object.kind !== 'Workload' || at === undefined) continue;
      const name = event.object.metadata.name;
      const status = event.object.status as { phase?: string; startedAt?: string } | undefined;
      const phase = status?.phase;
      // A pod as short as `true` may start and end before the runner writes: then the first write
      // that says it started is the one that says it ended (startedAt set, phase Succeeded).
      if (phase === 'Admitted' && !admitted.has(name)) admitted.set(name, at);
      if ((phase === 'Running' || status?.startedAt !== undefined) && !running.has(name))
        running.set(name, at);
      if ((phase === 'Succeeded' || phase === 'Failed') && !finished.has(name))
        finished.set(name, { at, phase });
    }
    if (events.length < 1000) return;
  }
}

await until(async () => {
  const node = await plane.store.get({ kind: 'Node', name: 'local' });
  return (node?.status as { state?: string } | undefined)?.state === 'Ready';
}, 10_000);
seen = (await latestRevision()) ?? seen;

const rng = new Rng(seed);
const submitted = new Map<string, number>();
const failures: string[] = [];
const started = performance.now();
let next = started;
const creates: Promise<void>[] = [];
for (let i = 0; i < count; i++) {
  // Exponential gaps: a Poisson stream at `rate` per second.
  next += (-Math.log(1 - rng.next()) / rate) * 1000;
  const wait = next - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  creates.push(submit(`bench-${i}`));
}
await Promise.all(creates);
const submitSeconds = (performance.now() - started) / 1000;
await until(async () => finished.size + failures.length >= count, 120_000).catch(() => undefined);
const cpu = process.cpuUsage();

const toAdmitted: number[] = [];
const toRunning: number[] = [];
const toDone: number[] = [];
let failed = 0;
for (const [name, at] of submitted) {
  const admit = admitted.get(name);
  if (admit !== undefined) toAdmitted.push(admit - at);
  const run = running.get(name);
  const done = finished.get(name);
  if (run !== undefined) toRunning.push(run - at);
  if (done !== undefined) toDone.push(done.at - at);
  if (done?.phase === 'Failed') failed++;
}
const figures = {
  bench: 'local-provider',
  seed,
  count,
  ratePerSecond: rate,
  submitSeconds: round(submitSeconds),
  createErrors: failures.length,
  neverRunning: count - toRunning.length - failures.length,
  neverFinished: count - toDone.length - failures.length,
  failed,
  submitToAdmittedMs: percentiles(toAdmitted),
  submitToRunningMs: percentiles(toRunning),
  submitToSucceededMs: percentiles(toDone),
  goalP99Ms: GOAL_P99_MS,
  goalMet: toRunning.length === count && (percentiles(toRunning).p99 ?? Infinity) <= GOAL_P99_MS,
  processCpuSeconds: round((cpu.user + cpu.system) / 1e6),
};
console.log(
  `local provider: ${count} workloads at ${rate}/s (seed ${seed}), submitted in ${figures.submitSeconds} s`,
);
console.log(
  `  submit → Admitted   p50 ${figures.submitToAdmittedMs.p50} ms  p99 ${figures.submitToAdmittedMs.p99} ms  max ${figures.submitToAdmittedMs.max} ms`,
);
console.log(
  `  submit → Running    p50 ${figures.submitToRunningMs.p50} ms  p99 ${figures.submitToRunningMs.p99} ms  max ${figures.submitToRunningMs.max} ms  (goal p99 ≤ ${GOAL_P99_MS} ms)`,
);
console.log(
  `  submit → Succeeded  p50 ${figures.submitToSucceededMs.p50} ms  p99 ${figures.submitToSucceededMs.p99} ms  max ${figures.submitToSucceededMs.max} ms`,
);
console.log(
  `  create errors ${figures.createErrors}, never Running ${figures.neverRunning}, never finished ${figures.neverFinished}, Failed ${failed}`,
);
for (const f of failures.slice(0, 3)) console.log(`  e.g. ${f}`);
console.log(JSON.stringify(figures));
await plane.close();
await rm(dataDir, { recursive: true, force: true });

async function submit(name: string): Promise<void> {
  const response = await fetch(`${plane.url}/apis/strata.dev/v1alpha1/namespaces/default/workloads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'strata.dev/v1alpha1',
      kind: 'Workload',
      metadata: { name, project: 'default' },
      spec: {
        queue: 'default',
        podSets: [{ name: 'main', count: 1, resources: { cpu: '10m', memory: '1Mi' }, command: ['true'] }],
      },
    }),
  });
  const at = performance.now();
  const body = await response.text();
  if (response.status === 201) submitted.set(name, at);
  else failures.push(`${name}: HTTP ${response.status} ${body.slice(0, 200)}`);
}

async function latestRevision(): Promise<number | undefined> {
  let last: number | undefined;
  for (;;) {
    const events = await plane.store.events(last ?? seen, 1000);
    if (events.length === 0) return last;
    last = events.at(-1)!.revision;
  }
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function percentiles(values: number[]): { p50?: number; p99?: number; max?: number } {
  if (values.length === 0) return {};
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!);
  return { p50: at(0.5), p99: at(0.99), max: round(sorted.at(-1)!) };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
