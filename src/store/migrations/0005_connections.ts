import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('connections')
    .addColumn('realm_id', 'text', (c) => c.primaryKey())
    .addColumn('company_name', 'text')
    .addColumn('region', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('access_token_enc', 'text')
    .addColumn('refresh_token_enc', 'text')
    .addColumn('access_expires_at', 'text')
    .addColumn('refresh_expires_at', 'text')
    .addColumn('refresh_hard_expires_at', 'text')
    .addColumn('connected_at', 'text', (c) => c.notNull())
    .addColumn('connected_by', 'text')
    .addColumn('disconnected_reason', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('lock_owner', 'text')
    .addColumn('lock_until', 'text')
    .execute();
  await db.schema
    .createTable('oauth_states')
    .addColumn('state_hash', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('session_id', 'text')
    .execute();
  await db.schema.createIndex('oauth_states_expires').on('oauth_states').column('expires_at').execute();
}
