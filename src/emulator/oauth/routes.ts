/**
 * Intuit-shaped OAuth 2.0 endpoints (docs/qbo-api.md §oauth): the authorize page, the token endpoint and
 * revoke, at the same paths as Intuit's hosts so a client only swaps the base URL.
 */
import { randomBytes } from 'node:crypto';
import { Hono, type Context } from 'hono';
import type { ClientRegistry, OAuthClientSpec } from './clients.js';
import { consentCss, consentPage, errorPage } from './page.js';
import type { TokenStore } from './tokens.js';

export const oauthPaths = {
  authorize: '/connect/oauth2',
  token: '/oauth2/v1/tokens/bearer',
  revoke: '/v2/oauth2/tokens/revoke',
} as const;

export const ACCOUNTING_SCOPE = 'com.intuit.quickbooks.accounting';

export interface OAuthDeps {
  clients: ClientRegistry;
  tokens: TokenStore;
  companies(): { realmId: string; name: string }[];
  autoConsent(): boolean;
  /** Called after anything that changes token state, so persistence can snapshot. */
  changed?(): void;
  /** Real-time milliseconds, for consent tickets (never scaled: a person fills that form). */
  realNow?(): number;
}

interface Ticket {
  clientId: string;
  redirectUri: string;
  state: string | undefined;
  scope: string;
  expiresAt: number;
}

const TICKET_MS = 10 * 60_000;

function redirectWith(c: Context, redirectUri: string, params: Record<string, string | undefined>) {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return c.redirect(url.toString(), 302);
}

