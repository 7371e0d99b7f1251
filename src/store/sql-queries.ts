import type { ExpressionBuilder, Kysely } from 'kysely';
import type { AuditRecord } from '../governance/audit/audit-event.js';
import { canonicalJson } from '../governance/audit/canonical-json.js';
import type { ChainLink } from '../governance/audit/chain.js';
import { objectDigest } from '../governance/audit/digest.js';
import type { ApiObject, ObjectKey, StringMap } from '../model/object.js';
import type { ListPosition } from './continue-token.js';
import { PreparedQuery } from './prepared-query.js';
import { type Database, type TokensTable, toNumber } from './schema.js';
import type { EventType, ListQuery, StoreEvent, TokenRecord } from './store.js';

type Db = Kysely<Database>;

/** An object as written: serialised once and digested once, however many rows carry it. */
export interface EncodedObject {
  readonly object: ApiObject;
  readonly body: string;
  readonly digest: string;
}

export function encodeObject(object: ApiObject): EncodedObject {
  return { object, body: JSON.stringify(object), digest: objectDigest(object) };
}

export interface ListRow {
  readonly project: string;
  readonly name: string;
  readonly object: ApiObject;
}

/** Stored bodies are written by the store itself, so they are trusted to be ApiObjects. */
function parseObject(body: string): ApiObject {
  return JSON.parse(body) as ApiObject;
}

type KeyArgs = { kind: string; project: string; name: string };

function keyArgs(key: ObjectKey): KeyArgs {
  return { kind: key.kind, project: key.project ?? '', name: key.name };
}

type ObjectRowArgs = KeyArgs & {
  tenant: string | null;
  uid: string;
  resource_version: number;
  generation: number;
  created_at: string;
  body: string;
  digest: string;
};

function objectRowArgs({ object, body, digest }: EncodedObject): ObjectRowArgs {
  const m = object.metadata;
  return {
    kind: object.kind,
    project: m.project ?? '',
    name: m.name,
    tenant: m.tenant ?? null,
    uid: m.uid,
    resource_version: Number(m.resourceVersion),
    generation: m.generation,
    created_at: m.creationTimestamp,
    body,
    digest,
  };
}

function tokenFromRow(row: TokensTable): TokenRecord {
  return {
    id: row.id,
    secretHash: row.secret_hash,
    subject: row.subject,
    ...(row.tenant === null ? undefined : { tenant: row.tenant }),
    ...(row.project === null ? undefined : { project: row.project }),
    ...(row.description === null ? undefined : { description: row.description }),
    createdAt: row.created_at,
    ...(row.expires_at === null ? undefined : { expiresAt: row.expires_at }),
    ...(row.revoked_at === null ? undefined : { revokedAt: row.revoked_at }),
  };
}

/**
 * Every statement SqlStore runs, written once with Kysely so SQLite and
 * PostgreSQL share them, and compiled once per store (PreparedQuery) with the
 * store's dialect. Each method takes the Kysely to run on: the store's, or
 * one bound to the connection of an open transaction.
 */
export class SqlQueries {
  readonly #db: Db;
  readonly #readObject;
  readonly #readEncoded;
  readonly #insertObject;
  readonly #updateObject;
  readonly #deleteObject;
  readonly #readRevision;
  readonly #writeRevision;
  readonly #insertEvent;
  readonly #readEvents;
  readonly #readAuditHead;
  readonly #insertAudit;
  readonly #readAudit;
  readonly #readToken;
  readonly #listTokens;
  readonly #insertToken;
  readonly #revokeToken;

