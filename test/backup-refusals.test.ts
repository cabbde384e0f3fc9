/**
 * `qbo-connect backup` and `restore` against what an attacker (or a tired operator) tried after the
 * first release (issue 17): a backup written over the live database or its key, into a folder, into
 * a folder that cannot be written, beside a stale FILE.key; a restore over a damaged live database,
 * with a damaged key file, or of a hand-made file lacking our tables. Each is one line, exit 2, with
 * nothing replaced — or, for the damaged live database with --yes, set aside and restored. Spawns the
 * real bin; see test/backup-cli.test.ts for the ordinary paths.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { withConnectedEmulator } from './helpers/connected-emulator.js';

const bin = path.resolve('bin/qbo-connect.js');
const SECRET = 'a-secret-of-at-least-thirty-two-characters-0123456789';

function run(args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function refusal(r: { code: number | null; stdout: string; stderr: string }): string {
  expect(r.code, r.stdout + r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0]!;
}

const integrity = (file: string) => {
  const db = new SQLite(file, { readonly: true });
  try {
    return (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join();
  } finally {
    db.close();
  }
};

describe('backup and restore refusals [sqlite]', () => {
  const c = withConnectedEmulator('sqlite');
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-backup-refusals-'));
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
  const file = path.join(scratch, 'good.qbo-backup');

  it('backup refuses the live database, its -wal/-shm and the key file, by any name, even with --force, while the app has it open', () => {
    const env = c.cliEnv();
    const dir = c.config.dataDir;
    const live = path.join(dir, 'qbo-connect.db');
    const before = fs.readdirSync(dir).sort();
    fs.symlinkSync(live, path.join(scratch, 'link-to-live'));
    fs.symlinkSync(path.join(dir, 'qbo-connect.db-wal'), path.join(scratch, 'link-to-wal'));
    fs.symlinkSync(dir, path.join(scratch, 'link-to-dir'));
    for (const target of [
      live,
      path.join(dir, 'qbo-connect.db-wal'),
      path.join(dir, 'qbo-connect.db-shm'),
      path.join(dir, 'token-key'),
      path.join(scratch, 'link-to-live'),
      path.join(scratch, 'link-to-wal'),
      path.join(scratch, 'link-to-dir', 'qbo-connect.db'),
    ]) {
      expect(refusal(run(['backup', target, '--force'], env))).toBe(
        `qbo-connect: ${target} is the live database of ${dir} (or its -wal/-shm or key file); write the backup to a file outside it`,
      );
    }
    expect(integrity(live)).toBe('ok');
    expect(fs.readdirSync(dir).sort()).toEqual(before);
  }, 120_000);

  it('backup into a folder, or a folder that cannot be written, is one line naming that folder', () => {
    const env = c.cliEnv();
    expect(refusal(run(['backup', scratch, '--force'], env))).toBe(
      `qbo-connect: ${scratch} is a folder; name a file to write the backup to, e.g. ${path.join(scratch, 'qbo-connect.backup')}`,
    );
    // /sys cannot be written, even by root (these tests may run as root, where chmod does not stop a write).
    const line = refusal(run(['backup', '/sys/qbo-connect.backup'], env));
    expect(line).toMatch(/backup's folder \/sys/);
    expect(line).not.toContain('QBO_CONNECT_DATA_DIR');
  }, 60_000);

  it('with QBO_CONNECT_SECRET, an old FILE.key beside FILE is refused, and removed with --force', () => {
    const env = c.cliEnv({ QBO_CONNECT_SECRET: SECRET });
    const target = path.join(scratch, 'secret.qbo-backup');
    fs.writeFileSync(`${target}.key`, 'an older key\n');
    expect(refusal(run(['backup', target], env))).toBe(`qbo-connect: ${target}.key already exists; choose another file, or add --force to replace it`);
    expect(fs.existsSync(target)).toBe(false);
    const r = run(['backup', target, '--force'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.existsSync(target)).toBe(true);
    expect(fs.existsSync(`${target}.key`)).toBe(false);
  }, 60_000);

  it('backup removes the temporary files a killed backup or restore left (dead pids only)', () => {
    const env = c.cliEnv();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const stale = [
      path.join(scratch, `.x.qbo-backup.${dead}.partial`),
      path.join(scratch, `.x.qbo-backup.${dead}.partial-journal`),
      path.join(c.config.dataDir, `.qbo-connect.db.${dead}.partial`),
    ];
    const running = path.join(scratch, `.y.qbo-backup.${process.pid}.partial`);
    for (const f of [...stale, running]) fs.writeFileSync(f, 'ledger data');
    const r = run(['backup', file], env);
    expect(r.code, r.stderr).toBe(0);
    for (const f of stale) expect(fs.existsSync(f), f).toBe(false);
    expect(fs.existsSync(running)).toBe(true);
    fs.rmSync(running);
  }, 60_000);

  it('restore refuses a damaged FILE.key although the backup holds no tokens, and a hand-made file lacking our tables', async () => {
    await c.app.close();
    const env = c.cliEnv();
    const keyFile = path.join(c.config.dataDir, 'token-key');
    const key = fs.readFileSync(keyFile);

    const noTokens = path.join(scratch, 'no-tokens.qbo-backup');
    fs.copyFileSync(file, noTokens);
    const db = new SQLite(noTokens);
    db.exec('PRAGMA foreign_keys = OFF; DELETE FROM connections');
    db.close();
    fs.writeFileSync(`${noTokens}.key`, 'garbage\n');
    expect(refusal(run(['restore', noTokens, '--yes'], env))).toContain(`${noTokens}.key is not a QBO Connect key file`);
    expect(fs.readFileSync(keyFile)).toEqual(key);

    const handMade = path.join(scratch, 'hand-made.db');
    const h = new SQLite(handMade);
    h.exec('CREATE TABLE app_meta (key TEXT PRIMARY KEY, value TEXT, updated_at TEXT)');
    h.exec('CREATE TABLE kysely_migration (name TEXT PRIMARY KEY, timestamp TEXT)');
    h.exec('CREATE TABLE connections (realm_id TEXT, access_token_enc TEXT)');
    h.close();
    expect(refusal(run(['restore', handMade, '--yes'], env))).toBe(
      `qbo-connect: ${handMade} is not a QBO Connect backup (it has no migration applied); name a file written by \`qbo-connect backup\``,
    );
    const h2 = new SQLite(handMade);
    h2.prepare('INSERT INTO kysely_migration VALUES (?, ?)').run('0001_meta', '2026-01-01T00:00:00.000Z');
    h2.close();
    const lacking = refusal(run(['restore', handMade, '--yes'], env));
    expect(lacking.startsWith(`qbo-connect: ${handMade} is not a QBO Connect backup (it has no `), lacking).toBe(true);
    expect(lacking).toMatch(/ tables?\); name a file written by `qbo-connect backup`$/);
    expect(run(['status'], env).code).toBe(0);
  }, 120_000);

  it('restore over a damaged live database: without --yes one line saying so; with --yes it is set aside and the backup restored', () => {
    const env = c.cliEnv();
    const live = path.join(c.config.dataDir, 'qbo-connect.db');
    const garbage = crypto.randomBytes(64 * 1024);
    fs.writeFileSync(live, garbage);
    const damaged = refusal(run(['restore', file], env));
    expect(damaged.startsWith(`qbo-connect: the current database ${live} is damaged (`), damaged).toBe(true);
    expect(damaged).toContain(`); add --yes to set it aside as ${live}.before-restore-`);
    expect(damaged.endsWith(` and restore ${file}`), damaged).toBe(true);
    expect(fs.readFileSync(live)).toEqual(garbage);
    const r = run(['restore', file, '--yes'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const kept = fs.readdirSync(c.config.dataDir).filter((n) => n.startsWith('qbo-connect.db.before-restore-'));
    expect(kept).toHaveLength(1);
    expect(fs.readFileSync(path.join(c.config.dataDir, kept[0]!))).toEqual(garbage);
    expect(fs.statSync(path.join(c.config.dataDir, kept[0]!)).mode & 0o777).toBe(0o600);
    expect(r.stdout).toContain(`The damaged database it replaced is kept as ${path.join(c.config.dataDir, kept[0]!)}.`);
    expect(integrity(live)).toBe('ok');
    const status = run(['status'], env);
    expect(status.code, status.stderr).toBe(0);
  }, 120_000);
});
