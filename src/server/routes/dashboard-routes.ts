/**
 * The web dashboard (web/, built by Vite into dist/web) and the two small read-only routes it
 * needs beyond the REST API:
 *
 *   GET /, /ui, /ui/*                    the app's index.html (the app routes on the client)
 *   GET /assets/:file                    its bundled scripts and styles (content-hashed names)
 *   GET /dashboard/v1/audit/verification the server's verdict on the whole audit hash chain
 *   GET /dashboard/v1/audit/search       the newest records matching subject/verb/kind/object/q
 *   GET /dashboard/v1/audit/stream       every record after `after`, then new ones as they land
 *   GET /dashboard/v1/simulation         the last `strata simulate` report (summary and SVG charts)
 *
 * The page and its assets are served without a token (they hold no data; the app asks for a
 * token and sends it with every API call); everything else requires one, like the rest of the API.
 * API routes keep precedence: the dashboard claims only the paths above.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditRecord } from '../../governance/audit/audit-event.js';
import { auditMatches } from '../../governance/audit/audit-search.js';
import { ChainVerifier } from '../../governance/audit/chain.js';
import { ApiError } from '../api-error.js';
import type { AppContext } from '../app.js';
import { requireAuditReader } from './audit-routes.js';

/** dist/web from both dist/server/routes (the built server) and src/server/routes (tests under tsx). */
export const DASHBOARD_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../dist/web');

export interface DashboardOptions {
  /** Where the built app lives (DASHBOARD_DIR by default). */
  readonly webDir?: string;
  /** Directories `strata simulate --out` may have written to, most preferred first. */
  readonly simulationDirs?: readonly string[];
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** Vite's asset names: a base name, a content hash, an extension; nothing that climbs out. */
const ASSET_NAME = /^[\w-]+(\.[\w-]+)*\.[a-z0-9]+$/;

/** The app loads nothing from elsewhere; inline style attributes are React's. */
const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'";

const AUDIT_PAGE = 1000;
const SEARCH_LIMIT = 500;
const MAX_SEARCH_LIMIT = 10_000;
/**
 * Audit records of denied requests are appended without a store commit, so a stream also looks
 * for new records this often (one indexed read per open stream) besides on every commit.
 */
const AUDIT_STREAM_TICK_MS = 1000;
const MAX_CHARTS = 12;
const MAX_CHART_BYTES = 2 * 1024 * 1024;

/** Paths served without a token: the page and its assets. */
export function isDashboardAssetPath(path: string): boolean {
  return path === '/' || path === '/ui' || path.startsWith('/ui/') || path.startsWith('/assets/');
}

export function registerDashboardRoutes(
  app: FastifyInstance,
  ctx: AppContext,
  options: DashboardOptions = {},
): void {
  const webDir = options.webDir ?? DASHBOARD_DIR;

  const sendIndex = async (reply: FastifyReply) => {
    const html = await readFile(join(webDir, 'index.html')).catch(() => undefined);
    if (html === undefined) {
      throw new ApiError(
        503,
        'ServiceUnavailable',
        `the dashboard is not built (no ${join(webDir, 'index.html')}): run npm run build`,
      );
    }
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .send(html);
  };
  app.get('/', async (_request, reply) => sendIndex(reply));
  app.get('/ui', async (_request, reply) => sendIndex(reply));
  app.get('/ui/*', async (_request, reply) => sendIndex(reply));

  app.get('/assets/:file', async (request, reply) => {
    const { file } = request.params as { file: string };
    const type = CONTENT_TYPES[extname(file)];
    if (!ASSET_NAME.test(file) || type === undefined) throw ApiError.notFound(`no dashboard asset ${file}`);
    const body = await readFile(join(webDir, 'assets', file)).catch(() => undefined);
    if (body === undefined) throw ApiError.notFound(`no dashboard asset ${file}`);
    // Names carry a hash of the content: a changed file is a new name, so a year is safe.
    return reply
      .type(type)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });

  app.get('/dashboard/v1/audit/verification', async (request) => {
    await requireAuditReader(ctx, request);
    const verifier = new ChainVerifier();
    for (let after = 0; ; ) {
      const page = await ctx.store.readAudit(after, AUDIT_PAGE);
      for (const record of page) verifier.push(record);
      if (page.length < AUDIT_PAGE) break;
      after = page[page.length - 1]!.seq;
    }
    return verifier.result();
  });

  app.get('/dashboard/v1/audit/search', async (request) => {
    await requireAuditReader(ctx, request);
    const query = request.query as Record<string, string | undefined>;
    const limit = query.limit === undefined ? SEARCH_LIMIT : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
      throw ApiError.badRequest('limit', `must be a whole number from 1 to ${MAX_SEARCH_LIMIT}`);
    }
    const matches = auditMatches(query);
    // Newest first, the last `limit` matches: a ring of them while the chain is read in order.
    const newest: AuditRecord[] = [];
    let matched = 0;
    let head = 0;
    for (let after = 0; ; ) {
      const page = await ctx.store.readAudit(after, AUDIT_PAGE);
      for (const record of page) {
        if (!matches(record)) continue;
        matched++;
        newest.push(record);
        if (newest.length > limit) newest.shift();
      }
      if (page.length > 0) head = page[page.length - 1]!.seq;
      if (page.length < AUDIT_PAGE) break;
      after = head;
    }
    return { items: newest.reverse(), matched, head };
  });

