/**
 * The access log over a real server (issue 17): every answer carries an X-Request-Id (a caller's
 * well-formed one kept, any other replaced), the access line and every line logged while handling
 * the request carry it, and no line holds an Authorization or Cookie header, a query string (the
 * OAuth callback's ?code=&state=) or a body.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { createLogger } from '../../src/log.js';
import { createHttpApp } from '../../src/server/http.js';
import { listen, type RunningServer } from '../../src/server/serve.js';
import { testConfig } from '../helpers/config.js';

interface Line {
  msg: string;
  level: number;
  reqId?: string;
  req?: { id: string; method: string; path: string };
  res?: { statusCode: number };
}

describe('access log and request id [real server]', () => {
  const raw: string[] = [];
  let app: App;
  let server: RunningServer;
  const lines = () =>
    raw
      .join('')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line);
  /** The access line of a request: pino-http writes it once the answer is sent, so it is waited for. */
  const accessLine = async (id: string) => {
    for (let i = 0; i < 100; i++) {
      const line = lines().find((l) => l.req?.id === id);
      if (line) return line;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no access line for ${id}`);
  };

  beforeAll(async () => {
    const stream = new Writable({
      write(chunk, _enc, cb) {
        raw.push(String(chunk));
        cb();
      },
    });
    app = await createApp(testConfig(), { logger: createLogger('debug', stream) });
    const http = createHttpApp(app.ctx);
    // Stands for any handler that logs with the app's logger (the sync engine, a refusal): it never sees the id.
    http.get('/api/test/logs-inside', (c) => {
      app.ctx.logger.info({ step: 'inside' }, 'a line written while handling the request');
      return c.text('ok');
    });
    server = await listen(http, '127.0.0.1', 0);
  });
  afterAll(async () => {
    await server?.close();
    await app?.close();
  });

  it('keeps a well-formed incoming X-Request-Id, answers it, and logs it on the access line', async () => {
    const res = await fetch(`${server.url}/healthz`, { headers: { 'X-Request-Id': 'lb-7f3a.42:9' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('lb-7f3a.42:9');
    const line = await accessLine('lb-7f3a.42:9');
    expect(line).toMatchObject({ req: { method: 'GET', path: '/healthz' }, res: { statusCode: 200 } });
  });

  it('replaces an incoming id that is too long or not plain, and gives one to a request that has none', async () => {
    const ids = new Set<string>();
    for (const given of ['x'.repeat(65), 'two words', '<script>', undefined]) {
      const res = await fetch(`${server.url}/healthz`, given === undefined ? {} : { headers: { 'X-Request-Id': given } });
      const id = res.headers.get('x-request-id')!;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      ids.add(id);
      await accessLine(id);
    }
    expect(ids.size).toBe(4);
  });

  it('carries the id on every line logged while handling the request, also by code holding the app logger', async () => {
    const res = await fetch(`${server.url}/api/test/logs-inside`, { headers: { 'X-Request-Id': 'req-inside-1' } });
    expect(await res.text()).toBe('ok');
    await accessLine('req-inside-1');
    expect(lines().find((l) => l.msg === 'a line written while handling the request')).toMatchObject({ reqId: 'req-inside-1' });
  });

  it('answers a refusal with the id too, and logs it as a warning', async () => {
    const missing = await fetch(`${server.url}/api/v1/nothing-here`, { headers: { 'X-Request-Id': 'req-404' } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-request-id')).toBe('req-404');
    expect((await accessLine('req-404')).level).toBe(40);
  });

  it('never logs Authorization or Cookie headers, query strings (OAuth code and state) or bodies', async () => {
    const secrets = ['Bearer-SECRET-api-token-1', 'sid=SECRET-cookie-2', 'SECRET-oauth-code-3', 'SECRET-state-4', 'SECRET-password-5', 'SECRET-realm-query-6'];
    const requests: Array<[string, RequestInit]> = [
      [`/connect/callback?code=${secrets[2]}&state=${secrets[3]}&realmId=1234`, { headers: { Cookie: secrets[1]! } }],
      ['/api/v1/history', { headers: { Authorization: `Bearer ${secrets[0]}` } }],
      ['/signin', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', Cookie: secrets[1]! }, body: `email=a%40b.c&password=${secrets[4]}` }],
      [`/api/v1/sync/progress?realm=${secrets[5]}&access_token=${secrets[0]}`, { headers: { Authorization: `Bearer ${secrets[0]}` } }],
    ];
    let n = 0;
    for (const [path, init] of requests) {
      const id = `req-secret-${++n}`;
      const res = await fetch(`${server.url}${path}`, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), 'X-Request-Id': id } });
      await res.arrayBuffer();
      const line = await accessLine(id);
      expect(line.req!.path).toBe(path.split('?')[0]);
    }
    const all = raw.join('');
    for (const s of secrets) expect(all).not.toContain(s);
    expect(all).not.toMatch(/authorization|cookie|"headers"|"query"|"body"/i);
  });
});
