import { CompiledQuery, type Kysely } from 'kysely';
import type { AuditInput, AuditRecord } from '../governance/audit/audit-event.js';
import type { ApiObject, ObjectKey } from '../model/object.js';
import type { Clock } from '../runtime/clock.js';
import type { IdGenerator } from '../runtime/ids.js';
import { decodeContinue, encodeContinue, type ListPosition } from './continue-token.js';
import { RevisionGoneError } from './errors.js';
import type { Database } from './schema.js';
import type { SqlDialect } from './sql-dialect.js';
import { SqlLeases } from './sql-leases.js';
import { type ListRow, SqlQueries } from './sql-queries.js';
import { SqlWriteTx } from './sql-write-tx.js';
import type {
  Lease,
  ListQuery,
  ListResult,
  MutationContext,
  Store,
  StoreEvent,
  TokenRecord,
  WriteTx,
} from './store.js';
import { WriteHead } from './write-head.js';

export interface SqlStoreOptions {
  /** Runs every write transaction. */
  readonly writer: Kysely<Database>;
  /**
   * Serves reads. The writer itself for a pooled engine; for SQLite a second
   * connection, so reads never queue behind a write transaction that is
   * waiting on its caller.
   */
  readonly reader: Kysely<Database>;
  readonly dialect: SqlDialect;
  readonly clock: Clock;
  readonly ids: IdGenerator;
}

const COMMIT = CompiledQuery.raw('commit');
const ROLLBACK = CompiledQuery.raw('rollback');
const SAVEPOINT = CompiledQuery.raw('savepoint strata_write');
const RELEASE = CompiledQuery.raw('release savepoint strata_write');
const ROLLBACK_TO = CompiledQuery.raw('rollback to savepoint strata_write');

/** At most this many writes share a commit: bounds how long the first of them waits for its answer. */
const MAX_BATCH = 64;

/** With a filter most rows may be rejected; read in batches at least this big so a page takes few round trips. */
const FILTERED_BATCH = 256;

