/**
 * Issue 12 §6: the callback's realmId is what the browser brought back, so anyone can change it.
 * A connection is stored only once the new tokens have read that company's CompanyInfo; when they
 * cannot (QBO: 403, fault 3100), the tokens are revoked and the earlier connection stays as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { followEmulatorConsent } from '../../src/cli/auto-consent.js';
import { createConnectionService } from '../../src/connect/connection/connection.js';
import { UserFacingError } from '../../src/user-facing-error.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/run/server.js';
import { testConfig } from '../helpers/config.js';
import { snapshotTables } from '../helpers/snapshot.js';

describe('security: the OAuth callback does not trust realmId', () => {
  let emu: RunningEmulator;
  let app: App;
  const calls: string[] = [];
  const spy: typeof fetch = (input, init) => {
    calls.push(`${init?.method ?? 'GET'} ${typeof input === 'string' ? input : input instanceof URL ? input.href : input.url}`);
    return fetch(input, init);
  };

  beforeAll(async () => {
    emu = await startEmulator({ preset: 'au' });
    emu.control.seedCompany({ preset: 'us', name: 'Someone Else Inc' });
    app = await createApp(testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url }));
  });
  afterAll(async () => {
    await app?.close();
    await emu?.close();
  });

  it('refuses a realmId the tokens cannot read, revokes them, and keeps the earlier connection', async () => {
    const [mine, theirs] = emu.control.companies();
    const svc = createConnectionService({ db: app.ctx.db, config: app.ctx.config, logger: app.ctx.logger, clock: app.ctx.clock, fetch: spy });
    const first = await followEmulatorConsent((await svc.beginConnect({ actor: 'user:ada@example.com' })).url, mine!.realmId);
    expect((await svc.completeConnect({ ...first, actor: 'user:ada@example.com' })).state).toBe('connected');
    const before = await snapshotTables(app.ctx.db, ['connections']);

    const second = await followEmulatorConsent((await svc.beginConnect({ actor: 'user:ada@example.com' })).url, mine!.realmId);
    calls.length = 0;
    const tampered = svc.completeConnect({ ...second, realmId: theirs!.realmId, actor: 'user:ada@example.com' });
    await expect(tampered).rejects.toBeInstanceOf(UserFacingError);
    await expect(tampered).rejects.toThrow(`company ${theirs!.realmId}`);
    await expect(tampered).rejects.toThrow(/nothing was stored/);

    expect(await snapshotTables(app.ctx.db, ['connections'])).toEqual(before);
    expect((await svc.connectionStatus()).realmId).toBe(mine!.realmId);
    expect(calls.some((c) => c.startsWith('POST') && c.includes('/revoke'))).toBe(true);
  });
});
