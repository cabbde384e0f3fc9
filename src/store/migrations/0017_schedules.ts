import type { Kysely } from 'kysely';

/**
 * Each company's schedule (connect/schedule, issue 16): when it syncs unattended, in which time zone,
 * what a scheduled sync does when its preview has errors, when it next falls due, and how the last
 * occurrence ended. Changes are audited in settings_audit (paths `schedule.*`); `version` guards them.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('schedules')
    .addColumn('realm_id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('at', 'text')
    .addColumn('minute', 'integer')
    .addColumn('time_zone', 'text', (c) => c.notNull())
    .addColumn('on_errors', 'text', (c) => c.notNull())
    .addColumn('next_due_at', 'text')
    .addColumn('last_due_at', 'text')
    .addColumn('last_outcome', 'text')
    .addColumn('last_run_id', 'text')
    .addColumn('last_message', 'text')
    .addColumn('last_outcome_at', 'text')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  // The tick's question, every minute: which companies are due.
  await db.schema.createIndex('schedules_next_due').on('schedules').column('next_due_at').execute();
}
