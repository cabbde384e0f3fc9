/** The emulator's OAuth 2.0 over real HTTP: consent page, code exchange, refresh rotation, revoke, API access. */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { startEmulator, type RunningEmulator, type StartEmulatorOptions } from '../src/emulator/run/server.js';
import { api, authorizeUrl, basic, connect, demo, tokenRequest } from './helpers/emulator-connect.js';

let emu: RunningEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});
const start = async (opts: StartEmulatorOptions = {}) => (emu = await startEmulator({ preset: 'au', ...opts }));

async function consentForm(e: RunningEmulator) {
  const page = await fetch(authorizeUrl(e));
  const html = await page.text();
  const ticket = /name="ticket" value="([^"]+)"/.exec(html)?.[1];
  return { page, html, ticket: ticket! };
}

describe('emulator OAuth', () => {
  it('serves a consent page listing the companies, with no script and a CSP', async () => {
    const e = await start();
    e.control.seedCompany({ preset: 'uk', name: 'Second & Co' });
    const { page, html } = await consentForm(e);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('script-src');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('Emulated Practice Pty Ltd');
    expect(html).toContain('Second &amp; Co');
    expect(html.match(/type="radio" name="realmId"/g)).toHaveLength(2);
    expect(html).toMatch(/<button[^>]*value="connect"[^>]*>Connect</);
    expect(html).toMatch(/<button[^>]*value="cancel"[^>]*>Cancel</);
    expect(page.headers.get('intuit_tid')).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    const first = e.control.companies()[0]!;
    expect(html).toContain(`value="${first.realmId}" checked`);
    // `company` preselects one.
    const second = e.control.companies()[1]!;
    const pre = await (await fetch(authorizeUrl(e, { company: second.realmId }))).text();
    expect(pre).toContain(`value="${second.realmId}" checked`);
    expect(pre).not.toContain(`value="${first.realmId}" checked`);
  });

  it('redirects with code, state and realmId on Connect, and access_denied on Cancel', async () => {
    const e = await start();
    const second = e.control.seedCompany({ preset: 'us', name: 'Chosen Inc' });
    const { ticket } = await consentForm(e);
    const ok = await fetch(`${e.url}/connect/oauth2`, { method: 'POST', body: new URLSearchParams({ ticket, realmId: second.realmId, decision: 'connect' }), redirect: 'manual' });
    expect(ok.status).toBe(302);
    const loc = new URL(ok.headers.get('location')!);
    expect(loc.origin + loc.pathname).toBe(demo.redirect);
    expect(loc.searchParams.get('state')).toBe('st-1');
    expect(loc.searchParams.get('realmId')).toBe(second.realmId);
    expect(loc.searchParams.get('code')).toBeTruthy();
    // The ticket is single use.
    const again = await fetch(`${e.url}/connect/oauth2`, {
      method: 'POST',
      body: new URLSearchParams({ ticket, realmId: second.realmId, decision: 'connect' }),
      redirect: 'manual',
    });
    expect(again.status).toBe(400);

    const { ticket: t2 } = await consentForm(e);
    const cancel = await fetch(`${e.url}/connect/oauth2`, { method: 'POST', body: new URLSearchParams({ ticket: t2, decision: 'cancel' }), redirect: 'manual' });
    const cl = new URL(cancel.headers.get('location')!);
    expect(cl.searchParams.get('error')).toBe('access_denied');
    expect(cl.searchParams.get('state')).toBe('st-1');
    expect(cl.searchParams.has('code')).toBe(false);
  });

  it('never redirects to an unregistered URI or for an unknown client', async () => {
    const e = await start();
    for (const extra of [{ client_id: 'nobody' }, { redirect_uri: 'https://evil.example/cb' }, { redirect_uri: 'http://127.0.0.2:5/cb' }] as Record<string, string>[]) {
      const r = await fetch(authorizeUrl(e, extra), { redirect: 'manual' });
      expect(r.status).toBe(400);
      expect(r.headers.get('location')).toBeNull();
    }
    // The demo client takes any loopback port.
    e.control.setAutoConsent(true);
    const r = await fetch(authorizeUrl(e, { redirect_uri: 'http://localhost:61234/x' }), { redirect: 'manual' });
    expect(r.status).toBe(302);
  });

  it('auto-consents for the first company or the one named by `company`', async () => {
    const e = await start({ autoConsent: true });
    const second = e.control.seedCompany({ preset: 'ca', name: 'Maple Ltd' });
    const first = e.control.companies()[0]!;
    const a = new URL((await fetch(authorizeUrl(e), { redirect: 'manual' })).headers.get('location')!);
    expect(a.searchParams.get('realmId')).toBe(first.realmId);
    const b = new URL((await fetch(authorizeUrl(e, { company: second.realmId }), { redirect: 'manual' })).headers.get('location')!);
    expect(b.searchParams.get('realmId')).toBe(second.realmId);
    const c = new URL((await fetch(authorizeUrl(e, { company: 'maple ltd' }), { redirect: 'manual' })).headers.get('location')!);
    expect(c.searchParams.get('realmId')).toBe(second.realmId);
  });

  it('exchanges a code once, only with the same redirect_uri and valid client credentials', async () => {
    const e = await start({ autoConsent: true });
    const code = async () => new URL((await fetch(authorizeUrl(e), { redirect: 'manual' })).headers.get('location')!).searchParams.get('code')!;

    const c1 = await code();
    const mismatch = await tokenRequest(e, { grant_type: 'authorization_code', code: c1, redirect_uri: 'http://127.0.0.1:9/other' });
    expect(mismatch.status).toBe(400);
    expect(await mismatch.json()).toMatchObject({ error: 'invalid_grant' });

    const c2 = await code();
    const badClient = await fetch(e.urls.token, {
      method: 'POST',
      headers: { Authorization: basic(demo.id, 'wrong'), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: c2, redirect_uri: demo.redirect }),
    });
    expect(badClient.status).toBe(401);
    expect(await badClient.json()).toEqual({ error: 'invalid_client' });

    const first = await tokenRequest(e, { grant_type: 'authorization_code', code: c2, redirect_uri: demo.redirect });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toContain('no-store');
    const body = (await first.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 3600, x_refresh_token_expires_in: 8_726_400 });
    expect(body).not.toHaveProperty('x_refresh_token_hard_expires_in');
    const second = await tokenRequest(e, { grant_type: 'authorization_code', code: c2, redirect_uri: demo.redirect });
    expect(second.status).toBe(400);
    expect(await second.json()).toMatchObject({ error: 'invalid_grant' });

    const unsupported = await tokenRequest(e, { grant_type: 'password' });
    expect(await unsupported.json()).toEqual({ error: 'unsupported_grant_type' });
  });

  it('sends the hard-expiry field when its header is sent', async () => {
    const e = await start();
    const t = await connect(e);
    const r = await tokenRequest(e, { grant_type: 'refresh_token', refresh_token: t.refresh_token }, { 'x-include-refresh-token-hard-expires-in': 'true' });
    const body = (await r.json()) as Record<string, number>;
    // Counted from the first consent, so a moment less than five years by now.
    expect(body.x_refresh_token_hard_expires_in).toBeLessThanOrEqual(5 * 365 * 24 * 3600);
    expect(body.x_refresh_token_hard_expires_in).toBeGreaterThan(5 * 365 * 24 * 3600 - 60);
    const plain = (await (await tokenRequest(e, { grant_type: 'refresh_token', refresh_token: body.refresh_token as unknown as string })).json()) as Record<string, number>;
    expect(plain).not.toHaveProperty('x_refresh_token_hard_expires_in');
  });

  it('rotates refresh tokens, keeps the previous one for the grace period, then answers invalid_grant', async () => {
    const e = await start({ tokenLifetimes: { refreshGraceSeconds: 60 } });
    const t = await connect(e);
    const r1 = (await (await tokenRequest(e, { grant_type: 'refresh_token', refresh_token: t.refresh_token })).json()) as Record<string, string>;
    expect(r1.refresh_token).not.toBe(t.refresh_token);
    expect(r1.access_token).not.toBe(t.access_token);

    const inGrace = await tokenRequest(e, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
    expect(inGrace.status).toBe(200);
    const latest = ((await inGrace.json()) as Record<string, string>).refresh_token!;

    e.control.advanceClock({ seconds: 61 });
    const late = await tokenRequest(e, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
    expect(late.status).toBe(400);
    expect(await late.json()).toMatchObject({ error: 'invalid_grant' });
    expect((await tokenRequest(e, { grant_type: 'refresh_token', refresh_token: latest })).status).toBe(200);
  });

  it('lets API calls through with a live token: 401 when expired or revoked, 403 for another company', async () => {
    const e = await start({ tokenLifetimes: { accessSeconds: 30 } });
    const other = e.control.seedCompany({ preset: 'us' });
    const t = await connect(e);
    const call = api(e, t);
    const ok = await call(`companyinfo/${t.realmId}`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('intuit_tid')).toBeTruthy();

    const none = await fetch(`${e.url}/v3/company/${t.realmId}/companyinfo/${t.realmId}`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="Intuit", error="invalid_token"');
    const noneBody = (await none.json()) as { fault: { error: { code: string; message: string }[]; type: string } };
    expect(noneBody.fault.error[0]).toMatchObject({ code: '3200', message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401' });

    const wrong = await api(e, { ...t, realmId: other.realmId })(`companyinfo/${other.realmId}`);
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { fault: { error: { code: string }[] } }).fault.error[0]!.code).toBe('3100');

    e.control.advanceClock({ seconds: 31 });
    const expired = await call(`companyinfo/${t.realmId}`);
    expect(expired.status).toBe(401);
    expect(JSON.stringify(await expired.json())).toContain('Token expired');

    const fresh = (await (await tokenRequest(e, { grant_type: 'refresh_token', refresh_token: t.refresh_token })).json()) as { access_token: string };
    expect((await api(e, { ...t, access_token: fresh.access_token })(`companyinfo/${t.realmId}`)).status).toBe(200);

    const revoke = await fetch(e.urls.revoke, {
      method: 'POST',
      headers: { Authorization: basic(), 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ token: t.refresh_token }),
    });
    expect(revoke.status).toBe(200);
    expect((await api(e, { ...t, access_token: fresh.access_token })(`companyinfo/${t.realmId}`)).status).toBe(401);
    const after = await tokenRequest(e, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
    expect(await after.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('accepts the client given by the environment with its exact redirect URI', async () => {
    const e = await start({ autoConsent: true, clients: [{ clientId: 'prod-app', clientSecret: 's3cret', redirectUris: ['https://app.example/cb'] }] });
    const u = authorizeUrl(e, { client_id: 'prod-app', redirect_uri: 'https://app.example/cb' });
    const loc = new URL((await fetch(u, { redirect: 'manual' })).headers.get('location')!);
    const code = loc.searchParams.get('code')!;
    const r = await fetch(e.urls.token, {
      method: 'POST',
      headers: { Authorization: basic('prod-app', 's3cret'), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: 'https://app.example/cb' }),
    });
    expect(r.status).toBe(200);
    expect((await fetch(authorizeUrl(e, { client_id: 'prod-app', redirect_uri: 'https://app.example/other' }), { redirect: 'manual' })).status).toBe(400);
  });

  it('never writes a token, code or secret to its log', async () => {
    let logged = '';
    const sink = new Writable({ write: (chunk, _enc, cb) => ((logged += String(chunk)), cb()) });
    const e = await start({ logger: createLogger('trace', sink) });
    const t = await connect(e);
    await api(e, t)(`companyinfo/${t.realmId}`);
    await tokenRequest(e, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
    expect(logged).toContain('emulator request');
    for (const secret of [t.access_token, t.refresh_token, demo.secret]) expect(logged).not.toContain(secret);
    expect(logged).not.toMatch(/code=/);
  });
});
