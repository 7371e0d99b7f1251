import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChainVerifier } from '../../src/governance/audit/chain.js';
import { ManualClock } from '../../src/runtime/clock.js';
import { sequentialIds } from '../../src/runtime/ids.js';
import { startControlPlane } from '../../src/server/control-plane.js';
import { StoreUnavailableError } from '../../src/store/errors.js';
import { openPostgresStore, type PostgresStoreOptions } from '../../src/store/postgres-store.js';
import type { Store, StoreEvent } from '../../src/store/store.js';
import { apiPath } from '../server/builders.js';
import {
  adminQuery,
  createTestDatabase,
  type PostgresServer,
  startPostgresServer,
  type TestDatabase,
  testPostgres,
} from '../support/postgres.js';
import { context, nodeInput } from './builders.js';
import { describeStoreConformance, type StoreDeps, type StoreHarness } from './store-conformance.js';

const quiet = () => undefined;

function open(url: string, extra: Partial<PostgresStoreOptions> = {}): Promise<Store> {
  return openPostgresStore({
    url,
    clock: new ManualClock(),
    ids: sequentialIds('uid'),
    warn: quiet,
    ...extra,
  });
}

async function postgresHarness(deps: StoreDeps): Promise<StoreHarness> {
  const database = await createTestDatabase(testPostgres().adminUrl);
  let current = await openPostgresStore({ url: database.url, ...deps, warn: quiet });
  return {
    store: current,
    async reopen() {
      await current.close();
      current = await openPostgresStore({ url: database.url, ...deps, warn: quiet });
      return current;
    },
    async cleanup() {
      await current.close();
      await database.drop();
    },
  };
}

describeStoreConformance('postgres', postgresHarness);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

async function allAuditVerdict(store: Store) {
  const verifier = new ChainVerifier();
  let after = 0;
  for (;;) {
    const page = await store.readAudit(after, 100);
    if (page.length === 0) return verifier.result();
    for (const record of page) verifier.push(record);
    after = page[page.length - 1]!.seq;
  }
}

/** Revisions of the whole event log, which must be 1..current with none missing. */
async function eventRevisions(store: Store): Promise<number[]> {
  return (await store.events(0, 100_000)).map((e: StoreEvent) => e.revision);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('postgres store', () => {
  let database: TestDatabase;
  const stores: Store[] = [];
  const track = async (opening: Promise<Store>) => {
    const store = await opening;
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    database = await createTestDatabase(testPostgres().adminUrl);
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await adminQuery(database.url, 'drop schema public cascade; create schema public');
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('two replicas hear each other’s commits through LISTEN/NOTIFY, and read them from the event log', async () => {
    // Polling every minute: within this test only a notification can deliver a commit.
    const a = await track(open(database.url, { pollIntervalMs: 60_000 }));
    const b = await track(open(database.url, { pollIntervalMs: 60_000 }));
    const heardByA: number[] = [];
    const heardByB: number[] = [];
    a.onCommit((revision) => heardByA.push(revision));
    b.onCommit((revision) => heardByB.push(revision));

    await a.write(context(), (tx) => tx.apply(nodeInput('from-a').build()));
    await waitFor('B to hear A’s commit', () => heardByB.includes(1));
    await b.write(context(), (tx) => tx.apply(nodeInput('from-b').build()));
    await waitFor('A to hear B’s commit', () => heardByA.includes(2));

    expect(heardByA).toEqual([1, 2]);
    expect(heardByB).toEqual([1, 2]);
    const seenByB = await b.events(0, 10);
    expect(seenByB.map((e) => [e.revision, e.type, e.object.metadata.name])).toEqual([
      [1, 'ADDED', 'from-a'],
      [2, 'ADDED', 'from-b'],
    ]);
    expect((await a.get({ kind: 'Node', name: 'from-b' }))?.metadata.resourceVersion).toBe('2');
  });

  it('a commit whose notification is lost while the listener reconnects is still heard (poll)', async () => {
    const a = await track(open(database.url));
    const b = await track(open(database.url, { pollIntervalMs: 200 }));
    const heardByB: number[] = [];
    b.onCommit((revision) => heardByB.push(revision));
    // Cut every LISTEN connection to this database; A commits while B's is gone.
    await adminQuery(
      testPostgres().adminUrl,
      `select pg_terminate_backend(pid) from pg_stat_activity
        where datname = '${database.name}' and query ilike 'listen%'`,
    );
    await a.write(context(), (tx) => tx.apply(nodeInput('n1').build()));
    await waitFor('B to hear the commit', () => heardByB.includes(1));
    // And notifications flow again once the listener is back.
    await sleep(300);
    await a.write(context(), (tx) => tx.apply(nodeInput('n2').build()));
    await waitFor('B to hear the next commit', () => heardByB.includes(2));
  });

  it('concurrent writes from two replicas keep revisions strictly increasing and gap-free, and one audit chain', async () => {
    const a = await track(open(database.url));
    const b = await track(open(database.url));
    const heard = { a: [] as number[], b: [] as number[] };
    a.onCommit((revision) => heard.a.push(revision));
    b.onCommit((revision) => heard.b.push(revision));
    const writes = (store: Store, prefix: string) =>
      Array.from({ length: 100 }, (_, i) =>
        store.write(context(), (tx) => tx.apply(nodeInput(`${prefix}-${i}`).build())),
      );
    const results = await Promise.all([...writes(a, 'a'), ...writes(b, 'b')]);

    const versions = results.map((r) => Number(r.object.metadata.resourceVersion)).sort((x, y) => x - y);
    expect(versions).toEqual(range(200));
    expect(await eventRevisions(a)).toEqual(range(200));
    expect(await a.currentRevision()).toBe(200);
    expect(await allAuditVerdict(b)).toMatchObject({ ok: true, count: 200 });
    for (const revisions of [heard.a, heard.b]) {
      expect(revisions).toEqual([...revisions].sort((x, y) => x - y));
      expect(new Set(revisions).size).toBe(revisions.length);
    }
  });

  it('migrates once when three replicas open a fresh database together', async () => {
    const opened = await Promise.all([1, 2, 3].map(() => track(open(database.url))));
    const { rows } = await adminQuery(database.url, 'select name from kysely_migration order by name');
    const names = rows.map((r: { name: string }) => r.name);
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names).size).toBe(names.length);
    expect((await adminQuery(database.url, 'select * from revision')).rows).toEqual([
      { id: 1, revision: '0' },
    ]);
    // All three work on the one schema.
    for (const [i, store] of opened.entries()) {
      await store.write(context(), (tx) => tx.apply(nodeInput(`n${i}`).build()));
    }
    expect(await opened[0]!.currentRevision()).toBe(3);
  });

  it('lists in byte order whatever the database’s collation, as SQLite does', async () => {
    const store = await track(open(database.url));
    // Under the test server's en-US collation "a" < "B"; byte order puts uppercase first.
    for (const name of ['a', 'B', 'b-1', 'b.1', 'C', 'b1']) {
      await store.write(context(), (tx) => tx.apply(nodeInput(name).build()));
    }
    const expected = ['B', 'C', 'a', 'b-1', 'b.1', 'b1'];
    expect((await store.list({ kind: 'Node' })).items.map((o) => o.metadata.name)).toEqual(expected);
    const paged: string[] = [];
    let token: string | undefined;
    do {
      const page = await store.list({ kind: 'Node', limit: 2, ...(token && { continue: token }) });
      paged.push(...page.items.map((o) => o.metadata.name));
      token = page.continue;
    } while (token !== undefined);
    expect(paged).toEqual(expected);
  });

  it('fails fast with StoreUnavailableError when the server cannot be reached', async () => {
    const unreachable = `postgres://postgres@127.0.0.1:${await closedPort()}/postgres`;
    await expect(open(unreachable)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 1));
    });
  });
}

