import type { Kysely } from 'kysely';
import type { AuditInput, AuditObjectRef } from '../governance/audit/audit-event.js';
import { canonicallyEqual } from '../governance/audit/canonical-json.js';
import { type ChainLink, chainRecord } from '../governance/audit/chain.js';
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
import * as q from './sql-queries.js';
import type { EventType, MutationContext, TokenRecord, WriteResult, WriteTx } from './store.js';

/** The revision and audit chain head as this transaction has moved them. */
interface Head {
  revision: number;
  audit: ChainLink | undefined;
}

/**
 * The WriteTx of one SqlStore.write: every change it makes takes the next
 * revision, and writes its object row, one event and one audit record.
 *
 * Operations run one at a time even when the caller does not await them, so
 * revisions and seqs are handed out in the order statements reach the
 * connection. A failure after a change has started writing poisons the
 * transaction: whatever the caller does with the error, it cannot commit.
 */
export class SqlWriteTx implements WriteTx {
  readonly #conn: Kysely<Database>;
  readonly #context: MutationContext;
  readonly #clock: Clock;
  readonly #ids: IdGenerator;
  #head: Head | undefined;
  #startRevision = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #ended = false;
  #failure: { readonly error: unknown } | undefined;

  constructor(conn: Kysely<Database>, context: MutationContext, clock: Clock, ids: IdGenerator) {
    this.#conn = conn;
    this.#context = context;
    this.#clock = clock;
    this.#ids = ids;
  }

  get(key: ObjectKey): Promise<ApiObject | undefined> {
    return this.#exclusive(() => q.readObject(this.#conn, key));
  }

  create(input: ObjectInput): Promise<ApiObject> {
    return this.#exclusive(async () => {
      const key = keyOf(input);
      if ((await q.readObject(this.#conn, key)) !== undefined) throw new AlreadyExistsError(key);
      return this.#insert(input);
    });
  }

  update(input: ObjectInput): Promise<WriteResult> {
    return this.#exclusive(async () => {
      const key = keyOf(input);
      const stored = await q.readObject(this.#conn, key);
      if (stored === undefined) throw new NotFoundError(key);
      return this.#replace(key, stored, input);
    });
  }

  apply(input: ObjectInput): Promise<WriteResult> {
    return this.#exclusive(async () => {
      const key = keyOf(input);
      const stored = await q.readObject(this.#conn, key);
      if (stored === undefined) return { object: await this.#insert(input), outcome: 'created' };
      return this.#replace(key, stored, input);
    });
  }

  updateStatus(key: ObjectKey, status: unknown, expectedResourceVersion?: string): Promise<ApiObject> {
    return this.#exclusive(async () => {
      const stored = await q.readObject(this.#conn, key);
      if (stored === undefined) throw new NotFoundError(key);
      checkPrecondition(key, stored, expectedResourceVersion);
      // An identical status is not a change: writing it anyway would wake every watcher, and a
      // controller that reconciles on its own status events would loop forever.
      if (canonicallyEqual(stored.status, status)) return stored;
      const revision = (await this.#loadHead()).revision + 1;
      const next = statusReplaced(stored, status, revision);
      await this.#change(revision, 'MODIFIED', next, stored, next, () => q.updateObject(this.#conn, next));
      return next;
    });
  }

  delete(key: ObjectKey, expectedResourceVersion?: string): Promise<ApiObject> {
    return this.#exclusive(async () => {
      const stored = await q.readObject(this.#conn, key);
      if (stored === undefined) throw new NotFoundError(key);
      checkPrecondition(key, stored, expectedResourceVersion);
      const revision = (await this.#loadHead()).revision + 1;
      const gone = atRevision(stored, revision);
      await this.#change(revision, 'DELETED', gone, stored, undefined, () => q.deleteObject(this.#conn, key));
      return gone;
    });
  }

  insertToken(token: TokenRecord): Promise<void> {
    return this.#exclusive(async () => {
      const key = { kind: 'Token', name: token.id };
      if ((await q.readToken(this.#conn, token.id)) !== undefined) throw new AlreadyExistsError(key);
      await this.#loadHead();
      await this.#guard(async () => {
        await q.insertToken(this.#conn, token);
        await this.#audit(tokenRef(token), { afterDigest: objectDigest(publicPart(token)) });
      });
    });
  }

