/**
 * Token keep-alive against the emulator, on an injected clock: a company whose refresh token has not
 * been used for longer than the threshold is refreshed (new tokens in the store, the emulator's token
 * endpoint saw the request); a fresh one is not; a disconnected one is left alone; the 5-year limit
 * near sends a 'connection-expiring' notification; a refresh Intuit refuses marks it disconnected.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../app.js';
import { startEmulator, type RunningEmulator } from '../../emulator/run/server.js';
import { testConfig } from '../../../test/helpers/config.js';
import { connectCompany } from '../../../test/helpers/emulator-company.js';
import { capturedLogger, startHookReceiver } from '../../../test/helpers/notify-receivers.js';
import { setNotificationSettings } from '../notify/index.js';
import { keepTokensAlive, REFRESH_AFTER_DAYS, ROLLING_WINDOW_DAYS } from './keep-alive.js';
import { tokenKeepAlive } from '../../jobs/tasks/token-keep-alive.js';

const DAY = 24 * 60 * 60 * 1000;
const SECRET = 'whsec-keepalive-0123456789';

describe('token keep-alive (emulator, injected clock)', () => {
  let emu: RunningEmulator;
  let app: App;
  let realmId: string;
  let hooks: Awaited<ReturnType<typeof startHookReceiver>>;
  let now = new Date('2026-05-04T06:00:00Z');
  const clock = () => new Date(now);
  const log = capturedLogger();
  const tokenRequests = () => emu.control.stats().tokenEndpoint.requests;

  beforeAll(async () => {
    emu = await startEmulator({ preset: 'au', limits: 'off' });
    hooks = await startHookReceiver();
    app = await createApp(testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url, QBO_CONNECT_PUBLIC_URL: 'http://127.0.0.1:3000' }), { clock, logger: log.logger });
    realmId = await connectCompany(app, emu);
    await setNotificationSettings(app.ctx.db, { change: { webhookUrl: hooks.url, webhookSecret: SECRET }, actor: 'test', clock, cipher: app.ctx.qbo.cipher });
  });
  afterAll(async () => {
    await app?.close();
    await emu?.close();
    await hooks?.close();
  });

  it('leaves a company refreshed recently alone', async () => {
    const before = tokenRequests();
    const stored = await app.ctx.qbo.connections.load(realmId);
    expect(await keepTokensAlive(app.ctx)).toEqual([{ realmId, action: 'fresh' }]);
    expect(tokenRequests()).toBe(before);
    expect((await app.ctx.qbo.connections.load(realmId))!.refreshToken).toBe(stored!.refreshToken);
  });

  it('refreshes a company whose refresh token has gone unused past the threshold, storing the new tokens (encrypted)', async () => {
    const stored = (await app.ctx.qbo.connections.load(realmId))!;
    // Just under the threshold: still fresh.
    now = new Date(now.getTime() + (REFRESH_AFTER_DAYS - 1) * DAY);
    expect((await keepTokensAlive(app.ctx))[0]!.action).toBe('fresh');
    // Idle for longer than the threshold: refreshed, through the daily task.
    now = new Date(now.getTime() + 30 * DAY);
    const before = tokenRequests();
    await tokenKeepAlive({}, { ctx: app.ctx, jobs: { add: async () => {} }, signal: new AbortController().signal, attempt: 1, maxAttempts: 1 });
    expect(tokenRequests()).toBe(before + 1);
    const after = (await app.ctx.qbo.connections.load(realmId))!;
    expect(after.refreshToken).not.toBe(stored.refreshToken);
    expect(after.accessToken).not.toBe(stored.accessToken);
    // The new rolling expiry counts from now (the emulator's mocks: 101 days).
    expect(after.refreshExpiresAt!.getTime() - now.getTime()).toBeGreaterThan((ROLLING_WINDOW_DAYS - REFRESH_AFTER_DAYS) * DAY);
    // Stored encrypted: the raw column does not hold the token.
    const row = await app.ctx.db.selectFrom('connections').select(['refresh_token_enc']).where('realm_id', '=', realmId).executeTakeFirstOrThrow();
    expect(row.refresh_token_enc).not.toContain(after.refreshToken);
    // And it works: the refreshed company answers.
    expect((await app.ctx.qbo.company(realmId).companyInfo()).CompanyName).toBeTruthy();
    // Refreshed just now: the next day's pass leaves it.
    now = new Date(now.getTime() + DAY);
    expect((await keepTokensAlive(app.ctx))[0]!.action).toBe('fresh');
    expect(log.lines.join('')).not.toContain(after.refreshToken);
  });

  it('notifies as the 5-year limit nears (on the warning days only)', async () => {
    const hard = (days: number) =>
      app.ctx.db
        .updateTable('connections')
        .set({ refresh_hard_expires_at: new Date(now.getTime() + days * DAY - 60_000).toISOString() })
        .where('realm_id', '=', realmId)
        .execute();
    await hard(29);
    expect((await keepTokensAlive(app.ctx))[0]!.hardExpiryWarnedDays).toBeUndefined();
    expect(hooks.hooks).toHaveLength(0);
    await hard(14);
    expect((await keepTokensAlive(app.ctx))[0]!.hardExpiryWarnedDays).toBe(14);
    expect(hooks.hooks).toHaveLength(1);
    const hook = hooks.hooks[0]!;
    expect(hook.headers['x-qbo-connect-signature']).toBe(`sha256=${crypto.createHmac('sha256', SECRET).update(hook.body).digest('hex')}`);
    const body = JSON.parse(hook.body) as Record<string, unknown>;
    expect(body).toMatchObject({ type: 'connection-expiring', realmId, link: 'http://127.0.0.1:3000/connection' });
    expect(String(body.happened)).toContain('5-year limit');
    expect(log.lines.join('')).toContain('reaches its 5-year limit soon');
    await hard(5 * 365);
  });

  it('a refresh Intuit refuses marks the company disconnected and notifies; a disconnected company is then left alone', async () => {
    // Make the stored refresh token one Intuit never issued, and the token old enough to refresh.
    const store = app.ctx.qbo.connections;
    const t = (await store.load(realmId))!;
    await store.saveRotated(realmId, { ...t, refreshToken: 'not-a-token-intuit-issued', refreshExpiresAt: new Date(now.getTime() + 20 * DAY) });
    const hooksBefore = hooks.hooks.length;
    expect(await keepTokensAlive(app.ctx)).toEqual([{ realmId, action: 'disconnected' }]);
    expect((await store.get(realmId))!.status).toBe('disconnected');
    expect(hooks.hooks.slice(hooksBefore).map((h) => (JSON.parse(h.body) as { type: string }).type)).toEqual(['connection-disconnected']);

    const before = tokenRequests();
    now = new Date(now.getTime() + 200 * DAY);
    expect(await keepTokensAlive(app.ctx)).toEqual([]);
    expect(tokenRequests()).toBe(before);
    expect(hooks.hooks.length).toBe(hooksBefore + 1);
  });
});
