/**
 * The pending-workloads API (issue 5 item 8): who waits, in what order, and why.
 *
 *   GET /api/v1/queues/:name/pending[?project=P]
 *   GET /api/v1/pending-workloads[?queue=Q][&project=P]
 *
 * Answers a `PendingWorkloadList`: per queue (by name), the pending workloads in queue order, each
 * with its name, project, queue, position (0 = next to be tried), the reason's kind, the message
 * and the structured detail. All of it is read from the statuses the admission controller writes
 * (`status.pending`), so it is as fresh as its last cycle.
 *
 * Access is exactly that of listing Workloads (the same service call, with `project` as its
 * project scope): a caller sees only the workloads it may list. Positions, however, count EVERY
 * pending workload ahead in the queue, those the caller cannot see included: a tenant sees
 * "position 3" with fewer than three of its own workloads listed before it. That is the truth
 * about how long it waits, and reveals only a count, never who is ahead.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { findKind } from '../../model/kinds.js';
import { API_VERSION, type ApiObject } from '../../model/object.js';
import type { WorkloadStatus } from '../../model/scheduling.js';
import { ApiError } from '../api-error.js';
import type { AppContext } from '../app.js';

export const QUEUE_PENDING_PATH = '/api/v1/queues/:name/pending';
export const PENDING_PATH = '/api/v1/pending-workloads';

const WORKLOAD = findKind('Workload')!;
const PAGE = 1000;

export interface PendingWorkloadItem {
  readonly name: string;
  readonly project: string | undefined;
  readonly queue: string;
  /** Pending workloads ahead of it in its queue, visible to the caller or not (0 = next). */
  readonly position: number;
  /** The reason's kind: quota, placement, time-window, tariff, backoff, … */
  readonly reason: string;
  readonly message: string;
  readonly detail: Record<string, unknown> | undefined;
}

type Query = Record<string, string | undefined>;

/** A name-shaped query parameter, or a 400 naming it. */
function nameParam(query: Query, field: string): string | undefined {
  const value = query[field];
  if (value === undefined || value === '') return undefined;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) || value.length > 63)
    throw ApiError.badRequest(field, 'must be a lower-case name of at most 63 characters');
  return value;
}

export function registerPendingRoutes(app: FastifyInstance, ctx: AppContext): void {
  const answer = async (request: FastifyRequest, queue: string | undefined, project: string | undefined) => {
    const requestCtx = ctx.context(request);
    const items: PendingWorkloadItem[] = [];
    let cont: string | undefined;
    let revision = 0;
    do {
      const page = await ctx.resources.list(requestCtx, WORKLOAD, {
        ...(project !== undefined && { project }),
        limit: PAGE,
        ...(cont !== undefined && { continue: cont }),
      });
      revision = page.revision;
      for (const o of page.items) {
        const item = pendingItem(o);
        if (item && (queue === undefined || item.queue === queue)) items.push(item);
      }
      cont = page.continue;
    } while (cont !== undefined);
    items.sort(
      (a, b) =>
        (a.queue < b.queue ? -1 : a.queue > b.queue ? 1 : 0) ||
        a.position - b.position ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
    );
    return {
      apiVersion: API_VERSION,
      kind: 'PendingWorkloadList',
      metadata: { resourceVersion: String(revision) },
      items,
    };
  };

  app.get(
    QUEUE_PENDING_PATH,
    async (request: FastifyRequest<{ Params: { name: string }; Querystring: Query }>) => {
      const queue = request.params.name;
      // Queues are cluster configuration, not tenant data: an unknown one is a 404 for everyone.
      if (!(await ctx.store.get({ kind: 'Queue', name: queue })))
        throw ApiError.notFound(`queue "${queue}" not found`);
      return answer(request, queue, nameParam(request.query, 'project'));
    },
  );

  app.get(PENDING_PATH, async (request: FastifyRequest<{ Querystring: Query }>) =>
    answer(request, nameParam(request.query, 'queue'), nameParam(request.query, 'project')),
  );
}

function pendingItem(o: ApiObject): PendingWorkloadItem | undefined {
  const status = o.status as WorkloadStatus | undefined;
  const pending = status?.pending;
  if (status?.phase !== 'Pending' || !pending) return undefined;
  return {
    name: o.metadata.name,
    project: o.metadata.project,
    queue: pending.queue,
    position: pending.ahead,
    reason: pending.reason,
    message: pending.message,
    detail: pending.detail,
  };
}
