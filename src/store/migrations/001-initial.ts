import { type ColumnDefinitionBuilder, type Kysely, type Migration, sql } from 'kysely';
import type { SqlDialect } from '../sql-dialect.js';

/** Objects, the event log, the audit chain and tokens. */
export function initialMigration(dialect: Pick<SqlDialect, 'int64Type' | 'bytewiseCollation'>): Migration {
  const int64 = dialect.int64Type;
  // Lists page in (project, name) order and tokens in (created_at, id) order: the same on every engine.
  const { bytewiseCollation } = dialect;
  const collated = (c: ColumnDefinitionBuilder) =>
    bytewiseCollation === undefined ? c : c.modifyEnd(sql.raw(`collate ${bytewiseCollation}`));
  const ordered = (c: ColumnDefinitionBuilder) => collated(c).notNull();
  return {
    // Migrations are typed against no schema: they must keep compiling after the current schema moves on.
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('revision')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('revision', int64, (c) => c.notNull())
        .execute();
      await sql`insert into revision (id, revision) values (1, 0)`.execute(db);

      await db.schema
        .createTable('objects')
        .addColumn('kind', 'text', ordered)
        .addColumn('project', 'text', ordered)
        .addColumn('name', 'text', ordered)
        .addColumn('tenant', 'text')
        .addColumn('uid', 'text', (c) => c.notNull())
        .addColumn('resource_version', int64, (c) => c.notNull())
        .addColumn('generation', int64, (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('objects_pk', ['kind', 'project', 'name'])
        .execute();
      await db.schema.createIndex('objects_kind_tenant').on('objects').columns(['kind', 'tenant']).execute();

      await db.schema
        .createTable('events')
        .addColumn('revision', int64, (c) => c.primaryKey())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('project', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('tenant', 'text')
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('audit')
        .addColumn('seq', int64, (c) => c.primaryKey())
        .addColumn('time', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('verb', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('project', 'text')
        .addColumn('name', 'text')
        .addColumn('tenant', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('revision', int64)
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .execute();
      // "Who touched this object" is the question the audit trail is read for most.
      await db.schema.createIndex('audit_object').on('audit').columns(['kind', 'project', 'name']).execute();

      await db.schema
        .createTable('tokens')
        .addColumn('id', 'text', (c) => collated(c).primaryKey())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('tenant', 'text')
        .addColumn('project', 'text')
        .addColumn('description', 'text')
        .addColumn('created_at', 'text', ordered)
        .addColumn('expires_at', 'text')
        .addColumn('revoked_at', 'text')
        .execute();
    },
  };
}
