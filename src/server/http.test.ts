import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../app.js';
import { testConfig } from '../../test/helpers/config.js';
import { createLogger } from '../log.js';
import { createHttpApp } from './http.js';
import { listen } from './serve.js';

describe('http app', () => {
  let app: App;
  beforeAll(async () => {
    app = await createApp(testConfig(), { logger: createLogger('silent') });
  });
  afterAll(async () => app.close());

  it('answers the health check with status, version and dialect', async () => {
    const res = await createHttpApp(app.ctx).request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', version: app.ctx.version, database: 'sqlite' });
  });

  it('sends security headers on every page', async () => {
    const res = await createHttpApp(app.ctx).request('/setup');
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
  });

  it('answers unknown paths with a JSON 404', async () => {
    const res = await createHttpApp(app.ctx).request('/api/nope');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not-found');
  });

  it('lets an in-flight request finish when the server closes', async () => {
    const http = createHttpApp(app.ctx);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    http.get('/api/slow', async (c) => {
      await gate;
      return c.text('done');
    });
    const server = await listen(http, '127.0.0.1', 0);
    const pending = fetch(`${server.url}/api/slow`).then((r) => r.text());
    await new Promise((r) => setTimeout(r, 50));
    const closed = server.close();
    release();
    expect(await pending).toBe('done');
    await closed;
  });
});
