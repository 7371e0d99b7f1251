import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiObject } from '../../src/model/object.js';
import type { Rng } from '../../src/runtime/rng.js';
import { pluralOf, specCounterOf, specDocument, statusBody, statusCounterOf } from './documents.js';
import type { HttpResult, JsonClient } from './http-client.js';
import { type Ledger, ObjectLedger, type Write } from './ledger.js';

const BASE = '/apis/strata.dev/v1alpha1';

/**
 * Where clients get the server from. Closed while the server is down, so a
 * client that lost its connection waits for the next incarnation instead of
 * spinning on refused connections.
 */
export class ServerGate {
  #client: Promise<JsonClient | undefined>;
  #open: ((client: JsonClient | undefined) => void) | undefined;
  #current: JsonClient | undefined;
  #shut = false;

  constructor() {
    this.#client = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  /** The current server's client; undefined once the gate is shut for good. */
  get(): Promise<JsonClient | undefined> {
    return this.#client;
  }

  open(client: JsonClient): void {
    if (this.#shut) return;
    this.#current = client;
    if (this.#open) {
      this.#open(client);
      this.#open = undefined;
    } else {
      this.#client = Promise.resolve(client);
    }
  }

  /** The server is going away: later `get`s wait for `open`. */
  close(): void {
    this.#current?.close();
    this.#current = undefined;
    if (this.#open || this.#shut) return;
    this.#client = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  /** No server will come again: every waiting and later `get` gets undefined. */
  shut(): void {
    this.close();
    this.#shut = true;
    this.#open?.(undefined);
    this.#open = undefined;
    this.#client = Promise.resolve(undefined);
  }
}

export interface LoadShape {
  readonly clients: number;
  /** Sites and Nodes each client owns (applied and given status). */
  readonly sitesPerClient: number;
  readonly nodesPerClient: number;
}

/** What one client does next. */
type Op =
  | { readonly type: 'write'; readonly write: Write }
  | { readonly type: 'read'; readonly object: ObjectLedger };

/**
 * N clients, each owning its objects and sending one request at a time:
 * applies of Sites and Nodes, status writes, apply/delete of a churn Site,
 * and reads that check read-your-writes. Each answer is checked on the spot
 * ("never wrong data") and recorded in the ledger.
 */
export class CrashLoad {
  readonly #ledger: Ledger;
  readonly #gate: ServerGate;
  readonly #shape: LoadShape;
  readonly #rng: Rng;
  #stopping = false;
  #running: Promise<void>[] = [];
  /** Writes sent and not yet answered: how many a kill can land in the middle of. */
  inFlightWrites = 0;
  /** When the last write was acknowledged (for recovery times). */
  lastAckAt = 0;

  constructor(ledger: Ledger, gate: ServerGate, shape: LoadShape, rng: Rng) {
    this.#ledger = ledger;
    this.#gate = gate;
    this.#shape = shape;
    this.#rng = rng;
  }

  start(): void {
    for (let c = 0; c < this.#shape.clients; c++) {
      const objects: ObjectLedger[] = [];
      for (let j = 0; j < this.#shape.sitesPerClient; j++) {
        objects.push(this.#ledger.add(new ObjectLedger('Site', `crash-c${c}-site-${j}`, c, false)));
      }
      for (let j = 0; j < this.#shape.nodesPerClient; j++) {
        objects.push(this.#ledger.add(new ObjectLedger('Node', `crash-c${c}-node-${j}`, c, false)));
      }
      const churn = this.#ledger.add(new ObjectLedger('Site', `crash-c${c}-churn`, c, true));
      this.#running.push(this.#client(c, objects, churn, this.#rng.fork()));
    }
  }

  /** Lets every client finish the request it is in, then resolves. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#running);
    this.#running = [];
  }

  async #client(c: number, objects: readonly ObjectLedger[], churn: ObjectLedger, rng: Rng): Promise<void> {
    let retry: Op | undefined;
    while (!this.#stopping) {
      const http = await this.#gate.get();
      if (this.#stopping || http === undefined) break;
      const op: Op = retry ?? this.#nextOp(objects, churn, rng);
      retry = undefined;
      const acknowledged = await this.#run(http, op, c);
      if (!acknowledged) {
        // Half the time a client retries the same write (same counter), as a real one would.
        if (op.type === 'write' && rng.chance(0.5)) retry = op;
        await sleep(rng.int(5, 30));
      }
    }
  }

  #nextOp(objects: readonly ObjectLedger[], churn: ObjectLedger, rng: Rng): Op {
    const r = rng.next();
    const existing = objects.filter((o) => o.createdForSure);
    if (r < 0.08 && existing.length > 0) return { type: 'read', object: rng.pick(existing) };
    if (r < 0.28 && existing.length > 0) {
      const object = rng.pick(existing);
      return { type: 'write', write: object.next('status') };
    }
    if (r < 0.4) {
      const last = churn.lastAck();
      const lastSent = Math.max(0, ...churn.sent.keys());
      // Delete what is known to exist; when the last write is in doubt, either is fair.
      const exists = last !== undefined && last.counter === lastSent ? last.part === 'spec' : rng.chance(0.5);
      return { type: 'write', write: churn.next(exists ? 'delete' : 'spec') };
    }
    const sites = objects.filter((o) => o.kind === 'Site');
    const nodes = objects.filter((o) => o.kind === 'Node');
    const pool = r < 0.7 || nodes.length === 0 ? sites : nodes;
    return { type: 'write', write: rng.pick(pool.length > 0 ? pool : objects).next('spec') };
  }

  /** Runs one op; true when it was acknowledged (or, for a read, answered). */
  async #run(http: JsonClient, op: Op, client: number): Promise<boolean> {
    this.#ledger.requests++;
    if (op.type === 'read') return this.#read(http, op.object);
    const { write } = op;
    const object = this.#ledger.objects.get(`${write.kind}/${write.name}`)!;
    const path = `${BASE}/${pluralOf(write.kind)}/${write.name}`;
    this.inFlightWrites++;
    let result: HttpResult;
    try {
      if (write.part === 'spec') {
        result = await http.call('PUT', path, specDocument(write.kind, write.name, client, write.counter));
      } else if (write.part === 'status') {
        result = await http.call('PUT', `${path}/status`, statusBody(write.kind, write.name, write.counter));
      } else {
        result = await http.call('DELETE', path);
      }
    } finally {
      this.inFlightWrites--;
    }
    if (!result.ok) {
      this.#ledger.failures.add(result.code);
      return false;
    }
    if (result.status >= 200 && result.status < 300) {
      const body = result.body as ApiObject;
      const revision = Number(body?.metadata?.resourceVersion);
      const wrong = wrongAnswer(write, body);
      if (wrong !== undefined || !Number.isInteger(revision) || revision < 1) {
        this.#ledger.problem(
          `${write.kind}/${write.name} ${write.part} write ${write.counter} was acknowledged with wrong data: ${wrong ?? `resourceVersion ${body?.metadata?.resourceVersion}`}`,
        );
        return true;
      }
      const outcome = result.headers['x-strata-outcome'];
      object.ack(write, revision, typeof outcome === 'string' ? outcome : undefined);
      this.lastAckAt = performance.now();
      return true;
    }
    if (result.status === 404 && write.part === 'delete') {
      // Deleting what a doubtful earlier delete already removed; neither an ack nor a fault.
      this.#ledger.failures.add('HTTP 404 (delete of an absent churn object)');
      return false;
    }
    if (result.status >= 500 || result.status === 429) {
      this.#ledger.failures.add(`HTTP ${result.status}`);
      return false;
    }
    this.#ledger.problem(
      `${write.kind}/${write.name} ${write.part} write ${write.counter} was refused with ${result.status}: ${JSON.stringify(result.body).slice(0, 300)}`,
    );
    this.#ledger.failures.add(`HTTP ${result.status}`);
    return false;
  }

  /** A read must show the object at least as new as every write acknowledged before it was sent. */
  async #read(http: JsonClient, object: ObjectLedger): Promise<boolean> {
    const spec = object.lastAck('spec');
    const status = object.lastAck('status');
    const revision = object.maxAckedRevision();
    const result = await http.call('GET', `${BASE}/${pluralOf(object.kind)}/${object.name}`);
    if (!result.ok) {
      this.#ledger.failures.add(result.code);
      return false;
    }
    if (result.status >= 500 || result.status === 429) {
      this.#ledger.failures.add(`HTTP ${result.status}`);
      return false;
    }
    this.#ledger.reads++;
    if (result.status !== 200) {
      this.#ledger.problem(`read of ${object.key} after acknowledged writes answered ${result.status}`);
      return true;
    }
    const body = result.body as ApiObject;
    const seenSpec = specCounterOf(body) ?? 0;
    const seenStatus = statusCounterOf(body) ?? 0;
    const seenRevision = Number(body.metadata.resourceVersion);
    if (
      seenSpec < (spec?.counter ?? 0) ||
      seenStatus < (status?.counter ?? 0) ||
      !(seenRevision >= revision)
    ) {
      this.#ledger.problem(
        `stale read of ${object.key}: saw spec write ${seenSpec}, status write ${seenStatus} at revision ${seenRevision}; acknowledged before: spec ${spec?.counter}, status ${status?.counter}, revision ${revision}`,
      );
    }
    return true;
  }
}

/** Why a 2xx answer does not show the write it acknowledges; undefined when it does. */
function wrongAnswer(write: Write, body: ApiObject | undefined): string | undefined {
  if (typeof body !== 'object' || body === null) return 'the body is not an object';
  if (body.kind !== write.kind || body.metadata?.name !== write.name) {
    return `it is about ${body.kind}/${body.metadata?.name}`;
  }
  if (write.part === 'spec' && specCounterOf(body) !== write.counter) {
    return `it shows spec write ${specCounterOf(body)}`;
  }
  if (write.part === 'status' && statusCounterOf(body) !== write.counter) {
    return `it shows status write ${statusCounterOf(body)}`;
  }
  return undefined;
}
