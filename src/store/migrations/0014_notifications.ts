import type { Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

/**
 * Notifications (issue 16): per practice (today one per installation, id `default`) who is told —
 * an email recipient list and an outgoing webhook with its signing secret (encrypted like the QBO
 * tokens) — and every change to them, audited as settings are (who, when, old value, new value).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const pg = dialectOf(db) === 'postgres';
  await db.schema
    .createTable('notification_settings')
    .addColumn('practice_id', 'text', (c) => c.primaryKey())
    .addColumn('emails', 'text', (c) => c.notNull())
    .addColumn('webhook_url', 'text')
    .addColumn('webhook_secret_enc', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('notification_audit')
    .addColumn('id', pg ? 'serial' : 'integer', (c) => (pg ? c.primaryKey() : c.primaryKey().autoIncrement()))
    .addColumn('practice_id', 'text', (c) => c.notNull())
    .addColumn('field', 'text', (c) => c.notNull())
    .addColumn('old_value', 'text')
    .addColumn('new_value', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('changed_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notification_audit_practice_changed').on('notification_audit').columns(['practice_id', 'changed_at']).execute();
}
