import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { admissionController } from '../../src/controllers/admission-controller.js';
import { objectDigest } from '../../src/governance/audit/digest.js';
import type { WorkloadStatus } from '../../src/model/scheduling.js';
import { ManualClock } from '../../src/runtime/clock.js';
import { randomIds } from '../../src/runtime/ids.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { cluster, node, project, site, tenant, workload } from '../support/builders.js';

/**
 * A preemption's audit record carries the inputs of the decision: the record digests the victim as
 * written (verb "preempt"), and that object's `status.pending.detail.preemption` holds both
 * workloads' queues, priorities and shares before and after, the mode and the rule. Real SQLite
 * store, real controller, manual clock.
 */

const LEASE = 'controllers';

describe('the admission controller audits each preemption with its inputs', () => {
  let dir: string;
  let store: Store;
  let clock: ManualClock;
  const stops: (() => void)[] = [];
  const errors: unknown[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-preemption-audit-'));
    clock = new ManualClock('2026-06-01T12:00:00Z');
    store = await openSqliteStore({ file: join(dir, 'strata.db'), clock, ids: randomIds });
    // Two Ready nodes of 2 H100 each. Queue "shared" lends the cohort its 4 GPUs and runs nothing;
    // queues a (fair-share preemption on) and b borrow all they use.
    await apply(site(), cluster(), node('n1'), node('n2'), tenant('t'), project('p', 't'));
    for (const name of ['n1', 'n2']) {
      await store.write({ requestId: name, subject: { name: 'agent' }, verb: 'update-status' }, (tx) =>
        tx.updateStatus({ kind: 'Node', name }, { state: 'Ready' }),
      );
    }
    const queue = (name: string, gpus: number, preemption: object = {}) => ({
      kind: 'Queue',
      metadata: { name },
      spec: { cohort: 'c', preemption, resources: [{ resourceClass: 'h100', nominal: { gpus } }] },
    });
    await apply(
      {
        kind: 'ResourceClass',
        metadata: { name: 'h100' },
        spec: { accelerator: { models: ['H100-SXM-80GB'] } },
      },
      { kind: 'Cohort', metadata: { name: 'c' }, spec: {} },
      queue('shared', 4),
      queue('a', 0, { fairSharing: 'LessThanFinalShare' }),
      queue('b', 0),
    );
  });

  afterEach(async () => {
    for (const stop of stops.splice(0)) stop();
    errors.splice(0);
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

  /** One H100 in one pod. */
  const job = (name: string, queue: string) =>
    workload(name, 'p', {
      queue,
      podSets: [
        { name: 'main', count: 1, resources: { cpu: 4, memory: '16Gi', accelerators: { count: 1 } } },
      ],
    });

  async function start() {
    const lease = await store.acquireLease(LEASE, 'me', 60_000);
    const fence = { lease: LEASE, holder: 'me', epoch: lease!.epoch };
    const stop = admissionController({
      intervalMs: 50,
      // History off: shares are current usage, so the figures below are exact.
      admission: { halfLifeSeconds: 0, aging: null },
      onError: (e) => errors.push(e),
    }).start({ store, clock, fence });
    stops.push(stop);
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

  it('the preempt record digests the victim whose status names the decision’s inputs', async () => {
    const bs = ['b1', 'b2', 'b3', 'b4'];
    await apply(...bs.map((b) => job(b, 'b')));
    await start();
    await until('b holds all four GPUs', async () => {
      for (const b of bs) if ((await statusOf(b))?.phase !== 'Admitted') return false;
      return true;
    });
    const admittedAt = Date.parse((await statusOf('b1'))!.admission!.admittedAt);

    clock.advance(60_000);
    await apply(job('w', 'a'));
    await until('w is admitted', async () => (await statusOf('w'))?.phase === 'Admitted');

    const audit = await store.readAudit(0, 10_000);
    const preempts = audit.filter((r) => r.verb === 'preempt');
    expect(preempts).toHaveLength(1);
    const [record] = preempts;
    expect(record).toMatchObject({
      subject: { name: 'system:admission' },
      object: { kind: 'Workload', project: 'p' },
    });
    // The victim goes before its preemptor is admitted.
    const admitW = audit.find((r) => r.verb === 'admit' && r.object.name === 'w')!;
    expect(record!.seq).toBeLessThan(admitW.seq);

    // The record's digest is of the victim as written at its revision.
    const [event] = await store.events(record!.revision! - 1, 1);
    expect(event!.revision).toBe(record!.revision);
    expect(objectDigest(event!.object)).toBe(record!.afterDigest);
    const victim = event!.object.metadata.name;
    const status = event!.object.status as WorkloadStatus;
    expect(status.phase).toBe('Pending');
    const detail = status.pending!.detail!;
    expect(detail).toMatchObject({ kind: 'preempted', by: 'p/w', mode: 'fair-share' });
    const preemptedAt = Date.parse(detail.at as string);
    expect(detail.preemption).toEqual({
      victim: `p/${victim}`,
      victimQueue: 'b',
      victimPriority: 0,
      // b held the pool's 4 GPUs; it keeps 3.
      victimShare: { before: 1, after: 0.75 },
      preemptor: 'p/w',
      preemptorQueue: 'a',
      preemptorPriority: 0,
      preemptorShare: { before: 0, after: 0.25 },
      mode: 'fair-share',
      rule:
        'fairSharing LessThanFinalShare: share of queue a with p/w 0.25 < share of queue b without its victims 0.75; ' +
        'priority 0 ≥ 0; queue b keeps its nominal',
      wastedGpuSeconds: (preemptedAt - admittedAt) / 1000,
    });
    expect(errors).toEqual([]);
  });
});