  /** `db` compiles the statements (no query runs): any Kysely of the dialect they will run on. */
  constructor(db: Db) {
    this.#db = db;
    const byKey =
      (a: KeyArgs) =>
      ({ eb }: { eb: ExpressionBuilder<Database, 'objects'> }) =>
        eb.and([eb('kind', '=', a.kind), eb('project', '=', a.project), eb('name', '=', a.name)]);
    this.#readObject = new PreparedQuery((a: KeyArgs) =>
      db.selectFrom('objects').select('body').where(byKey(a)),
    );
    this.#readEncoded = new PreparedQuery((a: KeyArgs) =>
      db.selectFrom('objects').select(['body', 'digest']).where(byKey(a)),
    );
    this.#insertObject = new PreparedQuery((a: ObjectRowArgs) =>
      db.insertInto('objects').values({
        kind: a.kind,
        project: a.project,
        name: a.name,
        tenant: a.tenant,
        uid: a.uid,
        resource_version: a.resource_version,
        generation: a.generation,
        created_at: a.created_at,
        body: a.body,
        digest: a.digest,
      }),
    );
    this.#updateObject = new PreparedQuery((a: ObjectRowArgs) =>
      db
        .updateTable('objects')
        .set({
          tenant: a.tenant,
          uid: a.uid,
          resource_version: a.resource_version,
          generation: a.generation,
          created_at: a.created_at,
          body: a.body,
          digest: a.digest,
        })
        .where(byKey(a)),
    );
    this.#deleteObject = new PreparedQuery((a: KeyArgs) => db.deleteFrom('objects').where(byKey(a)));
    this.#readRevision = new PreparedQuery((_: Record<string, never>) =>
      db.selectFrom('revision').select('revision').where('id', '=', 1),
    );
    this.#writeRevision = new PreparedQuery((a: { revision: number }) =>
      db.updateTable('revision').set({ revision: a.revision }).where('id', '=', 1),
    );
    this.#insertEvent = new PreparedQuery(
      (a: {
        revision: number;
        type: EventType;
        kind: string;
        project: string;
        name: string;
        tenant: string | null;
        body: string;
        previousLabels: string | null;
      }) =>
        db.insertInto('events').values({
          revision: a.revision,
          type: a.type,
          kind: a.kind,
          project: a.project,
          name: a.name,
          tenant: a.tenant,
          body: a.body,
          previous_labels: a.previousLabels,
        }),
    );
    this.#readEvents = new PreparedQuery((a: { after: number; limit: number }) =>
      db
        .selectFrom('events')
        .select(['revision', 'type', 'body', 'previous_labels'])
        .where('revision', '>', a.after)
        .orderBy('revision')
        .limit(a.limit),
    );
    this.#readAuditHead = new PreparedQuery((_: Record<string, never>) =>
      db.selectFrom('audit').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1),
    );
    this.#insertAudit = new PreparedQuery(
      (a: {
        seq: number;
        time: string;
        request_id: string;
        subject: string;
        verb: string;
        kind: string;
        project: string | null;
        name: string | null;
        tenant: string | null;
        outcome: string;
        revision: number | null;
        prev_hash: string;
        hash: string;
        body: string;
      }) =>
        db.insertInto('audit').values({
          seq: a.seq,
          time: a.time,
          request_id: a.request_id,
          subject: a.subject,
          verb: a.verb,
          kind: a.kind,
          project: a.project,
          name: a.name,
          tenant: a.tenant,
          outcome: a.outcome,
          revision: a.revision,
          prev_hash: a.prev_hash,
          hash: a.hash,
          body: a.body,
        }),
    );
    this.#readAudit = new PreparedQuery((a: { after: number; limit: number }) =>
      db.selectFrom('audit').select('body').where('seq', '>', a.after).orderBy('seq').limit(a.limit),
    );
    this.#readToken = new PreparedQuery((a: { id: string }) =>
      db.selectFrom('tokens').selectAll().where('id', '=', a.id),
    );
    this.#listTokens = new PreparedQuery((_: Record<string, never>) =>
      db.selectFrom('tokens').selectAll().orderBy('created_at').orderBy('id'),
    );
    this.#insertToken = new PreparedQuery((a: TokensTable) =>
      db.insertInto('tokens').values({
        id: a.id,
        secret_hash: a.secret_hash,
        subject: a.subject,
        tenant: a.tenant,
        project: a.project,
        description: a.description,
        created_at: a.created_at,
        expires_at: a.expires_at,
        revoked_at: a.revoked_at,
      }),
    );
    this.#revokeToken = new PreparedQuery((a: { id: string; revoked_at: string }) =>
      db.updateTable('tokens').set({ revoked_at: a.revoked_at }).where('id', '=', a.id),
    );
  }

  async readObject(db: Db, key: ObjectKey): Promise<ApiObject | undefined> {
    const row = (await this.#readObject.run(db, keyArgs(key))).rows[0];
    return row === undefined ? undefined : parseObject(row.body);
  }

  /** The stored object with its digest, for a write that will replace it. */
  async readEncoded(db: Db, key: ObjectKey): Promise<EncodedObject | undefined> {
    const row = (await this.#readEncoded.run(db, keyArgs(key))).rows[0];
    return row === undefined
      ? undefined
      : { object: parseObject(row.body), body: row.body, digest: row.digest };
  }

  async insertObject(db: Db, encoded: EncodedObject): Promise<void> {
    await this.#insertObject.run(db, objectRowArgs(encoded));
  }

  async updateObject(db: Db, encoded: EncodedObject): Promise<void> {
    await this.#updateObject.run(db, objectRowArgs(encoded));
  }

  async deleteObject(db: Db, key: ObjectKey): Promise<void> {
    await this.#deleteObject.run(db, keyArgs(key));
  }

  /**
   * Up to `limit` objects after `after`, in (project, name) order. Its shape
   * depends on the query, so it is built each time; the driver still caches
   * each shape's statement.
   */
  async listObjects(
    db: Db,
    query: ListQuery,
    after: ListPosition | undefined,
    limit: number | undefined,
  ): Promise<ListRow[]> {
    let select = this.#db
      .selectFrom('objects')
      .select(['project', 'name', 'body'])
      .where('kind', '=', query.kind);
    if (query.project !== undefined) select = select.where('project', '=', query.project);
    if (query.tenant !== undefined) select = select.where('tenant', '=', query.tenant);
    if (after !== undefined) {
      select = select.where(({ eb, refTuple, tuple }) =>
        eb(refTuple('project', 'name'), '>', tuple(after.project, after.name)),
      );
    }
    select = select.orderBy('project').orderBy('name');
    if (limit !== undefined) select = select.limit(limit);
    const { rows } = await db.executeQuery(select.compile());
    return rows.map((row) => ({ project: row.project, name: row.name, object: parseObject(row.body) }));
  }

  async readRevision(db: Db): Promise<number> {
    const row = (await this.#readRevision.run(db, {})).rows[0];
    if (row === undefined) throw new Error('the store has no revision row: its schema is damaged');
    return toNumber(row.revision);
  }

  async writeRevision(db: Db, revision: number): Promise<void> {
    await this.#writeRevision.run(db, { revision });
  }

  /** `event.body` is the event object's JSON, usually the very text just written to its row. */
  async insertEvent(
    db: Db,
    revision: number,
    type: EventType,
    event: Pick<EncodedObject, 'object' | 'body'>,
    previousLabels: StringMap | undefined,
  ): Promise<void> {
    const m = event.object.metadata;
    await this.#insertEvent.run(db, {
      revision,
      type,
      kind: event.object.kind,
      project: m.project ?? '',
      name: m.name,
      tenant: m.tenant ?? null,
      body: event.body,
      previousLabels: previousLabels === undefined ? null : JSON.stringify(previousLabels),
    });
  }

  async readEvents(db: Db, after: number, limit: number): Promise<StoreEvent[]> {
    const { rows } = await this.#readEvents.run(db, { after, limit });
    return rows.map((row) => ({
      revision: toNumber(row.revision),
      type: row.type as EventType,
      object: parseObject(row.body),
      ...(row.previous_labels !== null && { previousLabels: JSON.parse(row.previous_labels) as StringMap }),
    }));
  }

  /**
   * The last record of the chain, read from the table itself (never from
   * memory), so the chain continues across restarts and across processes.
   */
  async readAuditHead(db: Db): Promise<ChainLink | undefined> {
    const row = (await this.#readAuditHead.run(db, {})).rows[0];
    return row === undefined ? undefined : { seq: toNumber(row.seq), hash: row.hash };
  }

  async insertAudit(db: Db, record: AuditRecord): Promise<void> {
    await this.#insertAudit.run(db, {
      seq: record.seq,
      time: record.time,
      request_id: record.requestId,
      subject: record.subject.name,
      verb: record.verb,
      kind: record.object.kind,
      project: record.object.project ?? null,
      name: record.object.name ?? null,
      tenant: record.object.tenant ?? null,
      outcome: record.outcome,
      revision: record.revision ?? null,
      prev_hash: record.prevHash,
      hash: record.hash,
      body: canonicalJson(record),
    });
  }

  /** Records rebuilt from `body` alone, so a verifier checks exactly what is stored. */
  async readAudit(db: Db, after: number, limit: number): Promise<AuditRecord[]> {
    const { rows } = await this.#readAudit.run(db, { after, limit });
    return rows.map((row) => JSON.parse(row.body) as AuditRecord);
  }

  async readToken(db: Db, id: string): Promise<TokenRecord | undefined> {
    const row = (await this.#readToken.run(db, { id })).rows[0];
    return row === undefined ? undefined : tokenFromRow(row);
  }

  async listTokens(db: Db): Promise<TokenRecord[]> {
    return (await this.#listTokens.run(db, {})).rows.map(tokenFromRow);
  }

  async insertToken(db: Db, token: TokenRecord): Promise<void> {
    await this.#insertToken.run(db, {
      id: token.id,
      secret_hash: token.secretHash,
      subject: token.subject,
      tenant: token.tenant ?? null,
      project: token.project ?? null,
      description: token.description ?? null,
      created_at: token.createdAt,
      expires_at: token.expiresAt ?? null,
      revoked_at: token.revokedAt ?? null,
    });
  }

  async markTokenRevoked(db: Db, id: string, revokedAt: string): Promise<void> {
    await this.#revokeToken.run(db, { id, revoked_at: revokedAt });
  }
}
