import type { Kysely } from 'kysely';
import { bigintType } from '../dialect.js';

/**
 * One QBO budget per company across processes (issue 16; connect/connection/shared-budget.ts): a log
 * of reservations (each request or batch sent to QBO, when by the database's clock, what it weighs,
 * who holds it and until when it counts as in flight) and each company's 429 pause. Times are epoch
 * milliseconds of the database's clock. SQLite has the tables too, unused: one process, in-process limiter.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const big = bigintType(db);
  await db.schema
    .createTable('qbo_budget_reservations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('realm_id', 'text', (c) => c.notNull())
    .addColumn('reserved_at', big, (c) => c.notNull())
    .addColumn('weight', 'integer', (c) => c.notNull())
    .addColumn('is_batch', 'integer', (c) => c.notNull())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('lease_until', big, (c) => c.notNull())
    .addColumn('released_at', big)
    .execute();
  await db.schema.createIndex('qbo_budget_reservations_realm_at').on('qbo_budget_reservations').columns(['realm_id', 'reserved_at']).execute();
  await db.schema
    .createTable('qbo_budget_pauses')
    .addColumn('realm_id', 'text', (c) => c.primaryKey())
    .addColumn('paused_until', big, (c) => c.notNull())
    .execute();
}
