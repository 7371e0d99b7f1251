/**
 * Wall-clock time in an IANA zone, both ways: what a zone's clock reads at an instant, and the
 * instant at which it reads a given local time. Time windows and tariffs are written in local
 * time (issue 5 item 6); the instants come from the injected clock. Pure apart from Intl's
 * time-zone database.
 */

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

export interface LocalTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly minuteOfDay: number;
  /** 0 = Sunday, as Date#getUTCDay(). */
  readonly weekday: number;
  /** The local wall time read as if it were UTC, in ms. */
  readonly wallMs: number;
}

export function localTime(ms: number, timeZone: string): LocalTime {
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

/**
 * The instant at which the zone's wall clock reads the given local time. A local time that a DST
 * change skips is read with the offset before the change (Berlin's 02:30 on the spring day is
 * 01:30 UTC, half an hour after the jump); one it repeats is its later occurrence.
 */
export function utcOfLocal(
  year: number,
  month: number,
  day: number,
  minuteOfDay: number,
  timeZone: string,
): number {
  const wall = Date.UTC(year, month - 1, day, 0, minuteOfDay);
  const offsetAt = (ms: number) => localTime(ms, timeZone).wallMs - Math.floor(ms / 1000) * 1000;
  const first = wall - offsetAt(wall);
  return wall - offsetAt(first);
}

/** Minutes after midnight of an "HH:MM" string. */
export const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
