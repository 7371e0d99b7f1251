/**
 * The local runner's view of the store: the workloads holding pods on its node, kept from the event
 * log rather than listed per commit. A real SQLite store in a temp dir.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiObject } from '../../src/model/object.js';
import { incrementalWorkloadPort } from '../../src/providers/incremental-workload-port.js';
import { storeWorkloadPort, type WorkloadPort } from '../../src/providers/workload-port.js';
import { systemClock } from '../../src/runtime/clock.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { node, workload } from '../support/builders.js';

let dir: string;
let store: Store;
let port: WorkloadPort;
let seq = 0;

const onLocal = (w: ApiObject) =>
  (w.status as { admission?: { pods: { node: string }[] } } | undefined)?.admission?.pods.some(
    (p) => p.node === 'local',
  ) ?? false;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-incremental-port-'));
  store = await openStore(undefined, { dataDir: dir, clock: systemClock });
  port = incrementalWorkloadPort(store, storeWorkloadPort(store, { subject: 'test' }), onLocal);
});

afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const ctx = () => ({ requestId: `t-${++seq}`, subject: { name: 'test' }, verb: 'test' });

async function create(name: string): Promise<void> {
  await store.write(ctx(), (tx) => tx.create(workload(name, 'p') as never));
}

async function admit(name: string, onNode: string): Promise<void> {
  const current = (await store.get({ kind: 'Workload', project: 'p', name }))!;
  await store.write(ctx(), (tx) =>
    tx.updateStatus(
      { kind: 'Workload', project: 'p', name },
      { phase: 'Admitted', admission: { pods: [{ pod: 'main-0', node: onNode, gpus: [] }] } },
      current.metadata.resourceVersion,
    ),
  );
}

const names = async () => (await port.list()).map((w) => w.metadata.name).sort();

describe('incrementalWorkloadPort', () => {
  it('lists only the workloads the predicate keeps, as they are now', async () => {
    await create('a');
    await create('b');
    await admit('a', 'local');
    await admit('b', 'elsewhere');
    expect(await names()).toEqual(['a']);
  });

  it('follows later changes from the event log: a workload enters, leaves, and is deleted', async () => {
    expect(await names()).toEqual([]);
    await create('c');
    await admit('c', 'local');
    expect(await names()).toEqual(['c']);
    const listed = (await port.list())[0]!;
    expect(listed.metadata.resourceVersion).toBe(
      (await store.get({ kind: 'Workload', project: 'p', name: 'c' }))!.metadata.resourceVersion,
    );
    await admit('c', 'elsewhere');
    expect(await names()).toEqual([]);
    await admit('c', 'local');
    await store.write(ctx(), (tx) => tx.delete({ kind: 'Workload', project: 'p', name: 'c' }));
    expect(await names()).toEqual([]);
  });

  it('tells its watcher when a kept workload changes, not when other objects do', async () => {
    await port.list();
    let calls = 0;
    const stop = port.watch(() => {
      calls++;
    });
    await store.write(ctx(), (tx) => tx.create(node('n1') as never));
    await create('d');
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(0);
    await admit('d', 'local');
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(1);
    stop();
  });
});
