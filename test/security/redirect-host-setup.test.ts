/**
 * Issue 12 §3 and §4: `next` after sign-in stays on the product's origin however it is spelled;
 * a request for another host name (DNS rebinding) is refused; Origin is compared with the public
 * origin only; and first-run set-up needs the one-time code printed at start.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { createHttpApp } from '../../src/server/http.js';
import { listen, type RunningServer } from '../../src/server/serve.js';
import { testConfig } from '../helpers/config.js';
import { WebClient } from '../helpers/web-client.js';
import { makeBench, stackTraceIn, type Bench } from './harness.js';

/** A raw request with any Host header (fetch will not send a Host other than the URL's). */
function rawGet(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers: { host, accept: 'text/html' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('security: where sign-in sends you back to', () => {
  let b: Bench;
  beforeAll(async () => {
    b = await makeBench();
  });
  afterAll(async () => b?.close());

  const offSite = [
    '/%09/evil.example',
    '/%0a/evil.example',
    '/%0d%0a/evil.example',
    '/\\evil.example',
    '/%5Cevil.example',
    '//evil.example',
    '/\t/evil.example',
    '/%09%09/evil.example/x',
  ];

  it.each(offSite)('next=%s keeps a signed-in person on this origin (no 500)', async (next) => {
    const res = await b.call(`/signin?next=${next.includes('%') ? next : encodeURIComponent(next)}`, { as: { person: b.people.viewer, via: 'session' } });
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location).not.toMatch(/[\t\r\n]/);
    expect(new URL(location, b.origin).origin).toBe(b.origin);
    expect(location.startsWith('//')).toBe(false);
  });

  it('a local next with a query still works', async () => {
    const res = await b.call(`/signin?next=${encodeURIComponent('/history?realm=1')}`, { as: { person: b.people.viewer, via: 'session' } });
    expect(res.headers.get('location')).toBe('/history?realm=1');
  });

  it('the form post with next=/%0a/… signs in and goes home rather than answering 500', async () => {
    const c = new WebClient(b.http, b.origin);
    await c.get('/signin');
    const res = await c.post('/signin', { email: b.people.viewer.email, password: b.people.viewer.password, next: '/\n/evil.example' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
  });
});

describe('security: Host header and Origin', () => {
  let b: Bench;
  let server: RunningServer;
  beforeAll(async () => {
    b = await makeBench();
    server = await listen(b.http, '127.0.0.1', 0);
  });
  afterAll(async () => {
    await server?.close();
    await b?.close();
  });

  it('refuses a request whose Host is another name (DNS rebinding), over real HTTP', async () => {
    for (const host of ['evil.example', `evil.example:${server.port}`, '127.0.0.1.evil.example']) {
      const r = await rawGet(`${server.url}/signin`, host);
      expect(r.status, host).toBe(421);
      expect(r.body).toContain('QBO_CONNECT_PUBLIC_URL');
      expect(stackTraceIn(r.body)).toBeUndefined();
    }
    expect((await rawGet(`${server.url}/account`, 'evil.example')).status).toBe(421);
    // The public host and the loopback names (bound to loopback) are answered.
    expect((await rawGet(`${server.url}/signin`, new URL(b.origin).host)).status).toBe(200);
    expect((await rawGet(`${server.url}/signin`, `localhost:${server.port}`)).status).toBe(200);
    // The health checks alone answer any Host (issue 17): a probe asks by the machine's address, and
    // they carry nothing a rebinding page could use (no session, no data, no secret).
    expect((await rawGet(`${server.url}/healthz`, 'evil.example')).status).toBe(200);
  });

  it('refuses an API call for another host name even with a valid token', async () => {
    const res = await b.http.request('http://evil.example/api/v1/practice/invoices', { headers: { authorization: `Bearer ${b.people.administrator.apiToken}` } });
    expect(res.status).toBe(421);
  });

  it('compares Origin with the public origin only, not with whatever Host the request named', async () => {
    // localhost:3000 is answered (a loopback name), but it is not the public origin 127.0.0.1:3000.
    const res = await b.http.request('http://localhost:3000/account/tokens', {
      method: 'POST',
      headers: {
        origin: 'http://localhost:3000',
        cookie: `qbc_session=${b.people.viewer.cookie}`,
        'content-type': 'application/x-www-form-urlencoded',
        'x-csrf-token': b.people.viewer.csrf,
      },
      body: 'name=sneaky',
    });
    expect(res.status).toBe(403);
  });
});

describe('security: first-run set-up needs the code printed at start', () => {
  let app: App;
  beforeAll(async () => {
    app = await createApp(testConfig());
  });
  afterAll(async () => app?.close());

  const form = { name: 'Ada', email: 'ada@example.com', password: 'amber lantern quietly sings', confirm: 'amber lantern quietly sings' };

  it('a foreign Host with a matching Origin cannot create the first administrator', async () => {
    const web = createHttpApp(app.ctx, { setupCode: 'c0ffee123456' });
    const c = new WebClient(web, 'http://attacker.example');
    await c.get('/setup');
    const res = await c.post('/setup', { ...form, code: 'c0ffee123456' }, { csrf: 'x'.repeat(43) });
    expect(res.status).toBe(421);
    expect(await app.ctx.db.selectFrom('users').select('id').execute()).toHaveLength(0);
  });

  it('refuses set-up without the code or with a wrong one, and accepts the right one', async () => {
    const web = createHttpApp(app.ctx, { setupCode: 'c0ffee123456' });
    const c = new WebClient(web);
    await c.get('/setup');
    expect(c.lastHtml).toContain('Set-up code');
    const none = await c.post('/setup', form);
    expect(none.status).toBe(403);
    const wrong = await c.post('/setup', { ...form, code: '000000000000' });
    expect(wrong.status).toBe(403);
    expect(c.lastHtml).toContain('Set-up code: not right');
    expect(await app.ctx.db.selectFrom('users').select('id').execute()).toHaveLength(0);
    const right = await c.post('/setup', { ...form, code: 'c0ffee123456' });
    expect(right.status).toBe(303);
    expect(await app.ctx.db.selectFrom('users').select('role').execute()).toEqual([{ role: 'administrator' }]);
  });
});
