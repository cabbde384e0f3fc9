import type { Kysely } from 'kysely';

/**
 * Undo a sync (issue 18): a run has a kind (`sync`, or `undo` with the run it undoes), and each
 * record an undo took back is remembered with the QBO entity it voided, deleted or made inactive.
 * The record's link is removed in the same transaction ("not yet in QuickBooks"), so a corrected
 * sync sends it again; the preview reads this table to know that the voided document QBO still
 * holds under the same number is the undone one, not a record to adopt.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('runs')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('sync'))
    .execute();
  await db.schema.alterTable('runs').addColumn('undoes', 'text').execute();
  await db.schema
    .createTable('undone_records')
    .addColumn('realm_id', 'text', (c) => c.notNull())
    .addColumn('qbo_entity', 'text', (c) => c.notNull())
    .addColumn('qbo_id', 'text', (c) => c.notNull())
    .addColumn('record_kind', 'text', (c) => c.notNull())
    .addColumn('record_key', 'text', (c) => c.notNull())
    /** void | delete | inactivate */
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('undo_run_id', 'text', (c) => c.notNull())
    .addColumn('undone_run_id', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('undone_records_pk', ['realm_id', 'qbo_entity', 'qbo_id'])
    .execute();
  await db.schema.createIndex('undone_records_record').on('undone_records').columns(['realm_id', 'record_kind', 'record_key']).execute();
}
