import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import YAML, { Lexer, Parser } from 'yaml';
import type { Principal } from '../governance/auth/rbac.js';
import { type Clock, systemClock } from '../runtime/clock.js';
import { type IdGenerator, randomIds } from '../runtime/ids.js';
import type { LeaderElector } from '../runtime/leader-elector.js';
import { WatchHub } from '../runtime/watch-hub.js';
import type { Store } from '../store/store.js';
import { Access } from './access.js';
import { ApiError, TooManyRequestsError, toApiError } from './api-error.js';
import { FleetMetrics } from './fleet-metrics.js';
import { ServerMetrics } from './metrics.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';
import { type RequestContext, ResourceService } from './resource-service.js';
import { registerAuditRoutes } from './routes/audit-routes.js';
import { registerAuthRoutes } from './routes/auth-routes.js';
import { registerCatalogRoutes } from './routes/catalog-routes.js';
import {
  type DashboardOptions,
  isDashboardAssetPath,
  registerDashboardRoutes,
} from './routes/dashboard-routes.js';
import { registerDiscoveryRoutes } from './routes/discovery-routes.js';
import { registerHealthRoutes } from './routes/health-routes.js';
import { registerPendingRoutes } from './routes/pending-routes.js';
import { registerResourceRoutes } from './routes/resource-routes.js';
import { installRequestTracing } from './tracing.js';

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
  /** Per-subject and per-address request limits (DEFAULT_RATE_LIMITS where left out); false turns them off. */
  readonly rateLimits?: RateLimitOptions | false;
  /** Where the dashboard's build and the simulator's reports are read from. */
  readonly dashboard?: DashboardOptions;
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

/**
 * Bodies nested deeper than this are refused: the store serialises objects
 * recursively (a body of 1 MiB can nest 500,000 levels), and no Strata object
 * comes near it.
 */
const MAX_BODY_DEPTH = 100;
/**
 * Arrays and objects with more entries than this are refused before
 * validation: a 1 MiB body holds 200,000 bad array items, which took the
 * validator 1.4 s to report one by one. No Strata object comes near it either.
 */
const MAX_BODY_ENTRIES = 10_000;