function htmlHeaders(c: Context, formTarget?: string) {
  // form-action also governs the redirect after the consent POST, so the client's origin is allowed.
  const formAction = ["'self'", formTarget ? new URL(formTarget).origin : ''].filter(Boolean).join(' ');
  c.header('Content-Security-Policy', `default-src 'none'; style-src 'self'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('Cache-Control', 'no-store');
}

function basicAuth(c: Context): { id: string; secret: string } | undefined {
  const h = c.req.header('authorization') ?? '';
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(h.trim());
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
}

function oauthError(c: Context, status: 400 | 401, error: string, description?: string) {
  c.header('Cache-Control', 'no-store');
  if (status === 401) c.header('WWW-Authenticate', 'Basic realm="Intuit"');
  return c.json(description ? { error, error_description: description } : { error }, status);
}

export function oauthRoutes(deps: OAuthDeps): Hono {
  const app = new Hono();
  const tickets = new Map<string, Ticket>();
  const realNow = deps.realNow ?? (() => Date.now());

  const pickCompany = (wanted: string | undefined) => {
    const all = deps.companies();
    if (!wanted) return all[0];
    return all.find((co) => co.realmId === wanted) ?? all.find((co) => co.name.toLowerCase() === wanted.toLowerCase());
  };

  app.get('/connect/consent.css', (c) => {
    c.header('Cache-Control', 'max-age=3600');
    return c.body(consentCss, 200, { 'Content-Type': 'text/css; charset=utf-8' });
  });

  app.get(oauthPaths.authorize, (c) => {
    const q = c.req.query();
    const client = deps.clients.get(q.client_id ?? '');
    // Without a known client and a registered redirect URI nothing may be redirected (RFC 6749 §4.1.2.1).
    if (!client) {
      htmlHeaders(c);
      return c.html(errorPage(`Unknown client_id "${q.client_id ?? ''}". Use a client registered with the emulator (the demo client is qbo-connect-demo).`), 400);
    }
    const redirectUri = q.redirect_uri ?? '';
    if (!deps.clients.redirectAllowed(client, redirectUri)) {
      htmlHeaders(c);
      return c.html(errorPage(`The redirect_uri "${redirectUri}" is not registered for client ${client.clientId}.`), 400);
    }
    if (q.response_type !== 'code') return redirectWith(c, redirectUri, { error: 'unsupported_response_type', state: q.state });
    const scope = (q.scope ?? '').trim();
    if (!scope.split(/\s+/).includes(ACCOUNTING_SCOPE)) return redirectWith(c, redirectUri, { error: 'invalid_scope', state: q.state });

    if (deps.autoConsent()) {
      const company = pickCompany(q.company);
      if (!company) return redirectWith(c, redirectUri, { error: 'access_denied', state: q.state });
      const code = deps.tokens.issueCode(client.clientId, redirectUri, company.realmId);
      return redirectWith(c, redirectUri, { code, state: q.state, realmId: company.realmId });
    }

    const now = realNow();
    for (const [k, t] of tickets) if (t.expiresAt < now) tickets.delete(k);
    const ticket = randomBytes(18).toString('base64url');
    tickets.set(ticket, { clientId: client.clientId, redirectUri, state: q.state, scope, expiresAt: now + TICKET_MS });
    htmlHeaders(c, redirectUri);
    return c.html(consentPage({ clientId: client.clientId, ticket, companies: deps.companies(), scope, selected: pickCompany(q.company)?.realmId }));
  });

  app.post(oauthPaths.authorize, async (c) => {
    const form = await c.req.parseBody();
    const ticketId = typeof form.ticket === 'string' ? form.ticket : '';
    const ticket = tickets.get(ticketId);
    tickets.delete(ticketId);
    if (!ticket || ticket.expiresAt < realNow()) {
      htmlHeaders(c);
      return c.html(errorPage('This consent form has expired or was already used. Start the connection again from the app.'), 400);
    }
    if (form.decision !== 'connect') return redirectWith(c, ticket.redirectUri, { error: 'access_denied', state: ticket.state });
    const company = pickCompany(typeof form.realmId === 'string' ? form.realmId : undefined);
    if (!company || company.realmId !== form.realmId) {
      htmlHeaders(c);
      return c.html(errorPage('Choose one of the listed companies.'), 400);
    }
    const code = deps.tokens.issueCode(ticket.clientId, ticket.redirectUri, company.realmId);
    return redirectWith(c, ticket.redirectUri, { code, state: ticket.state, realmId: company.realmId });
  });

  const authenticate = (c: Context): OAuthClientSpec | undefined => {
    const creds = basicAuth(c);
    return creds ? deps.clients.authenticate(creds.id, creds.secret) : undefined;
  };

  app.post(oauthPaths.token, async (c) => {
    const client = authenticate(c);
    if (!client) return oauthError(c, 401, 'invalid_client');
    const type = c.req.header('content-type') ?? '';
    if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) return oauthError(c, 400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
    const form = new URLSearchParams(await c.req.text());
    const withHard = (c.req.header('x-include-refresh-token-hard-expires-in') ?? '').toLowerCase() === 'true';
    const grantType = form.get('grant_type');
    c.header('Cache-Control', 'no-store');
    c.header('Pragma', 'no-cache');
    if (grantType === 'authorization_code') {
      const code = form.get('code');
      const redirectUri = form.get('redirect_uri');
      if (!code || !redirectUri) return oauthError(c, 400, 'invalid_request', 'code and redirect_uri are required');
      const result = deps.tokens.exchangeCode(client.clientId, code, redirectUri, withHard);
      deps.changed?.();
      if (result === 'invalid_grant') return oauthError(c, 400, 'invalid_grant');
      return c.json(result);
    }
    if (grantType === 'refresh_token') {
      const rt = form.get('refresh_token');
      if (!rt) return oauthError(c, 400, 'invalid_request', 'refresh_token is required');
      const result = deps.tokens.refresh(client.clientId, rt, withHard);
      deps.changed?.();
      if (result === 'invalid_grant') return oauthError(c, 400, 'invalid_grant', 'Token invalid');
      return c.json(result.tokens);
    }
    return oauthError(c, 400, 'unsupported_grant_type');
  });

  app.post(oauthPaths.revoke, async (c) => {
    const client = authenticate(c);
    if (!client) return oauthError(c, 401, 'invalid_client');
    let token: unknown;
    const type = (c.req.header('content-type') ?? '').toLowerCase();
    try {
      token = type.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(await c.req.text()).get('token') : ((await c.req.json()) as { token?: unknown }).token;
    } catch {
      return oauthError(c, 400, 'invalid_request', 'the body must be JSON {"token": "..."}');
    }
    if (typeof token !== 'string' || !token) return oauthError(c, 400, 'invalid_request', 'token is required');
    // RFC 7009: an unknown token is not an error to the caller.
    if (deps.tokens.revoke(client.clientId, token)) deps.changed?.();
    return c.body(null, 200);
  });

  return app;
}
