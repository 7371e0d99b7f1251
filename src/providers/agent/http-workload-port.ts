/**
 * The WorkloadPort of a node agent: Workloads read, watched and written over the HTTP API, so the
 * agent runs the same WorkloadRunner as the control plane's own providers.
 *
 * - list: every Workload, page by page (500 a page), remembering the revision the list reflects;
 * - watch: the API's watch stream from that revision; any event wakes the runner. When the stream
 *   breaks (server restart, network), the runner is woken at once and every second until a new
 *   stream is open, so a change made meanwhile is never missed for long;
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

export function httpWorkloadPort(http: AgentHttp, options: { pageSize?: number } = {}): WorkloadPort {
  const pageSize = String(options.pageSize ?? PAGE_SIZE);
  let revision: string | undefined;
  const get = async (path: string, doing: string): Promise<ApiObject | undefined> => {
    const response = await http.request('GET', path);
    if (response.status === 404) return undefined;
    expectOk(response, doing);
    return response.body as ApiObject;
  };
  return {
    async list() {
      const items: ApiObject[] = [];
      let cont: string | undefined;
      let listRevision: string | undefined;
      do {
        const response = await http.request(
          'GET',
          apiPaths.workloads({ limit: pageSize, ...(cont !== undefined && { continue: cont }) }),
        );
        expectOk(response, 'listing workloads');
        const body = response.body as ListBody;
        items.push(...body.items);
        listRevision ??= body.metadata.resourceVersion;
        cont = body.metadata.continue;
      } while (cont);
      revision = listRevision;
      return items;
    },
    get: (ref: WorkloadRef) =>
      get(apiPaths.workload(ref.project ?? '', ref.name), `reading workload ${ref.project}/${ref.name}`),
    node: (name) => get(apiPaths.node(name), `reading node ${name}`),
    watch(listener) {
      let closed = false;
      let current: { destroy(): void } | undefined;
      let poll: NodeJS.Timeout | undefined;
      const broken = () => {
        current = undefined;
        if (closed) return;
        listener();
        poll ??= setInterval(listener, RECONNECT_MS);
        setTimeout(open, RECONNECT_MS).unref();
      };
      const open = () => {
        if (closed) return;
        const query: Record<string, string> = { watch: 'true' };
        if (revision !== undefined) query.resourceVersion = revision;
        http.stream(apiPaths.workloads(query)).then((response) => {
          if (closed) {
            response.destroy();
            return;
          }
          if ((response.statusCode ?? 0) >= 400) {
            // A revision the server no longer keeps: the next open starts from the current state.
            if (response.statusCode === 410) revision = undefined;
            response.resume();
            broken();
            return;
          }
          current = response;
          if (poll) clearInterval(poll);
          poll = undefined;
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            // An ERROR frame (a compacted revision) ends the stream; reopen from the current state.
            if (chunk.includes('"type":"ERROR"')) revision = undefined;
            listener();
          });
          response.on('error', () => {});
          response.on('close', broken);
        }, broken);
      };
      open();
      return () => {
        closed = true;
        if (poll) clearInterval(poll);
        current?.destroy();
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
