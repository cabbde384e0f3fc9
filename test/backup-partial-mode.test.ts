/**
 * The temporary copy a backup writes (`.FILE.<pid>.partial`, and SQLite's -journal beside it) holds
 * ledger data: it must be private (0600) from the moment it is created, not only once VACUUM INTO
 * finished — a kill -9 in between would leave it readable by anyone (issue 17). Checked at the
 * first moment the code touches the finished copy, under the usual umask 022.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backupSqlite } from '../src/store/backup.js';

describe('backup temporary file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-partial-'));
  const oldUmask = process.umask(0o022);
  afterEach(() => {
    vi.restoreAllMocks();
    process.umask(oldUmask);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is 0600 as soon as VACUUM INTO has written it', () => {
    const live = path.join(dir, 'qbo-connect.db');
    const db = new SQLite(live);
    db.exec("CREATE TABLE app_meta (key TEXT PRIMARY KEY, value TEXT, updated_at TEXT); CREATE TABLE ledger (x); INSERT INTO ledger VALUES ('secret')");
    db.close();
    const seen: Array<{ file: string; mode: number }> = [];
    const chmod = fs.chmodSync.bind(fs);
    vi.spyOn(fs, 'chmodSync').mockImplementation((file, mode) => {
      seen.push({ file: String(file), mode: fs.statSync(file).mode & 0o777 });
      chmod(file, mode);
    });
    const target = path.join(dir, 'copy.qbo-backup');
    backupSqlite(live, target, { force: false, version: '0.0.0', now: new Date(0) });
    const partial = seen.find((s) => s.file.endsWith('.partial'));
    expect(partial, JSON.stringify(seen)).toBeDefined();
    expect(partial!.mode.toString(8)).toBe('600');
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
  });
});
