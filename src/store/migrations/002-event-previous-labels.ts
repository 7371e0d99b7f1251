import type { Kysely, Migration } from 'kysely';

/**
 * MODIFIED events keep the labels the object had before the change, so a
 * label-selector watch can tell an object entering its selector (ADDED) or
 * leaving it (DELETED) from one changing inside it, as Kubernetes does.
 */
export const eventPreviousLabelsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('events').addColumn('previous_labels', 'text').execute();
  },
};