  app.get('/dashboard/v1/audit/stream', async (request, reply) => {
    await requireAuditReader(ctx, request);
    const after = Number((request.query as Record<string, string | undefined>).after ?? 0);
    if (!Number.isInteger(after) || after < 0) {
      throw ApiError.badRequest('after', 'must be a whole number, at least 0: the last seq already seen');
    }
    return reply
      .type('application/x-ndjson')
      .header('cache-control', 'no-cache')
      .send(streamAudit(ctx, request, reply, after));
  });

  app.get('/dashboard/v1/simulation', async (request) => {
    ctx.context(request);
    for (const dir of options.simulationDirs ?? []) {
      const report = await readSimulationReport(dir);
      if (report !== undefined) return report;
    }
    return { summary: [], charts: [] };
  });
}

/**
 * Every audit record after `after`, one JSON line each, then each new one as it lands, until the
 * client leaves or the server closes. Woken by store commits and by a slow tick (see
 * AUDIT_STREAM_TICK_MS); one read runs at a time.
 */
function streamAudit(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  after: number,
): PassThrough {
  const out = new PassThrough();
  let cursor = after;
  let open = true;
  let reading = false;
  let again = false;
  const read = async () => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        for (;;) {
          const page = await ctx.store.readAudit(cursor, AUDIT_PAGE);
          if (!open) return;
          if (page.length > 0) {
            cursor = page[page.length - 1]!.seq;
            out.write(page.map((r) => `${JSON.stringify(r)}\n`).join(''));
          }
          if (page.length < AUDIT_PAGE) break;
        }
      } while (again && open);
    } finally {
      reading = false;
    }
  };
  const wake = () => {
    read().catch((error: unknown) => {
      request.log.error({ err: error }, 'streaming the audit trail failed');
      close();
    });
  };
  const unsubscribe = ctx.store.onCommit(wake);
  const timer = setInterval(wake, AUDIT_STREAM_TICK_MS);
  timer.unref();
  const close = () => {
    if (!open) return;
    open = false;
    unsubscribe();
    clearInterval(timer);
    ctx.watches.delete(close);
    out.end();
  };
  ctx.watches.add(close);
  // The response's close: the client left (or the response ended), whatever the request did.
  reply.raw.once('close', close);
  wake();
  return out;
}

/** A report directory's summary (summary.json or time-summary.json) and its SVG charts, if it has one. */
async function readSimulationReport(dir: string) {
  const files = await readdir(dir).catch(() => undefined);
  if (files === undefined) return undefined;
  const summaryName = files.find((f) => f === 'summary.json') ?? files.find((f) => f === 'time-summary.json');
  if (summaryName === undefined) return undefined;
  const summaryPath = join(dir, summaryName);
  let summary: unknown;
  try {
    summary = JSON.parse(await readFile(summaryPath, 'utf8'));
  } catch {
    return undefined;
  }
  const charts: { name: string; svg: string }[] = [];
  for (const name of files
    .filter((f) => f.endsWith('.svg'))
    .sort()
    .slice(0, MAX_CHARTS)) {
    const path = join(dir, name);
    if ((await stat(path)).size > MAX_CHART_BYTES) continue;
    charts.push({ name, svg: await readFile(path, 'utf8') });
  }
  return {
    source: dir,
    writtenAt: (await stat(summaryPath)).mtime.toISOString(),
    summary: Array.isArray(summary) ? summary : [summary],
    charts,
  };
}
