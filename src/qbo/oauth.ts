/**
 * OAuth 2.0 with Intuit: authorize URL, code exchange, refresh, revoke.
 *
 * Written on fetch rather than oauth4webapi because of Intuit's quirks and our retry rules:
 * - revoke takes a JSON body `{"token": …}` (docs/qbo-api.md §oauth), not RFC 7009's form body;
 * - refresh must send `x-include-refresh-token-hard-expires-in: true` and read the non-standard
 *   `x_refresh_token_expires_in` / `x_refresh_token_hard_expires_in` fields;
 * - the callback carries `realmId` beside `code` and `state`;
 * - the emulator runs on plain http://127.0.0.1, which oauth4webapi refuses without an escape hatch;
 * - we must tell `invalid_grant` (connection over) apart from 429/5xx/network (try later) exactly,
 *   and never retry a refresh POST behind the caller's back (a lost rotation cannot be replayed).
 * Four small calls are easier to audit than an adapter around a library that fights each point.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import type { QboEndpoints } from './endpoints.js';

export const QBO_ACCOUNTING_SCOPE = 'com.intuit.quickbooks.accounting';

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: Date;
  refreshExpiresAt: Date | null;
  refreshHardExpiresAt: Date | null;
}

export type OAuthErrorKind = 'invalid-grant' | 'invalid-client' | 'not-configured' | 'temporary' | 'protocol';

/** Never carries a token: the message says what happened and what to do. */
export class OAuthError extends Error {
  override name = 'OAuthError';
  constructor(
    readonly kind: OAuthErrorKind,
    message: string,
    readonly status?: number,
    readonly intuitTid?: string,
  ) {
    super(message);
  }
}

export interface OAuthDeps {
  endpoints: QboEndpoints;
  fetch?: typeof fetch;
  clock?: () => Date;
  timeoutMs?: number;
}

/** A fresh, unguessable `state` (256 bits). The caller stores it single-use, bound to the session. */
export function createOAuthState(): string {
  return crypto.randomBytes(32).toString('base64url');
}

function credentials(endpoints: QboEndpoints): { id: string; secret: string } {
  if (!endpoints.clientId || !endpoints.clientSecret) {
    throw new OAuthError('not-configured', 'QBO_CLIENT_ID and QBO_CLIENT_SECRET must be set to connect to QuickBooks (see README, "Connecting to Intuit")');
  }
  return { id: endpoints.clientId, secret: endpoints.clientSecret };
}

export function authorizeUrl(endpoints: QboEndpoints, state: string): string {
  const { id } = credentials(endpoints);
  const url = new URL(endpoints.authorizeUrl);
  url.searchParams.set('client_id', id);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', QBO_ACCOUNTING_SCOPE);
  url.searchParams.set('redirect_uri', endpoints.redirectUri);
  url.searchParams.set('state', state);
  return url.toString();
}

const tokenResponse = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().positive(),
  x_refresh_token_expires_in: z.coerce.number().positive().optional(),
  x_refresh_token_hard_expires_in: z.coerce.number().positive().optional(),
});

const errorResponse = z.object({ error: z.string(), error_description: z.string().optional() });

function basic(endpoints: QboEndpoints): string {
  const { id, secret } = credentials(endpoints);
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

async function post(
  deps: OAuthDeps,
  url: string,
  init: { headers: Record<string, string>; body: string },
  what: string,
): Promise<{ status: number; text: string; tid: string | undefined }> {
  const doFetch = deps.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, { method: 'POST', headers: init.headers, body: init.body, signal: AbortSignal.timeout(deps.timeoutMs ?? 30_000) });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    throw new OAuthError('temporary', `Intuit's token service could not be reached for the ${what} (${timedOut ? 'timed out' : 'network error'}); try again shortly`);
  }
  const text = await res.text().catch(() => '');
  return { status: res.status, text, tid: res.headers.get('intuit_tid') ?? res.headers.get('intuit-tid') ?? undefined };
}

function failure(what: string, status: number, text: string, tid: string | undefined): OAuthError {
  if (status === 429 || status >= 500)
    return new OAuthError('temporary', `Intuit's token service is busy or failing (HTTP ${status}) during the ${what}; try again shortly`, status, tid);
  let code: string | undefined;
  try {
    const parsed = errorResponse.safeParse(JSON.parse(text));
    if (parsed.success) code = parsed.data.error;
  } catch {
    // not JSON: fall through to the status
  }
  if (code === 'invalid_grant')
    return new OAuthError('invalid-grant', `Intuit rejected the grant during the ${what} (invalid_grant): the company must be connected again`, status, tid);
  if (code === 'invalid_client' || status === 401)
    return new OAuthError('invalid-client', `Intuit rejected the app's credentials during the ${what}: check QBO_CLIENT_ID and QBO_CLIENT_SECRET`, status, tid);
  return new OAuthError('protocol', `Intuit's token service answered HTTP ${status}${code ? ` (${code})` : ''} during the ${what}`, status, tid);
}

async function tokenRequest(deps: OAuthDeps, form: Record<string, string>, what: string): Promise<TokenSet> {
  const { endpoints } = deps;
  const now = (deps.clock ?? (() => new Date()))();
  const { status, text, tid } = await post(
    deps,
    endpoints.tokenUrl,
    {
      headers: {
        authorization: basic(endpoints),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
        // docs/qbo-api.md §oauth: opt in to the 5-year hard expiry so the UI can warn before it.
        'x-include-refresh-token-hard-expires-in': 'true',
      },
      body: new URLSearchParams(form).toString(),
    },
    what,
  );
  if (status !== 200) throw failure(what, status, text, tid);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new OAuthError('protocol', `Intuit's token service answered the ${what} with something that is not JSON`, status, tid);
  }
  const parsed = tokenResponse.safeParse(body);
  if (!parsed.success) throw new OAuthError('protocol', `Intuit's token answer to the ${what} lacks ${parsed.error.issues[0]?.path.join('.') ?? 'a field'}`, status, tid);
  const t = parsed.data;
  const at = (secs: number | undefined) => (secs === undefined ? null : new Date(now.getTime() + secs * 1000));
  return {
    accessToken: t.access_token,
    refreshToken: t.refresh_token,
    accessExpiresAt: new Date(now.getTime() + t.expires_in * 1000),
    refreshExpiresAt: at(t.x_refresh_token_expires_in),
    refreshHardExpiresAt: at(t.x_refresh_token_hard_expires_in),
  };
}

/** Exchanges an authorization code. Call it once per code: a second exchange can poison the grant. */
export function exchangeCode(deps: OAuthDeps, code: string): Promise<TokenSet> {
  return tokenRequest(deps, { grant_type: 'authorization_code', code, redirect_uri: deps.endpoints.redirectUri }, 'code exchange');
}

/** One refresh POST, never retried here: the caller holds the refresh lock and decides. */
export function refreshTokens(deps: OAuthDeps, refreshToken: string): Promise<TokenSet> {
  return tokenRequest(deps, { grant_type: 'refresh_token', refresh_token: refreshToken }, 'token refresh');
}

/** Revokes a refresh (or access) token, which disconnects the app from the company. */
export async function revokeToken(deps: OAuthDeps, token: string): Promise<void> {
  const { status, text, tid } = await post(
    deps,
    deps.endpoints.revokeUrl,
    {
      headers: { authorization: basic(deps.endpoints), 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ token }),
    },
    'revoke',
  );
  // An already-invalid token is as revoked as it gets.
  if (status === 200 || status === 204) return;
  const err = failure('revoke', status, text, tid);
  if (err.kind === 'invalid-grant') return;
  throw err;
}