export async function buildApp(options: AppOptions): Promise<{ app: FastifyInstance; ctx: AppContext }> {
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? randomIds;
  const hub = await WatchHub.start(store);
  const access = new Access(store, hub, clock);
  const metrics = new ServerMetrics();
  const fleetMetrics = await FleetMetrics.start(store, hub, metrics);
  const resources = new ResourceService(store, access, clock, () => metrics.auditDenials.inc());
  const watches = new Set<() => void>();
  const limiter = options.rateLimits === false ? undefined : new RateLimiter(options.rateLimits ?? {}, clock);
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
    // Errors are always logged (500s point at the request id); every request only when asked.
    logger: options.logger === true ? true : { level: 'error' },
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : ids();
    },
    return503OnClosing: true,
    // Malformed URLs and requests Node's parser refuses answer in the API's error shape too.
    frameworkErrors: (error, request, reply) => sendError(error, request, reply),
    clientErrorHandler: answerClientError,
  });
  app.decorateRequest('principal', undefined);
  installRequestTracing(app);

  // Bodies are objects: JSON or YAML. Plain text would only fail later, less clearly.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, body, done) => {
    try {
      if (yamlNestsDeeperThan(body as string, MAX_BODY_DEPTH)) {
        done(ApiError.badRequest('(body)', `is nested more than ${MAX_BODY_DEPTH} levels deep`), undefined);
        return;
      }
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
    if (PUBLIC_PATHS.has(path) || isDashboardAssetPath(path)) return;
    const { authorization } = request.headers;
    // Rate limits refuse a request before its token is looked up and before a 401 is
    // audited: a flood of bad tokens costs a map lookup each, and adds to the audit log
    // at most perClient.burst records at once, then perClient.perSecond a second, per address.
    limiter?.admitClient(request.ip, authorization);
    try {
      request.principal = await access.authenticate(authorization);
    } catch (error) {
      if (error instanceof ApiError && error.code === 401) {
        limiter?.chargeFailure(request.ip);
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
    limiter?.admitSubject(request.principal.name, authorization);
  });

  app.addHook('preValidation', async (request) => {
    // Routes read each query parameter as one string; a repeated one arrives as an array.
    const query = request.query as Record<string, unknown>;
    for (const key in query) {
      if (typeof query[key] !== 'string') throw ApiError.badRequest(key.slice(0, 100), 'must be given once');
    }
    const oversized = bodyShapeIssue(request.body);
    if (oversized) throw ApiError.badRequest(oversized.field, oversized.message);
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
  registerDashboardRoutes(app, ctx, options.dashboard);
  registerPendingRoutes(app, ctx);

  // Open watches would hold the server open forever: end them before it closes.
  app.addHook('preClose', async () => {
    for (const close of [...watches]) close();
    fleetMetrics.close();
    hub.close();
  });
  return { app, ctx };
}

function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const api = toApiError(error) ?? fromFastify(error);
  if (api.code >= 500) request.log.error({ err: error }, 'request failed');
  if (api.code === 401) reply.header('www-authenticate', 'Bearer realm="strata"');
  if (api instanceof TooManyRequestsError) reply.header('retry-after', String(api.retryAfterSeconds));
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
    case 'FST_ERR_BAD_URL':
      return ApiError.badRequest('(path)', 'is not a valid URL: malformed percent-encoding');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new ApiError(
        414,
        'URITooLong',
        'a path segment is longer than the server accepts (100 characters)',
        [{ field: '(path)', message: 'a segment is too long' }],
      );
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

/**
 * Whether a YAML text nests more than `limit` collections deep, read from its
 * token stream (the lexer and parser keep explicit stacks) before anything
 * recursive runs. The yaml library composes documents recursively and runs
 * out of stack near 800 levels; so close to the limit V8 may die compiling a
 * regular expression (a fatal out-of-memory, not a RangeError): a 6 KiB body
 * of nested flow mappings took the whole server down.
 */
function yamlNestsDeeperThan(text: string, limit: number): boolean {
  const parser = new Parser();
  for (const lexeme of new Lexer().lex(text)) {
    for (const _token of parser.next(lexeme)) {
      // Documents are composed afterwards, by parseAllDocuments.
    }
    // The parser's stack holds the stream, the document and each open collection.
    if (parser.stack.length > limit + 2) return true;
  }
  return false;
}

/**
 * The first way a parsed body is nested too deeply or holds too many entries
 * in one array or object. Iterative, so any depth is safe to ask about.
 */
function bodyShapeIssue(body: unknown): { field: string; message: string } | undefined {
  const stack: [unknown, number, string][] = [[body, 1, '']];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [node, depth, path] = next;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > MAX_BODY_DEPTH) {
      return { field: '(body)', message: `is nested more than ${MAX_BODY_DEPTH} levels deep` };
    }
    const keys = Array.isArray(node) ? undefined : Object.keys(node);
    const size = keys === undefined ? (node as unknown[]).length : keys.length;
    if (size > MAX_BODY_ENTRIES) {
      return { field: path || '(body)', message: `has more than ${MAX_BODY_ENTRIES} entries` };
    }
    for (let i = 0; i < size; i++) {
      const key = keys === undefined ? i : keys[i]!;
      const child = (node as Record<string | number, unknown>)[key];
      if (typeof child !== 'object' || child === null) continue;
      const at = typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`;
      stack.push([child, depth + 1, at]);
    }
  }
  return undefined;
}

/**
 * Requests Node's HTTP parser refuses (headers over 16 KiB, a bad Content-Length,
 * an unknown method) never reach a route: they are answered here, in the API's
 * error shape, and the connection is closed, as Node itself would.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const api =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new ApiError(
          431,
          'RequestHeaderFieldsTooLarge',
          'the request line and headers are larger than the server accepts (16 KiB)',
          [{ field: '(headers)', message: 'too large' }],
        )
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new ApiError(408, 'RequestTimeout', 'the request did not arrive in time', [
            { field: '(request)', message: 'timed out' },
          ])
        : ApiError.badRequest('(request)', 'not a valid HTTP/1.1 request');
  const body = JSON.stringify(api.body());
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${api.code} ${STATUS_CODES[api.code]}\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
