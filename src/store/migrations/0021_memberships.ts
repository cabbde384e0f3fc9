import { sql, type Kysely } from 'kysely';

/**
 * Many practices in one installation (issue 15): people. A person belongs to one or more practices with
 * a role in each (`memberships`), the firm's owners create practices and invite people (`users.firm_role`),
 * and an API token acts on one practice (`api_tokens.practice_id`).
 *
 * An existing installation keeps working unchanged: every user becomes a member of `default` (made by
 * 0018_practices) with the role they had, every existing token belongs to `default`, and every enabled
 * administrator becomes an owner — so whoever ran the installation can still create practices and
 * invite people. `users.role` stays (expand, then contract: a running older release reads it); the role
 * that counts from now on is the membership's.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('memberships')
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('practice_id', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('memberships_pk', ['user_id', 'practice_id'])
    .execute();
  // "Who are the members of this practice" is the page's question; the PK answers "which practices is she in".
  await db.schema.createIndex('memberships_practice').on('memberships').column('practice_id').execute();
  const now = new Date().toISOString();
  await sql`insert into memberships (user_id, practice_id, role, created_at, created_by)
            select id, 'default', role, ${now}, 'qbo-connect (upgrade)' from users`.execute(db);

  // Who did what to whom: every add, role change and removal (never rewritten).
  await db.schema
    .createTable('membership_audit')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('practice_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('role', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('membership_audit_practice').on('membership_audit').columns(['practice_id', 'at']).execute();

  await db.schema.alterTable('users').addColumn('firm_role', 'text').execute();
  await sql`update users set firm_role = 'owner' where role = 'administrator' and disabled_at is null`.execute(db);

  await db.schema
    .alterTable('api_tokens')
    .addColumn('practice_id', 'text', (c) => c.notNull().defaultTo('default'))
    .execute();
}
