import { describe, expect, it } from 'vitest';
import { admitCycle } from '../../src/scheduling/admission-cycle.js';
import { type TimeWindow, windowStatus } from '../../src/scheduling/admission-time-windows.js';
import { queue, setup, submitAll, workload } from './admission-builders.js';

describe('admission time windows (site-local, injected clock)', () => {
  interface Case {
    readonly rule: string;
    readonly windows: readonly TimeWindow[];
    readonly zone: string;
    /** UTC instant. */
    readonly now: string;
    readonly open: boolean;
    readonly nextOpening?: string;
  }
  const nightly: TimeWindow[] = [{ from: '22:00', to: '06:00' }];
  const cases: Case[] = [
    { rule: 'no windows: always open', windows: [], zone: 'UTC', now: '2026-01-05T12:00:00Z', open: true },
    {
      rule: 'inside a same-day window',
      windows: [{ from: '09:00', to: '17:00' }],
      zone: 'UTC',
      now: '2026-01-05T16:59:00Z',
      open: true,
    },
    {
      rule: 'the end of a window is exclusive; next opening is tomorrow',
      windows: [{ from: '09:00', to: '17:00' }],
      zone: 'UTC',
      now: '2026-01-05T17:00:00Z',
      open: false,
      nextOpening: '2026-01-06T09:00:00.000Z',
    },
    {
      rule: 'a window crossing midnight is open after its start',
      windows: nightly,
      zone: 'UTC',
      now: '2026-01-05T23:30:00Z',
      open: true,
    },
    {
      rule: 'a window crossing midnight is open before its end',
      windows: nightly,
      zone: 'UTC',
      now: '2026-01-06T05:59:00Z',
      open: true,
    },
    {
      rule: 'a window crossing midnight is closed at midday; opens at 22:00',
      windows: nightly,
      zone: 'UTC',
      now: '2026-01-06T12:00:00Z',
      open: false,
      nextOpening: '2026-01-06T22:00:00.000Z',
    },
    {
      rule: 'site-local time: 22:00 in Berlin is 21:00 UTC in winter',
      windows: nightly,
      zone: 'Europe/Berlin',
      now: '2026-01-05T21:30:00Z',
      open: true,
    },
    {
      rule: 'site-local time: 22:00–06:00 in Tokyo is closed at 22:00 UTC (07:00 local)',
      windows: nightly,
      zone: 'Asia/Tokyo',
      now: '2026-01-05T22:00:00Z',
      open: false,
      nextOpening: '2026-01-06T13:00:00.000Z',
    },
    {
      rule: 'summer time moves the UTC opening by an hour',
      windows: nightly,
      zone: 'Europe/Berlin',
      now: '2026-07-06T12:00:00Z',
      open: false,
      nextOpening: '2026-07-06T20:00:00.000Z',
    },
    {
      rule: 'days name the day a window starts: Fri 22:00–06:00 is open early Saturday',
      windows: [{ days: ['Fri'], from: '22:00', to: '06:00' }],
      zone: 'UTC',
      now: '2026-01-10T03:00:00Z',
      open: true,
    },
    {
      rule: 'weekend-only window: on Monday the next opening is Saturday',
      windows: [{ days: ['Sat', 'Sun'], from: '00:00', to: '00:00' }],
      zone: 'UTC',
      now: '2026-01-05T10:00:00Z',
      open: false,
      nextOpening: '2026-01-10T00:00:00.000Z',
    },
  ];
  it.each(cases)('$rule', (c) => {
    const status = windowStatus(c.windows, c.zone, new Date(c.now));
    expect(status.open).toBe(c.open);
    if (!status.open) expect(status.nextOpening?.toISOString()).toBe(c.nextOpening);
  });

  it('a queue outside its window admits nothing and says when it opens, in the queue’s site zone', () => {
    const s = setup({
      queues: { batch: queue({ timeWindows: [{ from: '22:00', to: '06:00' }] }), adhoc: queue() },
      timeZones: { batch: 'Europe/Berlin' },
    });
    submitAll(s, [workload('night-job', { queue: 'batch' }), workload('day-job', { queue: 'adhoc' })]);
    const day = admitCycle(s, new Date('2026-01-05T12:00:00Z'));
    expect(day.admitted.map((a) => a.workload)).toEqual(['day-job']);
    expect(day.pending[0]?.reason).toEqual({
      kind: 'time-window',
      queue: 'batch',
      timeZone: 'Europe/Berlin',
      nextOpening: '2026-01-05T21:00:00.000Z',
    });
    const night = admitCycle(s, new Date('2026-01-05T21:00:00Z'));
    expect(night.admitted.map((a) => a.workload)).toEqual(['night-job']);
  });
});
