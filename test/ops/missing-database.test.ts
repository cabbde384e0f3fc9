/**
 * Issue 17: a data folder that was used (it has the token key file) but whose SQLite database was moved
 * or deleted. A CLI command that reads the ledger refuses with one line and creates nothing; a
 * fresh folder (first use) still gets its database.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bin } from './spawn-start.js';

function run(args: string[], dataDir: string) {
  const { DATABASE_URL: _ignored, ...env } = process.env;
  return spawnSync(process.execPath, [bin, ...args], {
    env: { ...env, QBO_CONNECT_DATA_DIR: dataDir, QBO_CONNECT_SECRET: '', QBO_ENV: 'emulator', QBO_CONNECT_LOG_LEVEL: 'warn' },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('a CLI command on a used data folder whose database is missing', () => {
  it('status refuses with one line naming the folder and creates no empty database', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-missing-db-'));
    fs.writeFileSync(path.join(dir, 'token-key'), Buffer.alloc(32, 7), { mode: 0o600 });
    const r = run(['status'], dir);
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`QBO_CONNECT_DATA_DIR=${dir}: the folder was used before (it has token-key) but its database qbo-connect.db is missing`);
    // The old code answered "not connected" from a new, empty database.
    expect(fs.existsSync(path.join(dir, 'qbo-connect.db'))).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a fresh folder (no key file) is a first use: status answers and the database is made', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-fresh-db-'));
    const r = run(['status'], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(fs.existsSync(path.join(dir, 'qbo-connect.db'))).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