/** A queued write: runs inside the batch transaction, answered after the commit. */
interface WriteJob {
  readonly run: (conn: Kysely<Database>, head: WriteHead) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The Store over any SQL engine Kysely speaks. Dialect differences live in
 * SqlDialect; the statements in sql-queries.ts.
 *
 * Writes go through one queue and are committed in batches (see
 * #commitBatch); the engine serialises batches against other processes
 * (SqlDialect.beginWrite). That is what makes revisions gap-free and the audit
 * chain linear. onCommit listeners hear once per commit, with the newest
 * revision. Never call `write` from inside a write callback: the inner write
 * waits in the queue behind the outer one forever.
 */
export class SqlStore implements Store {
  readonly #q: SqlQueries;
  readonly #writer: Kysely<Database>;
  readonly #reader: Kysely<Database>;
  readonly #dialect: SqlDialect;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  readonly #listeners = new Set<(revision: number) => void>();
  /** The newest revision listeners have heard: each is announced once, in increasing order. */
  #announced = 0;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #queue: WriteJob[] = [];
  readonly #leases: SqlLeases;
  #draining = false;
  #closed = false;

  constructor(options: SqlStoreOptions) {
    this.#q = new SqlQueries(options.writer);
    this.#writer = options.writer;
    this.#reader = options.reader;
    this.#dialect = options.dialect;
    this.#leases = new SqlLeases(options.dialect);
    this.#clock = options.clock;
    this.#ids = options.ids;
  }

  get(key: ObjectKey): Promise<ApiObject | undefined> {
    return this.#track(() => this.#q.readObject(this.#reader, key));
  }

  list(query: ListQuery): Promise<ListResult> {
    const { limit, filter } = query;
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
      return Promise.reject(new RangeError(`list limit must be a positive integer, got ${limit}`));
    }
    let after: ListPosition | undefined;
    try {
      after = query.continue === undefined ? undefined : decodeContinue(query.continue);
    } catch (error) {
      return Promise.reject(error);
    }
    // One more row than the page holds tells whether another page exists.
    const batch = limit === undefined ? undefined : filter ? Math.max(limit + 1, FILTERED_BATCH) : limit + 1;
    return this.#read(async (conn) => {
      const revision = await this.#q.readRevision(conn);
      const items: ApiObject[] = [];
      let last: ListRow | undefined;
      for (;;) {
        const rows = await this.#q.listObjects(conn, query, after, batch);
        for (const row of rows) {
          if (filter !== undefined && !filter(row.object)) continue;
          if (items.length === limit && last !== undefined) {
            return { items, revision, continue: encodeContinue(last) };
          }
          items.push(row.object);
          last = row;
        }
        if (batch === undefined || rows.length < batch) return { items, revision };
        after = rows[rows.length - 1];
      }
    });
  }

  write<T>(context: MutationContext, fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    return this.#enqueue(async (conn, head) => {
      if (context.fence !== undefined) await this.#leases.check(conn, context.fence);
      const tx = new SqlWriteTx(this.#q, conn, context, this.#clock, this.#ids, head);
      try {
        const result = await fn(tx);
        await tx.finish();
        return result;
      } catch (error) {
        await tx.abandon();
        throw error;
      }
    });
  }

  events(after: number, limit: number): Promise<readonly StoreEvent[]> {
    if (limit < 1) return Promise.resolve([]);
    return this.#read(async (conn) => {
      const events = await this.#q.readEvents(conn, after, limit);
      // Revisions have no gaps, so an event log that does not continue right after
      // `after` has been compacted past it.
      const first = events[0];
      if (first === undefined) {
        const current = await this.#q.readRevision(conn);
        if (after < current) throw new RevisionGoneError(after, current);
      } else if (first.revision > after + 1) {
        throw new RevisionGoneError(after, first.revision - 1);
      }
      return events;
    });
  }

  currentRevision(): Promise<number> {
    return this.#track(() => this.#q.readRevision(this.#reader));
  }

  /**
   * Tells the store that the database has reached `revision` through commits
   * it did not make (another replica): listeners hear it unless they already
   * heard it or a later one. The engine's wiring calls it (PostgreSQL:
   * LISTEN/NOTIFY and a poll).
   */
  observeRevision(revision: number): void {
    if (!this.#closed) this.#notify(revision);
  }

  onCommit(listener: (revision: number) => void): () => void {
    // Wrapped so the same function may subscribe twice and each unsubscribe removes one.
    const entry = (revision: number) => listener(revision);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  appendAudit(input: AuditInput): Promise<AuditRecord> {
    return this.#enqueue((conn, head) => head.appendAudit(conn, input));
  }

  readAudit(after: number, limit: number): Promise<readonly AuditRecord[]> {
    return this.#track(() => this.#q.readAudit(this.#reader, after, limit));
  }

  acquireLease(name: string, holder: string, ttlMs: number): Promise<Lease | undefined> {
    return this.#enqueue(async (conn, head) => {
      const { lease, takeover } = await this.#leases.acquire(conn, name, holder, ttlMs);
      if (takeover !== undefined) {
        await head.appendAudit(conn, {
          ...takeover,
          time: this.#clock.now().toISOString(),
          requestId: `lease-${name}-${lease!.epoch}`,
        });
      }
      return lease;
    });
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.#enqueue((conn) => this.#leases.release(conn, name, holder));
  }

  readLease(name: string): Promise<Lease | undefined> {
    return this.#track(() => this.#leases.read(this.#reader, name));
  }

  findToken(id: string): Promise<TokenRecord | undefined> {
    return this.#track(() => this.#q.readToken(this.#reader, id));
  }

  listTokens(): Promise<readonly TokenRecord[]> {
    return this.#track(() => this.#q.listTokens(this.#reader));
  }

  /** Waits for running operations, then closes the connections; later calls reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled(this.#inFlight);
    await this.#reader.destroy();
    if (this.#writer !== this.#reader) await this.#writer.destroy();
  }

  #enqueue<T>(run: (conn: Kysely<Database>, head: WriteHead) => Promise<T>): Promise<T> {
    return this.#track(
      () =>
        new Promise<T>((resolve, reject) => {
          this.#queue.push({ run, resolve: resolve as (value: unknown) => void, reject });
          if (!this.#draining) {
            this.#draining = true;
            // Wait for the rest of this event-loop turn: the requests read in the same poll
            // phase queue their writes too, and one commit (one fsync) then covers them all.
            setImmediate(() => void this.#drain());
          }
        }),
    );
  }

  async #drain(): Promise<void> {
    for (;;) {
      await this.#commitBatch();
      if (this.#queue.length === 0) break;
      // Let timers and I/O run between batches: on SQLite every step resolves at once, so
      // in-process writers in a closed loop would otherwise starve the HTTP server.
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.#draining = false;
  }

  /**
   * Group commit: runs the queued writes one after another in one transaction,
   * each inside a savepoint, and commits them together. A write that throws
   * rolls back to its savepoint and fails alone; the others still commit.
   * Callers are answered only after the commit, so nothing acknowledged can be
   * lost, and one fsync covers the whole batch instead of one per write.
   * Never throws: every failure is delivered to the writes it concerns.
   */
  async #commitBatch(): Promise<void> {
    const committed: { job: WriteJob; value: unknown }[] = [];
    let running: WriteJob | undefined;
    let taken = 0;
    let revision: number | undefined;
    try {
      await this.#writer.connection().execute(async (conn) => {
        await this.#dialect.beginWrite(conn);
        try {
          const head = new WriteHead(this.#q);
          while (taken < MAX_BATCH && this.#queue.length > 0) {
            running = this.#queue.shift()!;
            taken++;
            const mark = head.mark();
            await conn.executeQuery(SAVEPOINT);
            try {
              const value = await running.run(conn, head);
              await conn.executeQuery(RELEASE);
              committed.push({ job: running, value });
            } catch (error) {
              await conn.executeQuery(ROLLBACK_TO);
              await conn.executeQuery(RELEASE);
              head.restore(mark);
              running.reject(error);
            }
            running = undefined;
          }
          revision = await head.persist(conn);
          if (revision !== undefined) await this.#dialect.announceCommit?.(conn, revision);
          await conn.executeQuery(COMMIT);
        } catch (error) {
          // The engine may already have rolled back (SQLite does on some I/O errors);
          // the error worth reporting is the one that got us here.
          await conn.executeQuery(ROLLBACK).catch(() => undefined);
          throw error;
        }
      });
    } catch (error) {
      // Nothing of this batch was committed, so every write in it fails. When the
      // transaction could not even begin, fail the first waiting write so the queue moves.
      (running ?? (taken === 0 ? this.#queue.shift() : undefined))?.reject(error);
      for (const { job } of committed) job.reject(error);
      return;
    }
    if (revision !== undefined) this.#notify(revision);
    for (const { job, value } of committed) job.resolve(value);
  }

  #read<T>(body: (conn: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.#track(() =>
      this.#reader.connection().execute(async (conn) => {
        await this.#dialect.beginRead(conn);
        try {
          return await body(conn);
        } finally {
          // A read transaction has nothing to keep: ending it either way releases the snapshot.
          await conn.executeQuery(ROLLBACK);
        }
      }),
    );
  }

  #track<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('the store is closed'));
    const running = operation();
    this.#inFlight.add(running);
    const settle = () => this.#inFlight.delete(running);
    running.then(settle, settle);
    return running;
  }

  /** After commit only. A throwing listener must not turn a committed write into a reported failure. */
  #notify(revision: number): void {
    // Another process's commit may be heard twice (its notification and a poll) or late.
    if (revision <= this.#announced) return;
    this.#announced = revision;
    for (const listener of this.#listeners) {
      try {
        listener(revision);
      } catch (error) {
        process.emitWarning(`a store commit listener threw: ${String(error)}`, 'StoreListenerWarning');
      }
    }
  }
}