  revokeToken(id: string): Promise<TokenRecord> {
    return this.#exclusive(async () => {
      const stored = await q.readToken(this.#conn, id);
      if (stored === undefined) throw new NotFoundError({ kind: 'Token', name: id });
      // Revoking twice keeps the first revocation time and writes nothing.
      if (stored.revokedAt !== undefined) return stored;
      const revoked: TokenRecord = { ...stored, revokedAt: this.#now() };
      await this.#loadHead();
      await this.#guard(async () => {
        await q.markTokenRevoked(this.#conn, id, revoked.revokedAt!);
        await this.#audit(tokenRef(stored), {
          beforeDigest: objectDigest(publicPart(stored)),
          afterDigest: objectDigest(publicPart(revoked)),
        });
      });
      return revoked;
    });
  }

  /**
   * Ends the transaction successfully: waits for operations still running,
   * then records the new revision. Returns it when objects changed, else
   * undefined. Throws the error that poisoned the transaction, if any.
   */
  async finish(): Promise<number | undefined> {
    this.#ended = true;
    await this.#queue;
    if (this.#failure) throw this.#failure.error;
    if (this.#head === undefined || this.#head.revision === this.#startRevision) return undefined;
    await q.writeRevision(this.#conn, this.#head.revision);
    return this.#head.revision;
  }

  /**
   * Ends the transaction before a rollback: refuses new operations and waits
   * for running ones, so none of their statements can reach the connection
   * after the rollback, outside any transaction.
   */
  async abandon(): Promise<void> {
    this.#ended = true;
    await this.#queue;
  }

  async #insert(input: ObjectInput): Promise<ApiObject> {
    const revision = (await this.#loadHead()).revision + 1;
    const object = createdObject(input, this.#ids(), revision, this.#now());
    await this.#change(revision, 'ADDED', object, undefined, object, () =>
      q.insertObject(this.#conn, object),
    );
    return object;
  }

  async #replace(key: ObjectKey, stored: ApiObject, input: ObjectInput): Promise<WriteResult> {
    checkPrecondition(key, stored, input.metadata.resourceVersion);
    const change = contentChange(stored, input);
    if (!change.spec && !change.metadata) return { object: stored, outcome: 'unchanged' };
    const revision = (await this.#loadHead()).revision + 1;
    const object = replacedObject(stored, input, revision, change.spec);
    await this.#change(revision, 'MODIFIED', object, stored, object, () =>
      q.updateObject(this.#conn, object),
    );
    return { object, outcome: 'configured' };
  }

  /** Writes one object change at `revision`: the row (via `writeRow`), its event and its audit record. */
  async #change(
    revision: number,
    type: EventType,
    eventObject: ApiObject,
    before: ApiObject | undefined,
    after: ApiObject | undefined,
    writeRow: () => Promise<void>,
  ): Promise<void> {
    await this.#guard(async () => {
      await writeRow();
      await q.insertEvent(this.#conn, { revision, type, object: eventObject });
      const m = eventObject.metadata;
      await this.#audit(
        {
          kind: eventObject.kind,
          name: m.name,
          ...(m.tenant === undefined ? undefined : { tenant: m.tenant }),
          ...(m.project === undefined ? undefined : { project: m.project }),
        },
        {
          ...(before === undefined ? undefined : { beforeDigest: objectDigest(before) }),
          ...(after === undefined ? undefined : { afterDigest: objectDigest(after) }),
          revision,
        },
      );
      this.#head!.revision = revision;
    });
  }

  async #audit(
    object: AuditObjectRef,
    details: Pick<AuditInput, 'beforeDigest' | 'afterDigest' | 'revision'>,
  ) {
    const { subject } = this.#context;
    const record = chainRecord(this.#head!.audit, {
      time: this.#now(),
      requestId: this.#context.requestId,
      subject:
        subject.tenant === undefined
          ? { name: subject.name }
          : { name: subject.name, tenant: subject.tenant },
      verb: this.#context.verb,
      object,
      outcome: 'allowed',
      ...details,
    });
    await q.insertAudit(this.#conn, record);
    this.#head!.audit = { seq: record.seq, hash: record.hash };
  }

  /** Read once, on the first change, inside the transaction: a transaction that changes nothing reads nothing. */
  async #loadHead(): Promise<Head> {
    if (this.#head === undefined) {
      const revision = await q.readRevision(this.#conn);
      this.#head = { revision, audit: await q.readAuditHead(this.#conn) };
      this.#startRevision = revision;
    }
    return this.#head;
  }

  /** Any error once writing has begun leaves rows half-written: remember it so the transaction cannot commit. */
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
