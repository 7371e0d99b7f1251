import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/runtime/clock.js';
import type { WatchHub } from '../../src/runtime/watch-hub.js';
import { Access } from '../../src/server/access.js';
import { TooManyRequestsError } from '../../src/server/api-error.js';
import { buildApp } from '../../src/server/app.js';
import { bootstrap } from '../../src/server/bootstrap.js';
import { DEFAULT_RATE_LIMITS, RateLimiter, TokenBuckets } from '../../src/server/rate-limit.js';
import { openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import type { Json } from '../support/control-plane.js';
import { detailFields, expectErrorShape } from './api-assertions.js';
import { apiPath } from './builders.js';

describe('token buckets', () => {
  const limit = { perSecond: 2, burst: 3 };

  it('a new key gets the whole burst, then waits, with the wait rounded up to whole seconds', () => {
    const buckets = new TokenBuckets(limit, new ManualClock());
    expect([1, 2, 3].map(() => buckets.take('a').allowed)).toEqual([true, true, true]);
    expect(buckets.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('refills at perSecond: one more request every 1/perSecond seconds', () => {
    const clock = new ManualClock();
    const buckets = new TokenBuckets(limit, clock);
    for (let i = 0; i < 3; i++) buckets.take('a');
    clock.advance(499);
    expect(buckets.take('a').allowed).toBe(false);
    clock.advance(1);
    expect(buckets.take('a').allowed).toBe(true);
    expect(buckets.take('a').allowed).toBe(false);
  });

  it('never holds more than the burst, however long a key was idle', () => {
    const clock = new ManualClock();
    const buckets = new TokenBuckets(limit, clock);
    buckets.take('a');
    clock.advance(3_600_000);
    const allowed = Array.from({ length: 10 }, () => buckets.take('a').allowed).filter(Boolean);
    expect(allowed).toHaveLength(3);
  });

  it('retry-after is the whole seconds until one token is back, at least 1', () => {
    const buckets = new TokenBuckets({ perSecond: 0.25, burst: 1 }, new ManualClock());
    buckets.take('a');
    expect(buckets.take('a')).toEqual({ allowed: false, retryAfterSeconds: 4 });
  });

  it('peek answers like take without taking', () => {
    const buckets = new TokenBuckets({ perSecond: 1, burst: 1 }, new ManualClock());
    expect(buckets.peek('a').allowed).toBe(true);
    expect(buckets.peek('a').allowed).toBe(true);
    buckets.take('a');
    expect(buckets.peek('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('keys are independent', () => {
    const buckets = new TokenBuckets({ perSecond: 1, burst: 1 }, new ManualClock());
    expect(buckets.take('a').allowed).toBe(true);
    expect(buckets.take('a').allowed).toBe(false);
    expect(buckets.take('b').allowed).toBe(true);
  });

  it('a clock that steps back neither refills nor fails', () => {
    const clock = new ManualClock();
    const buckets = new TokenBuckets({ perSecond: 1, burst: 1 }, clock);
    buckets.take('a');
    clock.advance(-60_000);
    expect(buckets.take('a').allowed).toBe(false);
    clock.advance(1_000);
    expect(buckets.take('a').allowed).toBe(true);
  });

  it('holds at most maxKeys buckets, whatever keys clients invent', () => {
    const buckets = new TokenBuckets({ perSecond: 1, burst: 5 }, new ManualClock(), 100);
    for (let i = 0; i < 10_000; i++) buckets.take(`client-${i}`);
    expect(buckets.size).toBeLessThanOrEqual(100);
  });

  it('drops full buckets first, so a key being throttled keeps its debt', () => {
    const clock = new ManualClock();
    const buckets = new TokenBuckets({ perSecond: 1, burst: 2 }, clock, 10);
    buckets.take('noisy');
    buckets.take('noisy');
    for (let i = 0; i < 9; i++) buckets.take(`quiet-${i}`);
    clock.advance(1_000); // the quiet ones are full again; noisy has one token
    buckets.take('newcomer');
    expect(buckets.take('noisy').allowed).toBe(true);
    expect(buckets.take('noisy').allowed).toBe(false);
  });

  it.each([
    ['a rate of zero', { perSecond: 0, burst: 1 }],
    ['a negative rate', { perSecond: -1, burst: 1 }],
    ['a burst below one request', { perSecond: 1, burst: 0.5 }],
    ['NaN', { perSecond: Number.NaN, burst: 1 }],
  ])('refuses %s', (_what, bad) => {
    expect(() => new TokenBuckets(bad, new ManualClock())).toThrow(RangeError);
  });

  it('the per-subject default lets the API benchmark through: one token at 14,000 requests/s for 10 s', () => {
    const clock = new ManualClock();
    const buckets = new TokenBuckets(DEFAULT_RATE_LIMITS.perSubject, clock);
    let refused = 0;
    for (let ms = 0; ms < 10_000; ms++) {
      for (let i = 0; i < 14; i++) if (!buckets.take('admin').allowed) refused++;
      clock.advance(1);
    }
    expect(refused).toBe(0);
  });
});

describe('rate limiter', () => {
  const good = `Bearer strata_0123456789ab_${'a'.repeat(43)}`;
  const other = `Bearer strata_ba9876543210_${'b'.repeat(43)}`;
  const limits = { perSubject: { perSecond: 1, burst: 2 }, perClient: { perSecond: 1, burst: 2 } };

  function refusal(fn: () => void): TooManyRequestsError {
    try {
      fn();
    } catch (error) {
      if (error instanceof TooManyRequestsError) return error;
      throw error;
    }
    throw new Error('expected a 429');
  }

  it('a subject over its limit is refused naming authorization, with retry-after; another subject is not', () => {
    const limiter = new RateLimiter(limits, new ManualClock());
    limiter.admitSubject('alice', good);
    limiter.admitSubject('alice', good);
    const error = refusal(() => limiter.admitSubject('alice', good));
    expect(error.code).toBe(429);
    expect(error.retryAfterSeconds).toBe(1);
    expect(error.body().details.map((d) => d.field)).toEqual(['authorization']);
    expect(() => limiter.admitSubject('bob', other)).not.toThrow();
  });

  it('failed authentications spend the address budget; then it is refused before any lookup, naming (client)', () => {
    const limiter = new RateLimiter(limits, new ManualClock());
    for (let i = 0; i < 2; i++) {
      expect(() => limiter.admitClient('10.0.0.1', 'Bearer junk')).not.toThrow();
      limiter.chargeFailure('10.0.0.1');
    }
    const error = refusal(() => limiter.admitClient('10.0.0.1', 'Bearer junk'));
    expect(error.body().details.map((d) => d.field)).toEqual(['(client)']);
    expect(() => limiter.admitClient('10.0.0.2', 'Bearer junk')).not.toThrow();
  });

  it('a failure charged when the budget is already spent is refused (the caller then skips the audit)', () => {
    const limiter = new RateLimiter({ ...limits, perClient: { perSecond: 1, burst: 1 } }, new ManualClock());
    limiter.chargeFailure('10.0.0.1');
    expect(refusal(() => limiter.chargeFailure('10.0.0.1')).retryAfterSeconds).toBe(1);
  });

  it('successful requests never spend the address budget', () => {
    const limiter = new RateLimiter(limits, new ManualClock());
    for (let i = 0; i < 100; i++) {
      limiter.admitClient('10.0.0.1', good);
      limiter.admitSubject(`subject-${i}`, good);
    }
    expect(() => limiter.admitClient('10.0.0.1', 'Bearer junk')).not.toThrow();
  });

  it('a token that authenticated in the last minute passes an address over budget; others and older ones wait', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter(limits, clock);
    limiter.admitSubject('alice', good);
    limiter.chargeFailure('10.0.0.1');
    limiter.chargeFailure('10.0.0.1');
    expect(() => limiter.admitClient('10.0.0.1', good)).not.toThrow();
    expect(() => refusal(() => limiter.admitClient('10.0.0.1', other))).not.toThrow();
    expect(() => refusal(() => limiter.admitClient('10.0.0.1', undefined))).not.toThrow();
    // A minute later the address has refilled anyway; drain it again and the old token waits too.
    clock.advance(60_000);
    limiter.chargeFailure('10.0.0.1');
    limiter.chargeFailure('10.0.0.1');
    expect(() => refusal(() => limiter.admitClient('10.0.0.1', good))).not.toThrow();
  });
});

describe('a flood of invented tokens', () => {
  it('keeps the token cache bounded: the first of 10,001 unknown ids is looked up again', async () => {
    const lookups: string[] = [];
    const store = {
      findToken: async (id: string) => {
        lookups.push(id);
        return undefined;
      },
    } as unknown as Store;
    const hub = { head: 0, subscribe: () => () => {} } as unknown as WatchHub;
    const access = new Access(store, hub, new ManualClock());
    const attempt = (i: number) =>
      access
        .authenticate(`Bearer strata_${i.toString(16).padStart(12, '0')}_${'x'.repeat(43)}`)
        .catch(() => {});
    await attempt(0);
    await attempt(0);
    expect(lookups).toHaveLength(1); // a miss is cached like a hit
    for (let i = 1; i <= 10_000; i++) await attempt(i);
    await attempt(0);
    expect(lookups).toHaveLength(10_002);
  });
});

/**
 * The store, with every audit append taking 20 ms: a flood of bad tokens then
 * overlaps its own audit writes, as it would under real load.
 */
function withSlowAudit(store: Store): Store {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'appendAudit') {
        return async (...args: Parameters<Store['appendAudit']>) => {
          await new Promise((resolve) => setTimeout(resolve, 20));
          return target.appendAudit(...args);
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A real server over SQLite with tight limits and a manual clock. */
interface LimitedPlane {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly clock: ManualClock;
  readonly port: number;
  readonly adminToken: string;
  readonly dataDir: string;
}

let plane: LimitedPlane;
let viewerToken: string;
let idleToken: string;

interface Answer {
  readonly status: number;
  readonly body: Json;
  readonly headers: Headers;
}

/** One request over a real socket, from `localAddress` (any 127.x address reaches the loopback server). */
function send(
  method: string,
  path: string,
  options: { token?: string; authorization?: string; body?: unknown; localAddress?: string } = {},
): Promise<Answer> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const authorization =
    options.authorization ?? (options.token === undefined ? undefined : `Bearer ${options.token}`);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: plane.port,
        method,
        path,
        localAddress: options.localAddress ?? '127.0.0.1',
        headers: {
          ...(authorization !== undefined && { authorization }),
          ...(payload !== undefined && { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (typeof value === 'string') headers.set(name, value);
          }
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body, headers });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function auditCount(): Promise<number> {
  return (await plane.store.readAudit(0, 100_000)).length;
}

beforeAll(async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-rate-'));
  const clock = new ManualClock();
  const store = await openStore(undefined, { dataDir, clock });
  const { app, ctx } = await buildApp({
    store: withSlowAudit(store),
    clock,
    rateLimits: { perSubject: { perSecond: 1, burst: 5 }, perClient: { perSecond: 1, burst: 2 } },
  });
  const boot = await bootstrap(ctx, dataDir);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  plane = { app, store, clock, port, adminToken: boot.adminToken, dataDir };
  const issue = async (subject: string) => {
    const response = await send('POST', '/auth/v1/tokens', {
      token: plane.adminToken,
      body: { subject, role: 'viewer' },
    });
    if (response.status !== 201) throw new Error(`setup: ${JSON.stringify(response.body)}`);
    return response.body.token as string;
  };
  viewerToken = await issue('vera');
  idleToken = await issue('ida');
  clock.advance(10_000);
});

afterAll(async () => {
  await plane?.app.close();
  await plane?.store.close();
  if (plane) await rm(plane.dataDir, { recursive: true, force: true });
});

describe('rate limits over the real server', () => {
  it('a subject over its limit gets 429 in the error shape with retry-after; another subject is unaffected; time heals', async () => {
    plane.clock.advance(10_000);
    const answers: Answer[] = [];
    for (let i = 0; i < 6; i++)
      answers.push(await send('GET', apiPath('sites'), { token: plane.adminToken }));
    expect(answers.slice(0, 5).map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    const refused = answers[5]!;
    expectErrorShape(refused, 429);
    expect(refused.body.reason).toBe('TooManyRequests');
    expect(detailFields(refused)).toEqual(['authorization']);
    expect(refused.headers.get('retry-after')).toBe('1');

    expect((await send('GET', apiPath('sites'), { token: viewerToken })).status).toBe(200);
    plane.clock.advance(1_000);
    expect((await send('GET', apiPath('sites'), { token: plane.adminToken })).status).toBe(200);
  });

  it('a flood of bad tokens: 401s up to the burst, then 429 naming (client), and the audit log stops growing', async () => {
    plane.clock.advance(10_000);
    const before = await auditCount();
    // Concurrent, so later requests pass the check before the lookup while the first ones' audit
    // records are still being written: only charging the failure before auditing keeps this at two.
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        send('GET', apiPath('sites'), {
          authorization: `Bearer strata_${i.toString(16).padStart(12, '0')}_${'x'.repeat(43)}`,
        }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(2);
    expect(statuses.filter((s) => s === 429)).toHaveLength(28);
    const last = answers.find((a) => a.status === 429);
    expectErrorShape(last!, 429);
    expect(detailFields(last!)).toEqual(['(client)']);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await auditCount()).toBe(before + 2);

    // The probes stay open, and a good token that was used lately still gets through.
    expect((await send('GET', '/healthz')).status).toBe(200);
    expect((await send('GET', apiPath('sites'), { token: viewerToken })).status).toBe(200);
    // Another address has its own budget.
    const elsewhere = await send('GET', apiPath('sites'), {
      authorization: 'Bearer junk',
      localAddress: '127.0.0.2',
    });
    expectErrorShape(elsewhere, 401);

    plane.clock.advance(1_000);
    expect((await send('GET', apiPath('sites'), { authorization: 'Bearer junk' })).status).toBe(401);
  });

  it('a token that has not authenticated lately waits like any other credential from an address over budget', async () => {
    plane.clock.advance(120_000);
    for (let i = 0; i < 2; i++) await send('GET', apiPath('sites'), { authorization: 'Bearer junk' });
    const refused = await send('GET', apiPath('sites'), { token: idleToken });
    expectErrorShape(refused, 429);
    expect(detailFields(refused)).toEqual(['(client)']);
    plane.clock.advance(1_000);
    expect((await send('GET', apiPath('sites'), { token: idleToken })).status).toBe(200);
  });
});
