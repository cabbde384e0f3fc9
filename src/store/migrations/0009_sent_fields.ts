import type { Kysely } from 'kysely';

/**
 * What we last sent for each link, field by field, with QBO's value right after that write (JSON of
 * connect/plan/sent-fields.ts `SentFields`): the base of the three-way comparison that lets an update
 * send only what the practice changed and hold what QBO changed too. Null for links written before
 * this migration; the preview then rebuilds the base from the journal's bodies, or takes QBO's
 * current values (see sent-fields.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('links').addColumn('sent_fields', 'text').execute();
}
