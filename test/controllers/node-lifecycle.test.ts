import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  lapsedStatus,
  leaseDeadline,
  NODE_LOST,
  nodeLifecycleController,
  nodeLostStatus,
} from '../../src/controllers/node-lifecycle.js';
import type { NodeStatus } from '../../src/model/fleet.js';
import type { ApiObject } from '../../src/model/object.js';
import { type WorkloadSpec, type WorkloadStatus, workloadSpec } from '../../src/model/scheduling.js';
import { ManualClock } from '../../src/runtime/clock.js';
import { randomIds } from '../../src/runtime/ids.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const GRACE = 40_000;

function node(status?: Partial<NodeStatus>): ApiObject {
  return {
    apiVersion: 'strata.dev/v1alpha1',
    kind: 'Node',
    metadata: {
      name: 'n1',
      uid: 'u',
      resourceVersion: '1',
      generation: 1,
      creationTimestamp: '2026-06-01T00:00:00Z',
    },
    spec: {},
    ...(status !== undefined && { status }),
  };
}

const ago = (ms: number) => new Date(NOW - ms).toISOString();

describe('lapsedStatus', () => {
  it.each([
    [
      'a Ready node silent past the grace period',
      { state: 'Ready', lastHeartbeat: ago(GRACE + 1_000) },
      'NotReady',
    ],
    [
      'a Ready node that heartbeated within the grace period',
      { state: 'Ready', lastHeartbeat: ago(GRACE - 1_000) },
      undefined,
    ],
    ['a node already NotReady', { state: 'NotReady', lastHeartbeat: ago(GRACE * 10) }, undefined],
    ['a node no agent ever reported', undefined, undefined],
    [
      'a simulated node (the twin keeps its own time)',
      { state: 'Ready', simulated: true, lastHeartbeat: ago(GRACE * 10) },
      undefined,
    ],
  ] as const)('%s → %s', (_what, status, expected) => {
    expect(lapsedStatus(node(status as Partial<NodeStatus> | undefined), NOW, GRACE)?.state).toBe(expected);
  });

  it('says how long the node has been silent and keeps its last heartbeat', () => {
    const next = lapsedStatus(node({ state: 'Ready', lastHeartbeat: ago(95_000) }), NOW, GRACE);
    expect(next?.message).toMatch(/no heartbeat for 95 s/);
    expect(next?.lastHeartbeat).toBe(ago(95_000));
  });
});

