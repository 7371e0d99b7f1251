import type { Store, StoreEvent } from '../store/store.js';

export type EventListener = (events: readonly StoreEvent[]) => void;

interface Subscriber {
  cursor: number;
  catchingUp: boolean;
  closed: boolean;
  readonly listener: EventListener;
  readonly onError: (error: unknown) => void;
}

const BATCH = 500;

/**
 * Reads the event log once per commit and fans it out to every subscriber.
 * A subscriber that starts behind the hub catches up from the log on its own,
 * then joins the shared stream; cursors make the hand-over exact (no event
 * twice, none missed). The log, not the commit notification, is the source
 * of truth, so a missed notification only delays delivery.
 */
export class WatchHub {
  readonly #store: Store;
  readonly #subscribers = new Set<Subscriber>();
  #head = 0;
  #latest = 0;
  #pumping: Promise<void> | undefined;
  #unsubscribe: (() => void) | undefined;

  private constructor(store: Store) {
    this.#store = store;
  }

  static async start(store: Store): Promise<WatchHub> {
    const hub = new WatchHub(store);
    hub.#head = hub.#latest = await store.currentRevision();
    hub.#unsubscribe = store.onCommit((revision) => hub.notify(revision));
    return hub;
  }

  /** The last revision delivered to every subscriber that is not catching up. */
  get head(): number {
    return this.#head;
  }

  /** Tells the hub the log has reached `revision` (from a commit here, or another replica). */
  notify(revision: number): void {
    if (revision > this.#latest) this.#latest = revision;
    // A failed read (the store unreachable) is retried at the next notification; unhandled, it ends the process.
    this.#pump().catch(() => undefined);
  }

  /** Resolves once every revision notified so far has been delivered. */
  async sync(): Promise<void> {
    if (this.#head < this.#latest) await this.#pump();
  }

  /** Delivers every event after `from`, then every later one, until the returned function is called. */
  subscribe(from: number, listener: EventListener, onError: (error: unknown) => void = () => {}): () => void {
    const sub: Subscriber = { cursor: from, catchingUp: from < this.#head, closed: false, listener, onError };
    this.#subscribers.add(sub);
    if (sub.catchingUp) void this.#catchUp(sub);
    return () => {
      sub.closed = true;
      this.#subscribers.delete(sub);
    };
  }

  close(): void {
    this.#unsubscribe?.();
    this.#subscribers.clear();
  }

  async #catchUp(sub: Subscriber): Promise<void> {
    try {
      while (!sub.closed && sub.cursor < this.#head) {
        const events = await this.#store.events(sub.cursor, BATCH);
        if (events.length === 0) break;
        this.#deliver(sub, events);
      }
      sub.catchingUp = false;
    } catch (error) {
      this.#subscribers.delete(sub);
      sub.onError(error);
    }
  }

  #deliver(sub: Subscriber, events: readonly StoreEvent[]): void {
    const fresh = events.filter((e) => e.revision > sub.cursor);
    if (fresh.length === 0 || sub.closed) return;
    sub.cursor = fresh[fresh.length - 1]!.revision;
    sub.listener(fresh);
  }

  #pump(): Promise<void> {
    this.#pumping ??= (async () => {
      try {
        while (this.#head < this.#latest) {
          const events = await this.#store.events(this.#head, BATCH);
          if (events.length === 0) break;
          this.#head = events[events.length - 1]!.revision;
          for (const sub of this.#subscribers) if (!sub.catchingUp) this.#deliver(sub, events);
        }
      } finally {
        this.#pumping = undefined;
      }
    })();
    return this.#pumping;
  }
}
