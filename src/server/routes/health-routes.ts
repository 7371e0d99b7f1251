import type { FastifyInstance } from 'fastify';
import { CONTROLLERS_LEASE } from '../../controllers/controller.js';
import { ApiError } from '../api-error.js';
import type { AppContext } from '../app.js';
import { buildOpenApi } from '../openapi.js';

export function registerHealthRoutes(app: FastifyInstance, ctx: AppContext): void {
  let openapi: Record<string, unknown> | undefined;
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      const revision = await ctx.store.currentRevision();
      return { status: 'ready', revision };
    } catch (error) {
      return reply
        .code(503)
        .send(
          new ApiError(
            503,
            'ServiceUnavailable',
            `the store is not reachable: ${(error as Error).message}`,
          ).body(),
        );
    }
  });
  app.get('/metrics', async (_request, reply) => {
    ctx.metrics.revision.set(ctx.hub.head);
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
  /** Which replica leads the controllers, under which fencing epoch, and whether it is this one. */
  app.get('/leader', async (request) => {
    ctx.context(request);
    const lease = await ctx.store.readLease(CONTROLLERS_LEASE);
    return {
      replica: ctx.leadership?.replica,
      isLeader: ctx.leadership?.elector.isLeader ?? false,
      ...(lease !== undefined && {
        lease: { ...lease, expiresAt: new Date(lease.expiresAtMs).toISOString() },
      }),
    };
  });
  app.get('/openapi.json', async () => {
    openapi ??= buildOpenApi();
    return openapi;
  });
}
