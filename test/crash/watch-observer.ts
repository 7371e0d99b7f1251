import { type ClientRequest, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { objectDigest } from '../../src/governance/audit/digest.js';
import type { ApiObject } from '../../src/model/object.js';
import type { ServerGate } from './load.js';

const BASE = '/apis/strata.dev/v1alpha1';

/** One event as a watcher received it, kept small: the object only as its digest. */
export interface WatchedEvent {
  readonly revision: number;
  readonly type: string;
  readonly key: string;
  readonly digest: string;
}

/**
 * A client watching one kind for the whole run, the way a controller does:
 * when its server dies it resumes from the last revision it saw on the next
 * incarnation. It must see every change of its kind exactly once, in revision
 * order, each exactly as the event log keeps it: a change a watcher saw and
 * a crash then took back would be an acknowledged write lost by another name.
 */
export class WatchObserver {
  readonly events: WatchedEvent[] = [];
  readonly problems: string[] = [];
  /** Times the stream was opened (1 + resumes). */
  streams = 0;
  #last: number;
  #stopped = false;
  #current: ClientRequest | undefined;
  #running: Promise<void> | undefined;

  constructor(
    readonly plural: string,
    readonly gate: ServerGate,
    /** The revision to watch after (the list's revision when the load starts). */
    readonly from: number,
  ) {
    this.#last = from;
  }

  get lastRevision(): number {
    return this.#last;
  }

  start(): void {
    this.#running = this.#loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#current?.destroy();
    await this.#running;
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      const http = await this.gate.get();
      if (this.#stopped || http === undefined) return;
      await this.#stream(http.baseUrl, http.token);
      if (!this.#stopped) await sleep(20);
    }
  }

  /** One watch stream, until the server or the harness ends it. */
  #stream(baseUrl: string, token: string): Promise<void> {
    this.streams++;
    return new Promise((done) => {
      let buffered = '';
      const req = request(
        `${baseUrl}${BASE}/${this.plural}?watch=true&resourceVersion=${this.#last}`,
        { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } },
        (res) => {
          if (res.statusCode !== 200) {
            // 503 while the store is down is expected; the watch is simply retried.
            if (res.statusCode !== 503) this.#problem(`watch of ${this.plural} answered ${res.statusCode}`);
            res.resume();
            res.on('end', done);
            res.on('error', () => done());
            return;
          }
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffered += chunk;
            let newline = buffered.indexOf('\n');
            while (newline >= 0) {
              const line = buffered.slice(0, newline);
              buffered = buffered.slice(newline + 1);
              if (line.trim() !== '') this.#frame(line);
              newline = buffered.indexOf('\n');
            }
          });
          res.on('end', () => done());
          res.on('error', () => done());
          res.on('aborted', () => done());
        },
      );
      this.#current = req;
      req.on('error', () => done());
      req.end();
    });
  }

  #frame(line: string): void {
    let frame: { type: string; object: ApiObject & { code?: number; message?: string } };
    try {
      frame = JSON.parse(line);
    } catch {
      // A line cut off by the kill; the resume starts after the last whole one.
      return;
    }
    if (frame.type === 'ERROR') {
      // The store went away under the watch (503): it ends, and is resumed. Anything else is a fault.
      if (frame.object.code !== 503)
        this.#problem(`watch of ${this.plural} sent ERROR ${JSON.stringify(frame.object)}`);
      return;
    }
    const revision = Number(frame.object.metadata.resourceVersion);
    if (!(revision > this.#last)) {
      this.#problem(`watch of ${this.plural} went from revision ${this.#last} to ${revision}`);
      return;
    }
    this.#last = revision;
    const { kind, metadata } = frame.object;
    this.events.push({
      revision,
      type: frame.type,
      key:
        metadata.project === undefined
          ? `${kind}/${metadata.name}`
          : `${kind}/${metadata.project}/${metadata.name}`,
      digest: objectDigest(frame.object),
    });
  }

  #problem(message: string): void {
    if (this.problems.length < 20) this.problems.push(message);
  }
}
