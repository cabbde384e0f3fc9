import type { Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

/**
 * What a person did about a held record (connect/held): keep QBO's, send ours, re-link, skip. Each
 * row is its own audit entry — who, when, the record, the fields side by side as they were — and
 * carries the state it replaced (the link and the journal row, as JSON), so the action can be undone
 * until the next sync of the company.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const pg = dialectOf(db) === 'postgres';
  await db.schema
    .createTable('held_actions')
    .addColumn('id', pg ? 'bigserial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('realm_id', 'text', (c) => c.notNull())
    .addColumn('record_kind', 'text', (c) => c.notNull())
    .addColumn('record_key', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('old_link', 'text')
    .addColumn('old_journal', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('undone_by', 'text')
    .addColumn('undone_at', 'text')
    .execute();
  await db.schema.createIndex('held_actions_record').on('held_actions').columns(['realm_id', 'record_kind', 'record_key']).execute();
}
