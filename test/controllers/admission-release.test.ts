/**
 * Issue 6: "allocations are released exactly once whatever path a workload ends by". A queue holds
 * 2 GPUs; `first` holds both, `second` and `third` (2 GPUs each) wait. However `first` ends, the
 * 2 GPUs come back once: exactly one workload holds them afterwards, and writing the ended status
 * again frees nothing more.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { admissionController } from '../../src/controllers/admission-controller.js';
import type { WorkloadStatus } from '../../src/model/scheduling.js';
import { HOLDING_PHASES } from '../../src/model/workload-history.js';
import { ManualClock } from '../../src/runtime/clock.js';
import { randomIds } from '../../src/runtime/ids.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store, WriteTx } from '../../src/store/store.js';
import { cluster, node, project, site, tenant, workload } from '../support/builders.js';

const NAMES = ['first', 'second', 'third'] as const;

type Ending = (tx: WriteTx, status: WorkloadStatus) => Promise<unknown>;

const key = { kind: 'Workload', project: 'p', name: 'first' } as const;
const ended =
  (phase: WorkloadStatus['phase'], reason: string): Ending =>
  (tx, status) =>
    tx.updateStatus(key, { ...status, phase, reason });

const ENDINGS: readonly [string, Ending][] = [
  ['it succeeds', ended('Succeeded', 'Completed')],
  ['it fails', ended('Failed', 'Error')],
  ['it is cancelled', ended('Cancelled', 'Cancelled')],
  ['it is deleted while it runs', (tx) => tx.delete(key)],
  [
    'its node is lost and it goes back to its queue',
    (tx, status) =>
      tx.updateStatus(key, {
        phase: 'Pending',
        requeues: (status.requeues ?? 0) + 1,
        history: status.history,
      }),
  ],
];

describe('releasing a booking', () => {
  let dir: string;
  let store: Store;
  let clock: ManualClock;
  let stop: (() => void) | undefined;
  let seq = 0;

  const write = (fn: (tx: WriteTx) => Promise<unknown>) =>
    store.write({ requestId: `w-${++seq}`, subject: { name: 'admin' }, verb: 'apply' }, fn);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-release-'));
    clock = new ManualClock('2026-06-01T12:00:00Z');
    store = await openSqliteStore({ file: join(dir, 'strata.db'), clock, ids: randomIds });
    const objects = [
      site(),
      cluster(),
      node('n1'),
      node('n2'),
      tenant('t'),
      project('p', 't'),
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
    ];
    for (const o of objects) await write((tx) => tx.apply(o as Parameters<WriteTx['apply']>[0]));
    for (const name of ['n1', 'n2'])
      await write((tx) => tx.updateStatus({ kind: 'Node', name }, { state: 'Ready' }));
  });

  afterEach(async () => {
    stop?.();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function phases(): Promise<Map<string, WorkloadStatus['phase'] | undefined>> {
    const out = new Map<string, WorkloadStatus['phase'] | undefined>();
    for (const name of NAMES) {
      const w = await store.get({ kind: 'Workload', project: 'p', name });
      if (w) out.set(name, (w.status as WorkloadStatus | undefined)?.phase);
    }
    return out;
  }

  async function until(what: string, check: () => Promise<boolean>) {
    const deadline = Date.now() + 3_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const holding = async () => [...(await phases()).values()].filter((p) => p && HOLDING_PHASES.has(p)).length;

  it.each(ENDINGS)('frees the GPUs once when %s', async (_, end) => {
    for (const name of NAMES) {
      await write((tx) =>
        tx.create(
          workload(name, 'p', {
            queue: 'team',
            podSets: [
              { name: 'main', count: 1, resources: { cpu: 1, memory: '1Gi', accelerators: { count: 2 } } },
            ],
          }) as Parameters<WriteTx['create']>[0],
        ),
      );
      clock.advance(1_000);
    }
    const lease = await store.acquireLease('controllers', 'me', 60_000);
    stop = admissionController({ intervalMs: 30, debounceMs: 5 }).start({
      store,
      clock,
      fence: { lease: 'controllers', holder: 'me', epoch: lease!.epoch },
    });
    await until('first admitted', async () => (await phases()).get('first') === 'Admitted');

    const status = (await store.get(key))!.status as WorkloadStatus;
    await write((tx) => end(tx, status));
    await until('the GPUs went to one workload', async () => {
      const p = await phases();
      return (
        [...p].some(([name, phase]) => name !== 'first' && phase === 'Admitted') ||
        p.get('first') === 'Admitted'
      );
    });
    // Writing the ending again (a provider's late report) must not free the GPUs a second time.
    const again = await store.get(key);
    if (again && !HOLDING_PHASES.has((again.status as WorkloadStatus).phase))
      await write((tx) => tx.updateStatus(key, again.status));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await holding()).toBe(1);
  });
});
