/**
 * The shared workload runner against a real SQLite store. The runtime here is a scripted
 * `PodRuntime` that records launches and stops and lets each test say what the pods report: it
 * stands at the provider boundary the runner talks to (the real runtimes — child processes,
 * Kubernetes Jobs, simulated pods — have their own tests).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WorkloadStatus } from '../../src/model/scheduling.js';
import type { PodLaunch, PodReport, PodRuntime } from '../../src/providers/pod-launch.js';
import { storeWorkloadPort } from '../../src/providers/workload-port.js';
import { WorkloadRunner } from '../../src/providers/workload-runner.js';
import { ManualClock } from '../../src/runtime/clock.js';
import { randomIds } from '../../src/runtime/ids.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { cluster, node, project, site, tenant, workload } from '../support/builders.js';

class ScriptedRuntime implements PodRuntime {
  readonly name = 'scripted';
  readonly launches: PodLaunch[] = [];
  readonly stops: string[] = [];
  readonly #running = new Set<string>();
  readonly #listeners = new Set<(r: PodReport) => void>();
  constructor(readonly clock: ManualClock) {}
  launch(pod: PodLaunch): void {
    if (this.#running.has(pod.id)) return;
    this.#running.add(pod.id);
    this.launches.push(pod);
  }
  stop(id: string): void {
    if (!this.#running.has(id)) return;
    this.stops.push(id);
    this.end(id, 'Failed', 'Stopped');
  }
  running(): readonly string[] {
    return [...this.#running];
  }
  onReport(listener: (r: PodReport) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  async close(): Promise<void> {}
  started(id: string): void {
    this.#emit({ id, phase: 'Running', at: this.clock.now().toISOString() });
  }
  end(
    id: string,
    phase: 'Succeeded' | 'Failed',
    reason: string,
    exitCode = phase === 'Succeeded' ? 0 : 1,
  ): void {
    this.#running.delete(id);
    this.#emit({ id, phase, reason, exitCode, at: this.clock.now().toISOString() });
  }
  #emit(report: PodReport): void {
    for (const l of this.#listeners) l(report);
  }
}

const ADMITTED_AT = '2026-06-01T12:00:00.000Z';

describe('the workload runner', () => {
  let dir: string;
  let store: Store;
  let clock: ManualClock;
  const runners: WorkloadRunner[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-runner-'));
    clock = new ManualClock('2026-06-01T12:00:00Z');
    store = await openSqliteStore({ file: join(dir, 'strata.db'), clock, ids: randomIds });
    for (const o of [site(), cluster(), node('n1'), node('n2'), tenant('t'), project('p', 't')]) {
      await store.write(
        { requestId: `apply-${o.metadata.name}`, subject: { name: 'admin' }, verb: 'apply' },
        (tx) => tx.apply(o as Parameters<typeof tx.apply>[0]),
      );
    }
  });

  afterEach(async () => {
    for (const r of runners.splice(0)) await r.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  function runnerOn(nodes: string[]): { runner: WorkloadRunner; runtime: ScriptedRuntime } {
    const runtime = new ScriptedRuntime(clock);
    const runner = new WorkloadRunner({
      port: storeWorkloadPort(store, { subject: `system:runner-${nodes.join('-')}` }),
      runtime,
      owns: (n) => nodes.includes(n),
      clock,
      resyncMs: 60_000,
    });
    runners.push(runner);
    runner.start();
    return { runner, runtime };
  }

  /** Creates a workload and books it as the admission controller would: pod i on nodes[i], GPU i. */
  async function admitted(name: string, nodes: string[], spec: Record<string, unknown> = {}) {
    const w = workload(name, 'p', {
      podSets: [
        {
          name: 'main',
          count: nodes.length,
          resources: { cpu: 1, memory: '1Gi', accelerators: { count: 1 } },
          command: ['train'],
        },
      ],
      ...spec,
    });
    await store.write({ requestId: `create-${name}`, subject: { name: 'alice' }, verb: 'create' }, (tx) =>
      tx.create(w as Parameters<typeof tx.create>[0]),
    );
    await setStatus(name, {
      phase: 'Admitted',
      admission: {
        queue: 'default',
        priority: 0,
        demand: { gpus: nodes.length },
        admittedAt: ADMITTED_AT,
        pods: nodes.map((n, i) => ({ pod: `p/${name}/main-${i}`, node: n, gpus: [i % 2] })),
      },
      history: [{ phase: 'Admitted', at: ADMITTED_AT }],
    });
  }

  async function setStatus(name: string, status: WorkloadStatus) {
    await store.write(
      { requestId: `status-${name}-${Math.random()}`, subject: { name: 'system:admission' }, verb: 'admit' },
      (tx) => tx.updateStatus({ kind: 'Workload', project: 'p', name }, status),
    );
  }

  async function statusOf(name: string): Promise<WorkloadStatus> {
    return (await store.get({ kind: 'Workload', project: 'p', name }))!.status as WorkloadStatus;
  }

  async function settle(...rs: WorkloadRunner[]) {
    for (let i = 0; i < 3; i++)
      for (const r of rs) {
        await r.flush();
        await r.sync();
      }
  }

  it('launches only the pods booked on its own nodes, with the devices and gang identity in the environment', async () => {
    const { runner, runtime } = runnerOn(['n2']);
    await admitted('train', ['n1', 'n2']);
    await runner.sync();
    expect(runtime.launches).toHaveLength(1);
    const launch = runtime.launches[0]!;
    expect(launch).toMatchObject({ id: `p/train/main-1@${ADMITTED_AT}`, node: 'n2', rank: 1, worldSize: 2 });
    expect(launch.env).toMatchObject({
      STRATA_WORKLOAD: 'train',
      STRATA_PROJECT: 'p',
      STRATA_POD: 'main-1',
      STRATA_RANK: '1',
      STRATA_WORLD_SIZE: '2',
      CUDA_VISIBLE_DEVICES: 'GPU-00000001-0000-0000-0000-000000000000',
      NVIDIA_VISIBLE_DEVICES: 'GPU-00000001-0000-0000-0000-000000000000',
    });
  });

  it('moves a workload to Running once its pod started and to Succeeded when it exits 0, recording each transition', async () => {
    const { runner, runtime } = runnerOn(['n1']);
    await admitted('job', ['n1']);
    await runner.sync();
    const id = runtime.launches[0]!.id;
    runtime.started(id);
    await settle(runner);
    expect((await statusOf('job')).phase).toBe('Running');
    runtime.end(id, 'Succeeded', 'Completed');
    await settle(runner);
    const status = await statusOf('job');
    expect(status).toMatchObject({ phase: 'Succeeded', reason: 'Completed' });
    expect(status.pods).toEqual([
      expect.objectContaining({ pod: 'main-0', phase: 'Succeeded', exitCode: 0 }),
    ]);
    expect(status.history?.map((h) => h.phase)).toEqual(['Admitted', 'Running', 'Succeeded']);
    expect(runtime.launches).toHaveLength(1);
  });

  it('keeps both pods of a gang when two runners on different nodes report at the same time', async () => {
    const a = runnerOn(['n1']);
    const b = runnerOn(['n2']);
    await admitted('gang', ['n1', 'n2']);
    await a.runner.sync();
    await b.runner.sync();
    a.runtime.started(a.runtime.launches[0]!.id);
    b.runtime.started(b.runtime.launches[0]!.id);
    await settle(a.runner, b.runner);
    const status = await statusOf('gang');
    expect(status.phase).toBe('Running');
    expect(status.pods?.map((p) => `${p.pod}:${p.phase}`)).toEqual(['main-0:Running', 'main-1:Running']);
  });

  it('fails the whole gang when one pod fails for good, and stops the others', async () => {
    const { runner, runtime } = runnerOn(['n1', 'n2']);
    await admitted('gang', ['n1', 'n2']);
    await runner.sync();
    for (const l of runtime.launches) runtime.started(l.id);
    await settle(runner);
    runtime.end(runtime.launches[0]!.id, 'Failed', 'Error', 3);
    await settle(runner);
    expect(await statusOf('gang')).toMatchObject({ phase: 'Failed', reason: 'Error' });
    expect(runtime.stops).toEqual([runtime.launches[1]!.id]);
  });

  it('restarts a failed pod in place under OnFailure until its backoff limit, then fails the workload', async () => {
    const { runner, runtime } = runnerOn(['n1']);
    await admitted('flaky', ['n1'], {
      restartPolicy: { policy: 'OnFailure', backoffLimit: 1, backoffSeconds: 0.01 },
    });
    await runner.sync();
    const id = runtime.launches[0]!.id;
    runtime.started(id);
    runtime.end(id, 'Failed', 'Error');
    await settle(runner);
    expect((await statusOf('flaky')).pods?.[0]).toMatchObject({ phase: 'Pending', restarts: 1 });
    await new Promise((r) => setTimeout(r, 50));
    expect(runtime.launches.map((l) => l.id)).toEqual([id, id]);
    runtime.started(id);
    runtime.end(id, 'Failed', 'Error');
    await settle(runner);
    expect(await statusOf('flaky')).toMatchObject({
      phase: 'Failed',
      pods: [expect.objectContaining({ restarts: 1 })],
    });
  });

  it('does not launch a pod again while its final report is still being written', async () => {
    const { runner, runtime } = runnerOn(['n1']);
    await admitted('once', ['n1']);
    await runner.sync();
    const id = runtime.launches[0]!.id;
    runtime.started(id);
    await settle(runner);
    runtime.end(id, 'Succeeded', 'Completed');
    await runner.sync();
    await settle(runner);
    expect(runtime.launches).toHaveLength(1);
    expect((await statusOf('once')).phase).toBe('Succeeded');
  });

  it.each([
    ['DeadlineExceeded'],
    ['CommandNotFound'],
  ])('does not restart a pod that failed with %s', async (reason) => {
    const { runner, runtime } = runnerOn(['n1']);
    await admitted('w', ['n1'], {
      restartPolicy: { policy: 'OnFailure', backoffLimit: 3, backoffSeconds: 0.01 },
    });
    await runner.sync();
    runtime.end(runtime.launches[0]!.id, 'Failed', reason);
    await settle(runner);
    expect(await statusOf('w')).toMatchObject({ phase: 'Failed', reason });
  });

  it('stops the pods of a workload sent back to its queue, and ignores their late reports', async () => {
    const { runner, runtime } = runnerOn(['n1']);
    await admitted('victim', ['n1']);
    await runner.sync();
    runtime.started(runtime.launches[0]!.id);
    await settle(runner);
    await setStatus('victim', { phase: 'Pending', message: 'preempted' });
    await settle(runner);
    expect(runtime.stops).toEqual([runtime.launches[0]!.id]);
    expect((await statusOf('victim')).phase).toBe('Pending');
  });

  it('stops a cancelled workload and ends it Cancelled', async () => {
    const { runner, runtime } = runnerOn(['n1']);
    await admitted('cancel-me', ['n1']);
    await runner.sync();
    runtime.started(runtime.launches[0]!.id);
    await settle(runner);
    const current = (await store.get({ kind: 'Workload', project: 'p', name: 'cancel-me' }))!;
    await store.write({ requestId: 'cancel', subject: { name: 'alice' }, verb: 'update' }, (tx) =>
      tx.update({
        kind: 'Workload',
        metadata: { name: 'cancel-me', project: 'p' },
        spec: { ...(current.spec as object), cancelled: true },
      }),
    );
    await settle(runner);
    expect(runtime.stops).toHaveLength(1);
    expect(await statusOf('cancel-me')).toMatchObject({ phase: 'Cancelled', reason: 'Cancelled' });
  });

  it('launches a re-admitted workload again under its new attempt and stops the old one', async () => {
    const { runner, runtime } = runnerOn(['n1', 'n2']);
    await admitted('moved', ['n1']);
    await runner.sync();
    const status = await statusOf('moved');
    await setStatus('moved', {
      ...status,
      admission: {
        ...status.admission!,
        admittedAt: '2026-06-01T13:00:00.000Z',
        pods: [{ pod: 'p/moved/main-0', node: 'n2', gpus: [0] }],
      },
    });
    await runner.sync();
    expect(runtime.stops).toEqual([`p/moved/main-0@${ADMITTED_AT}`]);
    expect(runtime.launches.map((l) => l.node)).toEqual(['n1', 'n2']);
  });
});
