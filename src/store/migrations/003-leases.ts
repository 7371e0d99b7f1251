import type { Kysely, Migration } from 'kysely';
import type { SqlDialect } from '../sql-dialect.js';

/** Leader-election leases: who holds each, under which fencing epoch, until when (database clock). */
export function leasesMigration(dialect: Pick<SqlDialect, 'int64Type'>): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('leases')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('holder', 'text', (c) => c.notNull())
        .addColumn('epoch', dialect.int64Type, (c) => c.notNull())
        .addColumn('expires_at_ms', dialect.int64Type, (c) => c.notNull())
        .execute();
    },
  };
}
