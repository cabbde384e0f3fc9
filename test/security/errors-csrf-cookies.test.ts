/**
 * Security rehearsal: CSRF on every state-changing route (from the route table), cookie attributes
 * under HTTPS, and error answers — bad JSON, unknown routes and methods, deep nesting, a forced
 * internal error — carry the security headers and a plain sentence, never a stack trace.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../src/server/serve.js';
import type { ConnectionService } from '../../src/connect/connection/connection.js';
import { snapshotTables } from '../helpers/snapshot.js';
import { signIn, WebClient } from '../helpers/web-client.js';
import { concrete, expectSafeCookies, expectSecurityHeaders, makeBench, routesOf, stackTraceIn, type Bench, type CallInit } from './harness.js';

describe('security rehearsal: CSRF on every state-changing route', () => {
  let b: Bench;
  beforeAll(async () => {
    b = await makeBench();
  });
  afterAll(async () => b?.close());

  it('refuses a session request without the token, with a wrong one, or from another origin, and changes nothing', async () => {
    const writes = routesOf(b.http).filter((r) => !r.startsWith('GET '));
    expect(writes.length).toBeGreaterThan(15);
    const before = await snapshotTables(b.app.ctx.db);
    const admin = b.people.administrator;
    for (const route of writes) {
      const [method, pattern] = route.split(' ') as [string, string];
      const p = concrete(pattern);
      const api = p.startsWith('/api/');
      const body = api ? '{"value":"x"}' : 'name=x&email=x%40example.com';
      const contentType = api ? 'application/json' : 'application/x-www-form-urlencoded';
      const attempts: { what: string; init: CallInit }[] = [
        { what: 'no token', init: { noCsrf: true } },
        { what: 'wrong token', init: { noCsrf: true, headers: { 'x-csrf-token': b.people.viewer.csrf } } },
        { what: 'wrong form field', init: { noCsrf: true, body: `${body}&_csrf=${b.people.viewer.csrf}` } },
        // A form post (the one kind another site can make without CORS) is also checked by origin,
        // even with the right token. JSON with the X-CSRF-Token header needs a CORS preflight this
        // app never grants, so for the API the token is the check.
        ...(api
          ? []
          : [
              { what: 'another origin', init: { headers: { origin: 'https://evil.example' } } },
              { what: 'cross-site fetch metadata, no origin', init: { headers: { origin: 'null', 'sec-fetch-site': 'cross-site' } } },
            ]),
      ];
      for (const a of attempts) {
        const res = await b.call(p, { method, body, contentType, as: { person: admin, via: 'session' }, ...a.init });
        const text = await res.text();
        if (pattern === '/setup') {
          // Set-up is closed once a user exists: it redirects before reading anything.
          expect(res.status, `${route}: ${a.what}`).toBe(303);
          expect(res.headers.get('location')).toBe('/');
        } else if (pattern === '/webhooks/intuit') {
          // Outside sessions and CSRF by design: only Intuit's signature over the body opens it (401
          // without one; 404 while QBO_WEBHOOK_VERIFIER_TOKEN is unset), so a session cookie gives a
          // cross-site request nothing here either (test/webhooks/intuit-route.test.ts).
          expect([401, 404], `${route}: ${a.what}: ${text.slice(0, 200)}`).toContain(res.status);
        } else expect(res.status, `${route}: ${a.what}: ${text.slice(0, 200)}`).toBe(403);
        expect(stackTraceIn(text)).toBeUndefined();
      }
    }
    // Sign-in (before any session) checks the pre-session cookie's token the same way.
    for (const p of ['/signin']) {
      const res = await b.call(p, {
        method: 'POST',
        body: `email=${encodeURIComponent(admin.email)}&password=${encodeURIComponent(admin.password)}`,
        contentType: 'application/x-www-form-urlencoded',
        headers: { cookie: `qbc_csrf=${'A'.repeat(43)}` },
      });
      expect(res.status, p).toBe(403);
      expect(res.headers.getSetCookie().some((c) => c.startsWith('qbc_session='))).toBe(false);
    }
    expect(await snapshotTables(b.app.ctx.db)).toBe(before);
  });

  it('lets a bearer token (no cookies, no ambient authority) call the API without a CSRF token', async () => {
    const res = await b.call('/api/v1/skipped', {
      method: 'POST',
      body: '{}',
      as: { person: b.people.bookkeeper, via: 'token' },
      headers: { origin: 'https://elsewhere.example' },
    });
    expect(res.status).toBe(400); // refused for its content, not for CSRF
    expect(((await res.json()) as { error: { code: string } }).error.code).not.toBe('auth.forbidden');
  });
});

describe('security rehearsal: cookies under HTTPS', () => {
  let b: Bench;
  beforeAll(async () => {
    b = await makeBench({ env: { QBO_CONNECT_PUBLIC_URL: 'https://qbo.example.test' } });
  });
  afterAll(async () => b?.close());

  it('marks the pre-session and session cookies Secure, HttpOnly and SameSite', async () => {
    const c = new WebClient(b.http, 'https://qbo.example.test');
    const res = await signIn(c, b.people.viewer.email, b.people.viewer.password);
    expect(res.status).toBe(303);
    const names = c.setCookies.map((s) => s.split('=')[0]);
    expect(names).toContain('qbc_csrf');
    expect(names).toContain('qbc_session');
    for (const sc of c.setCookies) {
      if (/max-age=0/i.test(sc)) continue;
      expect(sc).toMatch(/;\s*Secure/i);
      expect(sc).toMatch(/;\s*HttpOnly/i);
      expect(sc).toMatch(/;\s*SameSite=(Lax|Strict)/i);
      expect(sc).toMatch(/;\s*Path=\//i);
      expect(sc).not.toMatch(/;\s*Domain=/i); // host-only
    }
    expectSafeCookies(res, 'sign-in over https', true);
  });
});

describe('security rehearsal: error answers', () => {
  let b: Bench;
  let broken: Bench;
  beforeAll(async () => {
    b = await makeBench();
    // A connection service that fails inside, to force the app's own 500 path.
    const failing: ConnectionService = {
      beginConnect: async () => Promise.reject(new TypeError("Cannot read properties of undefined (reading 'x')")),
      completeConnect: async () => Promise.reject(new TypeError('boom in /src/connect/connection.ts:12:3')),
      disconnect: async () => Promise.reject(new Error('db gone')),
      connectionStatus: async () => Promise.reject(new TypeError('status exploded at /work/main/src/connect/connection.ts:200:1')),
    };
    broken = await makeBench({ web: { connection: failing } });
  });
  afterAll(async () => {
    await b?.close();
    await broken?.close();
  });

  it('answers bad JSON on every API write route with a 4xx sentence, headers and no stack', async () => {
    const writes = routesOf(b.http).filter((r) => r.includes(' /api/') && !r.startsWith('GET '));
    for (const route of writes) {
      const [method, pattern] = route.split(' ') as [string, string];
      for (const raw of ['{not json', '', '[', '"\\u0000', '{"value":' + '['.repeat(20000), 'null', '12e999999']) {
        const res = await b.call(concrete(pattern), { method, body: raw, as: { person: b.people.administrator, via: 'token' } });
        const w = `${route} with ${JSON.stringify(raw.slice(0, 20))}`;
        expect(res.status, w).toBeGreaterThanOrEqual(400);
        expect(res.status, w).toBeLessThan(500);
        expectSecurityHeaders(res, w);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.message.length, w).toBeGreaterThan(10);
        expect(stackTraceIn(JSON.stringify(body)), w).toBeUndefined();
      }
    }
  });

  it('answers unknown routes and methods with 404 (page or JSON), headers and no stack', async () => {
    for (const [p, init] of [
      ['/nowhere', {}],
      ['/api/v1/nowhere', {}],
      ['/api/v2/practice/invoices', {}],
      ['/connection', { method: 'DELETE' }],
      ['/api/v1/practice/invoices', { method: 'PATCH', body: '{}' }],
      ['/static/../../package.json', {}],
      ['/static/%2e%2e/%2e%2e/package.json', {}],
    ] as const) {
      const res = await b.call(p, { ...init, as: { person: b.people.administrator, via: 'session' } });
      const text = await res.text();
      expect([404, 405], `${p} ${JSON.stringify(init)}`).toContain(res.status);
      expectSecurityHeaders(res, p);
      expect(stackTraceIn(text), p).toBeUndefined();
      expect(text).not.toContain('"dependencies"');
    }
  });

  it('refuses TRACE and made-up methods over a real socket, without echoing the request', async () => {
    const server = await listen(b.http, '127.0.0.1', 0);
    try {
      for (const method of ['TRACE', 'CONNECT', 'PROPFIND', 'BREW']) {
        const { status, body, headers } = await new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
          const req = http.request(
            { host: '127.0.0.1', port: server.port, method, path: '/', headers: { cookie: `qbc_session=${b.people.administrator.cookie}`, 'x-secret-probe': 'echo-me' } },
            (res) => {
              let text = '';
              res.on('data', (d) => (text += String(d)));
              res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }));
            },
          );
          // Node closes the socket on CONNECT (no tunnel handler): refused too.
          req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve({ status: 499, body: '', headers: {} }) : reject(err)));
          req.end();
        });
        expect(status, method).toBeGreaterThanOrEqual(400);
        expect(body, method).not.toContain('echo-me');
        expect(body, method).not.toContain(b.people.administrator.cookie);
        expect(stackTraceIn(body), method).toBeUndefined();
        // Answers from the app (not Node's own parser refusals, 400, or a closed socket) carry the headers.
        if (status === 404) expect(headers['x-content-type-options'], method).toBe('nosniff');
      }
    } finally {
      await server.close();
    }
  });

  it('answers an internal failure with 500 and a generic sentence (the detail only in the log)', async () => {
    for (const [p, init] of [
      ['/connection', {}],
      ['/api/v1/connection', {}],
      ['/connection/connect', { method: 'POST', body: '', contentType: 'application/x-www-form-urlencoded' }],
    ] as const) {
      const res = await broken.call(p, { ...init, as: { person: broken.people.administrator, via: p.startsWith('/api/') ? 'token' : 'session' } });
      const text = await res.text();
      expect(res.status, p).toBe(500);
      expectSecurityHeaders(res, p);
      expect(stackTraceIn(text), p).toBeUndefined();
      expect(text).not.toMatch(/exploded|Cannot read properties|\/work\//);
      expect(text).toContain('the log has the details');
    }
    expect(broken.lines.join('')).toContain('status exploded');
  });
});
