/**
 * Admission schedules read per site (issue 5 item 6): windows in each site's local time, tariff
 * caps against each site's price now, queue and workload schedules intersected, the clock injected.
 */
import { describe, expect, it } from 'vitest';
import type { SiteSpec } from '../../src/model/fleet.js';
import type { ApiObject } from '../../src/model/object.js';
import { type AdmissionSchedule, admissionSchedule, type WorkloadSpec } from '../../src/model/scheduling.js';
import { admitCycle } from '../../src/scheduling/admission-cycle.js';
import { createAdmissionState } from '../../src/scheduling/admission-state.js';
import { queue, resourceClass, submitAll, workload } from './admission-builders.js';
import { cluster, liveFleet, node, site } from './live-builders.js';

type Tariff = SiteSpec['tariff'];

function zonedSite(name: string, timeZone: string, tariff: Tariff): ApiObject<SiteSpec> {
  const s = site(name);
  return { ...s, spec: { ...s.spec, timeZone, tariff } };
}

const EUR = (pricePerKWh: number, periods?: Tariff['periods']): Tariff => ({
  currency: 'EUR',
  pricePerKWh,
  ...(periods ? { periods } : {}),
});

/** Frankfurt (Europe/Berlin, 0.30/kWh) and Tokyo (Asia/Tokyo, 0.15/kWh, 0.08 at night), one node each. */
function twoSites(o: { tyoGpus?: number; queueSchedule?: AdmissionSchedule; timeWindows?: boolean } = {}) {
  const sites = [
    zonedSite('fra', 'Europe/Berlin', EUR(0.3)),
    zonedSite('tyo', 'Asia/Tokyo', EUR(0.15, [{ from: '22:00', to: '06:00', pricePerKWh: 0.08 }])),
  ];
  const { engine } = liveFleet({
    sites,
    clusters: [cluster('c-fra', 'fra'), cluster('c-tyo', 'tyo')],
    nodes: [node('fra-0', { cluster: 'c-fra' }), node('tyo-0', { cluster: 'c-tyo', gpus: o.tyoGpus ?? 8 })],
  });
  const spec = queue({
    gpus: 64,
    ...(o.timeWindows ? { timeWindows: [{ from: '22:00', to: '06:00' }] } : {}),
  });
  return createAdmissionState(
    {
      queues: new Map([['q', o.queueSchedule ? { ...spec, schedule: o.queueSchedule } : spec]]),
      resourceClasses: new Map([['default', resourceClass()]]),
      sites: new Map(sites.map((s) => [s.metadata.name, s.spec])),
    },
    engine,
  );
}

const schedule = (s: Partial<AdmissionSchedule>): AdmissionSchedule => admissionSchedule.parse(s);
const nightly = schedule({ windows: [{ from: '22:00', to: '06:00' }] });

function scheduled(name: string, s: AdmissionSchedule | undefined, gpus = 1): ApiObject<WorkloadSpec> {
  const w = workload(name, { gpus });
  return s ? { ...w, spec: { ...w.spec, schedule: s } } : w;
}