describe('postgres store across a server restart', () => {
  let server: PostgresServer;
  let database: TestDatabase;

  beforeAll(async () => {
    // A private server: restarting the shared one would break the files running beside this one.
    server = await startPostgresServer();
    database = await createTestDatabase(server.info.adminUrl);
  });
  afterAll(async () => {
    await server?.destroy();
  });

  it('rejects writes with StoreUnavailableError while it is down, recovers without reopening, loses nothing acknowledged', async () => {
    const store = await open(database.url, { pollIntervalMs: 100 });
    const other = await open(database.url, { pollIntervalMs: 60_000 });
    const heardByOther: number[] = [];
    other.onCommit((revision) => heardByOther.push(revision));
    const acknowledged: string[] = [];
    const failures: unknown[] = [];
    let stopping = false;
    let next = 0;
    const writer = async () => {
      while (!stopping) {
        const name = `n${next++}`;
        try {
          await store.write(context(), (tx) => tx.create(nodeInput(name).build()));
          acknowledged.push(name);
        } catch (error) {
          failures.push(error);
          await sleep(5);
        }
      }
    };
    const writers = Array.from({ length: 8 }, writer);

    await waitFor('writes before the restart', () => acknowledged.length >= 50);
    // Immediate: the server stops as in a crash and replays its WAL when it starts again.
    await server.restart('immediate');
    const afterRestart = acknowledged.length;
    await waitFor('writes after the restart', () => acknowledged.length >= afterRestart + 50, 20_000);
    stopping = true;
    await Promise.all(writers);

    expect(failures.length).toBeGreaterThan(0);
    const unexpected = failures.filter((error) => !(error instanceof StoreUnavailableError));
    expect(unexpected).toEqual([]);
    expect(String((failures[0] as Error).message)).toMatch(/unavailable/);

    // Everything acknowledged is there; revisions have no gaps; the chain verifies.
    const stored = new Set((await store.list({ kind: 'Node' })).items.map((o) => o.metadata.name));
    expect(acknowledged.filter((name) => !stored.has(name))).toEqual([]);
    const current = await store.currentRevision();
    expect(await eventRevisions(store)).toEqual(range(current));
    expect(stored.size).toBe(current);
    expect(await allAuditVerdict(store)).toMatchObject({ ok: true, count: current });

    // The other replica's notification connection came back by itself.
    const { object } = await store.write(context(), (tx) => tx.apply(nodeInput('last').build()));
    await waitFor('the other replica to hear the last commit', () =>
      heardByOther.includes(Number(object.metadata.resourceVersion)),
    );
    await store.close();
    await other.close();
  });

  it('the API answers 503 ServiceUnavailable while PostgreSQL is down, and serves again once it is back', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'strata-pg-api-'));
    const plane = await startControlPlane({
      dataDir,
      storeUrl: database.url,
      port: 0,
      host: '127.0.0.1',
      demo: false,
      tls: false,
    });
    const get = async () => {
      const response = await fetch(`${plane.url}${apiPath('nodes')}`, {
        headers: { authorization: `Bearer ${plane.bootstrap.adminToken}` },
      });
      return {
        status: response.status,
        body: (await response.json()) as { reason?: string; message?: string },
      };
    };
    try {
      expect((await get()).status).toBe(200);
      await server.stop();
      const down = await get();
      expect(down).toMatchObject({ status: 503, body: { reason: 'ServiceUnavailable' } });
      expect(down.body.message).toMatch(/database is unavailable/);
      await server.start();
      expect((await get()).status).toBe(200);
    } finally {
      await plane.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
