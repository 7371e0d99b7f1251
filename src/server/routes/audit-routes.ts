import type { FastifyInstance } from 'fastify';
import { authorize } from '../../governance/auth/rbac.js';
import { ApiError } from '../api-error.js';
import type { AppContext } from '../app.js';

const PAGE = 1000;

/**
 * The audit trail, in chain order. Only a cluster-wide reader gets it: the
 * chain is verified whole, and a filtered chain cannot be verified.
 * `format=jsonl` streams every record after `after`, one per line.
 */
export function registerAuditRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.get('/audit/v1/events', async (request, reply) => {
    await requireAuditReader(ctx, request);
    const query = request.query as Record<string, string | undefined>;
    const after = query.after === undefined ? 0 : Number(query.after);
    if (!Number.isInteger(after) || after < 0)
      throw ApiError.badRequest('after', 'must be a whole number, at least 0');
    const limit = query.limit === undefined ? PAGE : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw ApiError.badRequest('limit', 'must be a whole number from 1 to 10000');
    }
    if (query.format === 'jsonl') {
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'application/x-ndjson',
        'x-request-id': String(request.id),
      });
      let cursor = after;
      for (;;) {
        const page = await ctx.store.readAudit(cursor, PAGE);
        for (const record of page) reply.raw.write(`${JSON.stringify(record)}\n`);
        if (page.length < PAGE) break;
        cursor = page[page.length - 1]!.seq;
      }
      reply.raw.end();
      return;
    }
    const items = await ctx.store.readAudit(after, limit);
    const last = items[items.length - 1];
    return { items, ...(items.length === limit && last !== undefined && { next: last.seq }) };
  });
}

/**
 * Who may read the audit trail (this route and the dashboard's audit routes): `list` on
 * AuditEvent from a cluster-wide grant, outside any tenant. Anyone else is refused (audited) as if
 * the trail did not exist.
 */
export async function requireAuditReader(
  ctx: AppContext,
  request: Parameters<AppContext['context']>[0],
): Promise<void> {
  const requestCtx = ctx.context(request);
  const decision = authorize(requestCtx.principal, { verb: 'list', kind: 'AuditEvent', tenancy: 'required' });
  const clusterWide =
    requestCtx.principal.grants.some((g) => g.scope.type === 'cluster') &&
    requestCtx.principal.tenant === undefined;
  if (!decision.allowed || !clusterWide) {
    await ctx.resources.deny(
      requestCtx,
      'list',
      { kind: 'AuditEvent' },
      decision.allowed
        ? { allowed: false, hidden: false, reason: 'reading the audit trail needs a cluster-wide grant' }
        : decision,
      () => ApiError.notFound('audit trail not found'),
    );
  }
}
