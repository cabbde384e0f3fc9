/**
 * `qbo-connect backup` and `restore` on SQLite, through the real bin (issue 17): what is written
 * (FILE and FILE.key, 0600), what is refused (an existing FILE; a file that is not a sound QBO
 * Connect backup of a release this one knows; a key that cannot read its tokens; a data folder
 * QBO Connect is running on; a database with data, without --yes) — each as one line naming the
 * file, exit 2, with nothing replaced — and what a restore keeps (the replaced database, the key).
 * The consistency of a backup taken while a sync writes, and syncing on after a restore, are proven
 * in test/sync/backup-restore.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { withConnectedEmulator } from './helpers/connected-emulator.js';
import { freePort } from './helpers/net.js';

const bin = path.resolve('bin/qbo-connect.js');
const SECRET = 'a-secret-of-at-least-thirty-two-characters-0123456789';
// Every step spawns the real bin (seconds each on a shared machine): the longer tests say how long they may take.

function run(args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The one line main.ts prints for a refusal. */
function refusal(r: { code: number | null; stdout: string; stderr: string }): string {
  expect(r.code, r.stdout + r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0]!;
}

const rowsIn = (file: string, table: string) => {
  const db = new SQLite(file, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('qbo-connect backup and restore [sqlite]', () => {
  const c = withConnectedEmulator('sqlite');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-backup-cli-'));
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
  const file = path.join(scratch, 'company.qbo-backup');

  it('backup writes FILE and FILE.key (mode 600, the data folder key) while the app has the database open; refuses to replace either without --force', () => {
    const env = c.cliEnv();
    const r = run(['backup', file], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Backed up .*qbo-connect\.db to .*company\.qbo-backup \(\d+ kB in \d+\.\d\d s\)\.$/m);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(`${file}.key`).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(`${file}.key`)).toEqual(fs.readFileSync(path.join(c.config.dataDir, 'token-key')));
    expect(rowsIn(file, 'connections')).toBe(1);

    const before = fs.readFileSync(file);
    expect(refusal(run(['backup', file], env))).toBe(`qbo-connect: ${file} already exists; choose another file, or add --force to replace it`);
    expect(fs.readFileSync(file)).toEqual(before);
    // FILE.key alone in the way is refused too, before anything is written.
    const other = path.join(scratch, 'other.qbo-backup');
    fs.writeFileSync(`${other}.key`, 'not ours');
    expect(refusal(run(['backup', other], env))).toContain(`${other}.key already exists`);
    expect(fs.existsSync(other)).toBe(false);
    expect(run(['backup', other, '--force'], env).code).toBe(0);
    expect(fs.readFileSync(`${other}.key`)).toEqual(fs.readFileSync(`${file}.key`));
  }, 60_000);

  it('with QBO_CONNECT_SECRET: no FILE.key, a reminder to keep the secret with the backup, and the secret printed nowhere', () => {
    const target = path.join(scratch, 'with-secret.qbo-backup');
    const r = run(['backup', target], c.cliEnv({ QBO_CONNECT_SECRET: SECRET }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('encrypted with QBO_CONNECT_SECRET, which is not in the backup. Keep that secret with it');
    expect(fs.existsSync(`${target}.key`)).toBe(false);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('backup of a data folder without a database, or into a missing folder: one line', () => {
    const empty = fs.mkdtempSync(path.join(scratch, 'empty-'));
    expect(refusal(run(['backup', path.join(scratch, 'x.qbo-backup')], c.cliEnv({ QBO_CONNECT_DATA_DIR: empty })))).toBe(
      `qbo-connect: there is no database at ${path.join(empty, 'qbo-connect.db')} to back up; check --data-dir or QBO_CONNECT_DATA_DIR`,
    );
    expect(refusal(run(['backup', path.join(scratch, 'no-such-folder', 'x')], c.cliEnv()))).toContain('the folder');
  });

  it('restore refuses what is not a sound QBO Connect backup of a release it knows, naming the file, and replaces nothing', async () => {
    await c.app.close();
    const env = c.cliEnv();
    const live = path.join(c.config.dataDir, 'qbo-connect.db');
    const liveRows = rowsIn(live, 'connections');
    const bad = (name: string) => path.join(scratch, name);

    expect(refusal(run(['restore', bad('missing.qbo-backup')], env))).toBe(
      `qbo-connect: ${bad('missing.qbo-backup')} does not exist; name a file written by \`qbo-connect backup\``,
    );
    fs.writeFileSync(bad('text.qbo-backup'), 'hello\n'.repeat(1000));
    expect(refusal(run(['restore', bad('text.qbo-backup')], env))).toMatch(/text\.qbo-backup is not a QBO Connect backup \(SQLite cannot read it: file is not a database\)/);

    const foreign = new SQLite(bad('foreign.db'));
    foreign.exec('CREATE TABLE notes (x)');
    foreign.close();
    expect(refusal(run(['restore', bad('foreign.db')], env))).toContain(`${bad('foreign.db')} is not a QBO Connect backup (it has no app_meta table)`);

    fs.copyFileSync(file, bad('newer.qbo-backup'));
    const newer = new SQLite(bad('newer.qbo-backup'));
    newer.prepare('INSERT INTO kysely_migration (name, timestamp) VALUES (?, ?)').run('9999_from_the_future', '2027-01-01T00:00:00.000Z');
    newer.close();
    expect(refusal(run(['restore', bad('newer.qbo-backup')], env))).toContain(
      `${bad('newer.qbo-backup')} was made by a newer release of QBO Connect (its database has migration 9999_from_the_future`,
    );

    // A page in the middle overwritten: SQLite's integrity_check (or its first read) finds it.
    fs.copyFileSync(file, bad('damaged.qbo-backup'));
    const bytes = fs.readFileSync(bad('damaged.qbo-backup'));
    crypto.randomFillSync(bytes, 4096 * 3, 4096 * 4);
    fs.writeFileSync(bad('damaged.qbo-backup'), bytes);
    expect(refusal(run(['restore', bad('damaged.qbo-backup')], env))).toMatch(/damaged\.qbo-backup (is damaged|is not a QBO Connect backup)/);

    // Tokens with no key to read them, or another key.
    fs.copyFileSync(file, bad('keyless.qbo-backup'));
    expect(refusal(run(['restore', bad('keyless.qbo-backup')], env))).toContain(
      `${bad('keyless.qbo-backup')} holds QuickBooks tokens, but ${bad('keyless.qbo-backup')}.key is missing and QBO_CONNECT_SECRET is not set`,
    );
    fs.copyFileSync(file, bad('wrong-key.qbo-backup'));
    fs.writeFileSync(bad('wrong-key.qbo-backup.key'), crypto.randomBytes(32).toString('base64') + '\n');
    expect(refusal(run(['restore', bad('wrong-key.qbo-backup')], env))).toContain(`cannot read the QuickBooks tokens in ${bad('wrong-key.qbo-backup')}`);
    const withSecret = run(['restore', file], c.cliEnv({ QBO_CONNECT_SECRET: SECRET }));
    expect(refusal(withSecret)).toContain(`QBO_CONNECT_SECRET cannot read the QuickBooks tokens in ${file}`);
    expect(withSecret.stderr).not.toContain(SECRET);

    expect(refusal(run(['restore', live, '--yes'], env))).toBe(
      `qbo-connect: ${live} is the database of this data folder itself; make a backup with \`qbo-connect backup\` and restore that`,
    );

    expect(rowsIn(live, 'connections')).toBe(liveRows);
    expect(fs.readdirSync(c.config.dataDir).filter((n) => n.includes('before-restore'))).toEqual([]);
  }, 120_000);

  it('restore refuses while QBO Connect runs on the data folder, and a database with data without --yes; then restores it, keeping the one it replaced', async () => {
    const env = c.cliEnv();
    const live = path.join(c.config.dataDir, 'qbo-connect.db');
    const port = await freePort();
    const server = spawn(process.execPath, [bin, 'start', '--port', String(port)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`start did not come up: ${out}`)), 60_000);
        server.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('QBO Connect is running at')) {
            clearTimeout(timer);
            resolve();
          }
        });
        server.on('exit', (code) => reject(new Error(`start exited ${code}: ${out}`)));
      });
      expect(refusal(run(['restore', file, '--yes'], env))).toBe(
        `qbo-connect: the database ${live} is in use by another process (is QBO Connect running on this data folder, or a sync?); stop it, then run restore again`,
      );
    } finally {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }

    // A change made after the backup, which the restore undoes (and the side copy keeps).
    const db = new SQLite(live);
    db.prepare("UPDATE connections SET company_name = 'Changed after the backup'").run();
    db.close();
    const keyFile = path.join(c.config.dataDir, 'token-key');
    const key = fs.readFileSync(keyFile);
    fs.rmSync(keyFile);

    const notEmpty = refusal(run(['restore', file], env));
    expect(notEmpty.startsWith(`qbo-connect: ${live} holds data (`), notEmpty).toBe(true);
    expect(notEmpty).toContain(`rows); add --yes to replace it with ${file}`);
    expect(fs.existsSync(keyFile)).toBe(false);

    const r = run(['restore', file, '--yes'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Restored .* from .*company\.qbo-backup \(taken \d{4}-\d\d-\d\dT[\d:.]+Z by release [\d.]+\)\.$/m);
    const kept = fs.readdirSync(c.config.dataDir).filter((n) => /^qbo-connect\.db\.before-restore-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/.test(n));
    expect(kept).toHaveLength(1);
    expect(r.stdout).toContain(`The database it replaced is kept as ${path.join(c.config.dataDir, kept[0]!)}.`);
    const name = (f: string) => {
      const d = new SQLite(f, { readonly: true });
      try {
        return (d.prepare('SELECT company_name AS n FROM connections').get() as { n: string }).n;
      } finally {
        d.close();
      }
    };
    expect(name(path.join(c.config.dataDir, kept[0]!))).toBe('Changed after the backup');
    expect(name(live)).not.toBe('Changed after the backup');
    expect(fs.readFileSync(keyFile)).toEqual(key);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(live).mode & 0o777).toBe(0o600);

    // The restored folder works: the connection reads its tokens with the restored key.
    const status = run(['status'], env);
    expect(status.code, status.stderr).toBe(0);
  }, 120_000);
});
