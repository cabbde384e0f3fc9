/**
 * Security rehearsal: every route the app answers (read from Hono's own route table, so a new route
 * shows up here by itself) against no session and every role, through a browser session and an API
 * token. Each response is also checked for the security headers, cookie attributes and the absence
 * of stack traces. A route with no row in `expected` fails the suite until someone decides who may
 * call it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/accounts/users.js';
import { createApiToken, revokeApiToken } from '../../src/accounts/api-tokens.js';
import { createSession } from '../../src/accounts/sessions.js';
import { createUser, disableUser, findUserByEmail } from '../../src/accounts/users.js';
import { concrete, expectSafeCookies, expectSecurityHeaders, makeBench, rank, roleNames, routesOf, stackTraceIn, type Bench, type Person } from './harness.js';

type Expectation = {
  /** 'public': answered without a session; otherwise the lowest role allowed. */
  min: Role | 'public';
  /** The call ends the session it was made with (sign-out): it gets a session of its own. */
  endsSession?: true;
};

const expected: Record<string, Expectation> = {
  'GET /healthz': { min: 'public' },
  'GET /readyz': { min: 'public' },
  // No session or role: its own bearer token (QBO_CONNECT_METRICS_TOKEN; test/ops/metrics-and-run-logs), 404 while unset.
  'GET /metrics': { min: 'public' },
  // No session or role: the intuit-signature over the body (QBO_WEBHOOK_VERIFIER_TOKEN; test/webhooks/intuit-route.test.ts), 404 while unset.
  'POST /webhooks/intuit': { min: 'public' },
  'GET /static/htmx.min.js': { min: 'public' },
  'GET /static/app.css': { min: 'public' },
  'GET /setup': { min: 'public' },
  'POST /setup': { min: 'public' },
  'GET /signin': { min: 'public' },
  'POST /signin': { min: 'public' },
  'GET /connect/callback': { min: 'public' },
  'POST /signout': { min: 'viewer', endsSession: true },
  'GET /': { min: 'viewer' },
  'GET /connection': { min: 'viewer' },
  // The firm overview: every practice's companies (issue 15).
  'GET /firm': { min: 'administrator' },
  'POST /firm/check': { min: 'administrator' },
  'POST /firm/practices': { min: 'administrator' },
  'POST /connection/connect': { min: 'administrator' },
  'POST /connection/disconnect': { min: 'administrator' },
  'POST /connection/logout': { min: 'administrator' },
  'GET /users': { min: 'administrator' },
  'POST /users': { min: 'administrator' },
  'POST /users/:id/disable': { min: 'administrator' },
  'GET /account': { min: 'viewer' },
  'POST /account/tokens': { min: 'viewer' },
  'POST /account/tokens/:id/revoke': { min: 'viewer' },
  'POST /account/password': { min: 'viewer' },
  'GET /preview': { min: 'viewer' },
  'POST /preview/skip': { min: 'bookkeeper' },
  'POST /preview/skip-group': { min: 'bookkeeper' },
  'POST /preview/prefill': { min: 'bookkeeper' },
  'GET /sync': { min: 'viewer' },
  'GET /sync/runs/:id': { min: 'viewer' },
  'GET /sync/runs/:id/progress': { min: 'viewer' },
  'POST /sync': { min: 'bookkeeper' },
  'GET /history': { min: 'viewer' },
  'GET /history/:id': { min: 'viewer' },
  'GET /history/:id/undo': { min: 'bookkeeper' },
  'POST /history/:id/undo': { min: 'bookkeeper' },
  'GET /skipped': { min: 'viewer' },
  'POST /skipped/restore': { min: 'bookkeeper' },
  'GET /settings': { min: 'viewer' },
  'GET /settings/audit': { min: 'viewer' },
  'POST /settings': { min: 'administrator' },
  'GET /settings/notifications': { min: 'viewer' },
  'POST /settings/notifications': { min: 'administrator' },
  'POST /settings/notifications/test': { min: 'administrator' },
  'GET /schedule': { min: 'viewer' },
  'POST /schedule': { min: 'administrator' },
  // Which offices a company takes (issue 15, office routing).
  'GET /offices': { min: 'viewer' },
  'POST /offices': { min: 'administrator' },
  'GET /practice': { min: 'viewer' },
  'GET /practice/:kind/:key': { min: 'viewer' },
  'GET /practice/go': { min: 'viewer' },
  'POST /practice/contact/:key': { min: 'bookkeeper' },
  'GET /api/v1/firm': { min: 'administrator' },
  'GET /api/v1/connection': { min: 'viewer' },
  'POST /api/v1/practice/import': { min: 'bookkeeper' },
  'GET /api/v1/practice/:kind': { min: 'viewer' },
  'GET /api/v1/practice/:kind/:key': { min: 'viewer' },
  'POST /api/v1/practice/:kind': { min: 'bookkeeper' },
  'PUT /api/v1/practice/:kind/:key': { min: 'bookkeeper' },
  'GET /api/v1/settings': { min: 'viewer' },
  'GET /api/v1/settings/audit': { min: 'viewer' },
  'PUT /api/v1/settings/:path': { min: 'administrator' },
  'GET /api/v1/notifications': { min: 'viewer' },
  'GET /api/v1/notifications/audit': { min: 'viewer' },
  'PUT /api/v1/notifications': { min: 'administrator' },
  'POST /api/v1/notifications/test': { min: 'administrator' },
  'GET /api/v1/schedule': { min: 'viewer' },
  'PUT /api/v1/schedule': { min: 'administrator' },
  'GET /api/v1/company/offices': { min: 'viewer' },
  'PUT /api/v1/company/offices': { min: 'administrator' },
  'GET /api/v1/skipped': { min: 'viewer' },
  'POST /api/v1/skipped': { min: 'bookkeeper' },
  'DELETE /api/v1/skipped/:kind/:id': { min: 'bookkeeper' },
  'GET /api/v1/preview': { min: 'viewer' },
  'POST /api/v1/preview/skip': { min: 'bookkeeper' },
  'POST /api/v1/sync': { min: 'bookkeeper' },
  'GET /api/v1/sync/progress': { min: 'viewer' },
  'GET /api/v1/sync/runs/:id': { min: 'viewer' },
  'GET /api/v1/history': { min: 'viewer' },
  'GET /api/v1/history/:id': { min: 'viewer' },
  'GET /api/v1/undo/:runId': { min: 'bookkeeper' },
  'GET /held': { min: 'viewer' },
  'POST /held/act': { min: 'bookkeeper' },
  'POST /held/undo': { min: 'bookkeeper' },
  'GET /api/v1/held': { min: 'viewer' },
  'POST /api/v1/held/actions': { min: 'bookkeeper' },
  'POST /api/v1/held/actions/:id/undo': { min: 'bookkeeper' },
  'GET /reconciliation': { min: 'viewer' },
  'GET /reconciliation.csv': { min: 'viewer' },
  'GET /api/v1/reconciliation': { min: 'viewer' },
  'POST /api/v1/undo/:runId': { min: 'bookkeeper' },
};

