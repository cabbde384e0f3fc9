/**
 * The web app's routes in-process (`app.request`): set-up, sign-in, every page as each role and
 * without a session, CSRF, cookies, security headers, and that no secret reaches the HTML.
 * The connection engine is replaced by a small fake here; test/web-accounts.browser.test.ts runs
 * the real one against the emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { createApp, type App } from '../../app.js';
import { testConfig } from '../../../test/helpers/config.js';
import { signIn, WebClient } from '../../../test/helpers/web-client.js';
import { createHttpApp } from '../http.js';
import { hashPassword } from '../../accounts/passwords.js';
import { createUser } from '../../accounts/users.js';
import type { ConnectionService, ConnectionStatus } from '../../connect/connection/connection.js';
import { refusal } from '../../connect/connection/reasons.js';
import { pages } from '../pages/index.js';

const ADMIN = { email: 'ada@example.com', password: 'correct horse battery', name: 'Ada Admin' };
const BOOK = { email: 'bob@example.com', password: 'bookkeeper pass 1', name: 'Bob Books' };
const VIEW = { email: 'vic@example.com', password: 'viewer password 2', name: 'Vic Viewer' };

/** A connection service that records calls; the real one is tested against the emulator. */
function fakeConnection() {
  const calls: { begin: { sessionId?: string; actor: string }[]; complete: Record<string, unknown>[]; disconnect: { revoke?: boolean }[] } = {
    begin: [],
    complete: [],
    disconnect: [],
  };
  let status: ConnectionStatus = { state: 'disconnected', reason: 'never-connected', message: 'Not connected to QuickBooks yet.' };
  const svc: ConnectionService = {
    async beginConnect(o) {
      calls.begin.push(o);
      return { url: 'http://127.0.0.1:4010/connect/oauth2?state=s1', redirectUri: 'http://127.0.0.1:3000/connect/callback' };
    },
    async completeConnect(o) {
      calls.complete.push(o);
      if (o.state !== 's1') throw refusal('connection.unknown-state');
      status = {
        state: 'connected',
        realmId: '9130',
        company: 'Sandbox Company AU',
        region: 'AU',
        refreshTokenExpiresAt: '2027-03-01T00:00:00.000Z',
        message: 'Connected to Sandbox Company AU (AU).',
      };
      return status;
    },
    async disconnect(_r, _a, o) {
      calls.disconnect.push(o ?? {});
      status = { state: 'disconnected', reason: 'disconnected', message: 'Disconnected — connect again.' };
      return status;
    },
    async connectionStatus() {
      return status;
    },
  };
  return { svc, calls };
}

