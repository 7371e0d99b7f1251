import { type Kysely, type MigrationProvider, Migrator } from 'kysely';
import type { Database } from '../schema.js';
import type { SqlDialect } from '../sql-dialect.js';
import { initialMigration } from './001-initial.js';
import { eventPreviousLabelsMigration } from './002-event-previous-labels.js';
import { leasesMigration } from './003-leases.js';

/**
 * Every migration, in code so that the built package needs no migration
 * folder at run time. Names sort in the order they run; never rename or
 * edit one that has shipped, add the next instead.
 */
export function migrationProvider(
  dialect: Pick<SqlDialect, 'int64Type' | 'bytewiseCollation'>,
): MigrationProvider {
  return {
    getMigrations: async () => ({
      '001-initial': initialMigration(dialect),
      '002-event-previous-labels': eventPreviousLabelsMigration,
      '003-leases': leasesMigration(dialect),
    }),
  };
}

/** Brings the schema up to date; throws the failing migration's error. */
export async function migrateToLatest(
  db: Kysely<Database>,
  dialect: Pick<SqlDialect, 'int64Type' | 'bytewiseCollation'>,
): Promise<void> {
  const { error } = await new Migrator({ db, provider: migrationProvider(dialect) }).migrateToLatest();
  if (error !== undefined) {
    throw error instanceof Error ? error : new Error(`store migration failed: ${String(error)}`);
  }
}