describe('the node lifecycle controller', () => {
  let dir: string;
  let store: Store;
  const clock = new ManualClock('2026-06-01T12:00:00Z');
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-lifecycle-'));
    store = await openSqliteStore({ file: join(dir, 'strata.db'), clock, ids: randomIds });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function stateOf(name: string) {
    return ((await store.get({ kind: 'Node', name }))?.status as NodeStatus | undefined)?.state;
  }

  async function readyNode(name: string, heartbeatAgoMs: number) {
    const ctx = { requestId: name, subject: { name: 'agent' }, verb: 'apply' };
    await store.write(ctx, (tx) => tx.apply({ kind: 'Node', metadata: { name }, spec: {} }));
    await store.write(ctx, (tx) =>
      tx.updateStatus(
        { kind: 'Node', name },
        { state: 'Ready', lastHeartbeat: new Date(clock.now().getTime() - heartbeatAgoMs).toISOString() },
      ),
    );
  }

  it('marks silent nodes NotReady under its fence, and leaves the others alone', async () => {
    await readyNode('silent', GRACE + 5_000);
    await readyNode('alive', 1_000);
    const lease = await store.acquireLease('controllers', 'me', 60_000);
    const stop = nodeLifecycleController({ graceMs: GRACE, intervalMs: 50 }).start({
      store,
      clock,
      fence: { lease: 'controllers', holder: 'me', epoch: lease!.epoch },
    });
    const deadline = Date.now() + 3_000;
    while ((await stateOf('silent')) !== 'NotReady') {
      if (Date.now() > deadline) throw new Error('the silent node was never marked NotReady');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    stop();
    expect(await stateOf('alive')).toBe('Ready');
    const audit = await store.readAudit(0, 100);
    expect(audit.some((r) => r.subject.name === 'system:node-lifecycle' && r.object.name === 'silent')).toBe(
      true,
    );
  });

  it('writes nothing once its fence is stale', async () => {
    await readyNode('silent', GRACE + 5_000);
    const revision = await store.currentRevision();
    const stop = nodeLifecycleController({ graceMs: GRACE, intervalMs: 50 }).start({
      store,
      clock,
      fence: { lease: 'controllers', holder: 'someone-else', epoch: 7 },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    stop();
    expect(await store.currentRevision()).toBe(revision);
  });
});

const ADMITTED_AT = '2026-06-01T11:00:00.000Z';

/** A workload admitted with one pod on each of `nodes`, in `phase`. */
function heldWorkload(
  nodes: readonly string[],
  phase: WorkloadStatus['phase'] = 'Running',
  spec: Partial<WorkloadSpec> = {},
): ApiObject<WorkloadSpec, WorkloadStatus> {
  return {
    apiVersion: 'strata.dev/v1alpha1',
    kind: 'Workload',
    metadata: {
      name: 'train',
      project: 'ml',
      uid: 'w',
      resourceVersion: '5',
      generation: 1,
      creationTimestamp: '2026-06-01T10:00:00Z',
    },
    spec: workloadSpec.parse({
      queue: 'q',
      podSets: [{ name: 'main', count: nodes.length, resources: { cpu: 1, memory: '1Gi' } }],
      ...spec,
    }),
    status: {
      phase,
      startedAt: ADMITTED_AT,
      history: [
        { phase: 'Pending', at: '2026-06-01T10:00:00.000Z' },
        { phase: 'Admitted', at: ADMITTED_AT },
      ],
      admission: {
        queue: 'q',
        priority: 0,
        demand: { cpu: nodes.length },
        admittedAt: ADMITTED_AT,
        pods: nodes.map((n, i) => ({ pod: `main-${i}`, node: n, gpus: [] })),
      },
      pods: nodes.map((n, i) => ({
        pod: `main-${i}`,
        node: n,
        attempt: ADMITTED_AT,
        phase: 'Running' as const,
        restarts: 0,
      })),
    },
  };
}

const AT = '2026-06-01T12:00:00.000Z';

describe('leaseDeadline', () => {
  it.each([
    [
      'a Ready node: its last heartbeat plus the grace',
      { state: 'Ready', lastHeartbeat: ago(1_000) },
      NOW - 1_000 + GRACE,
    ],
    ['a NotReady node: none', { state: 'NotReady', lastHeartbeat: ago(1_000) }, undefined],
    ['a heartbeat time that does not parse: none', { state: 'Ready', lastHeartbeat: 'yesterday' }, undefined],
    ['a simulated node: none', { state: 'Ready', simulated: true, lastHeartbeat: ago(1_000) }, undefined],
  ] as const)('%s', (_what, status, expected) => {
    expect(leaseDeadline(node(status as Partial<NodeStatus>), GRACE)).toBe(expected);
  });
});

describe('nodeLostStatus', () => {
  it('sends a workload with a pod on a lost node back to its queue: Pending, no admission, one more requeue', () => {
    const next = nodeLostStatus(heldWorkload(['n1', 'n2']), new Set(['n2']), AT);
    expect(next).toMatchObject({ phase: 'Pending', reason: NODE_LOST, requeues: 1 });
    expect(next?.message).toMatch(/node n2 stopped heartbeating; requeued/);
    expect(next).not.toHaveProperty('admission');
    expect(next).not.toHaveProperty('pods');
    expect(next).not.toHaveProperty('startedAt');
  });

  it('keeps the phase history and adds the requeue to it with reason NodeLost', () => {
    const next = nodeLostStatus(heldWorkload(['n1']), new Set(['n1']), AT);
    expect(next?.history?.map((h) => [h.phase, h.reason])).toEqual([
      ['Pending', undefined],
      ['Admitted', undefined],
      ['Pending', NODE_LOST],
    ]);
  });

  it('counts on from the requeues a workload already has', () => {
    const w = heldWorkload(['n1']);
    const next = nodeLostStatus({ ...w, status: { ...w.status!, requeues: 2 } }, new Set(['n1']), AT);
    expect(next?.requeues).toBe(3);
  });

  it('fails a workload whose spec.onNodeFailure is Fail, keeping its admission for the record', () => {
    const next = nodeLostStatus(
      heldWorkload(['n1'], 'Running', { onNodeFailure: 'Fail' }),
      new Set(['n1']),
      AT,
    );
    expect(next).toMatchObject({ phase: 'Failed', reason: NODE_LOST, finishedAt: AT });
    expect(next?.admission?.pods).toHaveLength(1);
    expect(next?.requeues).toBeUndefined();
  });

  it.each([
    ['holds no pod on a lost node', heldWorkload(['n1']), new Set(['n9'])],
    ['is still Pending', heldWorkload(['n1'], 'Pending'), new Set(['n1'])],
    ['has already Succeeded', heldWorkload(['n1'], 'Succeeded'), new Set(['n1'])],
  ])('leaves alone a workload that %s', (_, w, lost) => {
    expect(nodeLostStatus(w, lost, AT)).toBeUndefined();
  });

  it('never requeues twice for one loss: the requeued status holds nothing', () => {
    const w = heldWorkload(['n1']);
    const once = nodeLostStatus(w, new Set(['n1']), AT)!;
    expect(nodeLostStatus({ ...w, status: once }, new Set(['n1']), AT)).toBeUndefined();
  });
});

describe('the node lifecycle controller and the work on lost nodes', () => {
  let dir: string;
  let store: Store;
  const clock = new ManualClock('2026-06-01T12:00:00Z');
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-lifecycle-'));
    store = await openSqliteStore({ file: join(dir, 'strata.db'), clock, ids: randomIds });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const ctx = (id: string) => ({ requestId: id, subject: { name: 'test' }, verb: 'apply' });

  async function nodeIn(name: string, status: NodeStatus) {
    await store.write(ctx(`n-${name}`), (tx) => tx.apply({ kind: 'Node', metadata: { name }, spec: {} }));
    await store.write(ctx(`ns-${name}`), (tx) => tx.updateStatus({ kind: 'Node', name }, status));
  }

  async function workloadOn(name: string, nodes: string[], spec: Partial<WorkloadSpec> = {}) {
    const w = heldWorkload(nodes, 'Running', spec);
    await store.write(ctx(`w-${name}`), (tx) =>
      tx.apply({ kind: 'Workload', metadata: { name, project: 'ml' }, spec: w.spec }),
    );
    await store.write(ctx(`ws-${name}`), (tx) =>
      tx.updateStatus({ kind: 'Workload', name, project: 'ml' }, w.status!),
    );
  }

  const statusOf = async (name: string) =>
    (await store.get({ kind: 'Workload', name, project: 'ml' }))?.status as WorkloadStatus;

  async function run(until: () => Promise<boolean>) {
    const lease = await store.acquireLease('controllers', 'me', 60_000);
    const stop = nodeLifecycleController({ graceMs: GRACE, intervalMs: 50 }).start({
      store,
      clock,
      fence: { lease: 'controllers', holder: 'me', epoch: lease!.epoch },
    });
    const deadline = Date.now() + 3_000;
    try {
      while (!(await until())) {
        if (Date.now() > deadline) throw new Error('the controller never got there');
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    } finally {
      stop();
    }
  }

  const ago = (ms: number) => new Date(clock.now().getTime() - ms).toISOString();

  it('requeues the work of a node it marks NotReady, as verb evict, and leaves the work elsewhere alone', async () => {
    await nodeIn('silent', { state: 'Ready', lastHeartbeat: ago(GRACE + 5_000) });
    await nodeIn('alive', { state: 'Ready', lastHeartbeat: ago(1_000) });
    await workloadOn('on-silent', ['silent']);
    await workloadOn('on-alive', ['alive']);
    await workloadOn('strict', ['silent'], { onNodeFailure: 'Fail' });
    await run(
      async () =>
        (await statusOf('on-silent')).phase === 'Pending' && (await statusOf('strict')).phase === 'Failed',
    );
    expect(await statusOf('on-silent')).toMatchObject({ phase: 'Pending', reason: NODE_LOST, requeues: 1 });
    expect(await statusOf('strict')).toMatchObject({ phase: 'Failed', reason: NODE_LOST });
    expect((await statusOf('on-alive')).phase).toBe('Running');
    const evictions = (await store.readAudit(0, 1_000)).filter((r) => r.verb === 'evict');
    expect(evictions.map((r) => [r.subject.name, r.object.name]).sort()).toEqual([
      ['system:node-lifecycle', 'on-silent'],
      ['system:node-lifecycle', 'strict'],
    ]);
  });

  it('on a new term, requeues the work still held on a node that was already NotReady', async () => {
    await nodeIn('gone', { state: 'NotReady', lastHeartbeat: ago(GRACE * 3) });
    await workloadOn('stranded', ['gone']);
    await run(async () => (await statusOf('stranded')).phase === 'Pending');
    expect(await statusOf('stranded')).toMatchObject({ reason: NODE_LOST, requeues: 1 });
  });
});
