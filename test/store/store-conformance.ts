import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/governance/audit/audit-event.js';
import { verifyChain } from '../../src/governance/audit/chain.js';
import { objectDigest } from '../../src/governance/audit/digest.js';
import type { ApiObject } from '../../src/model/object.js';
import { ManualClock } from '../../src/runtime/clock.js';
import { type IdGenerator, sequentialIds } from '../../src/runtime/ids.js';
import {
  AlreadyExistsError,
  BadContinueTokenError,
  FencedError,
  NotFoundError,
  StaleVersionError,
} from '../../src/store/errors.js';
import type { Store, StoreEvent } from '../../src/store/store.js';
import { context, InputBuilder, nodeInput, tokenRecord, workloadInput } from './builders.js';

export interface StoreDeps {
  readonly clock: ManualClock;
  readonly ids: IdGenerator;
}

export interface StoreHarness {
  readonly store: Store;
  /** Closes the current store and opens a new one on the same data, as a restarted process would. */
  reopen(): Promise<Store>;
  /** Closes whichever store is open and removes its data. */
  cleanup(): Promise<void>;
}

const START = '2026-03-01T12:00:00.000Z';

async function allAudit(store: Store): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  for (;;) {
    const page = await store.readAudit(records.length === 0 ? 0 : records[records.length - 1]!.seq, 50);
    if (page.length === 0) return records;
    records.push(...page);
  }
}

async function allEvents(store: Store): Promise<StoreEvent[]> {
  return [...(await store.events(0, 100_000))];
}

/**
 * The behaviour every Store must have, whatever engine is behind it. Run it
 * from an engine's test file with a factory that opens a fresh, empty store
 * using the clock and id generator it is given.
 */
