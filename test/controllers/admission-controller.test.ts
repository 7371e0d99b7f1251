import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { admissionController } from '../../src/controllers/admission-controller.js';
import type { WorkloadStatus } from '../../src/model/scheduling.js';
import { ManualClock } from '../../src/runtime/clock.js';
import { randomIds } from '../../src/runtime/ids.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Fence, Store } from '../../src/store/store.js';
import { cluster, node, project, site, tenant, workload } from '../support/builders.js';

const LEASE = 'controllers';

describe('the admission controller', () => {
  let dir: string;
  let store: Store;
  let clock: ManualClock;
  const stops: (() => void)[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-admission-'));
    clock = new ManualClock('2026-06-01T12:00:00Z');
    store = await openSqliteStore({ file: join(dir, 'strata.db'), clock, ids: randomIds });
    // Two Ready nodes of 2 H100 each; queue "team" holds 2 GPUs of class h100, and no cohort lends it more.
    await apply(site(), cluster(), node('n1'), node('n2'), tenant('t'), project('p', 't'));
    for (const name of ['n1', 'n2']) {
      await store.write({ requestId: name, subject: { name: 'agent' }, verb: 'update-status' }, (tx) =>
        tx.updateStatus({ kind: 'Node', name }, { state: 'Ready' }),
      );
    }
    await apply(
      {
        kind: 'ResourceClass',
        metadata: { name: 'h100' },
        spec: { accelerator: { models: ['H100-SXM-80GB'] } },
      },
      {
        kind: 'Queue',
        metadata: { name: 'team' },
        spec: { resources: [{ resourceClass: 'h100', nominal: { gpus: 2 } }] },
      },
    );
  });

  afterEach(async () => {
    for (const stop of stops.splice(0)) stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function apply(...objects: { kind: string; metadata: object; spec: object }[]) {
    for (const { kind, metadata, spec } of objects) {
      await store.write({ requestId: `apply-${kind}`, subject: { name: 'admin' }, verb: 'apply' }, (tx) =>
        tx.apply({ kind, metadata, spec } as Parameters<typeof tx.apply>[0]),
      );
      clock.advance(1_000);
    }
  }

  /** A workload of `gpus` whole H100s in one pod, in queue "team". */
  const job = (name: string, gpus: number) =>
    workload(name, 'p', {
      queue: 'team',
      podSets: [
        { name: 'main', count: 1, resources: { cpu: 4, memory: '16Gi', accelerators: { count: gpus } } },
      ],
    });

  async function lead(holder = 'me'): Promise<Fence> {
    const lease = await store.acquireLease(LEASE, holder, 60_000);
    return { lease: LEASE, holder, epoch: lease!.epoch };
  }

  function start(fence: Fence) {
    const errors: unknown[] = [];
    const stop = admissionController({ intervalMs: 50, onError: (e) => errors.push(e) }).start({
      store,
      clock,
      fence,
    });
    stops.push(stop);
    return { stop, errors };
  }

  const statusOf = async (name: string) =>
    (await store.get({ kind: 'Workload', project: 'p', name }))?.status as WorkloadStatus | undefined;

  async function until(what: string, check: () => Promise<boolean>) {
    const deadline = Date.now() + 3_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('admits what fits with the node of each pod, and says why the rest waits: the quota, how much, its position', async () => {
    await apply(job('first', 2), job('second', 1));
    start(await lead());
    await until(
      'both have a status',
      async () =>
        (await statusOf('first'))?.phase === 'Admitted' && (await statusOf('second'))?.phase === 'Pending',
    );

    const first = (await statusOf('first'))!;
    expect(first.admission).toMatchObject({ queue: 'team', resourceClass: 'h100', demand: { gpus: 2 } });
    expect(first.admission!.pods).toEqual([
      expect.objectContaining({
        pod: 'p/first/main-0',
        node: expect.stringMatching(/^n[12]$/),
        gpus: [0, 1],
      }),
    ]);
    expect(first.conditions).toEqual([
      expect.objectContaining({ type: 'Admitted', status: 'True', reason: 'QuotaReservedAndPlaced' }),
    ]);

    const second = (await statusOf('second'))!;
    expect(second.pending).toMatchObject({ queue: 'team', reason: 'quota', ahead: 0 });
    expect(second.message).toBe(
      'needs 1 more GPUs of class h100 in queue team: requests 1, 0 available; 0 workloads ahead',
    );
    expect(second.conditions).toEqual([
      expect.objectContaining({ type: 'Admitted', status: 'False', reason: 'Quota' }),
    ]);

    // The admission is an audit event of its own, by the controller, on the workload.
    const audit = await store.readAudit(0, 1_000);
    const admits = audit.filter((r) => r.verb === 'admit');
    expect(admits).toEqual([
      expect.objectContaining({
        subject: { name: 'system:admission' },
        object: expect.objectContaining({ kind: 'Workload', name: 'first', project: 'p' }),
      }),
    ]);
  });

  it('queues again a workload whose booking another writer took away, without waiting for a fleet change', async () => {
    await apply(job('moved', 2));
    start(await lead());
    await until('admitted', async () => (await statusOf('moved'))?.phase === 'Admitted');
    const first = (await statusOf('moved'))!.admission!.admittedAt;
    clock.advance(1_000);
    // What node lifecycle writes when the node is lost: back to Pending, no booking, the spec untouched.
    await store.write(
      { requestId: 'requeue', subject: { name: 'system:node-lifecycle' }, verb: 'evict' },
      (tx) =>
        tx.updateStatus({ kind: 'Workload', project: 'p', name: 'moved' }, { phase: 'Pending', requeues: 1 }),
    );
    await until('admitted again', async () => {
      const status = await statusOf('moved');
      return status?.phase === 'Admitted' && status.admission?.admittedAt !== first;
    });
    expect((await statusOf('moved'))?.requeues).toBe(1);
  });

  it('runs no cycle for a commit that only moved a node heartbeat, and one for a commit that matters', async () => {
    await apply(job('steady', 2), job('waiting', 1));
    let cycles = 0;
    // No periodic rounds in this test: only commits trigger them.
    const stop = admissionController({
      intervalMs: 3_600_000,
      debounceMs: 10,
      onCycle: () => cycles++,
    }).start({
      store,
      clock,
      fence: await lead(),
    });
    stops.push(stop);
    await until('decided', async () => (await statusOf('waiting'))?.phase === 'Pending');
    const settle = () => new Promise((resolve) => setTimeout(resolve, 150));
    await settle();
    const decided = cycles;
    for (let beat = 0; beat < 5; beat++) {
      await store.write(
        { requestId: `beat-${beat}`, subject: { name: 'agent' }, verb: 'update-status' },
        (tx) =>
          tx.updateStatus(
            { kind: 'Node', name: 'n1' },
            { state: 'Ready', lastHeartbeat: clock.now().toISOString() },
          ),
      );
      await settle();
    }
    expect(cycles).toBe(decided);
    await apply(job('another', 1));
    await until('a cycle ran for it', async () => (await statusOf('another'))?.phase === 'Pending');
    expect(cycles).toBeGreaterThan(decided);
  });

  it('does not rewrite an unchanged decision, and frees quota when a workload ends', async () => {
    await apply(job('first', 2), job('second', 1));
    start(await lead());
    await until('second is pending', async () => (await statusOf('second'))?.phase === 'Pending');
    const settled = await store.currentRevision();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await store.currentRevision()).toBe(settled);

    const first = (await store.get({ kind: 'Workload', project: 'p', name: 'first' }))!;
    await store.write({ requestId: 'done', subject: { name: 'runtime' }, verb: 'update-status' }, (tx) =>
      tx.updateStatus(
        { kind: 'Workload', project: 'p', name: 'first' },
        { ...first.status!, phase: 'Succeeded' },
      ),
    );
    await until('second is admitted', async () => (await statusOf('second'))?.phase === 'Admitted');
  });

  it('lists the store once and then follows its event log, listing again when the log was compacted past it', async () => {
    await apply(job('first', 2));
    start(await lead());
    await until('first is admitted', async () => (await statusOf('first'))?.phase === 'Admitted');
    // Compacted before the controller reads the events of "second": it must list again to see it.
    const db = new BetterSqlite3(join(dir, 'strata.db'));
    await apply(job('second', 1));
    db.prepare('delete from events').run();
    db.close();
    await until(
      'second waits for quota',
      async () => (await statusOf('second'))?.pending?.reason === 'quota',
    );
    expect((await statusOf('first'))?.phase).toBe('Admitted');
    await apply(job('third', 1));
    await until('third waits behind second', async () => (await statusOf('third'))?.pending?.ahead === 1);
  });

  it('a new leader books admitted workloads where they are before admitting anything (nothing booked twice)', async () => {
    await apply(job('first', 2), job('second', 1));
    const term1 = start(await lead());
    await until('second is pending', async () => (await statusOf('second'))?.phase === 'Pending');
    term1.stop();
    await store.releaseLease(LEASE, 'me');

    // A re-admission would now carry a different admittedAt, so an unchanged store proves the restore.
    clock.advance(60_000);
    const before = await store.currentRevision();
    const term2 = start(await lead('next'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(term2.errors).toEqual([]);
    // The same decisions, so nothing to write: "second" still waits on the quota "first" holds.
    expect(await store.currentRevision()).toBe(before);
    expect((await statusOf('second'))?.pending?.reason).toBe('quota');
  });

  it('a deposed leader writes nothing: its writes are fenced', async () => {
    await apply(job('first', 2));
    const stale = await lead('old');
    await store.releaseLease(LEASE, 'old');
    await lead('new');
    const revision = await store.currentRevision();
    const { errors } = start(stale);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(errors).toEqual([]);
    expect(await store.currentRevision()).toBe(revision);
    expect(await statusOf('first')).toBeUndefined();
  });

  it('a workload no node could ever host stays Pending with the placement reason and the filters', async () => {
    // One B200: within the quota, but the fleet has only H100s.
    const b200 = { count: 1, models: ['B200'] };
    await apply(
      workload('eight', 'p', {
        queue: 'team',
        podSets: [{ name: 'main', count: 1, resources: { cpu: 4, memory: '16Gi', accelerators: b200 } }],
      }),
    );
    start(await lead());
    await until('eight is pending', async () => (await statusOf('eight'))?.phase === 'Pending');
    const eight = (await statusOf('eight'))!;
    expect(eight.pending?.reason).toBe('placement');
    expect(eight.message).toMatch(
      /^no node of the fleet could ever host pod p\/eight\/main-0 \(accelerator-model: /,
    );
    expect(eight.pending?.detail).toMatchObject({ verdict: 'never-fits', nodesConsidered: 2 });
  });
});
