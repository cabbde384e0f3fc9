import { describe, expect, it } from 'vitest';
import { DEFAULT_EMULATOR_URL, companyBaseUrl, endpointsFromConfig } from './endpoints.js';
import { OAuthError, QBO_ACCOUNTING_SCOPE, authorizeUrl, createOAuthState, exchangeCode, refreshTokens, revokeToken } from './oauth.js';

const base = { publicUrl: 'http://127.0.0.1:3000' };

describe('endpoints', () => {
  it('uses Intuit hosts for production and sandbox, and the emulator paths locally', () => {
    const prod = endpointsFromConfig({ ...base, qboEnv: 'production', clientId: 'id', clientSecret: 's' });
    expect(prod).toMatchObject({
      apiBase: 'https://quickbooks.api.intuit.com',
      tokenUrl: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
      redirectUri: 'http://127.0.0.1:3000/connect/callback',
    });
    expect(endpointsFromConfig({ ...base, qboEnv: 'sandbox' }).apiBase).toBe('https://sandbox-quickbooks.api.intuit.com');
    const emu = endpointsFromConfig({ ...base, qboEnv: 'emulator' });
    expect(emu).toMatchObject({
      authorizeUrl: `${DEFAULT_EMULATOR_URL}/connect/oauth2`,
      tokenUrl: `${DEFAULT_EMULATOR_URL}/oauth2/v1/tokens/bearer`,
      revokeUrl: `${DEFAULT_EMULATOR_URL}/v2/oauth2/tokens/revoke`,
      clientId: 'qbo-connect-demo',
      clientSecret: 'qbo-connect-demo-secret',
    });
    expect(companyBaseUrl(endpointsFromConfig({ ...base, qboEnv: 'emulator', emulatorUrl: 'http://127.0.0.1:9/' }), '123')).toBe('http://127.0.0.1:9/v3/company/123/');
    expect(() => companyBaseUrl(emu, '../1')).toThrow(/realm/);
  });
});

describe('oauth', () => {
  const endpoints = endpointsFromConfig({ ...base, qboEnv: 'sandbox', clientId: 'my-id', clientSecret: 'my-secret', redirectUri: 'https://example.com/cb' });
  const now = new Date('2026-01-01T00:00:00Z');

  function fakeFetch(status: number, body: unknown, seen: { url?: string; init?: RequestInit }[] = []): typeof fetch {
    return (async (url: string | URL | Request, init?: RequestInit) => {
      seen.push({ url: String(url), init });
      return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status });
    }) as typeof fetch;
  }

  it('builds the authorize URL with the accounting scope and the given state', () => {
    const state = createOAuthState();
    expect(state.length).toBeGreaterThanOrEqual(43);
    const u = new URL(authorizeUrl(endpoints, state));
    expect(u.origin + u.pathname).toBe('https://appcenter.intuit.com/connect/oauth2');
    expect(Object.fromEntries(u.searchParams)).toEqual({ client_id: 'my-id', response_type: 'code', scope: QBO_ACCOUNTING_SCOPE, redirect_uri: 'https://example.com/cb', state });
    expect(() => authorizeUrl(endpointsFromConfig({ ...base, qboEnv: 'production' }), 's')).toThrow(/QBO_CLIENT_ID/);
  });

  it('refreshes with Basic auth, a form body and the hard-expiry header, and reads every expiry', async () => {
    const seen: { url?: string; init?: RequestInit }[] = [];
    const t = await refreshTokens(
      {
        endpoints,
        clock: () => now,
        fetch: fakeFetch(200, { access_token: 'A', refresh_token: 'R', expires_in: 3600, x_refresh_token_expires_in: 8726400, x_refresh_token_hard_expires_in: 100 }, seen),
      },
      'old-refresh',
    );
    expect(t).toEqual({
      accessToken: 'A',
      refreshToken: 'R',
      accessExpiresAt: new Date('2026-01-01T01:00:00Z'),
      refreshExpiresAt: new Date(now.getTime() + 8726400_000),
      refreshHardExpiresAt: new Date(now.getTime() + 100_000),
    });
    const headers = seen[0]!.init!.headers as Record<string, string>;
    expect(headers['authorization']).toBe(`Basic ${Buffer.from('my-id:my-secret').toString('base64')}`);
    expect(headers['x-include-refresh-token-hard-expires-in']).toBe('true');
    expect(Object.fromEntries(new URLSearchParams(String(seen[0]!.init!.body)))).toEqual({ grant_type: 'refresh_token', refresh_token: 'old-refresh' });
  });

  it('exchanges a code with the same redirect URI', async () => {
    const seen: { url?: string; init?: RequestInit }[] = [];
    await exchangeCode({ endpoints, fetch: fakeFetch(200, { access_token: 'A', refresh_token: 'R', expires_in: 3600 }, seen) }, 'the-code');
    expect(Object.fromEntries(new URLSearchParams(String(seen[0]!.init!.body)))).toEqual({
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: 'https://example.com/cb',
    });
  });

  it('tells invalid_grant, bad credentials and temporary failures apart, never echoing a token', async () => {
    const kind = async (f: typeof fetch) => {
      const e = await refreshTokens({ endpoints, fetch: f }, 'SECRET-REFRESH').catch((x: unknown) => x);
      expect(e).toBeInstanceOf(OAuthError);
      expect(String((e as Error).message)).not.toContain('SECRET-REFRESH');
      return (e as OAuthError).kind;
    };
    expect(await kind(fakeFetch(400, { error: 'invalid_grant' }))).toBe('invalid-grant');
    expect(await kind(fakeFetch(401, { error: 'invalid_client' }))).toBe('invalid-client');
    expect(await kind(fakeFetch(429, ''))).toBe('temporary');
    expect(await kind(fakeFetch(503, '<html>'))).toBe('temporary');
    expect(await kind((async () => Promise.reject(new TypeError('fetch failed'))) as typeof fetch)).toBe('temporary');
    expect(await kind(fakeFetch(200, { access_token: 'A' }))).toBe('protocol');
    expect(await kind(fakeFetch(200, 'not json'))).toBe('protocol');
  });

  it('revokes with a JSON body and treats an already-dead token as revoked', async () => {
    const seen: { url?: string; init?: RequestInit }[] = [];
    await revokeToken({ endpoints, fetch: fakeFetch(200, '', seen) }, 'tok');
    expect(seen[0]!.url).toBe('https://developer.api.intuit.com/v2/oauth2/tokens/revoke');
    expect(JSON.parse(String(seen[0]!.init!.body))).toEqual({ token: 'tok' });
    await expect(revokeToken({ endpoints, fetch: fakeFetch(400, { error: 'invalid_grant' }) }, 'tok')).resolves.toBeUndefined();
    await expect(revokeToken({ endpoints, fetch: fakeFetch(500, '') }, 'tok')).rejects.toMatchObject({ kind: 'temporary' });
  });
});
