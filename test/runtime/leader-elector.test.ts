import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/runtime/clock.js';
import { randomIds } from '../../src/runtime/ids.js';
import { LeaderElector } from '../../src/runtime/leader-elector.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Fence, Store } from '../../src/store/store.js';

const TTL = 600;

/** A replica's view of its own leadership, as the elector reports it. */
class Replica {
  readonly events: string[] = [];
  fence: Fence | undefined;
  readonly elector: LeaderElector;
  constructor(
    store: Store,
    readonly name: string,
  ) {
    this.elector = new LeaderElector(
      store,
      { lease: 'controllers', holder: name, ttlMs: TTL, retryMs: 100 },
      {
        elected: (fence) => {
          this.fence = fence;
          this.events.push(`elected@${fence.epoch}`);
        },
        deposed: () => {
          this.fence = undefined;
          this.events.push('deposed');
        },
      },
    );
  }
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return performance.now() - started;
}

describe('leader election through the store', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-elector-'));
    store = await openSqliteStore({ file: join(dir, 'strata.db'), clock: systemClock, ids: randomIds });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('elects exactly one of several replicas', async () => {
    const replicas = ['a', 'b', 'c'].map((n) => new Replica(store, n));
    for (const r of replicas) r.elector.start();
    await until(() => replicas.some((r) => r.elector.isLeader));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(replicas.filter((r) => r.elector.isLeader)).toHaveLength(1);
    await Promise.all(replicas.map((r) => r.elector.stop()));
  });

  it('hands over at once when the leader stops cleanly, under a new epoch', async () => {
    const [a, b] = [new Replica(store, 'a'), new Replica(store, 'b')];
    a.elector.start();
    await until(() => a.elector.isLeader);
    b.elector.start();
    await a.elector.stop();
    const waited = await until(() => b.elector.isLeader);
    expect(waited).toBeLessThan(TTL);
    expect(a.events).toEqual(['elected@1', 'deposed']);
    expect(b.events).toEqual(['elected@2']);
    await b.elector.stop();
  });

  it('takes over within the TTL plus one retry when the leader vanishes without a word', async () => {
    // The crashed replica's calls to the store never return, as if its process had died.
    let crashed = false;
    const dying = new Proxy(store, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => (crashed ? new Promise(() => {}) : value.apply(target, args));
      },
    });
    const [a, b] = [new Replica(dying, 'a'), new Replica(store, 'b')];
    a.elector.start();
    await until(() => a.elector.isLeader);
    b.elector.start();
    crashed = true;
    const waited = await until(() => b.elector.isLeader, TTL * 3);
    expect(waited).toBeLessThan(TTL + 300);
    expect(b.fence?.epoch).toBe(2);
    await b.elector.stop();
  });

  it('a deposed leader cannot write under its old fence', async () => {
    const a = new Replica(store, 'a');
    a.elector.start();
    await until(() => a.elector.isLeader);
    const oldFence = a.fence!;
    await a.elector.stop();
    const b = new Replica(store, 'b');
    b.elector.start();
    await until(() => b.elector.isLeader);
    await expect(
      store.write({ requestId: 'late', subject: { name: 'a' }, verb: 'apply', fence: oldFence }, (tx) =>
        tx.apply({ kind: 'Node', metadata: { name: 'late' }, spec: {} }),
      ),
    ).rejects.toThrow(/no longer holds lease/);
    await b.elector.stop();
  });
});
