/**
 * Admission schedules (issue 5 item 6): "batch training only 22:00–06:00 site-local time", "only
 * while the site's tariff is at most 0.12/kWh". A schedule is read per SITE: its windows in the
 * local time of the site a pod would run at (or in `schedule.timeZone` when set), its tariff cap
 * against that site's price at that moment. So a workload may start in Tokyo while it is night
 * there although it is day in Frankfurt. A queue's schedule and its workload's own both apply (the
 * intersection).
 *
 * `scheduleVerdict` evaluates the schedules of one workload at one instant, for every site of the
 * fleet: open everywhere (no constraint), open at some sites (a SiteGate the placement engine's
 * `time-window` filter applies), or open nowhere (a pending reason with the earliest next opening
 * over the sites). Pure: the instant comes from the caller (the cycle's injected clock).
 */
import type { SiteSpec } from '../model/fleet.js';
import type { AdmissionSchedule } from '../model/scheduling.js';
import type { PendingReason, ScheduleScope } from './admission-pending-reason.js';
import { windowStatus } from './admission-time-windows.js';
import type { FleetSnapshot } from './fleet-snapshot.js';
import type { GangRequest, SiteClosure, SiteGate } from './placement-request.js';
import { nextAtOrBelow, tariffAt } from './site-tariff.js';

/** What a schedule needs of a site. */
export type SiteClock = Pick<SiteSpec, 'timeZone' | 'tariff'>;

/** A site of the fleet as schedules see it; `clock` absent = unknown zone and tariff. */
export interface ScheduledSite {
  readonly name: string;
  readonly clock: SiteClock | undefined;
}

export interface ScheduleInput {
  readonly queue: string;
  readonly queueSchedule: AdmissionSchedule | undefined;
  readonly workloadSchedule: AdmissionSchedule | undefined;
  /** The fleet's sites. */
  readonly sites: readonly ScheduledSite[];
  /** Whether some node has no known site (it is evaluated like a site with an unknown clock). */
  readonly siteless: boolean;
  /** Zone of windows at a site whose clock is unknown (the admission config's default, UTC). */
  readonly defaultTimeZone: string;
}

export type ScheduleVerdict =
  | { readonly open: 'everywhere' }
  | { readonly open: 'some'; readonly gate: SiteGate }
  | {
      readonly open: 'nowhere';
      readonly reason: Extract<PendingReason, { kind: 'time-window' | 'tariff' }>;
    };

const EVERYWHERE: ScheduleVerdict = { open: 'everywhere' };

/** The gap after which the search for a joint opening of windows and tariffs gives up. */
const MAX_STEPS = 32;

export function scheduleVerdict(input: ScheduleInput, now: Date): ScheduleVerdict {
  const schedules = [input.queueSchedule, input.workloadSchedule].filter(
    (s): s is AdmissionSchedule =>
      s !== undefined && (s.windows.length > 0 || s.maxTariffPerKWh !== undefined),
  );
  if (schedules.length === 0) return EVERYWHERE;
  const places: ScheduledSite[] = [...input.sites];
  if (input.siteless) places.push({ name: '', clock: undefined });
  const zoneOf = (s: AdmissionSchedule, site: ScheduledSite) =>
    s.timeZone ?? site.clock?.timeZone ?? input.defaultTimeZone;

  /** Why the site is closed at t (windows first, then the tariff), or undefined when it is open. */
  const closure = (site: ScheduledSite, t: Date): SiteClosure | undefined => {
    for (const s of schedules) if (!windowStatus(s.windows, zoneOf(s, site), t).open) return 'time-window';
    for (const s of schedules) {
      if (s.maxTariffPerKWh === undefined) continue;
      const clock = site.clock;
      // A site without a known tariff cannot be shown to be under the cap.
      if (!clock || tariffAt(clock.tariff, clock.timeZone, t) > s.maxTariffPerKWh) return 'tariff';
    }
    return undefined;
  };

  const closed = new Map<string, SiteClosure>();
  let siteless: SiteClosure | undefined;
  let anyOpen = false;
  for (const site of places) {
    const why = closure(site, now);
    if (why === undefined) anyOpen = true;
    else if (site.name === '') siteless = why;
    else closed.set(site.name, why);
  }
  if (anyOpen) {
    if (closed.size === 0 && siteless === undefined) return EVERYWHERE;
    return { open: 'some', gate: { closed, ...(siteless ? { siteless } : {}) } };
  }

  /** The first instant ≥ t at which every schedule lets the site open; undefined when none is found. */
  const nextOpen = (site: ScheduledSite, t: Date): Date | undefined => {
    let at = t.getTime();
    for (let step = 0; step < MAX_STEPS; step++) {
      let later = at;
      for (const s of schedules) {
        const w = windowStatus(s.windows, zoneOf(s, site), new Date(at));
        if (!w.open) {
          if (!w.nextOpening) return undefined;
          later = Math.max(later, w.nextOpening.getTime());
        }
        if (s.maxTariffPerKWh !== undefined) {
          if (!site.clock) return undefined;
          const cheap = nextAtOrBelow(
            site.clock.tariff,
            site.clock.timeZone,
            s.maxTariffPerKWh,
            new Date(at),
          );
          if (!cheap) return undefined;
          later = Math.max(later, cheap.getTime());
        }
      }
      if (later === at) return new Date(at);
      at = later;
    }
    return undefined;
  };

  let next: { at: Date; site: ScheduledSite } | undefined;
  for (const site of places) {
    const at = nextOpen(site, now);
    if (at && (!next || at.getTime() < next.at.getTime())) next = { at, site };
  }
  const scope: ScheduleScope =
    input.queueSchedule && input.workloadSchedule
      ? 'queue and workload'
      : input.queueSchedule
        ? 'queue'
        : 'workload';
  const opening = next
    ? { nextOpening: next.at.toISOString(), ...(next.site.name ? { site: next.site.name } : {}) }
    : {};
  // Windows open somewhere but every such site is too expensive: the price is what blocks.
  const priced = places.filter((site) => closure(site, now) === 'tariff');
  if (priced.length > 0) {
    const cap = Math.min(
      ...schedules.flatMap((s) => (s.maxTariffPerKWh === undefined ? [] : [s.maxTariffPerKWh])),
    );
    let cheapest: { site: string; pricePerKWh: number; currency: string } | undefined;
    for (const site of priced) {
      if (!site.clock) continue;
      const price = tariffAt(site.clock.tariff, site.clock.timeZone, now);
      if (!cheapest || price < cheapest.pricePerKWh)
        cheapest = { site: site.name, pricePerKWh: price, currency: site.clock.tariff.currency };
    }
    return {
      open: 'nowhere',
      reason: {
        kind: 'tariff',
        queue: input.queue,
        scope,
        maxPerKWh: cap,
        ...(cheapest ? { cheapest } : {}),
        ...opening,
      },
    };
  }
  // The zone the opening is read in: the schedules' own when they agree on one, else the site's.
  const zones = new Set(schedules.map((s) => s.timeZone));
  const explicit = zones.size === 1 ? schedules[0]!.timeZone : undefined;
  const timeZone = explicit ?? (next ? (next.site.clock?.timeZone ?? input.defaultTimeZone) : 'site-local');
  return {
    open: 'nowhere',
    reason: { kind: 'time-window', queue: input.queue, scope, timeZone, ...opening },
  };
}

