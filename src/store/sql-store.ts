import { CompiledQuery, type Kysely } from 'kysely';
import type { AuditInput, AuditRecord } from '../governance/audit/audit-event.js';
import { chainRecord } from '../governance/audit/chain.js';
import type { ApiObject, ObjectKey } from '../model/object.js';
import type { Clock } from '../runtime/clock.js';
import type { IdGenerator } from '../runtime/ids.js';
import { decodeContinue, encodeContinue, type ListPosition } from './continue-token.js';
import { RevisionGoneError } from './errors.js';
import type { Database } from './schema.js';
import type { SqlDialect } from './sql-dialect.js';
import * as q from './sql-queries.js';
import { SqlWriteTx } from './sql-write-tx.js';
import type {
  ListQuery,
  ListResult,
  MutationContext,
  Store,
  StoreEvent,
  TokenRecord,
  WriteTx,
} from './store.js';

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

/** With a filter most rows may be rejected; read in batches at least this big so a page takes few round trips. */
const FILTERED_BATCH = 256;

/**
 * The Store over any SQL engine Kysely speaks. Dialect differences live in
 * SqlDialect; the statements in sql-queries.ts.
 *
 * Writes are serialised by the engine (SqlDialect.beginWrite), which is what
 * makes revisions gap-free and the audit chain linear even with several
 * processes on one database. Do not call `write` from inside a write
 * callback: with SQLite's single writer connection it would wait forever.
 */
export class SqlStore implements Store {
  readonly #writer: Kysely<Database>;
  readonly #reader: Kysely<Database>;
  readonly #dialect: SqlDialect;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  readonly #listeners = new Set<(revision: number) => void>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #closed = false;

  constructor(options: SqlStoreOptions) {
    this.#writer = options.writer;
    this.#reader = options.reader;
    this.#dialect = options.dialect;
    this.#clock = options.clock;
    this.#ids = options.ids;
  }

  get(key: ObjectKey): Promise<ApiObject | undefined> {
    return this.#track(() => q.readObject(this.#reader, key));
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
      const revision = await q.readRevision(conn);
      const items: ApiObject[] = [];
      let last: q.ListRow | undefined;
      for (;;) {
        const rows = await q.listObjects(conn, query, after, batch);
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

  async write<T>(context: MutationContext, fn: (tx: WriteTx) => Promise<T>): Promise<T> {
    const { result, revision } = await this.#writeTransaction(async (conn) => {
      const tx = new SqlWriteTx(conn, context, this.#clock, this.#ids);
      try {
        const result = await fn(tx);
        return { result, revision: await tx.finish() };
      } catch (error) {
        await tx.abandon();
        throw error;
      }
    });
    if (revision !== undefined) this.#notify(revision);
    return result;
  }

  events(after: number, limit: number): Promise<readonly StoreEvent[]> {
    if (limit < 1) return Promise.resolve([]);
    return this.#read(async (conn) => {
      const events = await q.readEvents(conn, after, limit);
      // Revisions have no gaps, so an event log that does not continue right after
      // `after` has been compacted past it.
      const first = events[0];
      if (first !== undefined && first.revision > after + 1)
        throw new RevisionGoneError(after, first.revision - 1);
      if (first === undefined) {
        const current = await q.readRevision(conn);
        if (after < current) throw new RevisionGoneError(after, current);
      }
      return events;
    });
  }

  currentRevision(): Promise<number> {
    return this.#track(() => q.readRevision(this.#reader));
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
    return this.#writeTransaction(async (conn) => {
      const record = chainRecord(await q.readAuditHead(conn), input);
      await q.insertAudit(conn, record);
      return record;
    });
  }

  readAudit(after: number, limit: number): Promise<readonly AuditRecord[]> {
    return this.#track(() => q.readAudit(this.#reader, after, limit));
  }

  findToken(id: string): Promise<TokenRecord | undefined> {
    return this.#track(() => q.readToken(this.#reader, id));
  }

  listTokens(): Promise<readonly TokenRecord[]> {
    return this.#track(() => q.listTokens(this.#reader));
  }

  /** Waits for running operations, then closes the connections; later calls reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled(this.#inFlight);
    await this.#reader.destroy();
    if (this.#writer !== this.#reader) await this.#writer.destroy();
  }

  #writeTransaction<T>(body: (conn: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.#track(() =>
      this.#writer.connection().execute(async (conn) => {
        await this.#dialect.beginWrite(conn);
        try {
          const result = await body(conn);
          await conn.executeQuery(COMMIT);
          return result;
        } catch (error) {
          // The engine may already have rolled back (SQLite does on some I/O errors);
          // the error worth reporting is the one that got us here.
          await conn.executeQuery(ROLLBACK).catch(() => undefined);
          throw error;
        }
      }),
    );
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
    for (const listener of this.#listeners) {
      try {
        listener(revision);
      } catch (error) {
        process.emitWarning(`a store commit listener threw: ${String(error)}`, 'StoreListenerWarning');
      }
    }
  }
}
