import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ControlPlane, startControlPlane } from '../../src/server/control-plane.js';

/** A JSON response body as tests read it: shape-checked by the assertions themselves. */
// biome-ignore lint/suspicious/noExplicitAny: tests navigate arbitrary response JSON and assert on it.
export type Json = any;

export interface TestPlane extends ControlPlane {
  readonly dataDir: string;
  readonly adminToken: string;
  /** Calls the API over the real socket with a token (the admin's by default). */
  call(
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; body: Json; headers: Headers }>;
  stop(): Promise<void>;
}

/**
 * A real control plane on a free loopback port, over a fresh SQLite file in a
 * temporary data dir. Plain HTTP unless `tls` is asked for, so tests can use fetch.
 */
/**
 * A real control plane on a temp dir. The admission controller is off unless asked for: it writes
 * Workload statuses in the background, and these tests check the API's own writes (the controller
 * has its own tests, and the e2e tests run it inside `strata up`).
 */
export async function startTestPlane(
  options: { demo?: boolean; tls?: boolean; admission?: boolean; localNode?: boolean } = {},
): Promise<TestPlane> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-test-'));
  const plane = await startControlPlane({
    dataDir,
    port: 0,
    host: '127.0.0.1',
    demo: options.demo ?? false,
    tls: options.tls ?? false,
    admission: options.admission ?? false,
    // The local node and its default queue would change every count of nodes and queues.
    localNode: options.localNode ?? false,
  });
  const adminToken = plane.bootstrap.adminToken;
  return {
    ...plane,
    dataDir,
    adminToken,
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = {
        authorization: `Bearer ${opts.token ?? adminToken}`,
        ...opts.headers,
      };
      if (opts.body !== undefined && headers['content-type'] === undefined)
        headers['content-type'] = 'application/json';
      const response = await fetch(`${plane.url}${path}`, {
        method,
        headers,
        ...(opts.body !== undefined && {
          body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
        }),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body, headers: response.headers };
    },
    async stop() {
      await plane.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
