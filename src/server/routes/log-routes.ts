/**
 * Pod logs over the API (issue 6): read (and follow) a workload's pods' output, and append to it.
 *
 *   GET  /api/v1/projects/:project/workloads/:name/logs[?pod=P][&follow=true]
 *   POST /api/v1/projects/:project/workloads/:name/logs?pod=P&attempt=A   (text body: a chunk)
 *
 * Reading needs `get` on the Workload; appending (node agents ship their pods' output this way)
 * needs `update` on Workload/status, the permission a runner writing the pods' status already has.
 * Chunks are not audited one by one: they are output, not changes to an object.
 */
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authorize } from '../../governance/auth/rbac.js';
import { findKind, ownerTenant } from '../../model/kinds.js';
import type { ApiObject } from '../../model/object.js';
import type { WorkloadSpec, WorkloadStatus } from '../../model/scheduling.js';
import { TERMINAL_PHASES } from '../../model/workload-history.js';
import { BadLogNameError, type PodLogStore } from '../../providers/local/pod-log-store.js';
import { ApiError } from '../api-error.js';
import type { AppContext } from '../app.js';

export const LOGS_PATH = '/api/v1/projects/:project/workloads/:name/logs';

/** How often a follower looks for new output and for the workload's end. */
const FOLLOW_POLL_MS = 200;

interface Params {
  project: string;
  name: string;
}
type Query = Record<string, string | undefined>;

const WORKLOAD = findKind('Workload')!;

export function registerLogRoutes(app: FastifyInstance, ctx: AppContext, logs: PodLogStore): void {
  app.register(async (scope) => {
    // Log chunks are raw text; the rest of the API takes objects only.
    scope.addContentTypeParser(
      ['text/plain', 'application/octet-stream'],
      { parseAs: 'buffer' },
      (_r, body, done) => done(null, body),
    );

    scope.get(LOGS_PATH, async (request: FastifyRequest<{ Params: Params; Querystring: Query }>, reply) => {
      const { project, name } = request.params;
      const workload = (await ctx.resources.get(ctx.context(request), WORKLOAD, project, name)) as ApiObject<
        WorkloadSpec,
        WorkloadStatus
      >;
      const pod = request.query.pod || undefined;
      const reader = new LogReader(logs, project, name, pod, podCount(workload) > 1 && pod === undefined);
      await guarded(() => reader.check());
      reply.type('text/plain; charset=utf-8');
      if (!isTrue(request.query.follow)) {
        await reader.attemptFrom(workload);
        return reply.send(await reader.drain(true));
      }
      return reply.header('cache-control', 'no-cache').send(follow(ctx, request, reader));
    });

    scope.post(LOGS_PATH, async (request: FastifyRequest<{ Params: Params; Querystring: Query }>, reply) => {
      const { project, name } = request.params;
      const rc = ctx.context(request);
      const { pod, attempt } = request.query;
      if (!pod) throw ApiError.badRequest('pod', 'is required: the pod whose output this is');
      if (!attempt)
        throw ApiError.badRequest(
          'attempt',
          'is required: the admission the pod runs under (status.admission.admittedAt)',
        );
      if (!Buffer.isBuffer(request.body)) {
        throw new ApiError(
          415,
          'UnsupportedMediaType',
          'send the chunk as text/plain or application/octet-stream',
          [{ field: 'content-type', message: 'unsupported media type' }],
        );
      }
      const workload = await ctx.resources.get(rc, WORKLOAD, project, name);
      const tenant = ownerTenant(WORKLOAD, workload);
      const decision = authorize(rc.principal, {
        verb: 'update',
        kind: 'Workload/status',
        tenancy: WORKLOAD.tenancy,
        ...(tenant !== undefined && { tenant }),
        project,
      });
      if (!decision.allowed) {
        await ctx.resources.deny(
          rc,
          'update',
          { kind: 'Workload', name, project, ...(tenant !== undefined && { tenant }) },
          decision,
          () => ApiError.notFound(`workload "${name}" not found in project ${project}`),
        );
      }
      await guarded(() => logs.append({ project, workload: name, attempt, pod }, request.body as Buffer));
      return reply.code(204).send();
    });
  });
}

