import type { Kysely } from 'kysely';

/**
 * What QBO told us changed (issue 16, webhooks → the 'company-changes' job, connect/changes):
 * - `links.qbo_changed_at` / `qbo_changed_fields`: QBO's copy of a linked record moved away from what
 *   we last left there (the fields named, JSON list; `["deleted"]` or `["voided"]` for those), noted
 *   when QBO says so rather than at the next preview; cleared when QBO again holds our values or the
 *   sync writes the record. The preview's three-way comparison still decides what is held.
 * - `qbo_change_cursors`: per company, the `changedSince` of its next change-data-capture request
 *   (QBO's own server time from the last answer).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('links').addColumn('qbo_changed_at', 'text').execute();
  await db.schema.alterTable('links').addColumn('qbo_changed_fields', 'text').execute();
  await db.schema
    .createTable('qbo_change_cursors')
    .addColumn('realm_id', 'text', (c) => c.primaryKey())
    .addColumn('changed_since', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}
