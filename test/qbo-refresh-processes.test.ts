/**
 * Two real processes refreshing the same company's token at the same moment: the database lock
 * lets exactly one token request reach the (emulated) Intuit, the other process re-reads the
 * rotated tokens, and nobody meets invalid_grant. The emulator's grace period for rotated refresh
 * tokens is set to zero, so a second refresh with the old token would fail.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import crypto from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/run/server.js';
import { ConnectionStore } from '../src/connect/connection/store.js';
import { createTokenCipher, loadOrCreateKey } from '../src/connect/connection/crypto.js';
import { endpointsFromConfig } from '../src/qbo/endpoints.js';
import { testConfig } from './helpers/config.js';
import { capturingLogger, connectCompany } from './helpers/qbo.js';
import { dialects } from './helpers/db.js';
import { testDate } from './helpers/test-time.js';

const child = fileURLToPath(new URL('./fixtures/qbo-refresh-child.ts', import.meta.url));
const secret = 'two-process-test-secret-0123456789abcdef';

function run(env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child], { env: { ...process.env, ...env }, cwd: path.dirname(path.dirname(child)) });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

/** A throw-away PostgreSQL database cloned from the migrated template, by URL (the children connect to it too). */
async function pgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = inject('pgAdminUrl');
  const name = `qbo_refresh_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject('pgTemplate')}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

describe.each(dialects)('two processes refreshing one company at once [%s]', (dialect) => {
  let emu: RunningEmulator;
  let app: App;
  let pgDb: { url: string; drop(): Promise<void> } | undefined;
  const emuLog = capturingLogger();

  beforeAll(async () => {
    emu = await startEmulator({ preset: 'au', logger: emuLog.logger, tokenLifetimes: { refreshGraceSeconds: 0, refreshRotateAfterSeconds: 0 } });
    if (dialect === 'postgres') pgDb = await pgDatabase();
    app = await createApp(testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url, QBO_CONNECT_SECRET: secret, ...(pgDb ? { DATABASE_URL: pgDb.url } : {}) }));
  });
  afterAll(async () => {
    await app?.close();
    await emu?.close();
    await pgDb?.drop();
  });

  it('sends exactly one token request and both processes carry on', async () => {
    const endpoints = endpointsFromConfig(app.ctx.config);
    const store = new ConnectionStore({ db: app.ctx.db, cipher: createTokenCipher(loadOrCreateKey(app.ctx.config)) });
    const realmId = await connectCompany(endpoints, store, emu.control.companies()[0]!.realmId);
    // The stored access token has run out (both processes will want to refresh) and Intuit agrees.
    await app.ctx.db
      .updateTable('connections')
      .set({ access_expires_at: testDate(-1000).toISOString() })
      .where('realm_id', '=', realmId)
      .execute();
    emu.control.expireAccessTokens(realmId);
    const tokenPosts = () => emuLog.lines.filter((l) => l.includes('"path":"/oauth2/v1/tokens/bearer"') && l.includes('"method":"POST"')).length;
    const before = tokenPosts();

    const env = {
      ...(pgDb ? { CHILD_DATABASE_URL: pgDb.url } : { CHILD_SQLITE_FILE: path.join(app.ctx.config.dataDir, 'qbo-connect.db') }),
      CHILD_SECRET: secret,
      CHILD_DATA_DIR: app.ctx.config.dataDir,
      CHILD_EMULATOR_URL: emu.url,
      CHILD_REALM: realmId,
      // Both start their call at the same instant, after tsx has loaded in each.
      CHILD_START_AT: String(Date.now() + 6000),
    };
    const results = await Promise.all([run(env), run(env)]);
    for (const r of results) {
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out.trim())).toMatchObject({ ok: true });
    }
    expect(tokenPosts() - before).toBe(1);
    expect((await store.get(realmId))!.status).toBe('connected');
    // The stored refresh token is the rotated one and still works: one more refresh succeeds.
    const stored = await store.load(realmId);
    expect(stored!.accessExpiresAt.getTime()).toBeGreaterThan(testDate().getTime());
  }, 60_000);
});
