import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/governance/audit/chain.js';
import { ManualClock } from '../../src/runtime/clock.js';
import { sequentialIds } from '../../src/runtime/ids.js';
import { RevisionGoneError } from '../../src/store/errors.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { context, nodeInput } from './builders.js';
import { describeStoreConformance, type StoreDeps, type StoreHarness } from './store-conformance.js';

async function sqliteHarness(deps: StoreDeps): Promise<StoreHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-store-'));
  const file = join(dir, 'strata.db');
  let current = await openSqliteStore({ file, ...deps });
  return {
    store: current,
    async reopen() {
      await current.close();
      current = await openSqliteStore({ file, ...deps });
      return current;
    },
    async cleanup() {
      await current.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

describeStoreConformance('sqlite', sqliteHarness);

describe('sqlite store', () => {
  let dir: string;
  const open = (file: string): Promise<Store> =>
    openSqliteStore({ file, clock: new ManualClock(), ids: sequentialIds('uid') });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-sqlite-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps one file in WAL mode', async () => {
    const file = join(dir, 'strata.db');
    const store = await open(file);
    await store.write(context(), (tx) => tx.apply(nodeInput('n1').build()));
    await store.close();
    const db = new BetterSqlite3(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('reads the revision and chain head from the file, so two stores on one file continue each other', async () => {
    const file = join(dir, 'strata.db');
    const a = await open(file);
    const b = await open(file);
    for (let i = 0; i < 6; i++) {
      const store = i % 2 === 0 ? a : b;
      const { object } = await store.write(context(), (tx) => tx.apply(nodeInput(`n${i}`).build()));
      expect(object.metadata.resourceVersion).toBe(String(i + 1));
    }
    const audit = await a.readAudit(0, 100);
    expect(verifyChain(audit)).toMatchObject({ ok: true, count: 6 });
    await a.close();
    await b.close();
  });

  it('a failure half-way through a change poisons the write, even when the callback swallows it', async () => {
    const file = join(dir, 'strata.db');
    const store = await open(file);
    // A trigger makes the event insert fail after the object row is written.
    const db = new BetterSqlite3(file);
    db.exec(`create trigger fail_boom before insert on events when new.name = 'boom'
             begin select raise(abort, 'injected failure'); end`);
    db.close();
    const attempt = store.write(context(), async (tx) => {
      await expect(tx.create(nodeInput('boom').build())).rejects.toThrow('injected failure');
      await expect(tx.create(nodeInput('n2').build())).rejects.toThrow(/earlier write/);
      return 'swallowed';
    });
    await expect(attempt).rejects.toThrow('injected failure');
    expect(await store.get({ kind: 'Node', name: 'boom' })).toBeUndefined();
    expect(await store.currentRevision()).toBe(0);
    const created = await store.write(context(), (tx) => tx.create(nodeInput('n3').build()));
    expect(created.metadata.resourceVersion).toBe('1');
    await store.close();
  });

  it('answers events() with RevisionGoneError once the log has been compacted past the cursor', async () => {
    const file = join(dir, 'strata.db');
    const store = await open(file);
    for (const n of ['a', 'b', 'c', 'd'])
      await store.write(context(), (tx) => tx.apply(nodeInput(n).build()));
    const db = new BetterSqlite3(file);
    db.prepare('delete from events where revision <= 2').run();
    db.close();
    await expect(store.events(1, 10)).rejects.toBeInstanceOf(RevisionGoneError);
    await expect(store.events(1, 10)).rejects.toMatchObject({ requested: 1, oldest: 2 });
    expect((await store.events(2, 10)).map((e) => e.revision)).toEqual([3, 4]);
    await store.close();
  });
});

describe('SQLite migrations', () => {
  it('are all-or-nothing: a migration that fails half-way leaves no half-made schema', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strata-migrate-'));
    const file = join(dir, 'strata.db');
    // A name the first migration needs is taken, so it fails after creating its first tables.
    const db = new BetterSqlite3(file);
    db.exec('create view events as select 1 as x');
    db.close();
    await expect(openSqliteStore({ file, clock: new ManualClock(), ids: sequentialIds() })).rejects.toThrow();
    const check = new BetterSqlite3(file, { readonly: true });
    const tables = check
      .prepare("select name from sqlite_master where type = 'table' and name in ('revision', 'objects')")
      .all();
    check.close();
    expect(tables).toEqual([]);
    await rm(dir, { recursive: true, force: true });
  });
});
