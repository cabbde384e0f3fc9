import { sql, type Kysely } from 'kysely';
import { bigintType, dialectOf } from '../dialect.js';

/**
 * Many practices in one installation (issue 15), the ledger: every practice record belongs to one
 * practice, and a natural key is unique within its practice (two practices both have `INV-1001` and a
 * contact `C0001`). Existing records become the `default` practice's (migration 0018 made an existing
 * installation that practice). The indexes lead with `practice_id`, since every query of the table
 * names it (src/practice/store.ts, `records`).
 *
 * SQLite cannot drop a table constraint, so there the table is rebuilt (create new, copy, drop,
 * rename, recreate the indexes) inside this migration's transaction; PostgreSQL alters it in place.
 *
 * `oauth_states.practice_id`: the practice whose person started a connection, so the company that
 * comes back is connected to that practice (null on a state made before this release: the default).
 *
 * `app_meta`'s `demo-loaded` stays installation-wide: it records that the first start of the
 * installation did (or declined) its one demo load, which goes into the default practice; loading
 * the demo into another practice is a command (`qbo-connect practice demo --practice X`) that never
 * reads it.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  const indexes = [
    ['practice_records_kind_date', ['practice_id', 'kind', 'date', 'key']],
    ['practice_records_kind_state_date', ['practice_id', 'kind', 'state', 'date']],
    ['practice_records_kind_party', ['practice_id', 'kind', 'party_key']],
    ['practice_records_kind_project', ['practice_id', 'kind', 'project_key']],
  ] as const;
  if (dialectOf(db) === 'postgres') {
    await db.schema
      .alterTable('practice_records')
      .addColumn('practice_id', 'text', (c) => c.notNull().defaultTo('default'))
      .execute();
    await sql`alter table practice_records alter column practice_id drop default`.execute(db);
    await db.schema.alterTable('practice_records').dropConstraint('practice_records_kind_key').execute();
    await db.schema.alterTable('practice_records').addUniqueConstraint('practice_records_practice_kind_key', ['practice_id', 'kind', 'key']).execute();
    for (const [name] of indexes) await db.schema.dropIndex(name).execute();
  } else {
    await db.schema
      .createTable('practice_records_new')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('practice_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('content_hash', 'text', (c) => c.notNull())
      .addColumn('content', 'text', (c) => c.notNull())
      .addColumn('date', 'text')
      .addColumn('party_key', 'text')
      .addColumn('project_key', 'text')
      .addColumn('total_cents', bigintType(db))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addUniqueConstraint('practice_records_practice_kind_key', ['practice_id', 'kind', 'key'])
      .execute();
    await sql`insert into practice_records_new (id, practice_id, kind, key, state, version, content_hash, content, date, party_key, project_key, total_cents, created_at, updated_at)
      select id, 'default', kind, key, state, version, content_hash, content, date, party_key, project_key, total_cents, created_at, updated_at from practice_records`.execute(db);
    // Dropping the table drops its indexes too.
    await db.schema.dropTable('practice_records').execute();
    await db.schema.alterTable('practice_records_new').renameTo('practice_records').execute();
  }
  for (const [name, columns] of indexes)
    await db.schema
      .createIndex(name)
      .on('practice_records')
      .columns([...columns])
      .execute();
  await db.schema.alterTable('oauth_states').addColumn('practice_id', 'text').execute();
}
