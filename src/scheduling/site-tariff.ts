/**
 * A site's electricity price over time (issue 5 item 6: "only while the site's tariff is below a
 * price"). A tariff is a base price per kWh plus optional time-of-day periods in site-local time;
 * the first period that covers the local time sets the price. Pure apart from Intl's time-zone
 * database; the instant is an input (the injected clock).
 *
 * Periods read like time windows: `from` inclusive, `to` exclusive; `from` ≥ `to` crosses midnight
 * (equal: all day).
 */
import type { SiteSpec } from '../model/fleet.js';
import { localTime, minutesOf, utcOfLocal } from './zoned-time.js';

export type Tariff = SiteSpec['tariff'];
type Period = NonNullable<Tariff['periods']>[number];

function covers(p: Period, minuteOfDay: number): boolean {
  const from = minutesOf(p.from);
  const to = minutesOf(p.to);
  return from < to ? minuteOfDay >= from && minuteOfDay < to : minuteOfDay >= from || minuteOfDay < to;
}

/** The price per kWh at `at`, in the tariff's currency. */
export function tariffAt(tariff: Tariff, timeZone: string, at: Date): number {
  const periods = tariff.periods;
  if (!periods || periods.length === 0) return tariff.pricePerKWh;
  const t = localTime(at.getTime(), timeZone).minuteOfDay;
  for (const p of periods) if (covers(p, t)) return p.pricePerKWh;
  return tariff.pricePerKWh;
}

/**
 * The first instant at or after `from` at which the price is at most `cap`; undefined when it never
 * is. The price changes only at period boundaries and repeats daily in local time, so the
 * boundaries of the next three local days (two would do but for a DST day) decide.
 */
export function nextAtOrBelow(tariff: Tariff, timeZone: string, cap: number, from: Date): Date | undefined {
  if (tariffAt(tariff, timeZone, from) <= cap) return from;
  const periods = tariff.periods ?? [];
  const ms = from.getTime();
  const local = localTime(ms, timeZone);
  const boundaries = [...new Set(periods.flatMap((p) => [minutesOf(p.from), minutesOf(p.to)]))];
  const candidates: number[] = [];
  for (let offset = 0; offset <= 2; offset++) {
    for (const minute of boundaries) {
      const at = utcOfLocal(local.year, local.month, local.day + offset, minute, timeZone);
      if (at > ms) candidates.push(at);
    }
  }
  candidates.sort((a, b) => a - b);
  for (const at of candidates) {
    if (tariffAt(tariff, timeZone, new Date(at)) <= cap) return new Date(at);
  }
  return undefined;
}
