import type { Kysely } from 'kysely';
import type { AuditRecord } from '../governance/audit/audit-event.js';
import { canonicalJson } from '../governance/audit/canonical-json.js';
import type { ChainLink } from '../governance/audit/chain.js';
import type { ApiObject, ObjectKey } from '../model/object.js';
import type { ListPosition } from './continue-token.js';
import type { Database, TokensTable } from './schema.js';
import { toNumber } from './schema.js';
import type { EventType, ListQuery, StoreEvent, TokenRecord } from './store.js';

/**
 * Every statement SqlStore runs, written once with Kysely so SQLite and
 * PostgreSQL share them. Each takes the Kysely to run on: the store's, or
 * one bound to the connection of an open transaction.
 */

type Db = Kysely<Database>;

/** Stored bodies are written by the store itself, so they are trusted to be ApiObjects. */
function parseObject(body: string): ApiObject {
  return JSON.parse(body) as ApiObject;
}

export async function readObject(db: Db, key: ObjectKey): Promise<ApiObject | undefined> {
  const row = await db
    .selectFrom('objects')
    .select('body')
    .where('kind', '=', key.kind)
    .where('project', '=', key.project ?? '')
    .where('name', '=', key.name)
    .executeTakeFirst();
  return row === undefined ? undefined : parseObject(row.body);
}

function objectRow(object: ApiObject) {
  const m = object.metadata;
  return {
    tenant: m.tenant ?? null,
    uid: m.uid,
    resource_version: Number(m.resourceVersion),
    generation: m.generation,
    created_at: m.creationTimestamp,
    body: JSON.stringify(object),
  };
}

export async function insertObject(db: Db, object: ApiObject): Promise<void> {
  await db
    .insertInto('objects')
    .values({
      kind: object.kind,
      project: object.metadata.project ?? '',
      name: object.metadata.name,
      ...objectRow(object),
    })
    .execute();
}

export async function updateObject(db: Db, object: ApiObject): Promise<void> {
  await db
    .updateTable('objects')
    .set(objectRow(object))
    .where('kind', '=', object.kind)
    .where('project', '=', object.metadata.project ?? '')
    .where('name', '=', object.metadata.name)
    .execute();
}

export async function deleteObject(db: Db, key: ObjectKey): Promise<void> {
  await db
    .deleteFrom('objects')
    .where('kind', '=', key.kind)
    .where('project', '=', key.project ?? '')
    .where('name', '=', key.name)
    .execute();
}

export interface ListRow {
  readonly project: string;
  readonly name: string;
  readonly object: ApiObject;
}

/** Up to `limit` objects after `after`, in (project, name) order. */
export async function listObjects(
  db: Db,
  query: ListQuery,
  after: ListPosition | undefined,
  limit: number | undefined,
): Promise<ListRow[]> {
  let select = db.selectFrom('objects').select(['project', 'name', 'body']).where('kind', '=', query.kind);
  if (query.project !== undefined) select = select.where('project', '=', query.project);
  if (query.tenant !== undefined) select = select.where('tenant', '=', query.tenant);
  if (after !== undefined) {
    select = select.where(({ eb, refTuple, tuple }) =>
      eb(refTuple('project', 'name'), '>', tuple(after.project, after.name)),
    );
  }
  select = select.orderBy('project').orderBy('name');
  if (limit !== undefined) select = select.limit(limit);
  const rows = await select.execute();
  return rows.map((row) => ({ project: row.project, name: row.name, object: parseObject(row.body) }));
}

export async function readRevision(db: Db): Promise<number> {
  const row = await db
    .selectFrom('revision')
    .select('revision')
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return toNumber(row.revision);
}

export async function writeRevision(db: Db, revision: number): Promise<void> {
  await db.updateTable('revision').set({ revision }).where('id', '=', 1).execute();
}

export async function insertEvent(db: Db, event: StoreEvent): Promise<void> {
  const m = event.object.metadata;
  await db
    .insertInto('events')
    .values({
      revision: event.revision,
      type: event.type,
      kind: event.object.kind,
      project: m.project ?? '',
      name: m.name,
      tenant: m.tenant ?? null,
      body: JSON.stringify(event.object),
    })
    .execute();
}

export async function readEvents(db: Db, after: number, limit: number): Promise<StoreEvent[]> {
  const rows = await db
    .selectFrom('events')
    .select(['revision', 'type', 'body'])
    .where('revision', '>', after)
    .orderBy('revision')
    .limit(limit)
    .execute();
  return rows.map((row) => ({
    revision: toNumber(row.revision),
    type: row.type as EventType,
    object: parseObject(row.body),
  }));
}

/**
 * The last record of the chain, read from the table itself (never from
 * memory), so the chain continues across restarts and across processes.
 */
export async function readAuditHead(db: Db): Promise<ChainLink | undefined> {
  const row = await db
    .selectFrom('audit')
    .select(['seq', 'hash'])
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row === undefined ? undefined : { seq: toNumber(row.seq), hash: row.hash };
}

export async function insertAudit(db: Db, record: AuditRecord): Promise<void> {
  await db
    .insertInto('audit')
    .values({
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
    })
    .execute();
}

/** Records rebuilt from `body` alone, so a verifier checks exactly what is stored. */
export async function readAudit(db: Db, after: number, limit: number): Promise<AuditRecord[]> {
  const rows = await db
    .selectFrom('audit')
    .select('body')
    .where('seq', '>', after)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((row) => JSON.parse(row.body) as AuditRecord);
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

export async function readToken(db: Db, id: string): Promise<TokenRecord | undefined> {
  const row = await db.selectFrom('tokens').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : tokenFromRow(row);
}

export async function listTokens(db: Db): Promise<TokenRecord[]> {
  const rows = await db.selectFrom('tokens').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map(tokenFromRow);
}

export async function insertToken(db: Db, token: TokenRecord): Promise<void> {
  await db
    .insertInto('tokens')
    .values({
      id: token.id,
      secret_hash: token.secretHash,
      subject: token.subject,
      tenant: token.tenant ?? null,
      project: token.project ?? null,
      description: token.description ?? null,
      created_at: token.createdAt,
      expires_at: token.expiresAt ?? null,
      revoked_at: token.revokedAt ?? null,
    })
    .execute();
}

export async function markTokenRevoked(db: Db, id: string, revokedAt: string): Promise<void> {
  await db.updateTable('tokens').set({ revoked_at: revokedAt }).where('id', '=', id).execute();
}
