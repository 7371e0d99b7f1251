import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import YAML from 'yaml';
import type { Principal } from '../governance/auth/rbac.js';
import { type Clock, systemClock } from '../runtime/clock.js';
import { type IdGenerator, randomIds } from '../runtime/ids.js';
import type { LeaderElector } from '../runtime/leader-elector.js';
import { WatchHub } from '../runtime/watch-hub.js';
import type { Store } from '../store/store.js';
import { Access } from './access.js';
import { ApiError, toApiError } from './api-error.js';
import { ServerMetrics } from './metrics.js';
import { type RequestContext, ResourceService } from './resource-service.js';
import { registerAuditRoutes } from './routes/audit-routes.js';
import { registerAuthRoutes } from './routes/auth-routes.js';
import { registerCatalogRoutes } from './routes/catalog-routes.js';
import { registerDiscoveryRoutes } from './routes/discovery-routes.js';
import { registerHealthRoutes } from './routes/health-routes.js';
import { registerResourceRoutes } from './routes/resource-routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

export interface AppOptions {
  readonly store: Store;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  /** Largest request body accepted, in bytes. */
  readonly bodyLimit?: number;
  readonly logger?: boolean;
  /** Serve HTTPS with this key and certificate (PEM). */
  readonly https?: { readonly key: string; readonly cert: string };
  /** This replica's name and its leader elector, shown at /leader. */
  readonly leadership?: { readonly replica: string; readonly elector: LeaderElector };
}

/** Everything a route needs, built once per server. */
export interface AppContext {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly hub: WatchHub;
  readonly access: Access;
  readonly resources: ResourceService;
  readonly metrics: ServerMetrics;
  readonly leadership: AppOptions['leadership'];
  /** Closers of the open watch streams, so shutdown can end them. */
  readonly watches: Set<() => void>;
  /** The authenticated caller of a request (every route but the health probes requires one). */
  context(request: FastifyRequest): RequestContext;
}

/** Paths served without a token: liveness and readiness probes only. */
const PUBLIC_PATHS = new Set(['/healthz', '/readyz']);

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

export async function buildApp(options: AppOptions): Promise<{ app: FastifyInstance; ctx: AppContext }> {
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const hub = await WatchHub.start(store);
  const access = new Access(store, hub, clock);
  const metrics = new ServerMetrics();
  const resources = new ResourceService(store, access, clock, () => metrics.auditDenials.inc());
  const watches = new Set<() => void>();
  const ctx: AppContext = {
    store,
    clock,
    ids,
    hub,
    access,
    resources,
    metrics,
    watches,
    leadership: options.leadership,
    context(request) {
      if (!request.principal) throw new ApiError(401, 'Unauthorized', 'a bearer token is required');
      return { principal: request.principal, requestId: String(request.id) };
    },
  };

  const app = Fastify({
    ...(options.https !== undefined && { https: { key: options.https.key, cert: options.https.cert } }),
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : ids();
    },
    return503OnClosing: true,
  });
  app.decorateRequest('principal', undefined);

  // Bodies are objects: JSON or YAML. Plain text would only fail later, less clearly.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, body, done) => {
    try {
      const docs = YAML.parseAllDocuments(body as string);
      if (docs.length !== 1) {
        done(ApiError.badRequest('(body)', `expected one YAML document, got ${docs.length}`), undefined);
        return;
      }
      const doc = docs[0]!;
      const first = doc.errors[0];
      if (first) {
        done(ApiError.badRequest('(body)', `malformed YAML: ${first.message.split('\n')[0]}`), undefined);
        return;
      }
      done(null, doc.toJS({ maxAliasCount: 100 }));
    } catch (error) {
      done(ApiError.badRequest('(body)', `malformed YAML: ${(error as Error).message}`), undefined);
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    const path = request.url.split('?')[0]!;
    if (PUBLIC_PATHS.has(path)) return;
    try {
      request.principal = await access.authenticate(request.headers.authorization);
    } catch (error) {
      if (error instanceof ApiError && error.code === 401) {
        metrics.auditDenials.inc();
        await store.appendAudit({
          time: clock.now().toISOString(),
          requestId: String(request.id),
          subject: { name: 'anonymous' },
          verb: request.method.toLowerCase(),
          object: { kind: 'Request', name: path.slice(0, 256) },
          outcome: 'denied',
          code: 401,
          reason: error.message,
        });
      }
      throw error;
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.requests.inc({ method: request.method, route, code: reply.statusCode });
    metrics.latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      ApiError.notFound(`no route for ${request.method} ${request.url.split('?')[0]}`),
      request,
      reply,
    ),
  );

  registerHealthRoutes(app, ctx);
  registerDiscoveryRoutes(app, ctx);
  registerCatalogRoutes(app, ctx);
  registerResourceRoutes(app, ctx);
  registerAuthRoutes(app, ctx);
  registerAuditRoutes(app, ctx);

  // Open watches would hold the server open forever: end them before it closes.
  app.addHook('preClose', async () => {
    for (const close of [...watches]) close();
    hub.close();
  });
  return { app, ctx };
}

function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const api = toApiError(error) ?? fromFastify(error);
  if (api.code >= 500) request.log.error({ err: error }, 'request failed');
  if (api.code === 401) reply.header('www-authenticate', 'Bearer realm="strata"');
  return reply.code(api.code).type('application/json').send(api.body());
}

/** Fastify's own errors (body too large, bad JSON, wrong content type) in the API's error shape. */
function fromFastify(error: unknown): ApiError {
  const e = error as { statusCode?: number; code?: string; message?: string };
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(
        413,
        'RequestEntityTooLarge',
        'the request body is larger than the server accepts (1 MiB)',
        [{ field: '(body)', message: 'too large' }],
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'UnsupportedMediaType', 'send application/json or application/yaml', [
        { field: 'content-type', message: 'unsupported media type' },
      ]);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return ApiError.badRequest('(body)', 'the body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return ApiError.badRequest('(body)', `malformed JSON: ${e.message ?? ''}`);
  }
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
    return new ApiError(e.statusCode, 'BadRequest', e.message ?? 'bad request', [
      { field: '(request)', message: e.message ?? 'bad request' },
    ]);
  }
  return new ApiError(
    500,
    'InternalError',
    'internal error; the request id in x-request-id names it in the server log',
  );
}
