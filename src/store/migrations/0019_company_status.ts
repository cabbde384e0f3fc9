import type { Kysely } from 'kysely';

/**
 * What the firm overview shows of each company without asking QBO on the spot (issue 15): the last
 * preview's figures, refreshed by the `company-status` job (hourly, and after each sync through the
 * queue), so one page can list 200 companies in milliseconds. `checked_at` says how fresh they are.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('company_status')
    .addColumn('realm_id', 'text', (c) => c.primaryKey())
    .addColumn('checked_at', 'text', (c) => c.notNull())
    .addColumn('errors', 'integer', (c) => c.notNull())
    .addColumn('warnings', 'integer', (c) => c.notNull())
    .addColumn('ready', 'integer', (c) => c.notNull())
    .addColumn('held', 'integer', (c) => c.notNull())
    /** Why the last check could not be made (QBO unreachable, disconnected), or null. */
    .addColumn('problem', 'text')
    .execute();
}
