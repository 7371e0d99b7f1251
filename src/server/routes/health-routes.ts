import type { FastifyInstance } from 'fastify';
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
  app.get('/openapi.json', async () => {
    openapi ??= buildOpenApi();
    return openapi;
  });
}
