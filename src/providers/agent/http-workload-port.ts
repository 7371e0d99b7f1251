/**
 * The WorkloadPort of a node agent: Workloads read, watched and written over the HTTP API, so the
 * agent runs the same WorkloadRunner as the control plane's own providers.
 *
 * - watch: an informer. It lists every Workload page by page (500 a page), then follows the API's
 *   watch stream from the revision that list reflects, keeping a local copy current with each
 *   event and waking the runner. While the stream is open, `list` answers from that copy, so an
 *   agent's once-a-second resync costs the server nothing. When the stream breaks (server restart,
 *   network), the copy is dropped, the runner is woken at once and every second, and the list and
 *   stream are opened again;
 * - list: without an open stream, the same paged list over HTTP;
 * - writeStatus: conditional on the resourceVersion read: 409 is 'conflict', 404 'gone'.
 */
import type { ApiObject } from '../../model/object.js';
import type { WorkloadStatus } from '../../model/scheduling.js';
import type { WorkloadPort, WorkloadRef } from '../workload-port.js';
import { type AgentHttp, type AgentResponse, errorMessage } from './agent-http.js';
import { apiPaths } from './api-paths.js';

const PAGE_SIZE = 500;
const RECONNECT_MS = 1_000;

/** The server refused the agent (401 bad or revoked token, 403 a role without the permission). */
export class AgentRefusedError extends Error {
  override readonly name = 'AgentRefusedError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Throws for an answer the agent cannot work with, naming what it was doing. */
export function expectOk(response: AgentResponse, doing: string): void {
  if (response.status < 400) return;
  const message = `${doing}: ${errorMessage(response)} (HTTP ${response.status})`;
  if (response.status === 401 || response.status === 403)
    throw new AgentRefusedError(response.status, message);
  throw new Error(message);
}

interface ListBody {
  readonly metadata: { readonly resourceVersion?: string; readonly continue?: string };
  readonly items: readonly ApiObject[];
}

interface WatchFrame {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR';
  readonly object: ApiObject;
}

const keyOf = (o: ApiObject) => `${o.metadata.project ?? ''}/${o.metadata.name}`;

export function httpWorkloadPort(http: AgentHttp, options: { pageSize?: number } = {}): WorkloadPort {
  const pageSize = String(options.pageSize ?? PAGE_SIZE);
  /** The informer's copy, while its stream is open; `owner` tells a stale stream's events apart. */
  let cache: { readonly owner: object; readonly items: Map<string, ApiObject> } | undefined;

  const get = async (path: string, doing: string): Promise<ApiObject | undefined> => {
    const response = await http.request('GET', path);
    if (response.status === 404) return undefined;
    expectOk(response, doing);
    return response.body as ApiObject;
  };
  const listAll = async (): Promise<{ items: ApiObject[]; revision?: string }> => {
    const items: ApiObject[] = [];
    let cont: string | undefined;
    let revision: string | undefined;
    do {
      const response = await http.request(
        'GET',
        apiPaths.workloads({ limit: pageSize, ...(cont !== undefined && { continue: cont }) }),
      );
      expectOk(response, 'listing workloads');
      const body = response.body as ListBody;
      items.push(...body.items);
      revision ??= body.metadata.resourceVersion;
      cont = body.metadata.continue;
    } while (cont);
    return { items, ...(revision !== undefined && { revision }) };
  };

  return {
    async list() {
      return cache ? [...cache.items.values()] : (await listAll()).items;
    },
    get: (ref: WorkloadRef) =>
      get(apiPaths.workload(ref.project ?? '', ref.name), `reading workload ${ref.project}/${ref.name}`),
    node: (name) => get(apiPaths.node(name), `reading node ${name}`),
    watch(listener) {
      let closed = false;
      let current: { destroy(): void } | undefined;
      let poll: NodeJS.Timeout | undefined;
      const broken = (owner: object) => {
        if (cache?.owner === owner) cache = undefined;
        current = undefined;
        if (closed) return;
        listener();
        poll ??= setInterval(listener, RECONNECT_MS);
        setTimeout(open, RECONNECT_MS).unref();
      };
      const open = async () => {
        if (closed) return;
        const owner = {};
        try {
          const { items, revision } = await listAll();
          const response = await http.stream(
            apiPaths.workloads({
              watch: 'true',
              ...(revision !== undefined && { resourceVersion: revision }),
            }),
          );
          if (closed) {
            response.destroy();
            return;
          }
          if ((response.statusCode ?? 0) >= 400) {
            response.resume();
            broken(owner);
            return;
          }
          const copy = new Map(items.map((o) => [keyOf(o), o]));
          cache = { owner, items: copy };
          current = response;
          if (poll) clearInterval(poll);
          poll = undefined;
          listener();
          let partial = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            partial += chunk;
            for (let end = partial.indexOf('\n'); end >= 0; end = partial.indexOf('\n')) {
              const line = partial.slice(0, end);
              partial = partial.slice(end + 1);
              if (line.trim() === '') continue;
              let frame: WatchFrame;
              try {
                frame = JSON.parse(line) as WatchFrame;
              } catch {
                // A stream that garbles a frame cannot be trusted for the rest: start over.
                response.destroy();
                return;
              }
              if (frame.type === 'ADDED' || frame.type === 'MODIFIED')
                copy.set(keyOf(frame.object), frame.object);
              else if (frame.type === 'DELETED') copy.delete(keyOf(frame.object));
            }
            listener();
          });
          response.on('error', () => {});
          response.on('close', () => broken(owner));
        } catch {
          broken(owner);
        }
      };
      void open();
      return () => {
        closed = true;
        if (poll) clearInterval(poll);
        current?.destroy();
        cache = undefined;
      };
    },
    async writeStatus(ref, status: WorkloadStatus, resourceVersion) {
      const response = await http.request('PUT', apiPaths.workloadStatus(ref.project ?? '', ref.name), {
        json: { metadata: { resourceVersion }, status },
      });
      if (response.status === 409) return 'conflict';
      if (response.status === 404) return 'gone';
      expectOk(response, `writing the status of workload ${ref.project}/${ref.name}`);
      return 'written';
    },
  };
}
