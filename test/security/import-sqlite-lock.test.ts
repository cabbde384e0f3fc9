/**
 * The CLI and the server on one SQLite file (issue 12 §2, outside review): an import used to begin
 * deferred, read, and fail with SQLITE_BUSY_SNAPSHOT (a 500, or a kysely stack in the CLI) when the
 * other process committed meanwhile. Now it holds the write lock from its start; the other writer
 * waits, or is told "busy" in one sentence, and nothing stored is lost.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/accounts/api-tokens.js';
import { createUser } from '../../src/accounts/users.js';
import { createQboClients } from '../../src/connect/connection/qbo-client.js';
import type { AppContext } from '../../src/context.js';
import { createLogger } from '../../src/log.js';
import { importRecords } from '../../src/practice/import.js';
import { createHttpApp } from '../../src/server/http.js';
import { listen } from '../../src/server/serve.js';
import { testConfig } from '../helpers/config.js';
import { PracticeBusyError } from '../../src/practice/store.js';
import { openDatabase, type OpenDb } from '../../src/store/db.js';
import { sampleLedger } from '../helpers/practice.js';

const now = new Date('2026-11-26T01:00:00Z');
const bin = path.resolve('bin/qbo-connect.js');
const offices = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ kind: 'office' as const, value: { code: `O${from + i}`, name: `Office ${from + i}` } }));

describe('practice import on a SQLite file shared with another process', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-lock-'));
  const file = path.join(dir, 'qbo-connect.db');
  let opened: OpenDb;
  let other: SQLite.Database;
  beforeAll(async () => {
    opened = await openDatabase({ sqliteFile: file });
    other = new SQLite(file);
    other.pragma('busy_timeout = 0');
  });
  afterAll(async () => {
    other.close();
    await opened.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const count = () => (other.prepare("select count(*) as n from practice_records where kind = 'office'").get() as { n: number }).n;

  it('holds the write lock from the start: a write by the other process in the middle waits, and the import succeeds', async () => {
    let tried = false;
    let calls = 0;
    let otherError: unknown;
    // Paused between records inside the transaction (the 50 schema checks come first, outside it), the
    // other process tries to commit a record.
    const pause = () => {
      if (++calls !== 60) return undefined;
      tried = true;
      try {
        other
          .prepare(
            "insert into practice_records (id, practice_id, kind, key, state, version, content_hash, content, created_at, updated_at) values ('x', 'default', 'office', 'OTHER', 'active', 1, 'h', '{}', 'now', 'now')",
          )
          .run();
      } catch (err) {
        otherError = err;
      }
      return undefined;
    };
    const report = await importRecords(opened.db, 'default', offices(0, 50), now, [], pause);
    expect(tried).toBe(true);
    expect(report.ok, JSON.stringify(report.issues[0])).toBe(true);
    expect((otherError as { code?: string } | undefined)?.code).toBe('SQLITE_BUSY');
    expect(count()).toBe(50);
  });

  it('answers PracticeBusyError when the other process holds the lock past the busy timeout; nothing stored is lost', async () => {
    other.exec('begin immediate');
    try {
      await expect(importRecords(opened.db, 'default', offices(100, 5), now)).rejects.toBeInstanceOf(PracticeBusyError);
    } finally {
      other.exec('rollback');
    }
    expect(count()).toBe(50);
  }, 60_000);

  it('the CLI says "busy" in one line (exit 2), not a stack trace', () => {
    const ledger = path.join(dir, 'ledger.json');
    fs.writeFileSync(ledger, JSON.stringify(sampleLedger()));
    other.exec('begin immediate');
    try {
      const r = spawnSync(process.execPath, [bin, '--data-dir', dir, 'practice', 'import', ledger], {
        env: { ...process.env, QBO_CONNECT_LOG_LEVEL: 'silent' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(/^qbo-connect: the practice ledger is busy/);
      expect(r.status).toBe(2);
    } finally {
      other.exec('rollback');
    }
    expect(count()).toBe(50);
  }, 90_000);

  it('the API answers 503 practice.busy with Retry-After, in one sentence', async () => {
    const config = testConfig();
    const logger = createLogger('silent');
    const clock = () => now;
    const app: AppContext = { config, db: opened.db, dialect: 'sqlite', logger, clock, version: 'test', qbo: createQboClients({ db: opened.db, config, logger, clock }) };
    const bob = await createUser(opened.db, { email: 'bob@example.com', name: 'Bob', role: 'bookkeeper' });
    const token = (await createApiToken(opened.db, bob.id, 't')).token;
    const server = await listen(createHttpApp(app), '127.0.0.1', 0);
    try {
      other.exec('begin immediate');
      let res: Response;
      try {
        res = await fetch(`${server.url}/api/v1/practice/import`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ offices: [{ code: 'H1', name: 'Busy' }] }),
        });
      } finally {
        other.exec('rollback');
      }
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('30');
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'practice.busy',
        message: expect.stringMatching(/^The practice ledger is busy/),
      });
    } finally {
      await server.close();
    }
    expect(count()).toBe(50);
  }, 60_000);
});
