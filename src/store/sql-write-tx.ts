import type { Kysely } from 'kysely';
import type { AuditInput, AuditObjectRef } from '../governance/audit/audit-event.js';
import { canonicallyEqual } from '../governance/audit/canonical-json.js';
import { objectDigest } from '../governance/audit/digest.js';
import type { ApiObject, ObjectInput, ObjectKey } from '../model/object.js';
import { keyOf } from '../model/object.js';
import type { Clock } from '../runtime/clock.js';
import type { IdGenerator } from '../runtime/ids.js';
import { AlreadyExistsError, NotFoundError } from './errors.js';
import {
  atRevision,
  checkPrecondition,
  contentChange,
  createdObject,
  replacedObject,
  statusReplaced,
} from './object-versioning.js';
import type { Database } from './schema.js';
import { type EncodedObject, encodeObject, type SqlQueries } from './sql-queries.js';
import type { EventType, MutationContext, TokenRecord, WriteResult, WriteTx } from './store.js';
import type { WriteHead } from './write-head.js';

/**
 * The WriteTx of one SqlStore.write: every object change takes the next
 * revision and writes its row, one event and one audit record.
 *
 * Operations run one at a time even when the caller does not await them, so
 * revisions and seqs are handed out in the order statements reach the
 * connection. A failure after a change has started writing poisons the
 * transaction: whatever the caller does with the error, it cannot commit.
 */
export class SqlWriteTx implements WriteTx {
  readonly #q: SqlQueries;
  readonly #conn: Kysely<Database>;
  readonly #context: MutationContext;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  readonly #head: WriteHead;
  #queue: Promise<unknown> = Promise.resolve();
  #ended = false;
  #failure: { readonly error: unknown } | undefined;

  constructor(
    queries: SqlQueries,
    conn: Kysely<Database>,
    context: MutationContext,
    clock: Clock,
    ids: IdGenerator,
    head: WriteHead,
  ) {
    this.#q = queries;
    this.#conn = conn;
    this.#context = context;
    this.#clock = clock;
    this.#ids = ids;
    this.#head = head;
  }

  get(key: ObjectKey): Promise<ApiObject | undefined> {
    return this.#exclusive(() => this.#q.readObject(this.#conn, key));
  }

  create(input: ObjectInput): Promise<ApiObject> {
    return this.#exclusive(async () => {
      const key = keyOf(input);
      if ((await this.#q.readObject(this.#conn, key)) !== undefined) throw new AlreadyExistsError(key);
      return this.#insert(input);
    });
  }