describe('web app routes', () => {
  let app: App;
  let http: Hono;
  let conn: ReturnType<typeof fakeConnection>;
  const admin = () => new WebClient(http);

  beforeAll(async () => {
    app = await createApp(testConfig());
    conn = fakeConnection();
    http = createHttpApp(app.ctx, { connection: conn.svc });
  });
  afterAll(async () => app.close());

  describe('first start', () => {
    it('sends every page to /setup until the first administrator exists', async () => {
      const c = admin();
      for (const p of ['/', '/connection', '/users', '/account', '/signin']) {
        const res = await c.get(p);
        expect(res.status, p).toBe(303);
        expect(res.headers.get('location'), p).toBe('/setup');
      }
      expect((await c.get('/healthz')).status).toBe(200);
    });

    it('refuses set-up without the CSRF token, and with a short or mismatched password', async () => {
      const c = admin();
      await c.get('/setup');
      expect((await c.post('/setup', { name: 'X', email: 'x@example.com', password: 'long enough pw', confirm: 'long enough pw' }, { csrf: false })).status).toBe(403);
      await c.get('/setup');
      const short = await c.post('/setup', { name: 'X', email: 'x@example.com', password: 'short', confirm: 'short' });
      expect(short.status).toBe(400);
      expect(c.lastHtml).toContain('Password must be at least 10 characters');
      const differ = await c.post('/setup', { name: 'X', email: 'x@example.com', password: 'long enough pw', confirm: 'long enough pX' });
      expect(differ.status).toBe(400);
      expect(c.lastHtml).toContain('two passwords differ');
      expect(c.lastHtml).not.toContain('long enough pw');
    });

    it('creates the first administrator, signs them in with a safe cookie, and closes /setup', async () => {
      const c = admin();
      await c.get('/setup');
      const res = await c.post('/setup', { name: ADMIN.name, email: ADMIN.email, password: ADMIN.password, confirm: ADMIN.password });
      expect(res.status).toBe(303);
      const cookie = c.setCookies.find((s) => s.startsWith('qbc_session='))!;
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Lax/i);
      expect(cookie).not.toMatch(/Secure/i); // http publicUrl; the https case is tested below
      expect((await c.get('/setup')).headers.get('location')).toBe('/');
      // Not connected yet: QBO Connect opens on the connect page (the seed's first step).
      expect((await c.get('/')).headers.get('location')).toBe('/connection');
      const page = await c.get('/connection');
      expect(page.status).toBe(200);
      expect(c.lastHtml).toContain('Connect to QuickBooks');
      expect(c.lastHtml).not.toContain(ADMIN.password);
      expect(c.lastHtml).not.toContain(c.cookies.get('qbc_session')!);
      // The cookie holds a random value; the database only its hash.
      const rows = await app.ctx.db.selectFrom('sessions').select('id').execute();
      expect(rows.map((r) => r.id)).not.toContain(c.cookies.get('qbc_session'));
      await createUser(app.ctx.db, { email: BOOK.email, name: BOOK.name, role: 'bookkeeper', passwordHash: await hashPassword(BOOK.password) });
      await createUser(app.ctx.db, { email: VIEW.email, name: VIEW.name, role: 'viewer', passwordHash: await hashPassword(VIEW.password) });
    });
  });

  describe('pages by role', () => {
    const pagesByRole: [string, 'viewer' | 'administrator'][] = [
      ['/connection', 'viewer'],
      ['/account', 'viewer'],
      ['/users', 'administrator'],
    ];
    const people = { administrator: ADMIN, bookkeeper: BOOK, viewer: VIEW } as const;
    const rank = { viewer: 0, bookkeeper: 1, administrator: 2 } as const;

    it.each(pagesByRole)('%s without a session redirects to sign-in', async (path) => {
      const res = await new WebClient(http).get(path);
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/signin?next=${encodeURIComponent(path)}`);
    });

    for (const role of ['administrator', 'bookkeeper', 'viewer'] as const) {
      it.each(pagesByRole)(`%s as ${role}`, async (path, min) => {
        const c = new WebClient(http);
        expect((await signIn(c, people[role].email, people[role].password)).status).toBe(303);
        const res = await c.get(path);
        if (rank[role] >= rank[min]) {
          expect(res.status).toBe(200);
          expect(c.lastHtml).toContain('<nav aria-label="Main">');
          expect(c.lastHtml).toContain(people[role].name);
          // The nav shows Users only to administrators.
          expect(c.lastHtml.includes('href="/users"')).toBe(role === 'administrator');
        } else {
          expect(res.status).toBe(403);
          expect(c.lastHtml).toContain(`This needs the ${min} role; you are signed in as a ${role}`);
        }
      });
    }

    // Every page in the nav, including those added later, is checked the same way.
    const navPages = pages.flatMap((p) => (p.nav ? [p.nav] : []));
    it.each(navPages.map((n) => [n.href, n.minRole ?? 'viewer'] as const))('nav page %s (min role %s): anonymous, below and at the role', async (href, min) => {
      const anon = await new WebClient(http).get(href);
      expect(anon.status).toBe(303);
      expect(anon.headers.get('location')).toMatch(/^\/signin/);
      for (const role of ['administrator', 'bookkeeper', 'viewer'] as const) {
        const c = new WebClient(http);
        await signIn(c, people[role].email, people[role].password);
        const res = await c.get(href);
        if (rank[role] >= rank[min]) expect(res.status, `${href} as ${role}`).toBeLessThan(400);
        else {
          expect(res.status, `${href} as ${role}`).toBe(403);
          expect(c.lastHtml).toContain(`This needs the ${min} role`);
        }
      }
    });

    it('refuses administrator actions to bookkeepers and viewers with a 403 message', async () => {
      for (const who of [BOOK, VIEW]) {
        const c = new WebClient(http);
        await signIn(c, who.email, who.password);
        await c.get('/connection');
        expect(c.lastHtml).not.toContain('Connect to QuickBooks</button>');
        expect(c.lastHtml).toContain('Ask an administrator');
        for (const path of ['/connection/connect', '/connection/disconnect', '/connection/logout', '/users']) {
          const res = await c.post(path, { email: 'new@example.com', name: 'N', role: 'viewer', password: 'long enough pw' });
          expect(res.status, `${who.email} ${path}`).toBe(403);
          expect(c.lastHtml).toContain('This needs the administrator role');
        }
      }
      expect(conn.calls.begin).toHaveLength(0);
      expect(conn.calls.disconnect).toHaveLength(0);
    });
  });

  describe('sign-in', () => {
    it('rotates the session id on sign-in and ends it on sign-out', async () => {
      const c = new WebClient(http);
      await signIn(c, VIEW.email, VIEW.password);
      const first = c.cookies.get('qbc_session')!;
      await c.get('/account');
      await c.post('/signin', { email: VIEW.email, password: VIEW.password });
      const second = c.cookies.get('qbc_session')!;
      expect(second).not.toBe(first);
      const stale = new WebClient(http);
      stale.cookies.set('qbc_session', first);
      expect((await stale.get('/account')).status).toBe(303);
      await c.get('/account');
      expect((await c.post('/signout')).headers.get('location')).toBe('/signin');
      expect(c.cookies.has('qbc_session')).toBe(false);
      const replay = new WebClient(http);
      replay.cookies.set('qbc_session', second);
      expect((await replay.get('/account')).status).toBe(303);
    });

    it('says the same for an unknown email and a wrong password, and goes back to the page asked for', async () => {
      const c = new WebClient(http);
      await c.get('/signin?next=%2Faccount');
      const wrong = await c.post('/signin', { email: BOOK.email, password: 'not the password', next: '/account' });
      expect(wrong.status).toBe(401);
      const msgWrong = /role="alert">([^<]+)</.exec(c.lastHtml)?.[1];
      await c.post('/signin', { email: 'nobody@example.com', password: 'not the password' });
      expect(/role="alert">([^<]+)</.exec(c.lastHtml)?.[1]).toBe(msgWrong);
      expect(c.lastHtml).not.toContain('not the password');
      const ok = await c.post('/signin', { email: BOOK.email, password: BOOK.password, next: '/account' });
      expect(ok.headers.get('location')).toBe('/account');
      const evil = new WebClient(http);
      await evil.get('/signin');
      expect((await evil.post('/signin', { email: BOOK.email, password: BOOK.password, next: '//evil.example/x' })).headers.get('location')).toBe('/');
    });

    it('limits failed attempts per email, even with the right password afterwards', async () => {
      const email = 'limited@example.com';
      await createUser(app.ctx.db, { email, name: 'L', role: 'viewer', passwordHash: await hashPassword('the right password') });
      const c = new WebClient(http);
      await c.get('/signin');
      // Three guesses are free; the fourth must wait (growing delays), even with the right password.
      for (let i = 0; i < 3; i++) expect((await c.post('/signin', { email, password: `wrong ${i}xxxxxxx` })).status).toBe(401);
      const limited = await c.post('/signin', { email, password: 'the right password' });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(c.lastHtml).toContain('Too many failed sign-in attempts');
    });
  });

  describe('CSRF', () => {
    it('refuses a state-changing request without the token, with a wrong one, or from another origin', async () => {
      const c = new WebClient(http);
      await signIn(c, ADMIN.email, ADMIN.password);
      await c.get('/account');
      const before = await app.ctx.db.selectFrom('api_tokens').select('id').execute();
      const missing = await c.post('/account/tokens', { name: 'x' }, { csrf: false });
      expect(missing.status).toBe(403);
      expect(c.lastHtml).toContain('nothing was changed');
      await c.get('/account');
      expect((await c.post('/account/tokens', { name: 'x' }, { csrf: 'wrong-token' })).status).toBe(403);
      await c.get('/account');
      const foreign = await c.post('/account/tokens', { name: 'x' }, { origin: 'http://evil.example' });
      expect(foreign.status).toBe(403);
      expect(c.lastHtml).toContain('sent from another site');
      expect(await app.ctx.db.selectFrom('api_tokens').select('id').execute()).toHaveLength(before.length);
      // htmx sends the token as a header instead of a field.
      await c.get('/account');
      const token = c.csrf();
      const viaHeader = await c.request('/account/tokens', {
        method: 'POST',
        body: 'name=htmx',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: c.origin, 'x-csrf-token': token, 'hx-request': 'true' },
      });
      expect(viaHeader.status).toBe(200);
    });

    it('asks a browser session for the token on the JSON API too, but not a bearer token without cookies', async () => {
      const c = new WebClient(http);
      await signIn(c, ADMIN.email, ADMIN.password);
      const viaSession = await c.request('/api/v1/practice/contacts', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', origin: c.origin } });
      expect(viaSession.status).toBe(403);
      expect(((await viaSession.json()) as { error: { code: string } }).error.code).toBe('auth.forbidden');
      const bearer = await http.request('/api/v1/practice/contacts', {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json', authorization: 'Bearer qbc_unknown' },
      });
      expect(bearer.status).toBe(401);
    });

    it("does not accept one session's token for another session", async () => {
      const a = new WebClient(http);
      await signIn(a, ADMIN.email, ADMIN.password);
      await a.get('/account');
      const b = new WebClient(http);
      await signIn(b, ADMIN.email, ADMIN.password);
      await b.get('/account');
      expect((await b.post('/account/tokens', { name: 'x' }, { csrf: a.csrf() })).status).toBe(403);
    });
  });

  describe('users and API tokens', () => {
    it('lets an administrator add and disable users; a disabled user is signed out', async () => {
      const c = new WebClient(http);
      await signIn(c, ADMIN.email, ADMIN.password);
      await c.get('/users');
      const added = await c.post('/users', { email: 'Kim@Example.com', name: 'Kim', role: 'bookkeeper', password: 'kim password 123' });
      expect(added.status).toBe(200);
      expect(c.lastHtml).toContain('Added kim@example.com as bookkeeper');
      expect(c.lastHtml).not.toContain('kim password 123');
      const dup = await c.post('/users', { email: 'kim@example.com', name: 'Kim', role: 'viewer', password: 'kim password 123' });
      expect(dup.status).toBe(400);
      expect(c.lastHtml).toContain('email is already in use');
      const bad = await c.post('/users', { email: 'z@example.com', name: 'Z', role: 'owner', password: 'kim password 123' });
      expect(bad.status).toBe(400);
      expect(c.lastHtml).toContain('role must be one of administrator, bookkeeper, viewer');

      const kim = new WebClient(http);
      expect((await signIn(kim, 'kim@example.com', 'kim password 123')).status).toBe(303);
      expect((await kim.get('/account')).status).toBe(200);
      const kimId = (await app.ctx.db.selectFrom('users').select('id').where('email', '=', 'kim@example.com').executeTakeFirstOrThrow()).id;
      await c.get('/users');
      expect((await c.post(`/users/${kimId}/disable`)).status).toBe(200);
      expect((await kim.get('/account')).status).toBe(303);
      const again = new WebClient(http);
      expect((await signIn(again, 'kim@example.com', 'kim password 123')).status).toBe(401);
      // Nobody disables themselves (and so never the last administrator).
      const me = (await app.ctx.db.selectFrom('users').select('id').where('email', '=', ADMIN.email).executeTakeFirstOrThrow()).id;
      await c.get('/users');
      expect((await c.post(`/users/${me}/disable`)).status).toBe(400);
    });

    it('changes a password only with the current one, and signs out other browsers', async () => {
      const email = 'pw@example.com';
      await createUser(app.ctx.db, { email, name: 'Pat', role: 'viewer', passwordHash: await hashPassword('first password 1') });
      const other = new WebClient(http);
      await signIn(other, email, 'first password 1');
      const c = new WebClient(http);
      await signIn(c, email, 'first password 1');
      await c.get('/account');
      expect((await c.post('/account/password', { current: 'wrong password', password: 'second password 2' })).status).toBe(400);
      expect(c.lastHtml).toContain('Current password: not right');
      expect((await c.post('/account/password', { current: 'first password 1', password: 'short' })).status).toBe(400);
      expect((await c.post('/account/password', { current: 'first password 1', password: 'second password 2' })).status).toBe(200);
      expect(c.lastHtml).toContain('Password changed');
      expect(c.lastHtml).not.toMatch(/first password 1|second password 2/);
      expect((await c.get('/account')).status).toBe(200);
      expect((await other.get('/account')).status).toBe(303);
      expect((await signIn(new WebClient(http), email, 'first password 1')).status).toBe(401);
      expect((await signIn(new WebClient(http), email, 'second password 2')).status).toBe(303);
    });

    it('shows a new API token once, lists it by prefix, and revokes it', async () => {
      const c = new WebClient(http);
      await signIn(c, BOOK.email, BOOK.password);
      await c.get('/account');
      const made = await c.post('/account/tokens', { name: 'nightly import' });
      expect(made.status).toBe(200);
      const token = /id="new-token"[^>]*value="(qbc_[^"]+)"/.exec(c.lastHtml)?.[1] ?? /value="(qbc_[^"]+)"/.exec(c.lastHtml)?.[1];
      expect(token).toBeDefined();
      const api = await http.request('/healthz', { headers: { authorization: `Bearer ${token}` } });
      expect(api.status).toBe(200);
      await c.get('/account');
      expect(c.lastHtml).toContain('nightly import');
      expect(c.lastHtml).not.toContain(token!);
      const id = (await app.ctx.db.selectFrom('api_tokens').select('id').where('name', '=', 'nightly import').executeTakeFirstOrThrow()).id;
      expect((await c.post(`/account/tokens/${id}/revoke`)).status).toBe(200);
      expect(c.lastHtml).toContain('Token revoked');
      // Someone else's token cannot be revoked by id.
      const other = new WebClient(http);
      await signIn(other, VIEW.email, VIEW.password);
      await other.get('/account');
      expect((await other.post(`/account/tokens/${id}/revoke`)).status).toBe(404);
    });
  });

  describe('connection pages', () => {
    it('connects through the authorize URL and the callback, shows the company, and disconnects', async () => {
      const c = new WebClient(http);
      await signIn(c, ADMIN.email, ADMIN.password);
      await c.get('/connection');
      const go = await c.post('/connection/connect');
      expect(go.status).toBe(303);
      expect(go.headers.get('location')).toBe('http://127.0.0.1:4010/connect/oauth2?state=s1');
      const sessionId = conn.calls.begin.at(-1)!.sessionId;
      expect(sessionId).toMatch(/^[0-9a-f]{64}$/);
      const back = await c.get('/connect/callback?code=abc&state=s1&realmId=9130');
      expect(back.headers.get('location')).toBe('/connection?done=connected');
      expect(conn.calls.complete.at(-1)).toMatchObject({ code: 'abc', state: 's1', realmId: '9130', sessionId });
      const api = await c.get('/api/v1/connection');
      expect(await api.json()).toMatchObject({ state: 'connected', company: 'Sandbox Company AU', region: 'AU' });
      expect((await http.request('/api/v1/connection')).status).toBe(401);
      await c.get('/connection?done=connected');
      expect(c.lastHtml).toContain('Sandbox Company AU');
      expect(c.lastHtml).toContain('AU');
      expect(c.lastHtml).toContain('Disconnect');
      expect(c.lastHtml).toContain('Log out of QuickBooks');
      expect(c.lastHtml).not.toContain('code=abc');
      const bad = await c.get('/connect/callback?code=abc&state=other&realmId=9130');
      expect(bad.status).toBe(400);
      expect(c.lastHtml).toContain('does not match any connect request');
      await c.get('/connection');
      expect((await c.post('/connection/disconnect')).headers.get('location')).toBe('/connection?done=disconnected');
      expect(conn.calls.disconnect.at(-1)).toEqual({ revoke: true });
      await c.get('/connection');
      expect(c.lastHtml).toContain('Disconnected — connect again');
      // "Log out of QuickBooks" forgets the tokens here without revoking them at QuickBooks.
      await c.get('/connection');
      await c.post('/connection/connect');
      await c.get('/connect/callback?code=abc&state=s1&realmId=9130');
      await c.get('/connection');
      expect((await c.post('/connection/logout')).headers.get('location')).toBe('/connection?done=logged-out');
      expect(conn.calls.disconnect.at(-1)).toEqual({ revoke: false });
    });
  });

  describe('headers', () => {
    it('sends security headers and no-store on pages', async () => {
      const anon = new WebClient(http);
      const c = new WebClient(http);
      await signIn(c, VIEW.email, VIEW.password);
      for (const [client, p] of [
        [anon, '/signin'],
        [c, '/connection'],
        [c, '/account'],
      ] as const) {
        const res = await client.get(p);
        const csp = res.headers.get('content-security-policy') ?? '';
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).toContain("script-src 'self'");
        expect(csp).not.toContain('unsafe-inline');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('referrer-policy')).toBe('same-origin');
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(client.lastHtml).not.toMatch(/<script>|<script [^>]*>[^<]+<\/script>|style="/);
      }
      const missing = await c.request('/no-such-page', { headers: { accept: 'text/html' } });
      expect(missing.status).toBe(404);
      expect(c.lastHtml).toContain('There is no page at /no-such-page');
      expect((await c.get('/static/htmx.min.js')).status).toBe(200);
      expect((await c.get('/static/app.css')).headers.get('content-type')).toContain('text/css');
    });

    it('gives two browsers racing through set-up one administrator', async () => {
      const fresh = await createApp(testConfig());
      try {
        const web = createHttpApp(fresh.ctx, { connection: fakeConnection().svc });
        const a = new WebClient(web);
        const b = new WebClient(web);
        await a.get('/setup');
        await b.get('/setup');
        const [ra, rb] = await Promise.all([
          a.post('/setup', { name: 'A', email: 'a@example.com', password: 'amber lantern of a', confirm: 'amber lantern of a' }),
          b.post('/setup', { name: 'B', email: 'b@example.com', password: 'copper meadow of b', confirm: 'copper meadow of b' }),
        ]);
        expect([ra.headers.get('location'), rb.headers.get('location')].sort()).toEqual(['/', '/signin']);
        const users = await fresh.ctx.db.selectFrom('users').select(['email', 'role']).execute();
        expect(users).toHaveLength(1);
        expect(users[0]!.role).toBe('administrator');
      } finally {
        await fresh.close();
      }
    });

    it('marks cookies Secure when the public URL is https', async () => {
      const secureApp = await createApp(testConfig({ QBO_CONNECT_PUBLIC_URL: 'https://connect.example.com' }));
      try {
        const c = new WebClient(createHttpApp(secureApp.ctx, { connection: fakeConnection().svc }), 'https://connect.example.com');
        await c.get('/setup');
        await c.post('/setup', { name: 'S', email: 's@example.com', password: 'secure password', confirm: 'secure password' });
        const cookie = c.setCookies.find((s) => s.startsWith('qbc_session='))!;
        expect(cookie).toMatch(/; Secure/i);
        expect(cookie).toMatch(/HttpOnly/i);
      } finally {
        await secureApp.close();
      }
    });
  });
});
