/**
 * Upgrading in place: databases made by earlier releases (their migration list rebuilt here under the
 * names they recorded), the next release's schema (expand, then contract), and refusals. Each test
 * starts from an empty database of its dialect, not the run's migrated template.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Migrator, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { dialects, emptyPostgres } from '../../test/helpers/db.js';
import { openDatabase, type OpenDb } from './db.js';
import type { Dialect } from './dialect.js';
import { inspectSqliteBackup } from './backup.js';
import { checkMigrations, migrationState, MigrationError, runMigrations } from './migrate.js';
import { migrations } from './migrations/index.js';
import { migrateAsReleased, releasedList, settingsOnlyList } from '../../test/helpers/released-migrations.js';

async function emptyDatabase(dialect: Dialect): Promise<OpenDb> {
  if (dialect === 'sqlite') return openDatabase({ sqliteFile: ':memory:', migrate: false });
  const empty = await emptyPostgres();
  const opened = await openDatabase({ databaseUrl: empty.url, migrate: false });
  return {
    ...opened,
    close: async () => {
      await opened.close();
      await empty.drop();
    },
  };
}

async function recorded(o: OpenDb): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(o.db);
  return rows.map((r) => r.name);
}

const ours = Object.keys(migrations);

for (const dialect of dialects) {
  describe(`upgrading in place [${dialect}]`, () => {
    let opened: OpenDb | undefined;
    const open = async () => (opened = await emptyDatabase(dialect));
    afterEach(async () => {
      await opened?.close();
      opened = undefined;
    });

    it('a database made by the released list keeps its data and is current after the rename, with nothing re-run', async () => {
      const o = await open();
      await migrateAsReleased(o.db, releasedList);
      await o.db.insertInto('app_meta').values({ key: 'kept', value: 'yes', updated_at: '2026-11-26T02:00:00.000Z' }).execute();
      // The old names under this release's list: Kysely alone refuses them.
      const plain = await new Migrator({ db: o.db, provider: { getMigrations: () => Promise.resolve(migrations) } }).migrateToLatest();
      expect(String(plain.error)).toMatch(/corrupted migrations/);
      // Migrations added since that release (after its last one) are what remains to run.
      const added = Object.keys(migrations).slice(Object.keys(releasedList).length);
      expect((await migrationState(o.db)).pending).toEqual(added);

      const warnings: string[] = [];
      const result = await runMigrations(o.db, (l) => warnings.push(l));
      expect(result.applied).toEqual(added);
      expect(result.renamed).toEqual([
        '0004_connections -> 0005_connections',
        '0005_settings -> 0004_settings',
        '0008_sync_more -> 0007_sync_more',
        '0009_api_token_expiry -> 0008_api_token_expiry',
        '0010_sent_fields -> 0009_sent_fields',
        '0011_held_actions -> 0010_held_actions',
        '0012_undo -> 0011_undo',
      ]);
      expect(warnings).toEqual([]);
      expect(await recorded(o)).toEqual(ours);
      const kept = await o.db.selectFrom('app_meta').select('value').where('key', '=', 'kept').executeTakeFirst();
      expect(kept?.value).toBe('yes');
      // The last migration's column is there and usable.
      await sql`select sent_fields from links`.execute(o.db);

      const again = await runMigrations(o.db, () => {});
      expect(again).toEqual({ applied: [], renamed: [], newer: [] });
      await checkMigrations(o.db, () => {});
    });

    it('a database from the release that had settings (0005) before connections existed gets connections and the rest, in order', async () => {
      const o = await open();
      await migrateAsReleased(o.db, settingsOnlyList);
      // What the released code said on this database: the inserted 0004 broke its order check.
      const plain = await new Migrator({ db: o.db, provider: { getMigrations: () => Promise.resolve(releasedList) } }).migrateToLatest();
      expect(String(plain.error)).toMatch(/corrupted migrations/);

      const result = await runMigrations(o.db, () => {});
      expect(result.renamed).toEqual(['0005_settings -> 0004_settings']);
      expect(result.applied).toEqual(ours.filter((n) => n >= '0005'));
      expect(await recorded(o)).toEqual(ours);
    });

    it('a fresh database gets every migration, and `start --no-migrate` refuses it first naming `qbo-connect migrate`', async () => {
      const o = await open();
      const refusal = await checkMigrations(o.db, () => {}).catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(MigrationError);
      expect((refusal as Error).message).toMatch(/lacks \d+ migrations of this release \(0001_meta, .*\): run `qbo-connect migrate` first/);
      expect((await runMigrations(o.db, () => {})).applied).toEqual(ours);
    });

    it("the next release's schema (a newer migration recorded, a column added) is named in a warning and used as it is", async () => {
      const o = await open();
      await runMigrations(o.db, () => {});
      await o.db.schema.alterTable('app_meta').addColumn('future_note', 'text').execute();
      await sql`insert into kysely_migration (name, timestamp) values ('9000_future_note', '2027-01-01T00:00:00.000Z')`.execute(o.db);
      // Kysely alone throws on it; that is why migrate.ts hands it a placeholder.
      const plain = await new Migrator({ db: o.db, provider: { getMigrations: () => Promise.resolve(migrations) } }).migrateToLatest();
      expect(String(plain.error)).toMatch(/previously executed migration 9000_future_note is missing/);

      const warnings: string[] = [];
      expect((await runMigrations(o.db, (l) => warnings.push(l))).applied).toEqual([]);
      await checkMigrations(o.db, (l) => warnings.push(l));
      expect(warnings).toHaveLength(2);
      for (const w of warnings) expect(w).toMatch(/newer release that this one does not know \(9000_future_note\)/);
      expect(await recorded(o)).toEqual([...ours, '9000_future_note']);
      await o.db.insertInto('app_meta').values({ key: 'k', value: 'v', updated_at: '2026-11-26T02:00:00.000Z' }).execute();
    });

    it('refuses a recorded migration it does not know that sorts among its own, and a hole before a recorded one', async () => {
      const o = await open();
      await runMigrations(o.db, () => {});
      await sql`insert into kysely_migration (name, timestamp) values ('0003_branch_only', '2026-11-26T02:00:00.000Z')`.execute(o.db);
      await expect(runMigrations(o.db, () => {})).rejects.toThrow(
        `records migration 0003_branch_only, which this release does not know and which sorts before its own last one (${ours.at(-1)})`,
      );
      await sql`delete from kysely_migration where name in ('0003_branch_only', '0008_api_token_expiry')`.execute(o.db);
      await expect(checkMigrations(o.db, () => {})).rejects.toThrow(/lacks migration 0008_api_token_expiry but records later ones/);
      await expect(runMigrations(o.db, () => {})).rejects.toBeInstanceOf(MigrationError);
    });
  });
}

describe('a backup from before the renumbering', () => {
  it("is recognised by restore: its old names are read under today's, in order, with every table there", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-mig-backup-'));
    const file = path.join(dir, 'old.db');
    const o = await openDatabase({ sqliteFile: file, migrate: false });
    await migrateAsReleased(o.db, releasedList);
    await o.close();
    const facts = await inspectSqliteBackup(file, migrations);
    expect(facts.migrations).toContain('0009_sent_fields');
    expect(facts.migrations).not.toContain('0010_sent_fields');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
