/**
 * Admission time windows (issue 5 item 6): a queue admits only inside one of its windows, each a set
 * of weekdays and a local "HH:MM"–"HH:MM" span in the site's time zone (the zone is an input; the
 * time comes from the injected clock). Pure apart from Intl's time-zone database.
 *
 * Rules:
 * - No windows: always open.
 * - `from` < `to`: open on the listed days from `from` (inclusive) to `to` (exclusive).
 * - `from` ≥ `to`: the window crosses midnight (equal means 24 hours); `days` names the day it
 *   starts, so Mon 22:00–06:00 is open Monday 22:00 to Tuesday 06:00.
 * - No `days`: every day.
 */
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

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

interface LocalTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly minuteOfDay: number;
  readonly weekday: number;
  /** The local wall time read as if it were UTC, in ms. */
  readonly wallMs: number;
}

function localTime(ms: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const year = parts.year!;
  const month = parts.month!;
  const day = parts.day!;
  const hour = parts.hour! % 24;
  const minute = parts.minute!;
  const wallMs = Date.UTC(year, month - 1, day, hour, minute, parts.second!);
  return {
    year,
    month,
    day,
    minuteOfDay: hour * 60 + minute,
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
    wallMs,
  };
}

/** The instant at which the zone's wall clock reads the given local time (DST gaps: the later offset). */
function utcOfLocal(year: number, month: number, day: number, minuteOfDay: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, 0, minuteOfDay);
  const offsetAt = (ms: number) => localTime(ms, timeZone).wallMs - Math.floor(ms / 1000) * 1000;
  const first = wall - offsetAt(wall);
  const second = wall - offsetAt(first);
  return second;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
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
