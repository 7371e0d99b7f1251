import type { Fence, Lease, Store } from '../store/store.js';

export interface LeaderElectorOptions {
  /** The lease contended for. */
  readonly lease: string;
  /** This replica's identity. */
  readonly holder: string;
  /** How long a lease lasts without renewal: the upper bound on failover, plus one retry interval. */
  readonly ttlMs: number;
  /** How often the leader renews and the others try; a third of the TTL by default. */
  readonly retryMs?: number;
  /** Monotonic milliseconds; injected so tests control it. */
  readonly monotonicMs?: () => number;
}

export interface Leadership {
  /** Called when this replica becomes leader, with the fence its writes must carry. */
  elected(fence: Fence): void;
  /** Called when it stops being leader (lease lost, store unreachable past the TTL, or shutdown). */
  deposed(): void;
}

/**
 * Leader election through the store: the leader renews a lease row every
 * `retryMs`; the others try to take it every `retryMs` and succeed once it has
 * expired by the database's clock. Correctness never rests on clocks or
 * timers: every leader-only write carries the fence and the store refuses it
 * once the epoch has moved on. The local deadline below only makes a leader
 * that cannot reach the store stop working early, rather than have its
 * writes refused.
 */
export class LeaderElector {
  readonly #store: Store;
  readonly #options: Required<LeaderElectorOptions>;
  readonly #listener: Leadership;
  #current: { lease: Lease; validUntil: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #cycle: Promise<void> = Promise.resolve();

  constructor(store: Store, options: LeaderElectorOptions, listener: Leadership) {
    this.#store = store;
    this.#options = {
      retryMs: Math.max(100, Math.floor(options.ttlMs / 3)),
      monotonicMs: () => performance.now(),
      ...options,
    };
    this.#listener = listener;
  }

  get isLeader(): boolean {
    return this.#current !== undefined;
  }

  /** The lease as this replica last saw it, when it leads. */
  get lease(): Lease | undefined {
    return this.#current?.lease;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  /** Stops contending and, when leading, gives the lease up so a successor takes over at once. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#cycle;
    if (this.#current) {
      this.#depose();
      await this.#store.releaseLease(this.#options.lease, this.#options.holder).catch(() => undefined);
    }
  }

  #schedule(delayMs: number): void {
    this.#timer = setTimeout(() => {
      this.#cycle = this.#tick().finally(() => {
        if (this.#running) this.#schedule(this.#options.retryMs);
      });
    }, delayMs);
    this.#timer.unref();
  }

  async #tick(): Promise<void> {
    const { lease: name, holder, ttlMs, monotonicMs } = this.#options;
    const startedAt = monotonicMs();
    let lease: Lease | undefined;
    try {
      lease = await this.#store.acquireLease(name, holder, ttlMs);
    } catch {
      // The store is unreachable: keep leading only while the lease surely has not expired.
      if (this.#current && monotonicMs() >= this.#current.validUntil) this.#depose();
      return;
    }
    if (!this.#running) return;
    if (lease === undefined) {
      if (this.#current) this.#depose();
      return;
    }
    const previous = this.#current;
    // Measured from before the call: the database's expiry can only be later than this.
    this.#current = { lease, validUntil: startedAt + ttlMs };
    if (previous === undefined || previous.lease.epoch !== lease.epoch) {
      if (previous) this.#listener.deposed();
      this.#listener.elected({ lease: name, holder, epoch: lease.epoch });
    }
  }

  #depose(): void {
    this.#current = undefined;
    this.#listener.deposed();
  }
}
