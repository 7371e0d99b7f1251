import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lapsedStatus, nodeLifecycleController } from '../../src/controllers/node-lifecycle.js';
import type { NodeStatus } from '../../src/model/fleet.js';
import type { ApiObject } from '../../src/model/object.js';
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
