/**
 * `qbo-connect migrate` as the release step and `start --no-migrate` as a check, through the real
 * bin, on both dialects: a fresh database, one made by the released migration list, the next
 * release's schema (a newer migration recorded and its column added), and a migration that fails.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type OpenDb } from '../src/store/db.js';
import { migrations } from '../src/store/migrations/index.js';
import { dialects, emptyPostgres } from './helpers/db.js';
import { freePort } from './helpers/net.js';
import { migrateAsReleased, releasedList } from './helpers/released-migrations.js';

const bin = path.resolve('bin/qbo-connect.js');
const ours = Object.keys(migrations);

for (const dialect of dialects) {
  describe(`qbo-connect migrate [${dialect}]`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    /** A data folder and an empty database, the environment a spawned command needs, and a way to open the database here. */
    async function installation() {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-migrate-'));
      cleanups.push(() => Promise.resolve(fs.rmSync(dataDir, { recursive: true, force: true })));
      let databaseUrl: string | undefined;
      if (dialect === 'postgres') {
        const empty = await emptyPostgres();
        cleanups.push(empty.drop);
        databaseUrl = empty.url;
      }
      const env: NodeJS.ProcessEnv = { ...process.env, QBO_CONNECT_DATA_DIR: dataDir, QBO_CONNECT_LOG_LEVEL: 'warn', QBO_ENV: 'emulator', DATABASE_URL: databaseUrl ?? '' };
      const open = async (): Promise<OpenDb> => {
        const o = await openDatabase({ databaseUrl, sqliteFile: path.join(dataDir, 'qbo-connect.db'), migrate: false });
        cleanups.push(() => o.close());
        return o;
      };
      const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 60_000 });
      return { env, open, run };
    }

    it('a fresh database: start --no-migrate refuses in one line naming `qbo-connect migrate`; migrate prints one line per migration; again, nothing', async () => {
      const inst = await installation();
      const refused = inst.run('start', '--no-migrate', '--port', String(await freePort()));
      expect(refused.status).toBe(2);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toMatch(/^qbo-connect: the database lacks \d+ migrations of this release \(0001_meta, .*\): run `qbo-connect migrate` first/);

      const first = inst.run('migrate');
      expect(first.stderr).toBe('');
      expect(first.status).toBe(0);
      expect(first.stdout.trim().split('\n')).toEqual(ours.map((n) => `applied ${n}`));

      const again = inst.run('migrate');
      expect(again.status).toBe(0);
      expect(again.stdout.trim()).toBe(`The database (${dialect}) is up to date: nothing to apply.`);
    });

    it('a database made by the released list: migrate renames what it recorded and applies only what came after', async () => {
      const inst = await installation();
      const o = await inst.open();
      await migrateAsReleased(o.db, releasedList);
      const r = inst.run('migrate');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('renamed 0004_connections -> 0005_connections');
      expect(r.stdout).toContain('renamed 0010_sent_fields -> 0009_sent_fields');
      expect(r.stdout).toContain('renamed 0011_held_actions -> 0010_held_actions');
      // Only the migrations added since that release run (0012_held_action_seq came after it).
      const added = ours.slice(Object.keys(releasedList).length);
      expect(r.stdout.split('\n').filter((l) => l.startsWith('applied '))).toEqual(added.map((n) => `applied ${n}`));
    });

    it("the next release's schema: migrate succeeds and start --no-migrate starts, each warning about the newer migration by name", async () => {
      const inst = await installation();
      expect(inst.run('migrate').status).toBe(0);
      const o = await inst.open();
      await o.db.schema.alterTable('app_meta').addColumn('future_note', 'text').execute();
      await sql`insert into kysely_migration (name, timestamp) values ('9000_future_note', '2027-01-01T00:00:00.000Z')`.execute(o.db);

      const m = inst.run('migrate');
      expect(m.status).toBe(0);
      expect(m.stderr).toMatch(/warning: .*newer release .*\(9000_future_note\)/);

      const child = spawn(process.execPath, [bin, 'start', '--no-migrate', '--port', String(await freePort())], {
        env: { ...inst.env, QBO_EMULATOR_PORT: String(await freePort()) },
      });
      let out = '';
      child.stdout.on('data', (d) => (out += String(d)));
      child.stderr.on('data', (d) => (out += String(d)));
      const exited = new Promise<number | null>((r) => child.on('exit', r));
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no start line: ${out}`)), 40_000);
        const check = () => {
          if (/running at http/.test(out)) {
            clearTimeout(t);
            resolve();
          }
        };
        child.stdout.on('data', check);
        void exited.then(() => reject(new Error(`exited: ${out}`)));
      });
      // One answered request: start has set its signal handlers (just after printing that line).
      expect((await fetch(`${/running at (http:\/\/\S+)/.exec(out)![1]!}/healthz`)).status).toBe(200);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(out).toMatch(/newer release that this one does not know \(9000_future_note\)/);
    });

    it('a migration that fails: one line naming it, exit 2, nothing recorded', async () => {
      const inst = await installation();
      const o = await inst.open();
      // A table in the way of 0001: the database was used by something else.
      await o.db.schema.createTable('app_meta').addColumn('x', 'text').execute();
      const r = inst.run('migrate');
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^qbo-connect: database migration 0001_meta failed: .*app_meta.*already exists/);
      const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(o.db);
      expect(rows).toEqual([]);
    });

    it('a migration that fails half-way (issue 17): nothing of the upgrade is left, the line says what to do, and it succeeds once the cause is gone', async () => {
      const inst = await installation();
      const o = await inst.open();
      // In the way of 0011_undo's third statement, after its two ALTERs of `runs` (made by 0006).
      await o.db.schema.createTable('undone_records').addColumn('x', 'text').execute();
      const r = inst.run('migrate');
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(
        /^qbo-connect: database migration 0011_undo failed: .*undone_records.*already exists.*nothing of this upgrade was applied: fix the cause and run `qbo-connect migrate` again/,
      );
      const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(o.db);
      expect(rows).toEqual([]);
      // Old code: 0001..0010 and 0011's `kind` column stayed, and every later run failed on "duplicate column name: kind".
      await expect(sql`select 1 from runs`.execute(o.db)).rejects.toThrow(/runs/);
      await o.db.schema.dropTable('undone_records').execute();
      const again = inst.run('migrate');
      expect(again.stderr).toBe('');
      expect(again.status).toBe(0);
      expect(again.stdout.trim().split('\n')).toEqual(ours.map((n) => `applied ${n}`));
    });

    it('two `migrate` processes at once on a fresh database both succeed, and each migration runs once (issue 17)', async () => {
      // Three fresh installations: the race was lost about one time in three before the fix.
      for (let round = 0; round < 3; round++) {
        const inst = await installation();
        const runAsync = () =>
          new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
            const child = spawn(process.execPath, [bin, 'migrate'], { env: inst.env });
            let stdout = '';
            let stderr = '';
            child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
            child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
            child.on('close', (status) => resolve({ status, stdout, stderr }));
          });
        const [a, b] = await Promise.all([runAsync(), runAsync()]);
        expect([a.stderr, b.stderr]).toEqual(['', '']);
        expect([a.status, b.status]).toEqual([0, 0]);
        const applied = [...a.stdout.split('\n'), ...b.stdout.split('\n')].filter((l) => l.startsWith('applied '));
        expect(applied).toEqual(ours.map((n) => `applied ${n}`));
      }
    });
  });
}
