/**
 * The connection flow against the emulator over real HTTP: connect through its consent page,
 * company name and region recorded, tokens encrypted, every kind of bad state refused with its
 * own message, expiry warning and expiry, disconnect revoking at the emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/run/server.js';
import { createConnectionService, EXPIRY_WARNING_MS, STATE_TTL_MS } from '../src/connect/connection/connection.js';
import { followEmulatorConsent } from '../src/cli/auto-consent.js';
import { isUserFacing } from '../src/user-facing-error.js';
import { testConfig } from './helpers/config.js';
import { testDate } from './helpers/test-time.js';

describe('connection flow against the emulator', () => {
  let emu: RunningEmulator;
  let app: App;
  let now = testDate();
  let svc: ReturnType<typeof createConnectionService>;

  beforeAll(async () => {
    emu = await startEmulator({ preset: 'au' });
    app = await createApp(testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url }), { clock: () => now });
    svc = createConnectionService({ db: app.ctx.db, config: app.ctx.config, logger: app.ctx.logger, clock: () => now });
  });
  afterAll(async () => {
    await app?.close();
    await emu?.close();
  });

  async function refused(p: Promise<unknown>): Promise<string> {
    try {
      await p;
    } catch (err) {
      if (isUserFacing(err)) return err.code;
      throw err;
    }
    throw new Error('expected a connection refusal');
  }

  it('starts disconnected with "connect" in the message', async () => {
    const s = await svc.connectionStatus();
    expect(s).toMatchObject({ state: 'disconnected', reason: 'never-connected' });
    expect(s.message).toMatch(/connect/i);
  });

  it('connects through the consent page and records company name and region', async () => {
    const { url, redirectUri } = await svc.beginConnect({ sessionId: 'session-a', actor: 'ada@example.com' });
    expect(url.startsWith(`${emu.url}/connect/oauth2?`)).toBe(true);
    expect(new URL(url).searchParams.get('redirect_uri')).toBe(redirectUri);
    const cb = await followEmulatorConsent(url, undefined);
    expect(cb.code).toBeTruthy();
    const status = await svc.completeConnect({ ...cb, sessionId: 'session-a', actor: 'ada@example.com' });
    expect(status.state).toBe('connected');
    expect(status.region).toBe('AU');
    expect(status.company).toBe(emu.control.companies()[0]!.name);
    expect(status.connectedBy).toBe('ada@example.com');
    expect(status.refreshTokenExpiresAt).toBeDefined();
    expect(status.warning).toBeUndefined();
    // Tokens are stored encrypted; the state only as a hash.
    const row = await app.ctx.db.selectFrom('connections').selectAll().executeTakeFirstOrThrow();
    expect(row.access_token_enc).toMatch(/^v1:/);
    const states = await app.ctx.db.selectFrom('oauth_states').selectAll().execute();
    expect(JSON.stringify(states)).not.toContain(cb.state!);
    // The same answer twice: the state is spent, so the code is never exchanged a second time.
    expect(await refused(svc.completeConnect({ ...cb, sessionId: 'session-a' }))).toBe('connection.used-state');
  });

  it('refuses missing, unknown, foreign and expired states, and a denied consent, each with its own reason', async () => {
    expect(await refused(svc.completeConnect({ code: 'x', realmId: '1' }))).toBe('connection.missing-state');
    expect(await refused(svc.completeConnect({ code: 'x', state: 'made-up', realmId: '1' }))).toBe('connection.unknown-state');

    const foreign = await svc.beginConnect({ sessionId: 'session-a', actor: 'a' });
    const fcb = await followEmulatorConsent(foreign.url, undefined);
    expect(await refused(svc.completeConnect({ ...fcb, sessionId: 'session-b' }))).toBe('connection.foreign-state');
    expect(await refused(svc.completeConnect({ ...fcb }))).toBe('connection.foreign-state');

    const late = await svc.beginConnect({ sessionId: 'session-a', actor: 'a' });
    const lcb = await followEmulatorConsent(late.url, undefined);
    const saved = now;
    now = new Date(saved.getTime() + STATE_TTL_MS + 1000);
    try {
      const err = await svc.completeConnect({ ...lcb, sessionId: 'session-a' }).catch((e: Error) => e);
      expect(isUserFacing(err) && err.code).toBe('connection.expired-state');
      expect((err as Error).message).toContain('10 minutes');
    } finally {
      now = saved;
    }

    const denied = await svc.beginConnect({ actor: 'cli' });
    const state = new URL(denied.url).searchParams.get('state')!;
    expect(await refused(svc.completeConnect({ state, error: 'access_denied' }))).toBe('connection.denied');
  });

  it('warns from 14 days before the refresh token expires and shows expired after it', async () => {
    const s = await svc.connectionStatus();
    const expiry = Date.parse(s.refreshTokenExpiresAt!);
    const saved = now;
    try {
      now = new Date(expiry - EXPIRY_WARNING_MS - 60_000);
      expect((await svc.connectionStatus()).warning).toBeUndefined();
      now = new Date(expiry - EXPIRY_WARNING_MS + 60_000);
      expect((await svc.connectionStatus()).warning).toMatch(/expires on \d{4}-\d{2}-\d{2}/);
      now = new Date(expiry + 1000);
      const gone = await svc.connectionStatus();
      expect(gone).toMatchObject({ state: 'disconnected', reason: 'expired' });
      expect(gone.message).toContain('Disconnected — connect again');
    } finally {
      now = saved;
    }
  });

  it('disconnects: revokes at the emulator, forgets the tokens, and says connect again', async () => {
    const tokens = await svc.store.load((await svc.connectionStatus()).realmId!);
    const status = await svc.disconnect(undefined, 'ada@example.com');
    expect(status).toMatchObject({ state: 'disconnected', reason: 'disconnected' });
    expect(status.message).toContain('connect again');
    const row = await app.ctx.db.selectFrom('connections').selectAll().executeTakeFirstOrThrow();
    expect(row.access_token_enc).toBeNull();
    expect(row.refresh_token_enc).toBeNull();
    // The emulator no longer accepts the access token.
    const res = await fetch(`${emu.url}/v3/company/${row.realm_id}/companyinfo/${row.realm_id}?minorversion=75`, {
      headers: { authorization: `Bearer ${tokens!.accessToken}`, accept: 'application/json' },
    });
    expect(res.status).toBe(401);
    expect(await refused(svc.disconnect(undefined, 'ada@example.com'))).toBe('connection.not-connected');
  });
});