  update(input: ObjectInput): Promise<WriteResult> {
    return this.#exclusive(async () => {
      const key = keyOf(input);
      const stored = await this.#q.readEncoded(this.#conn, key);
      if (stored === undefined) throw new NotFoundError(key);
      return this.#replace(key, stored, input);
    });
  }

  apply(input: ObjectInput): Promise<WriteResult> {
    return this.#exclusive(async () => {
      const key = keyOf(input);
      const stored = await this.#q.readEncoded(this.#conn, key);
      if (stored === undefined) return { object: await this.#insert(input), outcome: 'created' };
      return this.#replace(key, stored, input);
    });
  }

  updateStatus(key: ObjectKey, status: unknown, expectedResourceVersion?: string): Promise<ApiObject> {
    return this.#exclusive(async () => {
      const stored = await this.#q.readEncoded(this.#conn, key);
      if (stored === undefined) throw new NotFoundError(key);
      checkPrecondition(key, stored.object, expectedResourceVersion);
      // An identical status is not a change: writing it anyway would wake every watcher, and a
      // controller that reconciles on its own status events would loop forever.
      if (canonicallyEqual(stored.object.status, status)) return stored.object;
      const revision = await this.#head.nextRevision(this.#conn);
      const next = encodeObject(statusReplaced(stored.object, status, revision));
      await this.#change(revision, 'MODIFIED', next, stored, next, () =>
        this.#q.updateObject(this.#conn, next),
      );
      return next.object;
    });
  }

  delete(key: ObjectKey, expectedResourceVersion?: string): Promise<ApiObject> {
    return this.#exclusive(async () => {
      const stored = await this.#q.readEncoded(this.#conn, key);
      if (stored === undefined) throw new NotFoundError(key);
      checkPrecondition(key, stored.object, expectedResourceVersion);
      const revision = await this.#head.nextRevision(this.#conn);
      const gone = atRevision(stored.object, revision);
      const event = { object: gone, body: JSON.stringify(gone) };
      await this.#change(revision, 'DELETED', event, stored, undefined, () =>
        this.#q.deleteObject(this.#conn, key),
      );
      return gone;
    });
  }

  insertToken(token: TokenRecord): Promise<void> {
    return this.#exclusive(async () => {
      if ((await this.#q.readToken(this.#conn, token.id)) !== undefined) {
        throw new AlreadyExistsError({ kind: 'Token', name: token.id });
      }
      await this.#guard(async () => {
        await this.#q.insertToken(this.#conn, token);
        await this.#audit(tokenRef(token), { afterDigest: objectDigest(publicPart(token)) });
      });
    });
  }

  revokeToken(id: string): Promise<TokenRecord> {
    return this.#exclusive(async () => {
      const stored = await this.#q.readToken(this.#conn, id);
      if (stored === undefined) throw new NotFoundError({ kind: 'Token', name: id });
      // Revoking twice keeps the first revocation time and writes nothing.
      if (stored.revokedAt !== undefined) return stored;
      const revokedAt = this.#now();
      const revoked: TokenRecord = { ...stored, revokedAt };
      await this.#guard(async () => {
        await this.#q.markTokenRevoked(this.#conn, id, revokedAt);
        await this.#audit(tokenRef(stored), {
          beforeDigest: objectDigest(publicPart(stored)),
          afterDigest: objectDigest(publicPart(revoked)),
        });
      });
      return revoked;
    });
  }

  /**
   * Ends the write successfully: refuses new operations and waits for those
   * still running. Throws the error that poisoned the transaction, if any.
   */
  async finish(): Promise<void> {
    this.#ended = true;
    await this.#queue;
    if (this.#failure) throw this.#failure.error;
  }

  /**
   * Ends the write before it is rolled back: refuses new operations and waits
   * for running ones, so none of their statements can reach the connection
   * after the rollback, outside the transaction.
   */
  async abandon(): Promise<void> {
    this.#ended = true;
    await this.#queue;
  }

  async #insert(input: ObjectInput): Promise<ApiObject> {
    const revision = await this.#head.nextRevision(this.#conn);
    const object = encodeObject(createdObject(input, this.#ids(), revision, this.#now()));
    await this.#change(revision, 'ADDED', object, undefined, object, () =>
      this.#q.insertObject(this.#conn, object),
    );
    return object.object;
  }

  async #replace(key: ObjectKey, stored: EncodedObject, input: ObjectInput): Promise<WriteResult> {
    checkPrecondition(key, stored.object, input.metadata.resourceVersion);
    const change = contentChange(stored.object, input);
    if (!change.spec && !change.metadata) return { object: stored.object, outcome: 'unchanged' };
    const revision = await this.#head.nextRevision(this.#conn);
    const object = encodeObject(replacedObject(stored.object, input, revision, change.spec));
    await this.#change(revision, 'MODIFIED', object, stored, object, () =>
      this.#q.updateObject(this.#conn, object),
    );
    return { object: object.object, outcome: 'configured' };
  }

  /** Writes one object change at `revision`: the row (via `writeRow`), its event and its audit record. */
  async #change(
    revision: number,
    type: EventType,
    event: Pick<EncodedObject, 'object' | 'body'>,
    before: EncodedObject | undefined,
    after: EncodedObject | undefined,
    writeRow: () => Promise<void>,
  ): Promise<void> {
    await this.#guard(async () => {
      await writeRow();
      const previousLabels = type === 'MODIFIED' ? (before?.object.metadata.labels ?? {}) : undefined;
      await this.#q.insertEvent(this.#conn, revision, type, event, previousLabels);
      const { kind, metadata: m } = event.object;
      await this.#audit(
        {
          kind,
          name: m.name,
          ...(m.tenant === undefined ? undefined : { tenant: m.tenant }),
          ...(m.project === undefined ? undefined : { project: m.project }),
        },
        {
          ...(before === undefined ? undefined : { beforeDigest: before.digest }),
          ...(after === undefined ? undefined : { afterDigest: after.digest }),
          revision,
        },
      );
      this.#head.took(revision);
    });
  }

  async #audit(
    object: AuditObjectRef,
    details: Pick<AuditInput, 'beforeDigest' | 'afterDigest' | 'revision'>,
  ): Promise<void> {
    const { requestId, subject, verb } = this.#context;
    await this.#head.appendAudit(this.#conn, {
      time: this.#now(),
      requestId,
      subject:
        subject.tenant === undefined
          ? { name: subject.name }
          : { name: subject.name, tenant: subject.tenant },
      verb,
      object,
      outcome: 'allowed',
      ...details,
    });
  }

  /** Any error once writing has begun leaves rows half-written: remember it so the write cannot commit. */
  async #guard(writes: () => Promise<void>): Promise<void> {
    try {
      await writes();
    } catch (error) {
      this.#failure ??= { error };
      throw error;
    }
  }

  #exclusive<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#ended) {
      return Promise.reject(
        new Error('this transaction has ended: use the WriteTx only inside its write() callback'),
      );
    }
    const run = this.#queue.then(() => {
      if (this.#failure) {
        throw new Error('an earlier write in this transaction failed; it will be rolled back', {
          cause: this.#failure.error,
        });
      }
      return operation();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #now(): string {
    return this.#clock.now().toISOString();
  }
}

function tokenRef(token: TokenRecord): AuditObjectRef {
  return {
    kind: 'Token',
    name: token.id,
    ...(token.tenant === undefined ? undefined : { tenant: token.tenant }),
    ...(token.project === undefined ? undefined : { project: token.project }),
  };
}

/** The token without its secret hash: what the audit trail may digest. */
function publicPart(token: TokenRecord): Omit<TokenRecord, 'secretHash'> {
  const { secretHash: _secret, ...rest } = token;
  return rest;
}
