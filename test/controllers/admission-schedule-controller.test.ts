/**
 * The admission controller reads queue schedules in each site's local time: it hands the sites'
 * zones and tariffs to admission, and each round reads the injected clock.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { admissionController } from '../../src/controllers/admission-controller.js';
import type { WorkloadStatus } from '../../src/model/scheduling.js';
import { ManualClock } from '../../src/runtime/clock.js';
import { randomIds } from '../../src/runtime/ids.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { cluster, node, project, site, tenant, workload } from '../support/builders.js';

const LEASE = 'controllers';

describe('the admission controller and site-local schedules', () => {
  let dir: string;
  let store: Store;
  let clock: ManualClock;
  let stop: (() => void) | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-admission-schedule-'));
    // 06:00 UTC: 15:00 in Tokyo, 08:00 in Frankfurt (summer time): night nowhere.
    clock = new ManualClock('2026-06-01T06:00:00Z');
    store = await openSqliteStore({ file: join(dir, 'strata.db'), clock, ids: randomIds });
    await apply(
      site('fra', { timeZone: 'Europe/Berlin' }),
      site('tyo', { timeZone: 'Asia/Tokyo', jurisdiction: { country: 'JP', regime: 'JP' } }),
      cluster('fra-hgx', 'fra'),
      cluster('tyo-hgx', 'tyo'),
      node('fra-1', { cluster: 'fra-hgx' }),
      node('tyo-1', { cluster: 'tyo-hgx' }),
      tenant('t'),
      project('p', 't'),
      {
        kind: 'Queue',
        metadata: { name: 'night' },
        spec: {
          resources: [{ resourceClass: 'any', nominal: { gpus: 8 } }],
          schedule: { windows: [{ from: '22:00', to: '06:00' }] },
        },
      },
      { kind: 'ResourceClass', metadata: { name: 'any' }, spec: {} },
      workload('batch', 'p', { queue: 'night' }),
    );
    for (const name of ['fra-1', 'tyo-1']) {
      await store.write({ requestId: name, subject: { name: 'agent' }, verb: 'update-status' }, (tx) =>
        tx.updateStatus({ kind: 'Node', name }, { state: 'Ready' }),
      );
    }
  });

  afterEach(async () => {
    stop?.();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function apply(...objects: { kind: string; metadata: object; spec: object }[]) {
    for (const { kind, metadata, spec } of objects) {
      await store.write({ requestId: `apply-${kind}`, subject: { name: 'admin' }, verb: 'apply' }, (tx) =>
        tx.apply({ kind, metadata, spec } as Parameters<typeof tx.apply>[0]),
      );
    }
  }

  const statusOf = async () =>
    (await store.get({ kind: 'Workload', project: 'p', name: 'batch' }))?.status as
      | WorkloadStatus
      | undefined;

  async function until(what: string, check: (s: WorkloadStatus | undefined) => boolean) {
    const deadline = Date.now() + 3_000;
    while (!check(await statusOf())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('waits with the earliest site-local opening, then starts in Tokyo when night falls there', async () => {
    const lease = await store.acquireLease(LEASE, 'me', 60_000);
    stop = admissionController({ intervalMs: 50 }).start({
      store,
      clock,
      fence: { lease: LEASE, holder: 'me', epoch: lease!.epoch },
    });
    await until('it waits', (s) => s?.phase === 'Pending');
    expect((await statusOf())!.pending).toMatchObject({
      reason: 'time-window',
      detail: {
        scope: 'queue',
        site: 'tyo',
        timeZone: 'Asia/Tokyo',
        nextOpening: '2026-06-01T13:00:00.000Z',
      },
    });

    // 14:00 UTC: 23:00 in Tokyo, 16:00 in Frankfurt.
    clock.advance(8 * 3_600_000);
    await until('it is admitted', (s) => s?.phase !== 'Pending');
    expect((await statusOf())!.admission!.pods.map((p) => p.node)).toEqual(['tyo-1']);
  });
});
