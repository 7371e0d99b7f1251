/**
 * Pod output on a node agent: the local runtime writes each pod's stdout and stderr to a file under
 * the agent's data dir (so nothing is lost while the server is unreachable), and the shipper sends
 * what is new to the server every second (`POST …/workloads/:name/logs?pod=P&attempt=A`), where
 * `strata logs` reads it. A pod's file is shipped to its end after the pod finishes, then dropped.
 */
import type { WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { type PodLogAddress, type PodLogSink, PodLogStore } from '../local/pod-log-store.js';
import type { AgentHttp } from './agent-http.js';
import { apiPaths } from './api-paths.js';

/** The most one POST carries; the server's body limit is 1 MiB. */
const CHUNK_BYTES = 256 * 1024;

interface Shipped {
  readonly address: PodLogAddress & { readonly project: string };
  readonly file: string;
  offset: number;
  closed: boolean;
}

export class LogShipper implements PodLogSink {
  readonly #store: PodLogStore;
  readonly #http: AgentHttp;
  readonly #onError: (error: unknown) => void;
  readonly #logs = new Map<string, Shipped>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();

  constructor(options: { root: string; http: AgentHttp; onError: (error: unknown) => void }) {
    this.#store = new PodLogStore(options.root);
    this.#http = options.http;
    this.#onError = options.onError;
  }

  open(address: PodLogAddress): WriteStream {
    const stream = this.#store.open(address);
    // Workloads are project-scoped; the log API has no place for a pod without a project.
    if (address.project !== undefined) {
      const file = this.#store.file(address);
      const entry: Shipped = {
        address: { ...address, project: address.project },
        file,
        offset: 0,
        closed: false,
      };
      this.#logs.set(file, entry);
      stream.once('close', () => {
        entry.closed = true;
      });
    }
    return stream;
  }

  start(intervalMs = 1_000): void {
    this.#timer = setInterval(() => {
      void this.ship();
    }, intervalMs);
    this.#timer.unref();
  }

  /** Sends what is new in every pod's log; one pass at a time. */
  ship(): Promise<void> {
    this.#running = this.#running.then(() => this.#shipAll());
    return this.#running;
  }

  /** Stops the timer after a last pass. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.ship();
  }

  async #shipAll(): Promise<void> {
    for (const entry of [...this.#logs.values()]) {
      try {
        const closedBefore = entry.closed;
        while (await this.#shipChunk(entry)) {}
        // Closed before the read began, and read to its end: nothing more will come.
        if (closedBefore) this.#logs.delete(entry.file);
      } catch (error) {
        this.#onError(error);
        return;
      }
    }
  }

  /** Ships one chunk; false when there was nothing new. */
  async #shipChunk(entry: Shipped): Promise<boolean> {
    const handle = await open(entry.file, 'r').catch(() => undefined);
    if (handle === undefined) return false;
    let chunk: Buffer;
    try {
      const buffer = Buffer.alloc(CHUNK_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, entry.offset);
      chunk = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    if (chunk.length === 0) return false;
    const { project, workload, pod, attempt } = entry.address;
    const response = await this.#http.request('POST', apiPaths.podLogs(project, workload, pod, attempt), {
      text: chunk,
    });
    // A workload deleted meanwhile has nowhere to put its output.
    if (response.status === 404) {
      this.#logs.delete(entry.file);
      return false;
    }
    if (response.status >= 400) {
      throw new Error(`shipping the log of pod ${pod} of ${project}/${workload}: HTTP ${response.status}`);
    }
    entry.offset += chunk.length;
    return chunk.length === CHUNK_BYTES;
  }
}
