import type { Kysely } from 'kysely';
import { bigintType } from '../dialect.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('practice_records')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('date', 'text')
    .addColumn('party_key', 'text')
    .addColumn('project_key', 'text')
    .addColumn('total_cents', bigintType(db))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('practice_records_kind_key', ['kind', 'key'])
    .execute();
  // Export windows and lists read by kind and date; the engine also looks documents up by party and project.
  await db.schema.createIndex('practice_records_kind_date').on('practice_records').columns(['kind', 'date', 'key']).execute();
  await db.schema.createIndex('practice_records_kind_state_date').on('practice_records').columns(['kind', 'state', 'date']).execute();
  await db.schema.createIndex('practice_records_kind_party').on('practice_records').columns(['kind', 'party_key']).execute();
  await db.schema.createIndex('practice_records_kind_project').on('practice_records').columns(['kind', 'project_key']).execute();
}
