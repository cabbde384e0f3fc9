import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const pg = dialectOf(db) === 'postgres';
  await db.schema
    .createTable('connect_settings')
    .addColumn('realm_id', 'text', (c) => c.primaryKey())
    .addColumn('document', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('settings_audit')
    .addColumn('id', pg ? 'serial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('realm_id', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('old_value', 'text')
    .addColumn('new_value', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('changed_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('settings_audit_realm_changed').on('settings_audit').columns(['realm_id', 'changed_at']).execute();

  await db.schema
    .createTable('skips')
    .addColumn('id', pg ? 'serial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('realm_id', 'text', (c) => c.notNull())
    .addColumn('record_kind', 'text', (c) => c.notNull())
    .addColumn('record_id', 'text', (c) => c.notNull())
    .addColumn('record_date', 'text')
    .addColumn('reason_code', 'text')
    .addColumn('held_by_engine', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('skipped_by', 'text', (c) => c.notNull())
    .addColumn('skipped_at', 'text', (c) => c.notNull())
    .addColumn('unskipped_by', 'text')
    .addColumn('unskipped_at', 'text')
    .execute();
  // At most one open skip per record; closed ones are history.
  await db.schema.createIndex('skips_open_record').on('skips').columns(['realm_id', 'record_kind', 'record_id']).unique().where(sql.ref('unskipped_at'), 'is', null).execute();
}
