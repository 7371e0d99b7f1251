import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainVerifier } from '../../src/governance/audit/chain.js';
import { StrataProcess } from '../crash/strata-process.js';
import { site } from '../support/builders.js';
import type { Json } from '../support/control-plane.js';
import { createTestDatabase, type TestDatabase, testPostgres } from '../support/postgres.js';

/** Short, so takeovers are quick to observe: failover is bounded by 4/3 of it. */
const LEASE_TTL_S = 1.5;

interface Replica {
  readonly name: string;
  readonly dataDir: string;
  process: StrataProcess;
  url: string;
  token: string;
}

let root: string;
let database: TestDatabase;
const replicas: Replica[] = [];

async function start(name: string, dataDir: string): Promise<Omit<Replica, 'name' | 'dataDir'>> {
  const process = new StrataProcess({
    dataDir,
    configFile: join(root, `${name}.json`),
    args: ['--store', database.url, '--replica-id', name, '--lease-ttl', String(LEASE_TTL_S)],
  });
  const url = await process.listening;
  return { process, url, token: (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim() };
}

async function call(
  replica: Replica,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${replica.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${replica.token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

async function leaders(): Promise<{ replica: Replica; epoch: number }[]> {
  const seen = await Promise.all(
    replicas.map(async (replica) => {
      const { body } = await call(replica, 'GET', '/leader').catch((): { body: Json } => ({
        body: undefined,
      }));
      return body?.isLeader ? [{ replica, epoch: body.lease.epoch as number }] : [];
    }),
  );
  return seen.flat();
}

async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return { value, ms: performance.now() - started };
    if (performance.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-replicas-'));
  database = await createTestDatabase(testPostgres().adminUrl);
  for (const name of ['r1', 'r2', 'r3']) {
    const dataDir = join(root, name);
    replicas.push({ name, dataDir, ...(await start(name, dataDir)) });
  }
});

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.process.kill()));
  await database?.drop();
  await rm(root, { recursive: true, force: true });
});

describe('three replicas on one PostgreSQL', () => {
  it('a change made through one replica reaches a watch on another', async () => {
    const [writer, , watcher] = replicas as [Replica, Replica, Replica];
    const list = await call(watcher, 'GET', '/apis/strata.dev/v1alpha1/sites');
    const controller = new AbortController();
    const response = await fetch(
      `${watcher.url}/apis/strata.dev/v1alpha1/sites?watch=true&resourceVersion=${list.body.metadata.resourceVersion}`,
      { headers: { authorization: `Bearer ${watcher.token}` }, signal: controller.signal },
    );
    const reader = response.body!.getReader();
    expect(
      (await call(writer, 'PUT', '/apis/strata.dev/v1alpha1/sites/watched', site('watched'))).status,
    ).toBe(201);
    const timeout = setTimeout(() => controller.abort(), 5_000);
    const { value } = await reader.read();
    clearTimeout(timeout);
    controller.abort();
    const event = JSON.parse(new TextDecoder().decode(value).split('\n')[0]!);
    expect(event).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'watched' } } });
  });

  it('a token issued through one replica works on the others', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const issued = await call(a, 'POST', '/auth/v1/tokens', { role: 'viewer', subject: 'vera' });
    expect(issued.status).toBe(201);
    const whoami = await fetch(`${b.url}/auth/v1/whoami`, {
      headers: { authorization: `Bearer ${issued.body.token}` },
    });
    expect(((await whoami.json()) as { subject: string }).subject).toBe('vera');
  });

  it('writes through every replica form one gap-free history and one audit chain', async () => {
    await Promise.all(
      replicas.flatMap((replica, r) =>
        Array.from({ length: 10 }, (_, i) =>
          call(replica, 'PUT', `/apis/strata.dev/v1alpha1/sites/s-${r}-${i}`, site(`s-${r}-${i}`)),
        ),
      ),
    );
    const verifier = new ChainVerifier();
    const audit = await fetch(`${replicas[1]!.url}/audit/v1/events?format=jsonl`, {
      headers: { authorization: `Bearer ${replicas[1]!.token}` },
    });
    for (const line of (await audit.text()).split('\n')) if (line) verifier.push(JSON.parse(line));
    expect(verifier.result().ok).toBe(true);
    const list = await call(replicas[2]!, 'GET', '/apis/strata.dev/v1alpha1/sites');
    const versions = list.body.items.map((o: { metadata: { resourceVersion: string } }) =>
      Number(o.metadata.resourceVersion),
    );
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('exactly one replica leads', async () => {
    const { value } = await eventually(async () => {
      const now = await leaders();
      return now.length === 1 ? now : undefined;
    }, 5_000);
    expect(value).toHaveLength(1);
  });

  it('when the leader is killed, another takes over within the lease TTL plus one retry, at a higher epoch', async () => {
    const [before] = (
      await eventually(async () => ((await leaders()).length === 1 ? leaders() : undefined), 5_000)
    ).value;
    await before!.replica.process.kill();
    const { value, ms } = await eventually(async () => {
      const now = (await leaders()).filter((l) => l.replica !== before!.replica);
      return now.length === 1 ? now[0] : undefined;
    }, 10_000);
    expect(value.epoch).toBeGreaterThan(before!.epoch);
    expect(ms).toBeLessThan(LEASE_TTL_S * 1000 * (4 / 3) + 1_000);
    Object.assign(before!.replica, await start(before!.replica.name, before!.replica.dataDir));
  });
});
