import type { Kysely } from 'kysely';
import { sql } from 'kysely';

/**
 * Held-record actions numbered per record (`seq`: 1, 2, … for each realm, kind and record), unique,
 * so two people acting on the same held record at once cannot both be recorded: the second is
 * refused (connect/held/store.ts recordAction). Rows already there take their id, unique already.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('held_actions')
    .addColumn('seq', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`UPDATE held_actions SET seq = id`.execute(db);
  await db.schema.createIndex('held_actions_record_seq').on('held_actions').columns(['realm_id', 'record_kind', 'record_key', 'seq']).unique().execute();
}
