/**
 * The dashboard's routes in-process (Fastify inject) over a real SQLite store, with a
 * hand-made build directory standing in for dist/web.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/runtime/clock.js';
import { buildApp } from '../../src/server/app.js';
import { bootstrap } from '../../src/server/bootstrap.js';
import type { DashboardOptions } from '../../src/server/routes/dashboard-routes.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { tenant } from '../support/builders.js';

const INDEX = '<!doctype html><title>Strata</title><div id="root"></div>';
const ASSET = 'index-Ab12_cd.js';

interface Served {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly token: string;
  readonly dir: string;
}
const served: Served[] = [];

async function serve(dashboard: (dir: string) => DashboardOptions): Promise<Served> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-dashboard-'));
  const store = await openStore(undefined, { dataDir: dir, clock: systemClock });
  const { app, ctx } = await buildApp({ store, rateLimits: false, dashboard: dashboard(dir) });
  const { adminToken } = await bootstrap(ctx, dir);
  const s = { app, store, token: adminToken, dir };
  served.push(s);
  return s;
}

let built: Served;
let unbuilt: Served;

beforeAll(async () => {
  built = await serve((dir) => ({
    webDir: join(dir, 'web'),
    simulationDirs: [join(dir, 'none'), join(dir, 'sim-out')],
  }));
  await mkdir(join(built.dir, 'web', 'assets'), { recursive: true });
  await writeFile(join(built.dir, 'web', 'index.html'), INDEX);
  await writeFile(join(built.dir, 'web', 'assets', ASSET), 'console.log(1)');
  await writeFile(join(built.dir, 'secret.js'), 'no');
  unbuilt = await serve((dir) => ({ webDir: join(dir, 'missing') }));
});

afterAll(async () => {
  for (const s of served) {
    await s.app.close();
    await s.store.close();
    await rm(s.dir, { recursive: true, force: true });
  }
});

describe('the app', () => {
  it.each([
    '/',
    '/ui',
    '/ui/fleet',
    '/ui/workloads/acme-research/qwen-7b-eval',
  ])('serves index.html at %s without a token, never cached, with a CSP', async (url) => {
    const response = await built.app.inject({ method: 'GET', url });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe(INDEX);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('serves a hashed asset with its content type, cached for a year as immutable', async () => {
    const response = await built.app.inject({ method: 'GET', url: `/assets/${ASSET}` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it.each([
    ['a path that climbs out', '/assets/..%2Fsecret.js'],
    ['a type the app never ships', '/assets/index.exe'],
    ['a file that is not there', '/assets/index-00000000.js'],
  ])('answers 404 in the API error shape for %s', async (_case, url) => {
    const response = await built.app.inject({ method: 'GET', url });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 404, reason: 'NotFound' });
  });

  it('answers 503 naming npm run build when the app is not built', async () => {
    const response = await unbuilt.app.inject({ method: 'GET', url: '/ui/fleet' });
    expect(response.statusCode).toBe(503);
    expect(response.json().message).toContain('npm run build');
  });

  it.each([
    ['/apis/strata.dev/v1alpha1/nodes', 401],
    ['/auth/v1/whoami', 401],
    ['/dashboard/v1/simulation', 401],
    ['/no-such-page', 401],
  ])('leaves %s to the API: %d without a token', async (url, code) => {
    expect((await built.app.inject({ method: 'GET', url })).statusCode).toBe(code);
  });
});

describe('/dashboard/v1/audit/verification', () => {
  it("gives a cluster-wide reader the server's verdict on the whole chain", async () => {
    const response = await built.app.inject({
      method: 'GET',
      url: '/dashboard/v1/audit/verification',
      headers: { authorization: `Bearer ${built.token}` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ ok: true, head: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(response.json().count).toBeGreaterThan(0);
  });
});

describe('/dashboard/v1/audit/search and /dashboard/v1/audit/stream', () => {
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const search = async (query: string, token = built.token) =>
    built.app.inject({ method: 'GET', url: `/dashboard/v1/audit/search?${query}`, headers: as(token) });
  const append = (subject: string, verb: string, kind: string, name: string) =>
    built.store.appendAudit({
      time: new Date().toISOString(),
      requestId: `test-${subject}-${verb}-${name}`,
      subject: { name: subject },
      verb,
      object: { kind, name, project: 'lab' },
      outcome: 'allowed',
    });

  let tenantToken: string;

  beforeAll(async () => {
    const must = async (url: string, payload: object) => {
      const r = await built.app.inject({ method: 'POST', url, headers: as(built.token), payload });
      expect(r.statusCode, r.body).toBeLessThan(300);
      return r.json();
    };
    await must('/apis/strata.dev/v1alpha1/tenants', tenant('auditless'));
    tenantToken = (
      await must('/auth/v1/tokens', { tenant: 'auditless', role: 'tenant-admin', subject: 'eve' })
    ).token;
    await append('ann', 'create', 'Workload', 'train-1');
    await append('ann', 'delete', 'Workload', 'train-1');
    await append('bob', 'create', 'Queue', 'train-queue');
  });

  it.each([
    ['subject=ANN', ['delete Workload lab/train-1', 'create Workload lab/train-1']],
    ['subject=ann&verb=create', ['create Workload lab/train-1']],
    ['kind=queue', ['create Queue lab/train-queue']],
    ['object=lab/train&subject=bob', ['create Queue lab/train-queue']],
    ['q=bob%20create', ['create Queue lab/train-queue']],
  ])('keeps the records matching every field given, newest first: %s', async (query, expected) => {
    const body = (await search(query)).json();
    const lines = body.items.map(
      (r: { verb: string; object: { kind: string; project: string; name: string } }) =>
        `${r.verb} ${r.object.kind} ${r.object.project}/${r.object.name}`,
    );
    expect(lines).toEqual(expected);
    expect(body.matched).toBe(expected.length);
  });

  it('returns only the newest `limit` matches, with how many matched and the head of the trail', async () => {
    const all = (await search('')).json();
    const body = (await search('limit=2')).json();
    expect(body.items.map((r: { seq: number }) => r.seq)).toEqual(
      all.items.slice(0, 2).map((r: { seq: number }) => r.seq),
    );
    expect(body.matched).toBe(all.matched);
    expect(body.head).toBe(all.items[0].seq);
  });

  it.each([
    ['search', '/dashboard/v1/audit/search?limit=0', 'limit'],
    ['stream', '/dashboard/v1/audit/stream?after=-1', 'after'],
  ])('refuses a bad %s query with a 400 naming the field', async (_case, url, field) => {
    const response = await built.app.inject({ method: 'GET', url, headers: as(built.token) });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain(field);
  });

  it.each([
    '/dashboard/v1/audit/search',
    '/dashboard/v1/audit/stream?after=0',
  ])('refuses %s to a tenant token, as the audit API does', async (url) => {
    const get = (path: string) => built.app.inject({ method: 'GET', url: path, headers: as(tenantToken) });
    const audit = (await get('/audit/v1/events')).statusCode;
    expect(audit).toBeGreaterThanOrEqual(403);
    expect((await get(url)).statusCode).toBe(audit);
  });

  it('streams the records after `after`, then each new one as it is appended', async () => {
    const head = (await search('limit=1')).json().head as number;
    await built.app.listen({ port: 0, host: '127.0.0.1' });
    const address = built.app.server.address() as { port: number };
    // node:http rather than fetch: destroying the request closes its socket there and then, so the
    // server's close does not wait on a kept-alive connection.
    const request = get(`http://127.0.0.1:${address.port}/dashboard/v1/audit/stream?after=${head - 1}`, {
      headers: as(built.token),
    });
    const response = await new Promise<IncomingMessage>((resolve, reject) =>
      request.once('response', resolve).once('error', reject),
    );
    expect(response.headers['content-type']).toContain('application/x-ndjson');
    response.setEncoding('utf8');
    const reader = response[Symbol.asyncIterator]();
    const seqs: number[] = [];
    let buffer = '';
    const until = async (count: number) => {
      while (seqs.length < count) {
        const { value, done } = await reader.next();
        if (done) throw new Error('the stream ended');
        buffer += value;
        const lines = buffer.split('\n');
        buffer = lines.pop()!;
        for (const line of lines) seqs.push(JSON.parse(line).seq);
      }
    };
    await until(1);
    expect(seqs).toEqual([head]);
    // Appended without a store commit (as a denied request's record is): the stream's tick finds it.
    const next = await append('cat', 'get', 'Workload', 'late');
    await until(2);
    expect(seqs).toEqual([head, next.seq]);
    request.destroy();
  });
});

describe('/dashboard/v1/simulation', () => {
  const get = (s: Served) =>
    s.app.inject({
      method: 'GET',
      url: '/dashboard/v1/simulation',
      headers: { authorization: `Bearer ${s.token}` },
    });

  it('says there is no report when no directory holds one', async () => {
    expect((await get(unbuilt)).json()).toEqual({ summary: [], charts: [] });
  });

  it("returns the first directory's summary and SVG charts", async () => {
    const out = join(built.dir, 'sim-out');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'summary.json'), JSON.stringify([{ trace: 't', policy: 'FGD' }]));
    await writeFile(join(out, 'allocation-t.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await writeFile(join(out, 'curves-t.csv'), 'x,y\n');
    const body = (await get(built)).json();
    expect(body).toMatchObject({
      source: out,
      summary: [{ trace: 't', policy: 'FGD' }],
      charts: [{ name: 'allocation-t.svg', svg: '<svg xmlns="http://www.w3.org/2000/svg"/>' }],
    });
  });
});
