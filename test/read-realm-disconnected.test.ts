/**
 * History and skipped records while no company is connected (issue 19): the CLI (the real bin) and
 * the JSON API read the company last connected here, as the web pages do, never a realm that was not
 * connected here, and still refuse when none ever was.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Hono } from 'hono';
import { onError } from '../src/server/http.js';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../src/context.js';
import { createApiToken } from '../src/accounts/api-tokens.js';
import { createUser } from '../src/accounts/users.js';
import { createLogger } from '../src/log.js';
import { historyApi } from '../src/server/api/sync.js';
import { skippedApi } from '../src/server/api/skipped.js';
import type { Db } from '../src/store/db.js';
import { openDatabase } from '../src/store/db.js';
import { describeEachDialect } from './helpers/db.js';
import { testConfig } from './helpers/config.js';

const bin = path.resolve('bin/qbo-connect.js');
const at = '2026-11-01T00:00:00.000Z';

async function disconnected(db: Db, realmId: string) {
  await db
    .insertInto('connections')
    .values({
      realm_id: realmId,
      company_name: `Co ${realmId}`,
      region: 'AU',
      status: 'disconnected',
      access_token_enc: null,
      refresh_token_enc: null,
      access_expires_at: null,
      refresh_expires_at: null,
      refresh_hard_expires_at: null,
      connected_at: at,
      connected_by: null,
      disconnected_reason: 'user',
      updated_at: at,
      lock_owner: null,
      lock_until: null,
    })
    .execute();
}

async function skipped(db: Db, realmId: string, id: string, when: string) {
  await db
    .insertInto('skips')
    .values({
      realm_id: realmId,
      record_kind: 'invoice',
      record_id: id,
      record_date: null,
      reason_code: null,
      held_by_engine: 0,
      skipped_by: 'cli:test',
      skipped_at: when,
      unskipped_by: null,
      unskipped_at: null,
    } as never)
    .execute();
}

describe('qbo-connect history and skipped while disconnected', () => {
  let dataDir: string;
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [bin, '--data-dir', dataDir, ...args], {
      env: { ...process.env, QBO_CONNECT_LOG_LEVEL: 'silent', DATABASE_URL: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });

  // A data folder per test: the first needs one where no company was ever connected.
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-read-realm-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('still asks for the company when none was ever connected', () => {
    for (const cmd of ['history', 'skipped']) {
      const r = run(cmd);
      expect(r.status, cmd).toBe(2);
      expect(r.stderr).toContain('--realm ID');
    }
  });

  it('reads the only company ever connected, after it was disconnected', async () => {
    const opened = await openDatabase({ sqliteFile: path.join(dataDir, 'qbo-connect.db') });
    await disconnected(opened.db, '4620');
    await skipped(opened.db, '4620', 'INV-7', '2026-11-02T00:00:00.000Z');
    await opened.close();
    const h = run('history', '--json');
    expect(h.stderr).toBe('');
    expect(h.status).toBe(0);
    expect(JSON.parse(h.stdout)).toMatchObject({ realmId: '4620', runs: [] });
    const s = run('skipped', '--json');
    expect(s.status).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ realmId: '4620', skipped: [{ recordId: 'INV-7' }] });
    expect(run('history').stdout).toContain('No syncs yet.');
  });

  it('of several disconnected companies, reads the one last worked on, never a realm not connected here', async () => {
    const opened = await openDatabase({ sqliteFile: path.join(dataDir, 'qbo-connect.db') });
    // 4620 as the test before leaves it, then 5555 worked on later.
    await disconnected(opened.db, '4620');
    await skipped(opened.db, '4620', 'INV-7', '2026-11-02T00:00:00.000Z');
    await disconnected(opened.db, '5555');
    await skipped(opened.db, '5555', 'INV-8', '2026-11-03T00:00:00.000Z');
    await skipped(opened.db, '9999', 'INV-9', '2026-11-04T00:00:00.000Z'); // never connected here
    await opened.close();
    expect(JSON.parse(run('skipped', '--json').stdout)).toMatchObject({ realmId: '5555' });
    expect(JSON.parse(run('history', '--json').stdout)).toMatchObject({ realmId: '5555' });
  });
});

describeEachDialect('history and skipped API while disconnected', (ctx) => {
  let http: Hono;
  let viewer: string;
  const get = (url: string) => http.request(url, { headers: { authorization: `Bearer ${viewer}` } });

  beforeAll(async () => {
    const app = { db: ctx.db, clock: () => new Date('2026-11-26T01:00:00Z'), logger: createLogger('silent'), config: testConfig() } as unknown as AppContext;
    const vi = await createUser(ctx.db, { email: 'vi@example.com', name: 'Vi', role: 'viewer' });
    viewer = (await createApiToken(ctx.db, vi.id, 't')).token;
    http = new Hono();
    http.route('/api/v1/history', historyApi(app));
    http.route('/api/v1/skipped', skippedApi(app));
    http.onError(onError(app.logger));
  });

  it('refuses while no company was ever connected, then reads the company last connected', async () => {
    const h0 = await get('/api/v1/history');
    expect(h0.status).toBe(400);
    expect(((await h0.json()) as { error: { code: string } }).error.code).toBe('realm.required');
    expect((await get('/api/v1/skipped')).status).toBe(400);
    await disconnected(ctx.db, '4620');
    await skipped(ctx.db, '4620', 'INV-7', '2026-11-20T00:00:00.000Z');
    const h = await get('/api/v1/history');
    expect(h.status).toBe(200);
    expect(await h.json()).toMatchObject({ realmId: '4620', runs: [] });
    const s = await get('/api/v1/skipped');
    expect(s.status).toBe(200);
    expect(await s.json()).toMatchObject({ realmId: '4620', skipped: [{ recordId: 'INV-7' }] });
  });
});
