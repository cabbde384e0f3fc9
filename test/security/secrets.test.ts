/**
 * Security rehearsal: no secret in plaintext where it could leak. After connecting through the web
 * app, previewing (QBO asked with the access token) and a token refresh, every secret this run saw —
 * QBO access and refresh tokens (before and after the refresh), the authorization code, the OAuth
 * client secret, the token-encryption key, API tokens, session cookies, passwords — is searched for
 * in the SQLite database file and its WAL, in every log line the app wrote (debug level), and in
 * every page and API answer a signed-in user of each role can GET.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/run/server.js';
import { createConnectionService } from '../../src/connect/connection/connection.js';
import { EMULATOR_DEMO_CLIENT } from '../../src/qbo/endpoints.js';
import { concrete, makeBench, roleNames, routesOf, type Bench } from './harness.js';
import { callbackPath, consentAs } from './web-connect.js';

describe('security rehearsal: secrets stay out of the database file, the logs and the pages', () => {
  let emu: RunningEmulator;
  let b: Bench;
  let now = new Date();
  const secrets = new Map<string, string>();
  let realmId: string;

  beforeAll(async () => {
    emu = await startEmulator({ preset: 'au' });
    b = await makeBench({ env: { QBO_EMULATOR_URL: emu.url }, clock: () => now });
    const svc = createConnectionService({ db: b.app.ctx.db, config: b.app.ctx.config, logger: b.app.ctx.logger, clock: () => now });

    const cb = await consentAs(b, b.people.administrator);
    secrets.set('authorization code', cb.code!);
    const back = await b.call(callbackPath(cb), { as: { person: b.people.administrator, via: 'session' } });
    expect(back.status).toBe(303);
    realmId = cb.realmId!;
    const first = (await svc.store.load(realmId))!;
    secrets.set('access token', first.accessToken);
    secrets.set('refresh token', first.refreshToken);

    // QBO is asked with the token (the preview), then again two hours later (a refresh first).
    expect((await b.call('/api/v1/preview', { as: { person: b.people.viewer, via: 'token' } })).status).toBe(200);
    now = new Date(now.getTime() + 2 * 60 * 60 * 1000);
    expect((await b.call('/api/v1/preview', { as: { person: b.people.viewer, via: 'token' } })).status).toBe(200);
    const second = (await svc.store.load(realmId))!;
    expect(second.accessToken).not.toBe(first.accessToken);
    secrets.set('refreshed access token', second.accessToken);
    if (second.refreshToken !== first.refreshToken) secrets.set('rotated refresh token', second.refreshToken);

    secrets.set('client secret', EMULATOR_DEMO_CLIENT.secret);
    const keyFile = fs.readdirSync(b.app.ctx.config.dataDir).find((f) => /key/i.test(f));
    if (keyFile) secrets.set('token encryption key', fs.readFileSync(path.join(b.app.ctx.config.dataDir, keyFile), 'utf8').trim());
    for (const role of roleNames) {
      const p = b.people[role];
      secrets.set(`${role} API token`, p.apiToken);
      secrets.set(`${role} session cookie`, p.cookie);
      secrets.set(`${role} password`, p.password);
    }
  });
  afterAll(async () => {
    await b?.close();
    await emu?.close();
  });

  function leaks(text: string): string[] {
    return [...secrets].filter(([, v]) => text.includes(v)).map(([k]) => k);
  }

  it('found the secrets it searches for (so the searches below mean something)', () => {
    expect(secrets.size).toBeGreaterThanOrEqual(13);
    for (const [k, v] of secrets) expect(v.length, k).toBeGreaterThanOrEqual(10);
  });

  it('keeps every one out of the database file and its WAL (tokens are encrypted, the rest hashed)', async () => {
    const dir = b.app.ctx.config.dataDir;
    const files = fs.readdirSync(dir).filter((f) => f.startsWith('qbo-connect.db'));
    expect(files).toContain('qbo-connect.db');
    expect(files).toContain('qbo-connect.db-wal');
    let bytes = 0;
    for (const f of files) {
      const raw = fs.readFileSync(path.join(dir, f));
      bytes += raw.length;
      // latin1 keeps every byte as one character, so an ASCII token shows wherever it sits.
      expect(leaks(raw.toString('latin1')), f).toEqual([]);
    }
    expect(bytes).toBeGreaterThan(10_000);
    // The encrypted columns are really there (what the search above did not find is stored, not absent).
    const row = await b.app.ctx.db.selectFrom('connections').selectAll().where('realm_id', '=', realmId).executeTakeFirstOrThrow();
    expect(row.access_token_enc).toMatch(/^v1:/);
  });

  it('keeps every one out of every log line the app wrote', () => {
    expect(b.lines.length).toBeGreaterThan(3);
    expect(b.lines.join('')).toContain('QuickBooks connected');
    for (const line of b.lines) expect(leaks(line), line.slice(0, 300)).toEqual([]);
    expect(b.lines.join('')).not.toMatch(/Bearer [A-Za-z0-9._-]{10,}/);
  });

  it('keeps every one out of every page and API answer any role can GET', async () => {
    const gets = routesOf(b.http).filter((r) => r.startsWith('GET ') && !r.includes('/static/') && !r.includes('/connect/callback'));
    let pages = 0;
    for (const route of gets) {
      const p = concrete(route.slice(4));
      for (const role of roleNames) {
        for (const via of p.startsWith('/api/') ? (['token', 'session'] as const) : (['session'] as const)) {
          const res = await b.call(p, { as: { person: b.people[role], via } });
          const text = await res.text();
          // The page may show the person's own CSRF token, never a session cookie or API token.
          expect(leaks(text), `${route} as ${role} via ${via}`).toEqual([]);
          if ((res.headers.get('content-type') ?? '').includes('text/html') && res.status === 200) pages++;
        }
      }
    }
    expect(pages).toBeGreaterThan(10);
  });
});