/** Streams the logs until the workload is terminal and every file is drained, or the client leaves. */
function follow(
  ctx: AppContext,
  request: FastifyRequest<{ Params: Params }>,
  reader: LogReader,
): PassThrough {
  const out = new PassThrough();
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    ctx.watches.delete(close);
    out.end();
  };
  ctx.watches.add(close);
  request.raw.once('close', close);
  const { project, name } = request.params;
  void (async () => {
    while (open) {
      const current = (await ctx.store.get({ kind: 'Workload', project, name })) as
        | ApiObject<WorkloadSpec, WorkloadStatus>
        | undefined;
      const ended = current === undefined || TERMINAL_PHASES.has(current.status?.phase ?? 'Pending');
      if (current) await reader.attemptFrom(current);
      // Read after seeing the end: the local runtime reports a pod ended only once its log is flushed.
      const text = await reader.drain(ended);
      if (text !== '' && open) out.write(text);
      if (ended) break;
      await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    }
    close();
  })().catch((error: unknown) => {
    request.log.error({ err: error }, 'following logs failed');
    close();
  });
  return out;
}

/** Reads one workload's logs incrementally: offsets per pod, partial lines held back when prefixing. */
class LogReader {
  #attempt: string | undefined;
  readonly #offsets = new Map<string, number>();
  readonly #partial = new Map<string, string>();

  constructor(
    readonly logs: PodLogStore,
    readonly project: string,
    readonly workload: string,
    readonly pod: string | undefined,
    readonly prefix: boolean,
  ) {}

  /** Refuses a pod name that cannot name a log file, before anything is sent. */
  check(): void {
    if (this.pod !== undefined) this.logs.file({ ...this.#where('x'), pod: this.pod });
  }

  /** The attempt to show: the workload's current admission, else the latest one with logs. */
  async attemptFrom(workload: ApiObject<WorkloadSpec, WorkloadStatus>): Promise<void> {
    const status = workload.status;
    const current = status?.admission?.admittedAt ?? status?.pods?.at(-1)?.attempt;
    const attempt =
      current ?? (await this.logs.attempts({ project: this.project, workload: this.workload })).at(-1);
    if (attempt === undefined || attempt === this.#attempt) return;
    // A new admission (requeued, re-run elsewhere): its pods' logs start from the beginning.
    this.#attempt = attempt;
    this.#offsets.clear();
    this.#partial.clear();
  }

  /** The new output since the last call; with `final`, held-back partial lines too. */
  async drain(final: boolean): Promise<string> {
    if (this.#attempt === undefined) return '';
    const where = this.#where(this.#attempt);
    const pods = this.pod !== undefined ? [this.pod] : await this.logs.pods(where);
    let text = '';
    for (const pod of pods) {
      const offset = this.#offsets.get(pod) ?? 0;
      const chunk = await this.logs.read({ ...where, pod }, offset);
      this.#offsets.set(pod, offset + chunk.length);
      if (!this.prefix) {
        text += chunk.toString('utf8');
        continue;
      }
      const pending = (this.#partial.get(pod) ?? '') + chunk.toString('utf8');
      const cut = final ? pending.length : pending.lastIndexOf('\n') + 1;
      this.#partial.set(pod, pending.slice(cut));
      for (const line of pending.slice(0, cut).split('\n')) {
        if (line !== '') text += `[${pod}] ${line}\n`;
      }
    }
    return text;
  }

  #where(attempt: string) {
    return { project: this.project, workload: this.workload, attempt };
  }
}

function podCount(workload: ApiObject<WorkloadSpec>): number {
  return (workload.spec.podSets ?? []).reduce((n, s) => n + (s.count ?? 1), 0);
}

function isTrue(value: string | undefined): boolean {
  return value === 'true' || value === '1';
}

/** A bad name in the query is the caller's mistake: a 400 naming the field. */
async function guarded<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof BadLogNameError) throw ApiError.badRequest(error.field, error.message);
    throw error;
  }
}
