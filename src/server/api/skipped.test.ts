import { Hono } from 'hono';
import { onError } from '../http.js';
import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/db.js';
import { testConfig } from '../../../test/helpers/config.js';
import type { AppContext } from '../../context.js';
import { createApiToken } from '../../accounts/api-tokens.js';
import { createUser } from '../../accounts/users.js';
import { createLogger } from '../../log.js';
import { skippedApi } from './skipped.js';

describeEachDialect('skipped records API', (ctx) => {
  let http: Hono;
  let keeper: string;
  let viewer: string;
  const req = (token: string, extra: RequestInit = {}) => ({ ...extra, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });

  beforeAll(async () => {
    const app = { db: ctx.db, clock: () => new Date('2026-11-26T01:00:00Z'), logger: createLogger('silent'), config: testConfig() } as unknown as AppContext;
    const bo = await createUser(ctx.db, { email: 'bo@example.com', name: 'Bo', role: 'bookkeeper' });
    const vi = await createUser(ctx.db, { email: 'vi@example.com', name: 'Vi', role: 'viewer' });
    keeper = (await createApiToken(ctx.db, bo.id, 't')).token;
    viewer = (await createApiToken(ctx.db, vi.id, 't')).token;
    http = new Hono();
    http.route('/api/v1/skipped', skippedApi(app));
    http.onError(onError(app.logger));
  });

  it('skips a row with its linked rows, lists them within the window, and adds one back', async () => {
    const body = {
      refs: [
        { kind: 'invoice', id: 'INV-3', date: '2026-11-05' },
        { kind: 'payment', id: 'P-3', date: '2026-11-06' },
        { kind: 'invoice', id: 'INV-OLD', date: '2026-10-31' },
      ],
    };
    const res = await http.request('/api/v1/skipped?realm=7', req(keeper, { method: 'POST', body: JSON.stringify(body) }));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { skipped: unknown[] }).skipped).toHaveLength(3);
    // The company's export window starts on the first of the month it was first seen (2026-11-01).
    const listed = (await (await http.request('/api/v1/skipped?realm=7', req(viewer))).json()) as { skipped: Array<{ recordId: string; skippedBy: string }> };
    expect(listed.skipped.map((s) => s.recordId).sort()).toEqual(['INV-3', 'P-3']);
    expect(listed.skipped[0]!.skippedBy).toBe('user:bo@example.com');
    expect((await http.request('/api/v1/skipped/payment/P-3?realm=7', req(keeper, { method: 'DELETE' }))).status).toBe(200);
    const again = await http.request('/api/v1/skipped/payment/P-3?realm=7', req(keeper, { method: 'DELETE' }));
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('skip.not-skipped');
  });

  it('refuses a viewer, an unknown kind and a body that is not JSON', async () => {
    expect((await http.request('/api/v1/skipped?realm=7', req(viewer, { method: 'POST', body: JSON.stringify({ kind: 'invoice', id: 'X' }) }))).status).toBe(403);
    const kind = await http.request('/api/v1/skipped?realm=7', req(keeper, { method: 'POST', body: JSON.stringify({ kind: 'receipt', id: 'X' }) }));
    expect(((await kind.json()) as { error: { code: string; field: string } }).error).toMatchObject({ code: 'skip.unknown-kind', field: 'kind' });
    expect((await http.request('/api/v1/skipped?realm=7', req(keeper, { method: 'POST', body: 'nope' }))).status).toBe(400);
  });
});
