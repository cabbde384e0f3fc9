import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../app.js';
import { testConfig } from '../../test/helpers/config.js';
import { createLogger } from '../log.js';
import { Hono } from 'hono';
import { createHttpApp, onError } from './http.js';
import { refusal as runRefusal } from '../connect/run/reasons.js';
import { qboRefusal, refusal as connectRefusal } from '../connect/reasons.js';
import { QboUnavailableError } from '../qbo/fault.js';
import { PracticeError } from '../practice/store.js';
import { UserFacingError } from '../user-facing-error.js';
import { createTokenCipher } from '../connect/connection/crypto.js';
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

  describe('onError: the one answer to every refusal, whichever part made it', () => {
    const logged: unknown[] = [];
    const logger = { error: (o: unknown) => logged.push(o) } as unknown as Parameters<typeof onError>[0];
    const http = new Hono();
    http.onError(onError(logger));
    const throws = (err: Error) => () => {
      throw err;
    };
    // The statuses are the refusal's own: the API and the pages once mapped a run error three ways
    // (the sync page answered every run error 404, the sync API 409/404/400).
    http.get('/api/locked', throws(runRefusal('run.locked', { holder: 'ann@example.com' })));
    http.get('/api/no-run', throws(runRefusal('run.no-such-run', { runId: 'r-1' }, 'id')));
    http.get('/api/plan-errors', throws(runRefusal('run.plan-errors', { count: 1, list: ['invoice INV-1'] })));
    http.get('/api/unknown-realm', throws(connectRefusal('realm.unknown', { value: '42', known: ['7'], how: '?realm=ID' }, 'realm')));
    http.get('/api/qbo', throws(qboRefusal(new QboUnavailableError('42', 'network down'), 'the preview')!));
    http.get(
      '/api/practice',
      throws(
        new PracticeError([
          { code: 'practice.invalid', kind: 'invoice', key: 'INV-1', field: 'date', message: 'invoice INV-1: date is not a date' },
          { code: 'practice.invalid', kind: 'invoice', key: 'INV-1', field: 'total', message: 'invoice INV-1: total is not a number' },
        ]),
      ),
    );
    http.get('/api/bug', throws(new Error('secret detail of a bug')));
    http.get('/api/key-changed', () => {
      // What a running server meets after the key changed under it: its cipher's own error.
      createTokenCipher(Buffer.alloc(32, 1)).decrypt(createTokenCipher(Buffer.alloc(32, 2)).encrypt('t', '42|access_token'), '42|access_token');
      return new Response('unreachable');
    });
    http.get('/page/no-run', throws(runRefusal('run.no-such-run', { runId: 'r-1' }, 'id')));

    const get = async (path: string, accept = 'application/json') => {
      const res = await http.request(path, { headers: { accept } });
      return { status: res.status, body: await res.text() };
    };

    it('answers a refusal with its code, sentence, field and status', async () => {
      const locked = await get('/api/locked');
      expect(locked.status).toBe(409);
      expect(JSON.parse(locked.body)).toEqual({ error: { code: 'run.locked', message: expect.stringContaining('started by ann@example.com') } });
      expect((await get('/api/no-run')).status).toBe(404);
      expect(JSON.parse((await get('/api/no-run')).body).error).toMatchObject({ code: 'run.no-such-run', field: 'id' });
      expect((await get('/api/plan-errors')).status).toBe(400);
      const realm = await get('/api/unknown-realm');
      expect(realm.status).toBe(404);
      expect(JSON.parse(realm.body).error).toEqual({
        code: 'realm.unknown',
        field: 'realm',
        message: 'QuickBooks company 42 was never connected here (known: 7): connect it first, or name a known one with ?realm=ID.',
      });
      const qbo = await get('/api/qbo');
      expect(qbo.status).toBe(502);
      expect(JSON.parse(qbo.body).error).toEqual({
        code: 'qbo.unavailable',
        message: expect.stringMatching(/^QuickBooks could not be asked for the preview: QuickBooks could not be reached for company 42 \(network down\)/),
      });
    });

    it("keeps the ledger's record and every issue in the body", async () => {
      const res = await get('/api/practice');
      expect(res.status).toBe(400);
      const { error } = JSON.parse(res.body) as { error: { code: string; record: unknown; field: string; issues: unknown[] } };
      expect(error).toMatchObject({ code: 'practice.invalid', message: 'invoice INV-1: date is not a date', record: { kind: 'invoice', key: 'INV-1' }, field: 'date' });
      expect(error.issues).toHaveLength(2);
    });

    it('a stored token the key cannot open (the key changed under a running process) is a 503 saying to restart, never a 500 (issue 17)', async () => {
      const before = logged.length;
      const res = await get('/api/key-changed');
      expect(res.status).toBe(503);
      const { error } = JSON.parse(res.body) as { error: { code: string; message: string } };
      expect(error.code).toBe('connection.key-changed');
      expect(error.message).toMatch(
        /^A stored token for 42\|access_token cannot be decrypted with the key this process read at start: if the key changed under a running process .*, restart it/,
      );
      expect(logged.length).toBe(before);
    });

    it('answers a bug 500 without its detail, and logs it', async () => {
      const res = await get('/api/bug');
      expect(res.status).toBe(500);
      expect(res.body).not.toContain('secret detail');
      expect(JSON.parse(res.body).error.code).toBe('internal');
      expect(logged).toHaveLength(1);
    });

    it('shows a person the sentence on a page, with the same status', async () => {
      const res = await get('/page/no-run', 'text/html');
      expect(res.status).toBe(404);
      expect(res.body).toContain('There is no run r-1');
      expect(new UserFacingError('x.y', 'm').status).toBe(400);
    });
  });
});