const scheduleKeys = new WeakMap<AdmissionSchedule, string>();
function keyOf(s: AdmissionSchedule | undefined): string {
  if (s === undefined) return '';
  let key = scheduleKeys.get(s);
  if (key === undefined) {
    key = JSON.stringify(s);
    scheduleKeys.set(s, key);
  }
  return key;
}

/** Whether some node of the snapshot has no known site; recomputed only after a node change. */
const sitelessCache = new WeakMap<FleetSnapshot, { seen: number; value: boolean }>();
function hasSiteless(s: FleetSnapshot): boolean {
  const cached = sitelessCache.get(s);
  if (cached && cached.seen === s.nodeChangeLog.length) return cached.value;
  const value = s.nodeSite.includes(-1);
  sitelessCache.set(s, { seen: s.nodeChangeLog.length, value });
  return value;
}

/**
 * One cycle's schedule verdicts: computed once per distinct (queue schedule, workload schedule)
 * pair at the cycle's instant, so a deep queue under one schedule costs one evaluation per cycle.
 * A new instance per cycle: the verdicts are only true at that instant.
 */
export class CycleSchedules {
  readonly #verdicts = new Map<string, ScheduleVerdict>();
  #sites: readonly ScheduledSite[] | undefined;

  constructor(
    readonly snapshot: FleetSnapshot,
    readonly clocks: ReadonlyMap<string, SiteClock>,
    readonly defaultTimeZone: string,
    readonly now: Date,
  ) {}

  /** The verdict, and a key equal for workloads whose verdicts are equal ('' = open everywhere). */
  of(
    queue: string,
    queueSchedule: AdmissionSchedule | undefined,
    workloadSchedule: AdmissionSchedule | undefined,
  ): { readonly key: string; readonly verdict: ScheduleVerdict } {
    if (queueSchedule === undefined && workloadSchedule === undefined)
      return { key: '', verdict: EVERYWHERE };
    const key = `${queue}\u0000${keyOf(queueSchedule)}\u0000${keyOf(workloadSchedule)}`;
    let verdict = this.#verdicts.get(key);
    if (verdict === undefined) {
      this.#sites ??= this.snapshot.siteNames.map((name) => ({ name, clock: this.clocks.get(name) }));
      verdict = scheduleVerdict(
        {
          queue,
          queueSchedule,
          workloadSchedule,
          sites: this.#sites,
          siteless: hasSiteless(this.snapshot),
          defaultTimeZone: this.defaultTimeZone,
        },
        this.now,
      );
      this.#verdicts.set(key, verdict);
    }
    return { key: verdict.open === 'everywhere' ? '' : key, verdict };
  }
}

/** The gang with the gate on every pod (the placement engine's `time-window` filter reads it). */
export function gatedGang(gang: GangRequest, gate: SiteGate): GangRequest {
  return { ...gang, pods: gang.pods.map((p) => ({ ...p, siteGate: gate })) };
}
