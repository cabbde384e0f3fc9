/**
 * Issue 12 §5: the emulator's /control surface cannot be driven from a web page. A cross-site form
 * (text/plain, no token) cannot reset the company; a rebinding page (foreign Host) cannot read a
 * dump; a foreign Origin is refused; writes need application/json and the printed control token.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/run/server.js';

function raw(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('security: the emulator control surface', () => {
  let emu: RunningEmulator;
  let c: string;
  let realmId: string;
  beforeAll(async () => {
    emu = await startEmulator({ preset: 'au', control: true });
    c = emu.urls.control!;
    realmId = emu.control.companies()[0]!.realmId;
  });
  afterAll(async () => emu?.close());

  it('a cross-site text/plain form cannot reset the company', async () => {
    const res = await fetch(`${c}/reset`, { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'http://evil.example' }, body: '{"preset":"us"}' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    const sameSiteForm = await fetch(`${c}/reset`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"preset":"us"}' });
    expect(sameSiteForm.status).toBe(415);
    expect(emu.control.companies().map((x) => x.realmId)).toEqual([realmId]);
  });

  it('a page on another host name (DNS rebinding) cannot read a company dump', async () => {
    expect(await raw(`${c}/companies/${realmId}/dump`, { headers: { host: 'rebind.evil.example' } })).toBe(421);
    expect(await raw(`${c}/companies/${realmId}/dump`, { headers: { host: `localhost:${emu.port}` } })).toBe(200);
  });

  it('refuses a foreign Origin even on reads', async () => {
    expect((await fetch(`${c}/companies`, { headers: { origin: 'http://evil.example' } })).status).toBe(403);
  });

  it('a JSON write needs the control token', async () => {
    const body = JSON.stringify({ seconds: 1 });
    expect((await fetch(`${c}/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status).toBe(401);
    expect((await fetch(`${c}/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-control-token': 'guess' }, body })).status).toBe(401);
    const ok = await fetch(`${c}/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-control-token': emu.controlToken }, body });
    expect(ok.status).toBe(200);
  });

  it('each emulator gets its own random token', async () => {
    const other = await startEmulator({ preset: 'none', control: true });
    try {
      expect(other.controlToken).not.toBe(emu.controlToken);
      expect(other.controlToken.length).toBeGreaterThanOrEqual(32);
    } finally {
      await other.close();
    }
  });
});
