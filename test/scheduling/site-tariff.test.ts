import { describe, expect, it } from 'vitest';
import { nextAtOrBelow, type Tariff, tariffAt } from '../../src/scheduling/site-tariff.js';

/** Night power is cheap: 0.10 from 22:00 to 06:00 (crossing midnight), 0.30 by day. */
const night: Tariff = {
  currency: 'EUR',
  pricePerKWh: 0.3,
  periods: [{ from: '22:00', to: '06:00', pricePerKWh: 0.1 }],
};
/** A midday solar dip at 0.05 from 11:00 to 14:00 and an evening peak at 0.50 from 17:00 to 20:00. */
const solar: Tariff = {
  currency: 'EUR',
  pricePerKWh: 0.2,
  periods: [
    { from: '11:00', to: '14:00', pricePerKWh: 0.05 },
    { from: '17:00', to: '20:00', pricePerKWh: 0.5 },
  ],
};
const flat: Tariff = { currency: 'EUR', pricePerKWh: 0.25 };

describe('tariffAt: the price at an instant, in the site’s local time', () => {
  interface Case {
    readonly rule: string;
    readonly tariff: Tariff;
    readonly zone: string;
    readonly at: string;
    readonly price: number;
  }
  const cases: Case[] = [
    {
      rule: 'no periods: always the base price',
      tariff: flat,
      zone: 'Europe/Berlin',
      at: '2026-01-05T03:00:00Z',
      price: 0.25,
    },
    {
      rule: 'a period crossing midnight covers the late evening',
      tariff: night,
      zone: 'UTC',
      at: '2026-01-05T23:30:00Z',
      price: 0.1,
    },
    {
      rule: 'a period crossing midnight covers the early morning',
      tariff: night,
      zone: 'UTC',
      at: '2026-01-06T05:59:00Z',
      price: 0.1,
    },
    { rule: 'its end is exclusive', tariff: night, zone: 'UTC', at: '2026-01-06T06:00:00Z', price: 0.3 },
    {
      rule: 'outside every period: the base price',
      tariff: solar,
      zone: 'UTC',
      at: '2026-01-05T15:00:00Z',
      price: 0.2,
    },
    {
      rule: 'periods are read in site-local time: 21:30 UTC is 22:30 in Berlin in winter',
      tariff: night,
      zone: 'Europe/Berlin',
      at: '2026-01-05T21:30:00Z',
      price: 0.1,
    },
    {
      rule: 'and 20:30 UTC is 22:30 in Berlin in summer',
      tariff: night,
      zone: 'Europe/Berlin',
      at: '2026-07-06T20:30:00Z',
      price: 0.1,
    },
    {
      rule: 'on Berlin’s spring DST day 05:30 CEST (03:30 UTC) is still night',
      tariff: night,
      zone: 'Europe/Berlin',
      at: '2026-03-29T03:30:00Z',
      price: 0.1,
    },
    {
      rule: 'on Berlin’s spring DST day 04:30 UTC is 06:30 CEST: day',
      tariff: night,
      zone: 'Europe/Berlin',
      at: '2026-03-29T04:30:00Z',
      price: 0.3,
    },
  ];
  it.each(cases)('$rule', (c) => {
    expect(tariffAt(c.tariff, c.zone, new Date(c.at))).toBe(c.price);
  });
});

describe('nextAtOrBelow: when the price next falls to the cap', () => {
  interface Case {
    readonly rule: string;
    readonly tariff: Tariff;
    readonly zone: string;
    readonly cap: number;
    readonly from: string;
    /** undefined: never. */
    readonly next: string | undefined;
  }
  const cases: Case[] = [
    {
      rule: 'already at or below the cap: now',
      tariff: night,
      zone: 'UTC',
      cap: 0.1,
      from: '2026-01-05T23:00:00Z',
      next: '2026-01-05T23:00:00.000Z',
    },
    {
      rule: 'by day: when the night period starts',
      tariff: night,
      zone: 'UTC',
      cap: 0.15,
      from: '2026-01-05T12:00:00Z',
      next: '2026-01-05T22:00:00.000Z',
    },
    {
      rule: 'a cap below every price: never',
      tariff: night,
      zone: 'UTC',
      cap: 0.05,
      from: '2026-01-05T12:00:00Z',
      next: undefined,
    },
    {
      rule: 'no periods and the base price over the cap: never',
      tariff: flat,
      zone: 'UTC',
      cap: 0.2,
      from: '2026-01-05T12:00:00Z',
      next: undefined,
    },
    {
      rule: 'in the evening peak with a cap between base and peak: when the peak ends',
      tariff: solar,
      zone: 'UTC',
      cap: 0.2,
      from: '2026-01-05T18:00:00Z',
      next: '2026-01-05T20:00:00.000Z',
    },
    {
      rule: 'a cap only the solar dip meets: next midday',
      tariff: solar,
      zone: 'UTC',
      cap: 0.1,
      from: '2026-01-05T15:00:00Z',
      next: '2026-01-06T11:00:00.000Z',
    },
    {
      rule: 'Berlin winter: 22:00 local is 21:00 UTC',
      tariff: night,
      zone: 'Europe/Berlin',
      cap: 0.1,
      from: '2026-03-28T12:00:00Z',
      next: '2026-03-28T21:00:00.000Z',
    },
    {
      rule: 'Berlin on the spring DST day: 22:00 CEST is 20:00 UTC',
      tariff: night,
      zone: 'Europe/Berlin',
      cap: 0.1,
      from: '2026-03-29T12:00:00Z',
      next: '2026-03-29T20:00:00.000Z',
    },
    {
      rule: 'Berlin on the autumn DST day: 22:00 CET is 21:00 UTC',
      tariff: night,
      zone: 'Europe/Berlin',
      cap: 0.1,
      from: '2026-10-25T12:00:00Z',
      next: '2026-10-25T21:00:00.000Z',
    },
  ];
  it.each(cases)('$rule', (c) => {
    expect(nextAtOrBelow(c.tariff, c.zone, c.cap, new Date(c.from))?.toISOString()).toBe(c.next);
  });
});
