import type { Kysely } from 'kysely';
import { bigintType } from '../dialect.js';

/**
 * What recovery needs to resolve a journal row without the plan that wrote it (group, label,
 * record version, the total QBO should hold, the SyncToken an update was based on, the batch it
 * went in), and the run's progress, so another process (the web app) can draw the progress bar.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const money = bigintType(db);
  // SQLite adds one column per ALTER TABLE.
  await db.schema
    .alterTable('journal')
    .addColumn('group_kind', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema
    .alterTable('journal')
    .addColumn('label', 'text', (c) => c.notNull().defaultTo(''))
    .execute();
  await db.schema
    .alterTable('journal')
    .addColumn('record_version', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('journal').addColumn('expected_total_cents', money).execute();
  await db.schema.alterTable('journal').addColumn('base_sync_token', 'text').execute();
  await db.schema.alterTable('journal').addColumn('batch_request_id', 'text').execute();
  // The generation of a write and the held records are read by record.
  await db.schema.createIndex('journal_record').on('journal').columns(['realm_id', 'record_kind', 'record_key']).execute();
  await db.schema
    .alterTable('runs')
    .addColumn('progress_done', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('runs')
    .addColumn('progress_total', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('runs').addColumn('progress_group', 'text').execute();
  await db.schema
    .alterTable('runs')
    .addColumn('requests', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
