import type { Kysely } from 'kysely';

/** API tokens may expire (issue 12 §11): null means never, as every token made before this did. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_tokens').addColumn('expires_at', 'text').execute();
}
