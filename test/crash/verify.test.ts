/**
 * The crash checks must not pass vacuously: each kind of damage they exist to
 * find is made by hand in a real store, and must be named.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { objectDigest } from '../../src/governance/audit/digest.js';
import { parseObject } from '../../src/model/parse-object.js';
import { systemClock } from '../../src/runtime/clock.js';
import { DEFAULT_SQLITE_FILE, openStore } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { specDocument, statusBody } from './documents.js';
import { Ledger, ObjectLedger } from './ledger.js';
import { verifyStore } from './verify.js';

const CONTEXT = { requestId: 'crash-test', subject: { name: 'crash' }, verb: 'apply' };

let dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  dirs = [];
});

/** A store holding two Sites, each written three times (spec, status, spec) and acknowledged. */
async function world(): Promise<{ dir: string; ledger: Ledger; store: Store }> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-crash-verify-'));
  dirs.push(dir);
  const store = await openStore(undefined, { dataDir: dir, clock: systemClock });
  const ledger = new Ledger();
  for (const name of ['crash-c0-site-0', 'crash-c0-site-1']) {
    const object = ledger.add(new ObjectLedger('Site', name, 0, false));
    for (const part of ['spec', 'status', 'spec'] as const) await write(store, object, part);
  }
  return { dir, ledger, store };
}

async function write(store: Store, object: ObjectLedger, part: 'spec' | 'status'): Promise<void> {
  const w = object.next(part);
  const parsed = parseObject(specDocument('Site', object.name, 0, w.counter));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const result =
    part === 'spec'
      ? (await store.write(CONTEXT, (tx) => tx.apply(parsed.input))).object
      : await store.write(CONTEXT, (tx) =>
          tx.updateStatus(
            { kind: 'Site', name: object.name },
            statusBody('Site', object.name, w.counter).status,
          ),
        );
  object.ack(w, Number(result.metadata.resourceVersion));
}

/** Closes the store, runs `sql` on its file behind its back, reopens it and verifies. */
async function tampered(sql: string) {
  const { dir, ledger, store } = await world();
  await store.close();
  const db = new BetterSqlite3(join(dir, DEFAULT_SQLITE_FILE));
  db.exec(sql);
  db.close();
  const reopened = await openStore(undefined, { dataDir: dir, clock: systemClock });
  try {
    return await verifyStore(reopened, ledger);
  } finally {
    await reopened.close();
  }
}

describe('crash checks', () => {
  it('find nothing wrong in a store that kept every acknowledged write', async () => {
    const { ledger, store } = await world();
    const result = await verifyStore(store, ledger);
    await store.close();
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({
      losses: 0,
      acknowledgedWrites: 6,
      events: 6,
      revision: 6,
      auditRecords: 6,
    });
  });

  it('count an acknowledged write the store does not have as a loss', async () => {
    const { ledger, store } = await world();
    const object = ledger.objects.get('Site/crash-c0-site-0')!;
    // As if the server had answered before its commit, then died.
    object.ack(object.next('spec'), 7);
    const result = await verifyStore(store, ledger);
    await store.close();
    expect(result.losses).toBe(1);
    expect(result.problems.join('\n')).toMatch(/LOST: Site\/crash-c0-site-0 spec write 4/);
  });

  it('count an object rolled back behind an acknowledged write as a loss', async () => {
    const result = await tampered(
      `update objects set body = (select body from events where revision = 1), resource_version = 1 where name = 'crash-c0-site-0'`,
    );
    expect(result.losses).toBeGreaterThan(0);
    expect(result.problems.join('\n')).toMatch(/is back at resourceVersion 1/);
  });

  it('find a gap in the event log', async () => {
    const result = await tampered('delete from events where revision = 3');
    expect(result.problems.join('\n')).toMatch(/jumps from revision 2 to 4/);
  });

  it('find an object half-written: the label of one write with the spec of another', async () => {
    const result = await tampered(
      `update events set body = replace(body, '"crash.strata.dev/write":"3"', '"crash.strata.dev/write":"1"') where revision = 3`,
    );
    expect(result.problems.join('\n')).toMatch(/event 3 .* half-written or invented/);
  });

  it('find a write no client sent', async () => {
    const result = await tampered(
      `update events set body = replace(body, '"crash.strata.dev/write":"3"', '"crash.strata.dev/write":"9"') where revision = 3`,
    );
    expect(result.problems.join('\n')).toMatch(/never sent|half-written/);
  });

  it('find a stored object that differs from where the event log leaves it', async () => {
    const result = await tampered(
      `update objects set body = replace(body, '"powerBudgetKW":103', '"powerBudgetKW":999') where name = 'crash-c0-site-0'`,
    );
    expect(result.problems.join('\n')).toMatch(
      /Site\/crash-c0-site-0 is stored at resourceVersion 3, the event log ends it at 3 with different content/,
    );
  });

  it('find a broken audit chain', async () => {
    const result = await tampered(
      `update audit set body = replace(body, '"verb":"apply"', '"verb":"read"') where seq = 2`,
    );
    expect(result.problems.join('\n')).toMatch(/audit chain is broken: record 2/);
  });

  it('find a revision without its audit record', async () => {
    const result = await tampered('delete from audit where seq = 6');
    expect(result.problems.join('\n')).toMatch(/revision 6 has 0 audit records/);
  });

  it('find a change a watcher saw that the event log does not keep', async () => {
    const { ledger, store } = await world();
    const [event] = await store.events(2, 1);
    const seen = [
      { revision: 3, type: 'MODIFIED', key: 'Site/crash-c0-site-0', digest: objectDigest(event!.object) },
    ];
    const phantom = { revision: 7, type: 'MODIFIED', key: 'Site/crash-c0-site-0', digest: 'f'.repeat(64) };
    const result = await verifyStore(store, ledger, [
      { kind: 'Site', from: 2, until: 3, events: [...seen, phantom] },
    ]);
    await store.close();
    expect(result.problems).toEqual([
      'a watcher saw revision 7 (MODIFIED Site/crash-c0-site-0), which the event log does not have',
    ]);
  });

  it('find a change a watcher never saw', async () => {
    const { ledger, store } = await world();
    const result = await verifyStore(store, ledger, [{ kind: 'Site', from: 4, until: 6, events: [] }]);
    await store.close();
    expect(result.problems).toEqual([
      'the Site watcher never saw revision 5 (MODIFIED Site/crash-c0-site-1)',
      'the Site watcher never saw revision 6 (MODIFIED Site/crash-c0-site-1)',
    ]);
  });

  it('find a store revision ahead of its event log', async () => {
    const result = await tampered('update revision set revision = 8');
    expect(result.problems.join('\n')).toMatch(/store is at revision 8 but its last event is 6/);
  });
});
