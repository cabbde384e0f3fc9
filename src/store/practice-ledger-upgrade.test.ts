/**
 * Migration 0020_practice_ledger upgrading in place (issue 15), on both dialects: a database as
 * today's `main` leaves it (migrations up to 0019_company_status, the small demo loaded as that release's store wrote
 * it: one row per record, no practice) is copied, and the copy migrated. Every record is then the
 * default practice's, unchanged, and a second practice can hold the same keys.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Migrator, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { dialects, emptyPostgres } from '../../test/helpers/db.js';
import { loadDemoPractice } from '../practice/demo.js';
import { createPractice } from '../practice/practices.js';
import { countRecords, getRecord } from '../practice/store.js';
import { openDatabase, type OpenDb } from './db.js';
import { runMigrations } from './migrate.js';
import { migrations } from './migrations/index.js';

const today = new Date('2026-12-01T09:00:00Z');
const COLUMNS = ['id', 'kind', 'key', 'state', 'version', 'content_hash', 'content', 'date', 'party_key', 'project_key', 'total_cents', 'created_at', 'updated_at'] as const;

/** The small demo's rows as the store writes them (made on a scratch database of the current schema, practice column left out). */
async function demoRows(): Promise<Array<Record<string, unknown>>> {
  const scratch = await openDatabase({ sqliteFile: ':memory:' });
  try {
    const report = await loadDemoPractice(scratch.db, 'default', { size: 'small', seed: 1, today });
    expect(report.ok).toBe(true);
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table('practice_records')} order by kind, key`.execute(scratch.db);
    return rows.map((r) => Object.fromEntries(COLUMNS.map((c) => [c, r[c]])));
  } finally {
    await scratch.close();
  }
}

for (const dialect of dialects) {
  describe(`migration 0020_practice_ledger upgrading a database of today's main [${dialect}]`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    /** A database as main leaves it, and a copy of it (a file copy on SQLite, a template clone on PostgreSQL). */
    async function mainDatabaseCopy(): Promise<{ o: OpenDb; before: Array<Record<string, unknown>> }> {
      let original: OpenDb;
      let copy: () => Promise<OpenDb>;
      if (dialect === 'sqlite') {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-0020-'));
        cleanups.push(() => Promise.resolve(fs.rmSync(dir, { recursive: true, force: true })));
        const file = path.join(dir, 'main.db');
        original = await openDatabase({ sqliteFile: file, migrate: false });
        copy = async () => {
          await original.close();
          fs.copyFileSync(file, path.join(dir, 'copy.db'));
          return openDatabase({ sqliteFile: path.join(dir, 'copy.db'), migrate: false });
        };
      } else {
        const empty = await emptyPostgres();
        cleanups.push(empty.drop);
        original = await openDatabase({ databaseUrl: empty.url, migrate: false });
        copy = async () => {
          await original.close();
          const url = new URL(empty.url);
          const name = url.pathname.slice(1);
          const admin = await openDatabase({ databaseUrl: Object.assign(new URL(empty.url), { pathname: '/postgres' }).toString(), migrate: false });
          await sql`create database ${sql.id(`${name}_copy`)} template ${sql.id(name)}`.execute(admin.db);
          cleanups.push(async () => {
            await sql`drop database if exists ${sql.id(`${name}_copy`)} with (force)`.execute(admin.db);
            await admin.close();
          });
          return openDatabase({ databaseUrl: Object.assign(url, { pathname: `/${name}_copy` }).toString(), migrate: false });
        };
      }
      const uptoMain = await new Migrator({ db: original.db, provider: { getMigrations: () => Promise.resolve(migrations) } }).migrateTo('0019_company_status');
      if (uptoMain.error) throw uptoMain.error;
      const rows = await demoRows();
      for (let i = 0; i < rows.length; i += 50)
        await original.db
          .insertInto('practice_records' as never)
          .values(rows.slice(i, i + 50) as never)
          .execute();
      await original.db
        .insertInto('oauth_states')
        .values({ state_hash: 'h', created_at: today.toISOString(), expires_at: today.toISOString(), used_at: null, session_id: null } as never)
        .execute();
      const migrated = await copy();
      cleanups.push(() => migrated.close());
      return { o: migrated, before: rows };
    }

    it('every record becomes the default practice’s, unchanged; a second practice can hold the same keys', async () => {
      const { o, before } = await mainDatabaseCopy();
      const result = await runMigrations(o.db, () => {});
      expect(result.applied).toEqual(['0020_practice_ledger']);

      const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table('practice_records')} order by kind, key`.execute(o.db);
      expect(rows).toHaveLength(before.length);
      expect(new Set(rows.map((r) => r.practice_id))).toEqual(new Set(['default']));
      expect(rows.map((r) => Object.fromEntries(COLUMNS.map((c) => [c, c === 'version' || c === 'total_cents' ? (r[c] === null ? null : Number(r[c])) : r[c]])))).toEqual(
        before.map((r) => ({ ...r, version: Number(r.version), total_cents: r.total_cents === null ? null : Number(r.total_cents) })),
      );
      const state = await o.db.selectFrom('oauth_states').select('practice_id').executeTakeFirstOrThrow();
      expect(state.practice_id).toBeNull();

      // Read through the store: the demo is the default practice's; the second practice loads the same keys.
      const anInvoice = before.find((r) => r.kind === 'invoice')!;
      expect((await getRecord(o.db, 'default', 'invoice', String(anInvoice.key)))?.id).toBe(anInvoice.id);
      await createPractice(o.db, { id: 'second', name: 'Second' }, 'tester', today);
      const second = await loadDemoPractice(o.db, 'second', { size: 'small', seed: 2, today });
      expect(second.issues).toEqual([]);
      expect(second.created).toBeGreaterThan(0);
      const shared = (
        await sql<{
          n: number;
        }>`select count(*) as n from ${sql.table('practice_records')} a join ${sql.table('practice_records')} b on a.kind = b.kind and a.key = b.key and a.practice_id = 'default' and b.practice_id = 'second'`.execute(
          o.db,
        )
      ).rows[0]!;
      expect(Number(shared.n)).toBeGreaterThan(0);
      expect(await countRecords(o.db, 'default')).toEqual(Object.fromEntries(Object.entries(countBy(before)).map(([k, n]) => [k, n])));

      // The unique key is per practice now: the same key twice in one practice is still refused.
      const dup =
        await sql`insert into practice_records (id, practice_id, kind, key, state, version, content_hash, content, created_at, updated_at) values ('dup', 'second', 'office', ${String(before.find((r) => r.kind === 'office')!.key)}, 'active', 1, 'h', '{}', 'x', 'x')`
          .execute(o.db)
          .then(
            () => 'inserted',
            (err: unknown) => String(err),
          );
      expect(dup).toMatch(/unique|duplicate/i);
      const again = await runMigrations(o.db, () => {});
      expect(again.applied).toEqual([]);
    });
  });
}

function countBy(rows: Array<Record<string, unknown>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[String(r.kind)] = (out[String(r.kind)] ?? 0) + 1;
  return out;
}