export function describeStoreConformance(
  name: string,
  makeStore: (deps: StoreDeps) => Promise<StoreHarness>,
): void {
  describe(`${name} store conformance`, () => {
    let clock: ManualClock;
    let harness: StoreHarness;
    let store: Store;

    beforeEach(async () => {
      clock = new ManualClock(START);
      harness = await makeStore({ clock, ids: sequentialIds('uid') });
      store = harness.store;
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    const apply = (input: InputBuilder, verb = 'apply') =>
      store.write(context(verb), (tx) => tx.apply(input.build()));
    const create = (input: InputBuilder) => store.write(context('create'), (tx) => tx.create(input.build()));

    describe('create', () => {
      it('assigns uid, generation 1, resourceVersion = the revision, creationTimestamp from the clock, no status', async () => {
        const object = await create(nodeInput('n1').label('zone', 'a'));
        expect(object).toEqual({
          apiVersion: 'strata.dev/v1alpha1',
          kind: 'Node',
          metadata: {
            name: 'n1',
            labels: { zone: 'a' },
            uid: 'uid-1',
            resourceVersion: '1',
            generation: 1,
            creationTimestamp: START,
          },
          spec: { gpus: 8 },
        });
        expect(object).not.toHaveProperty('status');
        expect(await store.get({ kind: 'Node', name: 'n1' })).toEqual(object);
        expect(await store.currentRevision()).toBe(1);
      });

      it('refuses an existing key with AlreadyExistsError and writes nothing', async () => {
        await create(nodeInput('n1'));
        await expect(create(nodeInput('n1').spec({ gpus: 4 }))).rejects.toBeInstanceOf(AlreadyExistsError);
        expect(await store.currentRevision()).toBe(1);
        expect((await store.get({ kind: 'Node', name: 'n1' }))?.spec).toEqual({ gpus: 8 });
      });

      it('keeps cluster-path and project objects of the same name apart', async () => {
        await create(workloadInput('p1', 'w'));
        await create(workloadInput('p2', 'w'));
        await create(new InputBuilder('Workload', 'w'));
        expect((await store.get({ kind: 'Workload', project: 'p1', name: 'w' }))?.metadata.project).toBe(
          'p1',
        );
        expect((await store.get({ kind: 'Workload', project: 'p2', name: 'w' }))?.metadata.project).toBe(
          'p2',
        );
        expect((await store.get({ kind: 'Workload', name: 'w' }))?.metadata).not.toHaveProperty('project');
        expect(await store.get({ kind: 'Workload', project: 'p3', name: 'w' })).toBeUndefined();
      });

      it('stores empty label and annotation maps as none', async () => {
        const object = await create(nodeInput('n1').labels({}));
        expect(object.metadata).not.toHaveProperty('labels');
        expect(await apply(nodeInput('n1'))).toMatchObject({ outcome: 'unchanged' });
      });
    });

    describe('update and apply', () => {
      it('apply on a missing object creates it', async () => {
        const result = await apply(nodeInput('n1'));
        expect(result.outcome).toBe('created');
        expect(result.object.metadata.generation).toBe(1);
      });

      it('update on a missing object throws NotFoundError', async () => {
        await expect(
          store.write(context('update'), (tx) => tx.update(nodeInput('n1').build())),
        ).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.currentRevision()).toBe(0);
      });

      const noOps: { rule: string; first: InputBuilder; second: InputBuilder }[] = [
        {
          rule: 'the same input',
          first: nodeInput('n1').label('a', 'b'),
          second: nodeInput('n1').label('a', 'b'),
        },
        {
          rule: 'the same spec with keys in another order',
          first: nodeInput('n1').spec({ gpus: 8, model: { name: 'H100', memory: 80 } }),
          second: nodeInput('n1').spec({ model: { memory: 80, name: 'H100' }, gpus: 8 }),
        },
        {
          rule: 'the same input carrying the current resourceVersion',
          first: nodeInput('n1'),
          second: nodeInput('n1').at('1'),
        },
      ];
      for (const verb of ['update', 'apply'] as const) {
        for (const { rule, first, second } of noOps) {
          it(`${verb} with ${rule} is unchanged: no revision, no event, no audit record`, async () => {
            const created = await apply(first);
            const audited = (await allAudit(store)).length;
            const result = await store.write(context(verb), (tx) => tx[verb](second.build()));
            expect(result).toEqual({ object: created.object, outcome: 'unchanged' });
            expect(await store.currentRevision()).toBe(1);
            expect(await allEvents(store)).toHaveLength(1);
            expect(await allAudit(store)).toHaveLength(audited);
          });
        }
      }

      const changes: { rule: string; change: InputBuilder; generation: number }[] = [
        {
          rule: 'a spec change bumps generation',
          change: nodeInput('n1').label('a', 'b').spec({ gpus: 4 }),
          generation: 2,
        },
        { rule: 'a label change keeps generation', change: nodeInput('n1').label('a', 'c'), generation: 1 },
        {
          rule: 'an omitted labels map removes the labels and keeps generation',
          change: nodeInput('n1'),
          generation: 1,
        },
        {
          rule: 'an annotation change keeps generation',
          change: nodeInput('n1').label('a', 'b').annotation('note', 'x'),
          generation: 1,
        },
        {
          rule: 'a tenant change keeps generation',
          change: nodeInput('n1').label('a', 'b').tenant('acme'),
          generation: 1,
        },
      ];
      for (const { rule, change, generation } of changes) {
        it(`${rule}; uid, creationTimestamp and status are kept`, async () => {
          await apply(nodeInput('n1').label('a', 'b'));
          await store.write(context('update-status'), (tx) =>
            tx.updateStatus({ kind: 'Node', name: 'n1' }, { ready: true }),
          );
          clock.advance(60_000);
          const result = await store.write(context('update'), (tx) => tx.update(change.build()));
          const expected = change.build();
          expect(result.outcome).toBe('configured');
          expect(result.object).toEqual({
            apiVersion: 'strata.dev/v1alpha1',
            kind: 'Node',
            metadata: {
              name: 'n1',
              ...(expected.metadata.tenant === undefined ? {} : { tenant: expected.metadata.tenant }),
              ...(expected.metadata.labels === undefined ? {} : { labels: expected.metadata.labels }),
              ...(expected.metadata.annotations === undefined
                ? {}
                : { annotations: expected.metadata.annotations }),
              uid: 'uid-1',
              resourceVersion: '3',
              generation,
              creationTimestamp: START,
            },
            spec: expected.spec,
            status: { ready: true },
          });
          expect(await store.get({ kind: 'Node', name: 'n1' })).toEqual(result.object);
        });
      }

      for (const verb of ['update', 'apply'] as const) {
        it(`${verb} with a stale resourceVersion throws StaleVersionError and never overwrites`, async () => {
          await apply(nodeInput('n1'));
          await apply(nodeInput('n1').spec({ gpus: 4 }));
          const attempt = store.write(context(verb), (tx) =>
            tx[verb](nodeInput('n1').spec({ gpus: 2 }).at('1').build()),
          );
          await expect(attempt).rejects.toBeInstanceOf(StaleVersionError);
          await expect(attempt).rejects.toMatchObject({ expected: '1', actual: '2' });
          expect((await store.get({ kind: 'Node', name: 'n1' }))?.spec).toEqual({ gpus: 4 });
          expect(await store.currentRevision()).toBe(2);
        });
      }

      it('a matching resourceVersion lets the write through', async () => {
        await apply(nodeInput('n1'));
        const result = await apply(nodeInput('n1').spec({ gpus: 4 }).at('1'));
        expect(result.outcome).toBe('configured');
      });
    });

    describe('updateStatus', () => {
      it('replaces status only: generation kept, resourceVersion bumped, audited', async () => {
        const created = (await apply(nodeInput('n1'))).object;
        const object = await store.write(context('update-status', 'node-controller'), (tx) =>
          tx.updateStatus({ kind: 'Node', name: 'n1' }, { ready: true }),
        );
        expect(object).toEqual({
          ...created,
          metadata: { ...created.metadata, resourceVersion: '2' },
          status: { ready: true },
        });
        const record = (await allAudit(store)).at(-1)!;
        expect(record).toMatchObject({
          verb: 'update-status',
          subject: { name: 'node-controller' },
          revision: 2,
          beforeDigest: objectDigest(created),
          afterDigest: objectDigest(object),
        });
      });

      it('with an identical status writes nothing', async () => {
        await apply(nodeInput('n1'));
        const key = { kind: 'Node', name: 'n1' };
        const first = await store.write(context('update-status'), (tx) =>
          tx.updateStatus(key, { a: 1, b: 2 }),
        );
        const again = await store.write(context('update-status'), (tx) =>
          tx.updateStatus(key, { b: 2, a: 1 }),
        );
        expect(again).toEqual(first);
        expect(await store.currentRevision()).toBe(2);
      });

      it('refuses a stale resourceVersion and a missing object', async () => {
        await apply(nodeInput('n1'));
        await apply(nodeInput('n1').spec({ gpus: 1 }));
        const key = { kind: 'Node', name: 'n1' };
        await expect(
          store.write(context(), (tx) => tx.updateStatus(key, { ready: true }, '1')),
        ).rejects.toBeInstanceOf(StaleVersionError);
        await expect(
          store.write(context(), (tx) => tx.updateStatus({ kind: 'Node', name: 'nope' }, {})),
        ).rejects.toBeInstanceOf(NotFoundError);
        expect(await store.currentRevision()).toBe(2);
      });
    });

    describe('delete', () => {
      it('removes the object; its DELETED event and return value carry the deleting revision', async () => {
        const created = (await apply(workloadInput('p1', 'w1'))).object;
        const deleted = await store.write(context('delete'), (tx) =>
          tx.delete({ kind: 'Workload', project: 'p1', name: 'w1' }),
        );
        const atDeletion = { ...created, metadata: { ...created.metadata, resourceVersion: '2' } };
        expect(deleted).toEqual(atDeletion);
        expect(await store.get({ kind: 'Workload', project: 'p1', name: 'w1' })).toBeUndefined();
        expect((await allEvents(store)).at(-1)).toEqual({ revision: 2, type: 'DELETED', object: atDeletion });
        const record = (await allAudit(store)).at(-1)!;
        expect(record).toMatchObject({ verb: 'delete', revision: 2, beforeDigest: objectDigest(created) });
        expect(record).not.toHaveProperty('afterDigest');
      });

      it('honours an optional precondition and refuses a missing object', async () => {
        await apply(nodeInput('n1'));
        const key = { kind: 'Node', name: 'n1' };
        await expect(store.write(context(), (tx) => tx.delete(key, '7'))).rejects.toBeInstanceOf(
          StaleVersionError,
        );
        await store.write(context(), (tx) => tx.delete(key, '1'));
        await expect(store.write(context(), (tx) => tx.delete(key))).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describe('revisions, events and transactions', () => {
      it('gives every changed object its own revision, event and audit record', async () => {
        await apply(nodeInput('n0'));
        const commits: number[] = [];
        store.onCommit((revision) => commits.push(revision));
        await store.write(context('apply', 'bob', 'req-9'), async (tx) => {
          await tx.apply(nodeInput('n1').build());
          await tx.apply(nodeInput('n0').build()); // unchanged: takes no revision
          await tx.apply(nodeInput('n2').build());
          await tx.update(nodeInput('n1').spec({ gpus: 2 }).build());
        });
        const events = await store.events(1, 10);
        expect(events.map((e) => [e.revision, e.type, e.object.metadata.name])).toEqual([
          [2, 'ADDED', 'n1'],
          [3, 'ADDED', 'n2'],
          [4, 'MODIFIED', 'n1'],
        ]);
        expect(events.map((e) => e.object.metadata.resourceVersion)).toEqual(['2', '3', '4']);
        const audit = (await allAudit(store)).slice(1);
        expect(audit.map((r) => [r.seq, r.revision, r.object.name, r.requestId, r.subject.name])).toEqual([
          [2, 2, 'n1', 'req-9', 'bob'],
          [3, 3, 'n2', 'req-9', 'bob'],
          [4, 4, 'n1', 'req-9', 'bob'],
        ]);
        expect(commits).toEqual([4]);
        expect(await store.currentRevision()).toBe(4);
      });

      it('a callback that throws after a write leaves no object, event, audit record or revision', async () => {
        await apply(nodeInput('n0'));
        const commits: number[] = [];
        store.onCommit((revision) => commits.push(revision));
        const failure = new Error('boom');
        await expect(
          store.write(context(), async (tx) => {
            await tx.create(nodeInput('n1').build());
            expect(await tx.get({ kind: 'Node', name: 'n1' })).toBeDefined();
            throw failure;
          }),
        ).rejects.toBe(failure);
        expect(await store.get({ kind: 'Node', name: 'n1' })).toBeUndefined();
        expect(await allEvents(store)).toHaveLength(1);
        expect(await allAudit(store)).toHaveLength(1);
        expect(await store.currentRevision()).toBe(1);
        expect(commits).toEqual([]);
        // The next write continues the sequences as if the failed one never happened.
        expect((await apply(nodeInput('n2'))).object.metadata.resourceVersion).toBe('2');
        expect(verifyChain(await allAudit(store))).toMatchObject({ ok: true, count: 2 });
      });

      it('rolls back operations the callback started but did not await', async () => {
        await expect(
          store.write(context(), async (tx) => {
            void tx.create(nodeInput('n1').build());
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        // Give a stray statement time to land outside the transaction, were the store to let it.
        await new Promise((resolve) => setTimeout(resolve, 50));
        expect(await store.get({ kind: 'Node', name: 'n1' })).toBeUndefined();
        expect(await store.events(0, 10)).toEqual([]);
      });

      it('commits operations the callback started but did not await', async () => {
        await store.write(context(), async (tx) => {
          void tx.create(nodeInput('n1').build());
        });
        expect(await store.get({ kind: 'Node', name: 'n1' })).toBeDefined();
      });

      it('a domain error the callback catches does not stop the rest of the transaction', async () => {
        await apply(nodeInput('n1'));
        await store.write(context(), async (tx) => {
          await expect(tx.create(nodeInput('n1').build())).rejects.toBeInstanceOf(AlreadyExistsError);
          await tx.create(nodeInput('n2').build());
        });
        expect(await store.get({ kind: 'Node', name: 'n2' })).toBeDefined();
        expect(await store.currentRevision()).toBe(2);
      });

      it('refuses a WriteTx used after its write has returned', async () => {
        const leaked = await store.write(context(), async (tx) => tx);
        await expect(leaked.create(nodeInput('n1').build())).rejects.toThrow(/ended/);
        expect(await store.get({ kind: 'Node', name: 'n1' })).toBeUndefined();
      });

      it('events(after, limit) returns the log oldest first from after', async () => {
        for (const n of ['a', 'b', 'c', 'd']) await apply(nodeInput(n));
        expect((await store.events(0, 2)).map((e) => e.revision)).toEqual([1, 2]);
        expect((await store.events(2, 10)).map((e) => e.revision)).toEqual([3, 4]);
        expect(await store.events(4, 10)).toEqual([]);
      });

      it('onCommit fires after commit, when the change is readable, and stops after unsubscribe', async () => {
        const seen: (ApiObject | undefined)[] = [];
        const unsubscribe = store.onCommit(() => {
          void store.get({ kind: 'Node', name: 'n1' }).then((object) => seen.push(object));
        });
        await apply(nodeInput('n1'));
        await apply(nodeInput('n1')); // unchanged: no commit notification
        await expect.poll(() => seen.length).toBe(1);
        expect(seen[0]?.metadata.name).toBe('n1');
        unsubscribe();
        await apply(nodeInput('n2'));
        expect(seen).toHaveLength(1);
      });

      it('a throwing listener does not fail a committed write', async () => {
        store.onCommit(() => {
          throw new Error('listener bug');
        });
        const warned = new Promise((resolve) => process.once('warning', resolve));
        await expect(apply(nodeInput('n1'))).resolves.toMatchObject({ outcome: 'created' });
        await warned;
      });

      it('serialises ~200 concurrent writes: revisions distinct and contiguous, chain intact', async () => {
        const writes = Array.from({ length: 200 }, (_, i) =>
          i % 4 === 3
            ? apply(nodeInput('shared').spec({ round: i }))
            : apply(workloadInput(`p${i % 3}`, `w${i}`).label('i', String(i))),
        );
        const results = await Promise.all(writes);
        const revisions = results.map((r) => Number(r.object.metadata.resourceVersion)).sort((a, b) => a - b);
        expect(revisions).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
        expect((await allEvents(store)).map((e) => e.revision)).toEqual(revisions);
        const audit = await allAudit(store);
        expect(audit).toHaveLength(200);
        expect(verifyChain(audit)).toMatchObject({ ok: true, count: 200 });
      });
      it('concurrent writes that fail roll back alone; the writes around them commit', async () => {
        const writes = Array.from({ length: 60 }, (_, i) =>
          store.write(context(), async (tx) => {
            await tx.create(nodeInput(`n${i}`).build());
            if (i % 7 === 3) throw new Error(`write ${i} fails`);
            return i;
          }),
        );
        const settled = await Promise.allSettled(writes);
        const failed = settled.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
        expect(failed).toEqual([3, 10, 17, 24, 31, 38, 45, 52, 59]);
        const listed = (await store.list({ kind: 'Node' })).items.map((o) =>
          Number(o.metadata.name.slice(1)),
        );
        expect(listed.sort((a, b) => a - b)).toEqual(
          settled.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : [])),
        );
        const events = await allEvents(store);
        expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
        expect(await store.currentRevision()).toBe(51);
        expect(verifyChain(await allAudit(store))).toMatchObject({ ok: true, count: 51 });
      });

      it('of concurrent updates carrying the same resourceVersion, exactly one wins', async () => {
        await apply(nodeInput('n1'));
        const settled = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => apply(nodeInput('n1').spec({ gpus: i }).at('1'))),
        );
        expect(settled.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of settled) {
          if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StaleVersionError);
        }
        expect(await store.currentRevision()).toBe(2);
      });

      it('a concurrent appendAudit takes its place in the chain between object writes', async () => {
        const denied = {
          time: START,
          requestId: 'r',
          subject: { name: 'mallory' },
          verb: 'delete',
          object: { kind: 'Node', name: 'n1' },
          outcome: 'denied' as const,
        };
        await Promise.all([apply(nodeInput('n1')), store.appendAudit(denied), apply(nodeInput('n2'))]);
        const audit = await allAudit(store);
        expect(audit.map((r) => r.outcome)).toEqual(['allowed', 'denied', 'allowed']);
        expect(verifyChain(audit)).toMatchObject({ ok: true, count: 3 });
      });
    });

    describe('list', () => {
      async function seed(): Promise<void> {
        await store.write(context(), async (tx) => {
          for (const [project, name, tenant] of [
            ['p2', 'b', 'acme'],
            ['p1', 'c', 'acme'],
            ['p1', 'a', 'beta'],
            ['p2', 'a', 'beta'],
            ['p1', 'b', 'acme'],
          ] as const) {
            await tx.apply(workloadInput(project, name).tenant(tenant).build());
          }
          await tx.apply(new InputBuilder('Workload', 'z').build());
          await tx.apply(nodeInput('n1').build());
        });
      }
      const names = (items: readonly ApiObject[]) =>
        items.map((o) => `${o.metadata.project ?? ''}/${o.metadata.name}`);

      it('orders by (project, name), cluster-path objects first, one kind only', async () => {
        await seed();
        const result = await store.list({ kind: 'Workload' });
        expect(names(result.items)).toEqual(['/z', 'p1/a', 'p1/b', 'p1/c', 'p2/a', 'p2/b']);
        expect(result.revision).toBe(7);
        expect(result.continue).toBeUndefined();
      });

      it('filters by project and by tenant', async () => {
        await seed();
        expect(names((await store.list({ kind: 'Workload', project: 'p1' })).items)).toEqual([
          'p1/a',
          'p1/b',
          'p1/c',
        ]);
        expect(names((await store.list({ kind: 'Workload', tenant: 'beta' })).items)).toEqual([
          'p1/a',
          'p2/a',
        ]);
      });

      async function pages(limit: number, filter?: (o: ApiObject) => boolean): Promise<string[][]> {
        const out: string[][] = [];
        let token: string | undefined;
        do {
          const page = await store.list({
            kind: 'Workload',
            limit,
            ...(filter === undefined ? {} : { filter }),
            ...(token === undefined ? {} : { continue: token }),
          });
          out.push(names(page.items));
          token = page.continue;
        } while (token !== undefined);
        return out;
      }

      it('pages with limit and continue, visiting each object once and ending without an empty page', async () => {
        await seed();
        expect(await pages(2)).toEqual([
          ['/z', 'p1/a'],
          ['p1/b', 'p1/c'],
          ['p2/a', 'p2/b'],
        ]);
        expect(await pages(4)).toEqual([
          ['/z', 'p1/a', 'p1/b', 'p1/c'],
          ['p2/a', 'p2/b'],
        ]);
      });

      it('applies the filter inside the paging loop, so a page holds up to limit matches', async () => {
        await seed();
        const acme = (o: ApiObject) => o.metadata.tenant === 'acme';
        expect(await pages(2, acme)).toEqual([['p1/b', 'p1/c'], ['p2/b']]);
        expect(await pages(3, acme)).toEqual([['p1/b', 'p1/c', 'p2/b']]);
      });

      it('pages through many more objects than one read batch', async () => {
        await store.write(context(), async (tx) => {
          for (let i = 0; i < 700; i++) {
            await tx.create(workloadInput('p', `w${String(i).padStart(4, '0')}`).build());
          }
        });
        const odd = (o: ApiObject) => Number(o.metadata.name.slice(1)) % 2 === 1;
        const result = await pages(300, odd);
        expect(result.map((p) => p.length)).toEqual([300, 50]);
        expect(result.flat()).toEqual(
          Array.from({ length: 350 }, (_, i) => `p/w${String(2 * i + 1).padStart(4, '0')}`),
        );
      });

      it('reports the revision it reflects, and continues consistently after later writes', async () => {
        await seed();
        const first = await store.list({ kind: 'Workload', limit: 3 });
        await apply(workloadInput('p0', 'new'));
        await apply(workloadInput('p1', 'aa'));
        const second = await store.list({ kind: 'Workload', limit: 10, continue: first.continue! });
        expect(first.revision).toBe(7);
        expect(second.revision).toBe(9);
        expect(names(second.items)).toEqual(['p1/c', 'p2/a', 'p2/b']);
      });

      it('rejects a continue token it did not issue', async () => {
        await expect(store.list({ kind: 'Workload', continue: 'not-a-token' })).rejects.toBeInstanceOf(
          BadContinueTokenError,
        );
      });
    });

    describe('audit', () => {
      it('records each mutation with verb, subject, request, time, object, outcome, digests and revision', async () => {
        clock.advance(1_500);
        const { object } = await store.write(
          { requestId: 'req-42', subject: { name: 'alice', tenant: 'acme' }, verb: 'create' },
          (tx) => tx.apply(workloadInput('p1', 'w1').build()),
        );
        expect(await store.readAudit(0, 10)).toEqual([
          {
            seq: 1,
            prevHash: '0'.repeat(64),
            hash: expect.stringMatching(/^[0-9a-f]{64}$/),
            time: '2026-03-01T12:00:01.500Z',
            requestId: 'req-42',
            subject: { name: 'alice', tenant: 'acme' },
            verb: 'create',
            object: { kind: 'Workload', name: 'w1', tenant: 'acme', project: 'p1' },
            outcome: 'allowed',
            afterDigest: objectDigest(object),
            revision: 1,
          },
        ]);
      });

      it('appendAudit shares the chain with mutation records, and readAudit returns exactly what was appended', async () => {
        await apply(nodeInput('n1'));
        const denied = await store.appendAudit({
          time: clock.now().toISOString(),
          requestId: 'req-2',
          subject: { name: 'mallory' },
          verb: 'delete',
          object: { kind: 'Node', name: 'n1' },
          outcome: 'denied',
          code: 403,
          reason: 'no role binding allows delete on nodes',
        });
        await apply(nodeInput('n2'));
        const records = await allAudit(store);
        expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
        expect(records[1]).toEqual(denied);
        expect(records[1]!.prevHash).toBe(records[0]!.hash);
        expect(records[2]!.prevHash).toBe(denied.hash);
        expect(verifyChain(records)).toEqual({ ok: true, count: 3, head: records[2]!.hash });
        expect((await store.readAudit(1, 1)).map((r) => r.seq)).toEqual([2]);
        // Audit records take no revision of their own.
        expect(await store.currentRevision()).toBe(2);
      });

      it('continues the chain and the revisions across a restart', async () => {
        await apply(nodeInput('n1'));
        await store.appendAudit({
          time: START,
          requestId: 'r',
          subject: { name: 'x' },
          verb: 'get',
          object: { kind: 'Node' },
          outcome: 'denied',
        });
        store = await harness.reopen();
        expect(await store.currentRevision()).toBe(1);
        const { object } = await apply(nodeInput('n2'));
        expect(object.metadata.resourceVersion).toBe('2');
        const records = await allAudit(store);
        expect(records.map((r) => r.seq)).toEqual([1, 2, 3]);
        expect(verifyChain(records)).toMatchObject({ ok: true, count: 3 });
      });
    });

    describe('tokens', () => {
      it('inserts, finds and lists tokens, auditing without the secret hash and without a revision', async () => {
        const token = tokenRecord('tok1', { tenant: 'acme', description: 'ci' });
        await store.write(context('create'), (tx) => tx.insertToken(token));
        await store.write(context('create'), (tx) => tx.insertToken(tokenRecord('tok0')));
        expect(await store.findToken('tok1')).toEqual(token);
        expect(await store.findToken('nope')).toBeUndefined();
        expect((await store.listTokens()).map((t) => t.id)).toEqual(['tok0', 'tok1']);
        expect(await store.currentRevision()).toBe(0);
        expect(await allEvents(store)).toEqual([]);
        const [record] = await allAudit(store);
        expect(record).toMatchObject({
          verb: 'create',
          object: { kind: 'Token', name: 'tok1', tenant: 'acme' },
        });
        expect(JSON.stringify(await allAudit(store))).not.toContain('secret-hash-of');
      });

      it('refuses a duplicate token id', async () => {
        await store.write(context(), (tx) => tx.insertToken(tokenRecord('tok1')));
        await expect(
          store.write(context(), (tx) => tx.insertToken(tokenRecord('tok1'))),
        ).rejects.toBeInstanceOf(AlreadyExistsError);
      });

      it('revokes a token at the clock time, audited once; revoking again changes nothing', async () => {
        await store.write(context('create'), (tx) => tx.insertToken(tokenRecord('tok1')));
        clock.advance(5_000);
        const revoked = await store.write(context('revoke'), (tx) => tx.revokeToken('tok1'));
        expect(revoked.revokedAt).toBe('2026-03-01T12:00:05.000Z');
        expect(await store.findToken('tok1')).toEqual(revoked);
        clock.advance(5_000);
        expect(await store.write(context('revoke'), (tx) => tx.revokeToken('tok1'))).toEqual(revoked);
        const audit = await allAudit(store);
        expect(audit.map((r) => r.verb)).toEqual(['create', 'revoke']);
        expect(verifyChain(audit).ok).toBe(true);
        await expect(store.write(context(), (tx) => tx.revokeToken('nope'))).rejects.toBeInstanceOf(
          NotFoundError,
        );
      });
    });

    describe('leases', () => {
      // Leases expire by the database's clock, so these tests wait in real time.
      const TTL = 300;
      const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      const fenced = (holder: string, epoch: number) => ({
        ...context('apply'),
        fence: { lease: 'ctl', holder, epoch },
      });

      it('the first holder takes a free lease at epoch 1 and the change of holder is audited', async () => {
        const lease = await store.acquireLease('ctl', 'a', TTL);
        expect(lease).toMatchObject({ name: 'ctl', holder: 'a', epoch: 1 });
        expect(await store.readLease('ctl')).toEqual(lease);
        const audit = await allAudit(store);
        expect(audit.map((r) => [r.verb, r.subject.name, r.object.kind])).toEqual([
          ['acquire-lease', 'a', 'Lease'],
        ]);
      });

      it('nobody else gets an unexpired lease; its holder renews it under the same epoch', async () => {
        const first = await store.acquireLease('ctl', 'a', TTL);
        expect(await store.acquireLease('ctl', 'b', TTL)).toBeUndefined();
        const renewed = await store.acquireLease('ctl', 'a', TTL);
        expect(renewed?.epoch).toBe(first?.epoch);
        expect(renewed!.expiresAtMs).toBeGreaterThanOrEqual(first!.expiresAtMs);
        expect((await allAudit(store)).length).toBe(1);
      });

      it('an expired lease goes to the next holder under the next epoch', async () => {
        await store.acquireLease('ctl', 'a', TTL);
        await sleep(TTL + 100);
        expect(await store.acquireLease('ctl', 'b', TTL)).toMatchObject({ holder: 'b', epoch: 2 });
        expect(await store.acquireLease('ctl', 'a', TTL)).toBeUndefined();
      });

      it('a released lease can be taken at once', async () => {
        await store.acquireLease('ctl', 'a', 60_000);
        await store.releaseLease('ctl', 'a');
        expect(await store.acquireLease('ctl', 'b', TTL)).toMatchObject({ holder: 'b', epoch: 2 });
      });

      it('a write fenced by the current holder and epoch commits', async () => {
        const lease = await store.acquireLease('ctl', 'a', 60_000);
        await store.write(fenced('a', lease!.epoch), (tx) => tx.apply(nodeInput('n1').build()));
        expect(await store.get({ kind: 'Node', name: 'n1' })).toBeDefined();
      });

      it.each([
        ['a deposed holder', 'a', 1],
        ['a stale epoch of the current holder', 'b', 1],
      ])('refuses a write fenced by %s, and writes nothing of it', async (_what, holder, epoch) => {
        await store.acquireLease('ctl', 'a', TTL);
        await sleep(TTL + 100);
        await store.acquireLease('ctl', 'b', 60_000);
        const revision = await store.currentRevision();
        await expect(
          store.write(fenced(holder, epoch), (tx) => tx.apply(nodeInput('late').build())),
        ).rejects.toBeInstanceOf(FencedError);
        expect(await store.get({ kind: 'Node', name: 'late' })).toBeUndefined();
        expect(await store.currentRevision()).toBe(revision);
      });

      it('refuses a write fenced by a lease that expired with nobody taking it over', async () => {
        const lease = await store.acquireLease('ctl', 'a', TTL);
        await sleep(TTL + 100);
        await expect(
          store.write(fenced('a', lease!.epoch), (tx) => tx.apply(nodeInput('late').build())),
        ).rejects.toBeInstanceOf(FencedError);
      });
    });

    it('rejects calls after close', async () => {
      await store.close();
      await expect(store.get({ kind: 'Node', name: 'n1' })).rejects.toThrow(/closed/);
    });
  });
}
