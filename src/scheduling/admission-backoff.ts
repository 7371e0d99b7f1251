/**
 * Backoff for workloads that keep failing to be placed (issue 5 item 7): after the n-th consecutive
 * placement failure a workload is skipped until now + min(maxSeconds, initialSeconds × 2^(n−1)).
 * Quota shortfalls do not back off (quota frees on a known event, a finish); an admission clears the
 * record. Defaults: 10 s doubling up to 10 minutes.
 */
import type { PendingReason } from './admission-pending-reason.js';

export interface BackoffOptions {
  readonly initialSeconds: number;
  readonly maxSeconds: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialSeconds: 10, maxSeconds: 600 };

export interface BackoffRecord {
  readonly failures: number;
  /** Not tried before this instant (ms since the epoch). */
  readonly untilMs: number;
  /** Why the last attempt failed, reported while the workload waits. */
  readonly last?: PendingReason;
}

export class Backoff {
  readonly options: BackoffOptions;
  readonly #records = new Map<string, BackoffRecord>();

  constructor(options: BackoffOptions = DEFAULT_BACKOFF) {
    this.options = options;
  }

  /** The record that keeps the workload waiting at `nowMs`, if any. */
  blocking(workload: string, nowMs: number): BackoffRecord | undefined {
    const r = this.#records.get(workload);
    return r && r.untilMs > nowMs ? r : undefined;
  }

  /** Records one more failure at `nowMs` and returns the new record. */
  fail(workload: string, nowMs: number, last?: PendingReason): BackoffRecord {
    const failures = (this.#records.get(workload)?.failures ?? 0) + 1;
    const delay = Math.min(this.options.maxSeconds, this.options.initialSeconds * 2 ** (failures - 1));
    const record = { failures, untilMs: nowMs + delay * 1000, ...(last ? { last } : {}) };
    this.#records.set(workload, record);
    return record;
  }

  clear(workload: string): void {
    this.#records.delete(workload);
  }
}
