/**
 * Security rehearsal: the OAuth callback refuses a missing, forged, reused, expired or foreign
 * `state` — through the web route (real connection service, real emulator) and through the
 * command line's own callback listener — and nothing stored changes when it does.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/run/server.js';
import { createConnectionService, STATE_TTL_MS } from '../../src/connect/connection/connection.js';
import { followEmulatorConsent } from '../../src/cli/auto-consent.js';
import { freePort } from '../helpers/net.js';
import { snapshotTables } from '../helpers/snapshot.js';
import { makeBench, stackTraceIn, type Bench } from './harness.js';
import { callbackPath, consentAs } from './web-connect.js';

describe('security rehearsal: OAuth state on the web callback', () => {
  let emu: RunningEmulator;
  let b: Bench;
  let now = new Date('2026-11-26T01:00:00Z');
  const tables = ['connections', 'oauth_states'];

  beforeAll(async () => {
    emu = await startEmulator({ preset: 'au' });
    b = await makeBench({ env: { QBO_EMULATOR_URL: emu.url }, clock: () => now });
  });
  afterAll(async () => {
    await b?.close();
    await emu?.close();
  });

  const connections = () => snapshotTables(b.app.ctx.db, ['connections']);

  async function refused(p: string, as: 'administrator' | 'bookkeeper' | undefined, text: RegExp) {
    const before = await connections();
    const res = await b.call(p, as ? { as: { person: b.people[as], via: 'session' } } : {});
    const html = await res.text();
    expect(res.status, p).toBe(400);
    expect(html).toMatch(text);
    expect(stackTraceIn(html)).toBeUndefined();
    expect(await connections()).toBe(before);
    return html;
  }

  it('refuses a callback with no state, or a state it never issued', async () => {
    await refused('/connect/callback?code=abc&realmId=123', 'administrator', /had no state parameter/);
    await refused('/connect/callback?code=abc&realmId=123&state=', 'administrator', /had no state parameter/);
    await refused(`/connect/callback?code=abc&realmId=123&state=${'x'.repeat(43)}`, 'administrator', /does not match any connect request/);
    await refused('/connect/callback?code=abc&realmId=123&state=forged', undefined, /does not match any connect request/);
  });

  it("refuses another browser's state (another user's session, or no session), then the right browser still connects", async () => {
    const cb = await consentAs(b, b.people.administrator);
    expect(cb.code && cb.state && cb.realmId).toBeTruthy();
    await refused(callbackPath(cb), 'bookkeeper', /started in another browser session/);
    await refused(callbackPath(cb), undefined, /started in another browser session/);
    const ok = await b.call(callbackPath(cb), { as: { person: b.people.administrator, via: 'session' } });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/connection?done=connected');
    const row = await b.app.ctx.db.selectFrom('connections').selectAll().executeTakeFirstOrThrow();
    expect(row.status).toBe('connected');
    expect(row.connected_by).toBe(b.people.administrator.email);
  });

  it('refuses the same answer a second time: each state works once, and the code is not exchanged again', async () => {
    const cb = await consentAs(b, b.people.administrator);
    const ok = await b.call(callbackPath(cb), { as: { person: b.people.administrator, via: 'session' } });
    expect(ok.status).toBe(303);
    const after = await snapshotTables(b.app.ctx.db, tables);
    await refused(callbackPath(cb), 'administrator', /already used; each one works once/);
    expect(await snapshotTables(b.app.ctx.db, tables)).toBe(after);
  });

  it('refuses a state older than its 10 minutes, and spends a state even when QuickBooks reports an error', async () => {
    const cb = await consentAs(b, b.people.administrator);
    const saved = now;
    now = new Date(saved.getTime() + STATE_TTL_MS + 1000);
    try {
      await refused(callbackPath(cb), 'administrator', /expired \(it is valid for 10 minutes\)/);
    } finally {
      now = saved;
    }
    const denied = await consentAs(b, b.people.administrator);
    await refused(callbackPath({ state: denied.state!, error: 'access_denied' }), 'administrator', /access was not granted/);
    // The code QuickBooks sent with that state cannot be used afterwards either.
    await refused(callbackPath(denied), 'administrator', /already used/);
  });

  it('never shows the code or state it was given in the page, nor writes either to the log', async () => {
    const cb = await consentAs(b, b.people.administrator);
    const res = await b.call(callbackPath(cb), { as: { person: b.people.bookkeeper, via: 'session' } });
    const html = await res.text();
    expect(html).not.toContain(cb.code!);
    expect(html).not.toContain(cb.state!);
    expect(b.lines.length).toBeGreaterThan(0);
    const log = b.lines.join('\n');
    expect(log).not.toContain(cb.code!);
    expect(log).not.toContain(cb.state!);
  });
});

describe('security rehearsal: OAuth state on the command line listener', () => {
  let emu: RunningEmulator;
  let b: Bench;

  beforeAll(async () => {
    emu = await startEmulator({ preset: 'au' });
  });
  afterAll(async () => {
    await b?.close();
    await emu?.close();
  });

  it('refuses a state made for a browser session, and a forged one, and connects nothing', async () => {
    const port = await freePort();
    b = await makeBench({ env: { QBO_EMULATOR_URL: emu.url, QBO_CONNECT_PORT: String(port) } });
    const env = {
      ...process.env,
      QBO_CONNECT_DATA_DIR: b.app.ctx.config.dataDir,
      QBO_CONNECT_LOG_LEVEL: 'silent',
      QBO_ENV: 'emulator',
      QBO_EMULATOR_URL: emu.url,
      QBO_CONNECT_PORT: String(port),
    };
    // A state issued to someone's browser session, answered at the command's listener.
    const svc = createConnectionService({ db: b.app.ctx.db, config: b.app.ctx.config, logger: b.app.ctx.logger, clock: b.app.ctx.clock });
    const browser = await svc.beginConnect({ sessionId: 'someone-else', actor: 'x' });
    const stolen = await followEmulatorConsent(browser.url, undefined);

    for (const [query, text] of [
      [callbackPath(stolen), /started in another browser session/],
      [callbackPath({ code: 'abc', realmId: '1', state: 'forged' }), /does not match any connect request/],
      [callbackPath({ code: 'abc', realmId: '1' }), /had no state parameter/],
    ] as const) {
      const child = spawn(process.execPath, [path.resolve('bin/qbo-connect.js'), 'connect'], { env });
      let out = '';
      child.stdout.on('data', (d) => (out += String(d)));
      child.stderr.on('data', (d) => (out += String(d)));
      const exited = new Promise<number | null>((r) => child.on('exit', r));
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`connect never waited: ${out}`)), 30_000);
        child.stdout.on('data', () => {
          if (out.includes('Waiting')) {
            clearTimeout(t);
            resolve();
          }
        });
      });
      // "Waiting" is printed just before the listener opens its port: knock until it answers.
      let page: Response | undefined;
      for (let i = 0; !page && i < 100; i++) {
        page = await fetch(`http://127.0.0.1:${port}${query}`).catch(async () => {
          await new Promise((r) => setTimeout(r, 50));
          return undefined;
        });
      }
      if (!page) throw new Error(`the listener never answered: ${out}`);
      expect(page.status, query).toBe(400);
      const html = await page.text();
      expect(html).toMatch(text);
      expect(html).not.toContain(stolen.code!);
      expect(await exited).not.toBe(0);
      expect(stackTraceIn(out)).toBeUndefined();
      expect(await b.app.ctx.db.selectFrom('connections').selectAll().execute()).toEqual([]);
    }
  });
});
