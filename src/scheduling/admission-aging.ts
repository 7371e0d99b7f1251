/**
 * Starvation protection (issue 5 item 7): a pending workload's effective priority grows with the
 * time it has waited, so a stream of newer work of equal or slightly higher priority cannot hold it
 * back forever.
 *
 *   effective = base + min(maxBoost, floor(waitSeconds / secondsPerPoint))
 *
 * Default rate: one priority point per minute of waiting, at most 1,000 points (so after about 17
 * hours a workload has caught up with work 1,000 points above it, and aging never lifts best-effort
 * work over classes spaced further apart than that). Workloads that all wait the same time keep their
 * relative order, so aging does not disturb fair sharing between equally old backlogs.
 */
export interface AgingOptions {
  readonly secondsPerPoint: number;
  readonly maxBoost: number;
}

export const DEFAULT_AGING: AgingOptions = { secondsPerPoint: 60, maxBoost: 1000 };

/** The aged priority; `aging` null turns aging off. */
export function effectivePriority(
  base: number,
  createdMs: number,
  nowMs: number,
  aging: AgingOptions | null,
): number {
  if (!aging || aging.secondsPerPoint <= 0) return base;
  const waited = Math.max(0, nowMs - createdMs) / 1000;
  return base + Math.min(aging.maxBoost, Math.floor(waited / aging.secondsPerPoint));
}