describe('admission schedules, per site and per cycle', () => {
  interface Case {
    readonly rule: string;
    readonly queueSchedule?: AdmissionSchedule;
    readonly workloadSchedule?: AdmissionSchedule;
    readonly timeWindows?: boolean;
    readonly gpus?: number;
    readonly tyoGpus?: number;
    /** The cycle's instant (UTC). */
    readonly now: string;
    /** Where the workload lands, or what it waits for. */
    readonly node?: string;
    readonly reason?: Record<string, unknown>;
  }
  const cases: Case[] = [
    {
      rule: 'a site-local night window open in Tokyo (23:00) and closed in Frankfurt (15:00): it lands in Tokyo',
      queueSchedule: nightly,
      now: '2026-01-05T14:00:00Z',
      node: 'tyo-0',
    },
    {
      rule: 'the same window at 21:30 UTC is open in Frankfurt (22:30) and closed in Tokyo (06:30)',
      queueSchedule: nightly,
      now: '2026-01-05T21:30:00Z',
      node: 'fra-0',
    },
    {
      rule: 'closed at every site: time-window, with the earliest next opening over the sites',
      queueSchedule: nightly,
      now: '2026-01-05T06:00:00Z',
      reason: {
        kind: 'time-window',
        queue: 'q',
        scope: 'queue',
        timeZone: 'Asia/Tokyo',
        nextOpening: '2026-01-05T13:00:00.000Z',
        site: 'tyo',
      },
    },
    {
      rule: 'a workload window narrower than its queue’s: both apply, so Tokyo at 23:00 is closed to it',
      queueSchedule: nightly,
      workloadSchedule: schedule({ windows: [{ from: '02:00', to: '04:00' }] }),
      now: '2026-01-05T14:00:00Z',
      reason: {
        kind: 'time-window',
        queue: 'q',
        scope: 'queue and workload',
        timeZone: 'Asia/Tokyo',
        nextOpening: '2026-01-05T17:00:00.000Z',
        site: 'tyo',
      },
    },
    {
      rule: 'inside both windows (Tokyo 02:30) it starts',
      queueSchedule: nightly,
      workloadSchedule: schedule({ windows: [{ from: '02:00', to: '04:00' }] }),
      now: '2026-01-05T17:30:00Z',
      node: 'tyo-0',
    },
    {
      rule: 'a workload schedule alone applies too',
      workloadSchedule: nightly,
      now: '2026-01-05T14:00:00Z',
      node: 'tyo-0',
    },
    {
      rule: 'schedule.timeZone reads the windows in that zone at every site',
      queueSchedule: schedule({ windows: [{ from: '22:00', to: '06:00' }], timeZone: 'UTC' }),
      now: '2026-01-05T14:00:00Z',
      reason: {
        kind: 'time-window',
        queue: 'q',
        scope: 'queue',
        timeZone: 'UTC',
        nextOpening: '2026-01-05T22:00:00.000Z',
        site: 'fra',
      },
    },
    {
      rule: 'a tariff cap excludes the expensive site (Frankfurt 0.30 > 0.20; Tokyo 0.15)',
      queueSchedule: schedule({ maxTariffPerKWh: 0.2 }),
      now: '2026-01-05T06:00:00Z',
      node: 'tyo-0',
    },
    {
      rule: 'a cap no site meets now: tariff, naming the cheapest price and when it next falls under the cap',
      workloadSchedule: schedule({ maxTariffPerKWh: 0.1 }),
      now: '2026-01-05T06:00:00Z',
      reason: {
        kind: 'tariff',
        queue: 'q',
        scope: 'workload',
        maxPerKWh: 0.1,
        cheapest: { site: 'tyo', pricePerKWh: 0.15, currency: 'EUR' },
        nextOpening: '2026-01-05T13:00:00.000Z',
        site: 'tyo',
      },
    },
    {
      rule: 'the legacy queue timeWindows stay UTC whatever the sites’ zones',
      timeWindows: true,
      now: '2026-01-05T14:00:00Z',
      reason: { kind: 'time-window', queue: 'q', timeZone: 'UTC', nextOpening: '2026-01-05T22:00:00.000Z' },
    },
    {
      rule: 'open only where the gang does not fit: placement counts the closed site under the time-window filter',
      queueSchedule: nightly,
      gpus: 8,
      tyoGpus: 4,
      now: '2026-01-05T14:00:00Z',
      reason: {
        kind: 'placement',
        verdict: 'not-now',
        rejections: [
          expect.objectContaining({ filter: 'resource-fit', reason: 'insufficient-gpu', nodes: 1 }),
          {
            filter: 'time-window',
            reason: 'outside-time-window',
            nodes: 1,
            message: 'node’s site is outside the workload’s time windows now (site-local time)',
          },
        ],
      },
    },
  ];
  it.each(cases)('$rule', (c) => {
    const s = twoSites({
      ...(c.queueSchedule ? { queueSchedule: c.queueSchedule } : {}),
      ...(c.tyoGpus !== undefined ? { tyoGpus: c.tyoGpus } : {}),
      ...(c.timeWindows ? { timeWindows: true } : {}),
    });
    submitAll(s, [scheduled('w', c.workloadSchedule, c.gpus)]);
    const d = admitCycle(s, new Date(c.now));
    if (c.node) {
      expect(d.pending).toEqual([]);
      expect(d.admitted[0]?.placement.pods.map((p) => p.node)).toEqual([c.node]);
    } else {
      expect(d.admitted).toEqual([]);
      expect(d.pending[0]?.reason).toMatchObject(c.reason!);
    }
  });

  it('the gate is the cycle’s: a later cycle at another hour places on the site open then', () => {
    const s = twoSites({ queueSchedule: nightly });
    submitAll(s, [scheduled('tokyo-night', undefined)]);
    expect(admitCycle(s, new Date('2026-01-05T14:00:00Z')).admitted[0]?.placement.pods[0]?.node).toBe(
      'tyo-0',
    );
    submitAll(s, [scheduled('berlin-night', undefined, 8)]);
    expect(admitCycle(s, new Date('2026-01-05T21:30:00Z')).admitted[0]?.placement.pods[0]?.node).toBe(
      'fra-0',
    );
  });

  it('the gate is the workload’s, not its constraint signature’s: an unscheduled twin in the same cycle may use the closed site', () => {
    const s = twoSites();
    submitAll(s, [scheduled('night-only', nightly, 8), scheduled('any-time', undefined, 8)]);
    const d = admitCycle(s, new Date('2026-01-05T14:00:00Z'));
    expect(Object.fromEntries(d.admitted.map((a) => [a.workload, a.placement.pods[0]?.node]))).toEqual({
      'night-only': 'tyo-0',
      'any-time': 'fra-0',
    });
  });

  it('waiting for a window is not a failure: no backoff accrues while every site is closed', () => {
    const s = twoSites({ queueSchedule: nightly });
    submitAll(s, [scheduled('w', undefined)]);
    for (let h = 6; h < 13; h++) admitCycle(s, new Date(`2026-01-05T${String(h).padStart(2, '0')}:00:00Z`));
    expect(admitCycle(s, new Date('2026-01-05T13:00:00Z')).admitted.map((a) => a.workload)).toEqual(['w']);
  });

  it('the tariff message names the cap, the cheapest price now and when a site next opens', () => {
    const s = twoSites();
    submitAll(s, [scheduled('w', schedule({ maxTariffPerKWh: 0.1 }))]);
    expect(admitCycle(s, new Date('2026-01-05T06:00:00Z')).pending[0]?.message).toBe(
      'every site open to the workload’s schedule prices electricity above its cap of 0.1/kWh now ' +
        '(cheapest now: 0.15 EUR/kWh at site tyo); next opens 2026-01-05T13:00:00.000Z at site tyo; 0 workloads ahead',
    );
  });

  it('the pending message names the schedule, the next opening and its site', () => {
    const s = twoSites({ queueSchedule: nightly });
    submitAll(s, [scheduled('w', undefined)]);
    expect(admitCycle(s, new Date('2026-01-05T06:00:00Z')).pending[0]?.message).toBe(
      "no site is inside the time windows of queue q's schedule now; next opens 2026-01-05T13:00:00.000Z at site tyo (Asia/Tokyo); 0 workloads ahead",
    );
  });
});