async function expectNoStack(res: Response, what: string): Promise<string> {
  const body = await res.clone().text();
  expect(stackTraceIn(body), `${what}: stack trace or source path in the body`).toBeUndefined();
  return body;
}

const PRE = 'A'.repeat(43); // a pre-session CSRF value in the accepted shape, sent as cookie and header

describe('security rehearsal: every route against every role', () => {
  let b: Bench;
  let routes: string[];

  beforeAll(async () => {
    b = await makeBench();
    routes = routesOf(b.http);
  });
  afterAll(async () => b?.close());

  it('has an expectation for every route the app answers', () => {
    const missing = routes.filter((r) => !expected[r]);
    expect(missing, `routes with no row in test/security/routes.test.ts "expected": decide who may call them`).toEqual([]);
  });

  async function fresh(person: Person): Promise<Person> {
    const user = (await findUserByEmail(b.app.ctx.db, person.email))!;
    const { cookieValue, session } = await createSession(b.app.ctx.db, user, b.app.ctx.clock());
    return { ...person, cookie: cookieValue, csrf: session.csrfToken };
  }

  it('refuses each route without a session and below its role, allows it at and above, never a 500', async () => {
    const checked: string[] = [];
    for (const route of routes) {
      const exp = expected[route] ?? { min: 'administrator' as const };
      const [method, pattern] = route.split(' ') as [string, string];
      const path = concrete(pattern);
      const api = path.startsWith('/api/');
      const body = method === 'GET' ? undefined : api ? '{}' : '';
      const contentType = api ? 'application/json' : 'application/x-www-form-urlencoded';

      // No session, no token (a pre-session CSRF pair, so it is the sign-in check that answers).
      const anon = await b.call(path, {
        method,
        ...(body !== undefined ? { body, contentType } : {}),
        headers: method === 'GET' ? {} : { cookie: `qbc_csrf=${PRE}`, 'x-csrf-token': PRE },
      });
      const what = `${route} anonymous`;
      expectSecurityHeaders(anon, what);
      expectSafeCookies(anon, what, false);
      await expectNoStack(anon, what);
      expect(anon.status, what).toBeLessThan(500);
      if (exp.min === 'public') {
        // Open to anyone (sign-in may still refuse bad credentials with 401): no role or session check.
        expect(anon.status, what).not.toBe(403);
        expect(anon.headers.get('location') ?? '', what).not.toMatch(/^\/signin\?next/);
      } else if (api) {
        expect(anon.status, what).toBe(401);
      } else {
        expect(anon.status, what).toBe(303);
        expect(anon.headers.get('location'), what).toMatch(/^\/signin/);
      }

      for (const role of roleNames) {
        for (const via of api ? (['token', 'session'] as const) : (['session'] as const)) {
          const person = exp.endsSession ? await fresh(b.people[role]) : b.people[role];
          const res = await b.call(path, { method, as: { person, via }, ...(body !== undefined ? { body, contentType } : {}) });
          const w = `${route} as ${role} via ${via}`;
          expectSecurityHeaders(res, w);
          expectSafeCookies(res, w, false);
          const text = await expectNoStack(res, w);
          expect(res.status, `${w}: ${text.slice(0, 200)}`).toBeLessThan(500);
          if (exp.min !== 'public' && rank[role] < rank[exp.min]) {
            expect(res.status, w).toBe(403);
            expect(text, w).toContain(`needs the ${exp.min} role`);
          } else {
            if (exp.min === 'public') expect(res.status, w).not.toBe(403);
            else expect([401, 403], `${w}: ${text.slice(0, 200)}`).not.toContain(res.status);
            if (!exp.endsSession && res.status === 303) expect(res.headers.get('location'), w).not.toMatch(/^\/signin/);
          }
          checked.push(w);
        }
      }
    }
    // Sanity: the matrix really ran over the API and the pages.
    expect(checked.filter((c) => c.includes('/api/')).length).toBeGreaterThan(20);
    expect(checked.filter((c) => !c.includes('/api/')).length).toBeGreaterThan(20);
  });

  it('keeps the people signed in who were not signing out (the matrix used live sessions throughout)', async () => {
    for (const role of roleNames) {
      const res = await b.call('/account', { as: { person: b.people[role], via: 'session' } });
      expect(res.status, role).toBe(200);
    }
  });

  it('refuses a revoked API token, and every token and session of a disabled user', async () => {
    const db = b.app.ctx.db;
    const user = await createUser(db, { email: 'leaver@example.com', name: 'Leaver', role: 'administrator' });
    const kept = await createApiToken(db, user.id, 'kept');
    const revoked = await createApiToken(db, user.id, 'revoked');
    const { cookieValue } = await createSession(db, user, b.app.ctx.clock());
    const asToken = (t: string) => b.call('/api/v1/connection', { headers: { authorization: `Bearer ${t}` } });
    expect((await asToken(kept.token)).status).toBe(200);
    expect(await revokeApiToken(db, user.id, revoked.info.id)).toBe(true);
    expect((await asToken(revoked.token)).status).toBe(401);
    await disableUser(db, user.id);
    expect((await asToken(kept.token)).status).toBe(401);
    const page = await b.call('/account', { headers: { cookie: `qbc_session=${cookieValue}` } });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toMatch(/^\/signin/);
  });

  it('refuses an unknown or revoked API token and a malformed Authorization header', async () => {
    for (const header of [
      'Bearer qbc_not_a_token',
      'Bearer',
      `Basic ${Buffer.from('a:b').toString('base64')}`,
      `Bearer ${b.people.viewer.apiToken}x`,
      `bearer ${'x'.repeat(5000)}`,
    ]) {
      const res = await b.call('/api/v1/connection', { headers: { authorization: header } });
      expect(res.status, header.slice(0, 30)).toBe(401);
      expect(((await res.json()) as { error: { field: string } }).error.field).toBe('Authorization');
    }
  });
});
