/** `qbo-connect firm overview|check` as a real child process on a throw-away data folder (issue 15). */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';

const bin = path.resolve('bin/qbo-connect.js');
let dataDir: string;

function run(...args: string[]) {
  return spawnSync(process.execPath, [bin, '--data-dir', dataDir, ...args], {
    env: { ...process.env, QBO_CONNECT_LOG_LEVEL: 'silent', DATABASE_URL: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('qbo-connect firm', () => {
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-firm-cli-'));
  });

  it('lists the practice with no company yet; JSON has the same row; check with no company connected checks nothing', () => {
    const shown = run('firm', 'overview');
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('default · no company connected');
    const json = run('firm', 'overview', '--json', '--sort', 'errors', '--desc');
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ practiceId: 'default', realmId: null, connection: 'none' })]);
    const check = run('firm', 'check');
    expect(check.status, check.stderr).toBe(0);
    expect(check.stdout).toBe('');
  });

  it('users add --owner makes the firm owner (the operator has no other way to make the first one)', async () => {
    const added = run('users', 'add', 'olive@example.com', '--name', 'Olive', '--role', 'administrator', '--owner');
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout).toContain('owner of the firm');
    expect(run('users', 'add', 'pat@example.com', '--name', 'Pat').status).toBe(0);
    const db = new SQLite(path.join(dataDir, 'qbo-connect.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT email, firm_role FROM users ORDER BY email').all();
      expect(rows).toEqual([
        { email: 'olive@example.com', firm_role: 'owner' },
        { email: 'pat@example.com', firm_role: null },
      ]);
    } finally {
      db.close();
    }
  });

  it('refuses an order it does not know in one line naming --sort, exit 2', () => {
    const bad = run('firm', 'overview', '--sort', 'size');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('--sort');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });
});
