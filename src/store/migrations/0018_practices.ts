import { sql, type Kysely } from 'kysely';

/**
 * Many practices in one installation (issue 15), first step: the practices themselves, and which
 * practice each QBO company belongs to. An existing installation becomes one practice, `default`, that
 * owns every company already connected (the ledger, people and tokens follow in later migrations).
 *
 * - `practices.id` is a short slug (`[a-z0-9-]`), the name a URL (`/p/{id}/…`) and `--practice` use.
 * - `connections.practice_id`: a QBO company is connected to at most one practice (the realm is the
 *   primary key of `connections`).
 * - `connections.offices`: which part of the practice's ledger the company takes — null for all of
 *   it, or a JSON array of office codes (a document belongs to the company of its project's office).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('practices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db
    .insertInto('practices')
    .values({ id: 'default', name: 'Practice', created_at: sql`${new Date().toISOString()}`, created_by: 'qbo-connect (upgrade)' })
    .execute();
  await db.schema
    .alterTable('connections')
    .addColumn('practice_id', 'text', (c) => c.notNull().defaultTo('default'))
    .execute();
  await db.schema.alterTable('connections').addColumn('offices', 'text').execute();
  await db.schema.createIndex('connections_practice').on('connections').column('practice_id').execute();
}
