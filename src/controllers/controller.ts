import type { Clock } from '../runtime/clock.js';
import type { Fence, Store } from '../store/store.js';

/** The lease whose holder runs every leader-only controller. */
export const CONTROLLERS_LEASE = 'controllers';

/** What a leader-only controller is given while its replica leads. */
export interface ControllerContext {
  readonly store: Store;
  readonly clock: Clock;
  /** Every write the controller makes carries this, so a deposed leader's late writes are refused. */
  readonly fence: Fence;
}

/** A loop that must run on exactly one replica: started when elected, stopped when deposed. */
export interface Controller {
  readonly name: string;
  /** Starts the controller; the returned function stops it (and must not throw). */
  start(context: ControllerContext): () => void;
}

/** Runs the registered controllers while this replica leads. */
export class ControllerManager {
  readonly #controllers: readonly Controller[];
  readonly #store: Store;
  readonly #clock: Clock;
  #stops: (() => void)[] = [];

  constructor(store: Store, clock: Clock, controllers: readonly Controller[]) {
    this.#store = store;
    this.#clock = clock;
    this.#controllers = controllers;
  }

  get names(): readonly string[] {
    return this.#controllers.map((c) => c.name);
  }

  elected(fence: Fence): void {
    this.deposed();
    this.#stops = this.#controllers.map((c) => c.start({ store: this.#store, clock: this.#clock, fence }));
  }

  deposed(): void {
    for (const stop of this.#stops) stop();
    this.#stops = [];
  }
}
