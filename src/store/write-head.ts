import type { Kysely } from 'kysely';
import type { AuditInput, AuditRecord } from '../governance/audit/audit-event.js';
import { type ChainLink, chainRecord } from '../governance/audit/chain.js';
import type { Database } from './schema.js';
import type { SqlQueries } from './sql-queries.js';

/** Where the head stood when a write began, to go back to if that write is rolled back. */
export type HeadMark = { readonly revision: number; readonly audit: ChainLink | undefined } | undefined;

/**
 * The global revision and the audit chain head as one open write transaction
 * has moved them. Read from the database the first time a change needs them,
 * inside the transaction and never carried over from an earlier one, so the
 * sequences continue across restarts and across processes sharing the database.
 */
export class WriteHead {
  readonly #q: SqlQueries;
  #loaded: { start: number; revision: number; audit: ChainLink | undefined } | undefined;

  constructor(queries: SqlQueries) {
    this.#q = queries;
  }

  /** The revision the next object change takes; call `took` once that change is written. */
  async nextRevision(conn: Kysely<Database>): Promise<number> {
    return (await this.#load(conn)).revision + 1;
  }

  took(revision: number): void {
    this.#loaded!.revision = revision;
  }

  /** Chains `input` after the current head and writes it. */
  async appendAudit(conn: Kysely<Database>, input: AuditInput): Promise<AuditRecord> {
    const head = await this.#load(conn);
    const record = chainRecord(head.audit, input);
    await this.#q.insertAudit(conn, record);
    head.audit = { seq: record.seq, hash: record.hash };
    return record;
  }

  mark(): HeadMark {
    return this.#loaded && { revision: this.#loaded.revision, audit: this.#loaded.audit };
  }

  restore(mark: HeadMark): void {
    if (mark === undefined) this.#loaded = undefined;
    else this.#loaded = { ...this.#loaded!, ...mark };
  }

  /** Records the new revision before commit; returns it when objects changed, else undefined. */
  async persist(conn: Kysely<Database>): Promise<number | undefined> {
    if (this.#loaded === undefined || this.#loaded.revision === this.#loaded.start) return undefined;
    await this.#q.writeRevision(conn, this.#loaded.revision);
    return this.#loaded.revision;
  }

  async #load(conn: Kysely<Database>) {
    if (this.#loaded === undefined) {
      const revision = await this.#q.readRevision(conn);
      this.#loaded = { start: revision, revision, audit: await this.#q.readAuditHead(conn) };
    }
    return this.#loaded;
  }
}
