/** Connecting to a running emulator the way an app does: authorize (auto-consent), then the code exchange. */
import type { RunningEmulator } from '../../src/emulator/run/server.js';

export const demo = { id: 'qbo-connect-demo', secret: 'qbo-connect-demo-secret', redirect: 'http://127.0.0.1:9/callback' };
export const basic = (id = demo.id, secret = demo.secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  x_refresh_token_expires_in: number;
  x_refresh_token_hard_expires_in?: number;
  realmId: string;
}

export function authorizeUrl(emu: Pick<RunningEmulator, 'urls'>, extra: Record<string, string> = {}): string {
  const u = new URL(emu.urls.authorize);
  u.search = new URLSearchParams({
    client_id: demo.id,
    response_type: 'code',
    scope: 'com.intuit.quickbooks.accounting',
    redirect_uri: demo.redirect,
    state: 'st-1',
    ...extra,
  }).toString();
  return u.toString();
}

export async function tokenRequest(emu: Pick<RunningEmulator, 'urls'>, form: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(emu.urls.token, {
    method: 'POST',
    headers: { Authorization: basic(), 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', ...headers },
    body: new URLSearchParams(form),
  });
}

/** Auto-consents (whatever the emulator's setting) and exchanges the code. */
export async function connect(emu: RunningEmulator, company?: string): Promise<Tokens> {
  const before = emu.control.autoConsent();
  emu.control.setAutoConsent(true);
  const res = await fetch(authorizeUrl(emu, company ? { company } : {}), { redirect: 'manual' });
  emu.control.setAutoConsent(before);
  const loc = new URL(res.headers.get('location')!);
  const code = loc.searchParams.get('code');
  const realmId = loc.searchParams.get('realmId');
  if (!code || !realmId) throw new Error(`authorize did not redirect with a code: ${loc.toString()}`);
  const t = await tokenRequest(emu, { grant_type: 'authorization_code', code, redirect_uri: demo.redirect });
  if (t.status !== 200) throw new Error(`token exchange failed: ${t.status} ${await t.text()}`);
  return { ...((await t.json()) as Omit<Tokens, 'realmId'>), realmId };
}

export function api(emu: Pick<RunningEmulator, 'url'>, tokens: Pick<Tokens, 'access_token' | 'realmId'>) {
  const base = `${emu.url}/v3/company/${tokens.realmId}`;
  return (path: string, init: RequestInit = {}) =>
    fetch(`${base}/${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${tokens.access_token}`, Accept: 'application/json', 'Content-Type': 'application/json', ...(init.headers ?? {}) },
    });
}
