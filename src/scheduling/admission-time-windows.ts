/**
 * Admission time windows (issue 5 item 6): whether a set of windows is open at an instant, each
 * window a set of weekdays and a local "HH:MM"–"HH:MM" span read in one time zone (the zone is an
 * input: a site's for a schedule, UTC for a queue's legacy `timeWindows`; the instant comes from the
 * injected clock). Pure apart from Intl's time-zone database.
 *
 * Rules:
 * - No windows: always open.
 * - `from` < `to`: open on the listed days from `from` (inclusive) to `to` (exclusive).
 * - `from` ≥ `to`: the window crosses midnight (equal means 24 hours); `days` names the day it
 *   starts, so Mon 22:00–06:00 is open Monday 22:00 to Tuesday 06:00.
 * - No `days`: every day.
 */
import { type LocalTime, localTime, minutesOf, utcOfLocal } from './zoned-time.js';

export type Weekday = 'Mon' | 'Tue' | 'Wed' | 'Thu' | 'Fri' | 'Sat' | 'Sun';

export interface TimeWindow {
  readonly days?: readonly Weekday[];
  readonly from: string;
  readonly to: string;
}

export type WindowStatus =
  | { readonly open: true }
  | { readonly open: false; readonly nextOpening: Date | undefined; readonly timeZone: string };

/** Weekday names indexed by Date#getUTCDay(). */
const WEEKDAYS: readonly Weekday[] = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const onDay = (w: TimeWindow, weekday: number) => !w.days || w.days.includes(WEEKDAYS[weekday]!);

function isOpenAt(w: TimeWindow, local: LocalTime): boolean {
  const from = minutesOf(w.from);
  const to = minutesOf(w.to);
  const t = local.minuteOfDay;
  if (from < to) return onDay(w, local.weekday) && t >= from && t < to;
  return (onDay(w, local.weekday) && t >= from) || (onDay(w, (local.weekday + 6) % 7) && t < to);
}

/** Whether any window is open at `now` in `timeZone`; if none is, when the next one opens. */
export function windowStatus(windows: readonly TimeWindow[], timeZone: string, now: Date): WindowStatus {
  if (windows.length === 0) return { open: true };
  const ms = now.getTime();
  const local = localTime(ms, timeZone);
  if (windows.some((w) => isOpenAt(w, local))) return { open: true };
  let next: number | undefined;
  for (let offset = 0; offset <= 7; offset++) {
    const date = new Date(Date.UTC(local.year, local.month - 1, local.day + offset));
    for (const w of windows) {
      if (!onDay(w, date.getUTCDay())) continue;
      const at = utcOfLocal(
        date.getUTCFullYear(),
        date.getUTCMonth() + 1,
        date.getUTCDate(),
        minutesOf(w.from),
        timeZone,
      );
      if (at > ms && (next === undefined || at < next)) next = at;
    }
    if (next !== undefined) break;
  }
  return { open: false, nextOpening: next === undefined ? undefined : new Date(next), timeZone };
}
