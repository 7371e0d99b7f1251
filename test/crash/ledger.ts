import type { CrashKind } from './documents.js';

/** What a write changes: the spec (an apply), the status, or the object's existence. */
export type WritePart = 'spec' | 'status' | 'delete';

/** One write as its client sent it; a retry of it after a failure sends the same counter again. */
export interface Write {
  readonly kind: CrashKind;
  readonly name: string;
  readonly part: WritePart;
  /** Unique per object, increasing in the order the object's (one) client sent its writes. */
  readonly counter: number;
}

/** A write the server answered with 2xx, and the resourceVersion that answer carried. */
export interface Ack extends Write {
  readonly revision: number;
  /** x-strata-outcome of an apply: created, configured, or unchanged (a retry of a committed write). */
  readonly outcome?: string;
}

/**
 * Everything the clients of one object sent and were told. Each object has
 * exactly one client, which sends one write at a time, so "the last
 * acknowledged write" is well defined and counters order the writes.
 */
export class ObjectLedger {
  /** Counter → part, for every write sent (acknowledged or not). */
  readonly sent = new Map<number, WritePart>();
  readonly acks: Ack[] = [];
  readonly acked = new Set<number>();
  #next = 1;

  constructor(
    readonly kind: CrashKind,
    readonly name: string,
    readonly client: number,
    /** Churn objects are applied and deleted; the others are only applied and given status. */
    readonly churn: boolean,
  ) {}

  get key(): string {
    return `${this.kind}/${this.name}`;
  }

  /** A new write of `part`, with the next counter. */
  next(part: WritePart): Write {
    const write = { kind: this.kind, name: this.name, part, counter: this.#next++ };
    this.sent.set(write.counter, part);
    return write;
  }

  ack(write: Write, revision: number, outcome?: string): void {
    this.acks.push({ ...write, revision, ...(outcome !== undefined && { outcome }) });
    this.acked.add(write.counter);
  }

  /** The acknowledged write with the highest counter of `part` (any part when omitted). */
  lastAck(part?: WritePart): Ack | undefined {
    let last: Ack | undefined;
    for (const ack of this.acks) {
      if ((part === undefined || ack.part === part) && (last === undefined || ack.counter > last.counter))
        last = ack;
    }
    return last;
  }

  /** The highest resourceVersion any answer about this object carried. */
  maxAckedRevision(): number {
    let max = 0;
    for (const ack of this.acks) max = Math.max(max, ack.revision);
    return max;
  }

  /** True once a spec write of this object was acknowledged: it exists unless deleted since. */
  get createdForSure(): boolean {
    return this.acks.some((a) => a.part === 'spec');
  }
}

/** Answers that were not acknowledgements, by cause (ECONNRESET, HTTP 503, …). */
export class FailureTally {
  readonly byCause = new Map<string, number>();

  add(cause: string): void {
    this.byCause.set(cause, (this.byCause.get(cause) ?? 0) + 1);
  }

  get total(): number {
    let total = 0;
    for (const n of this.byCause.values()) total += n;
    return total;
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.byCause].sort((a, b) => b[1] - a[1]));
  }
}

/** The whole load's record: objects, failures, and anything a client saw that was wrong. */
export class Ledger {
  readonly objects = new Map<string, ObjectLedger>();
  readonly failures = new FailureTally();
  /** Wrong data or wrong answers seen by clients (never expected, whatever the crash). */
  readonly clientProblems: string[] = [];
  requests = 0;
  reads = 0;

  add(object: ObjectLedger): ObjectLedger {
    this.objects.set(object.key, object);
    return object;
  }

  problem(message: string): void {
    // The first few tell the story; thousands of copies would only bury it.
    if (this.clientProblems.length < 200) this.clientProblems.push(message);
  }

  get acknowledgedWrites(): number {
    let n = 0;
    for (const object of this.objects.values()) n += object.acks.length;
    return n;
  }

  get sentWrites(): number {
    let n = 0;
    for (const object of this.objects.values()) n += object.sent.size;
    return n;
  }
}
