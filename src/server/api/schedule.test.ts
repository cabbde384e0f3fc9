import { Hono } from 'hono';
import { onError } from '../http.js';
import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/db.js';
import { testConfig } from '../../../test/helpers/config.js';
import type { AppContext } from '../../context.js';
import { createApiToken } from '../../accounts/api-tokens.js';
import { createUser } from '../../accounts/users.js';
import { createLogger } from '../../log.js';
import { listAudit } from '../../connect/settings/store.js';
import { scheduleApi } from './schedule.js';

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

describeEachDialect('schedule API', (ctx) => {
  let http: Hono;
  let admin: string;
  let viewer: string;
  const json = (token: string, extra: RequestInit = {}) => ({ ...extra, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });

  beforeAll(async () => {
    const app = { db: ctx.db, clock: () => new Date('2026-12-04T10:00:00Z'), logger: createLogger('silent'), config: testConfig() } as unknown as AppContext;
    const ann = await createUser(ctx.db, { email: 'ann@example.com', name: 'Ann', role: 'administrator' });
    const vic = await createUser(ctx.db, { email: 'vic@example.com', name: 'Vic', role: 'viewer' });
    admin = (await createApiToken(ctx.db, ann.id, 't')).token;
    viewer = (await createApiToken(ctx.db, vic.id, 't')).token;
    const at = '2026-11-01T00:00:00.000Z';
    await ctx.db
      .insertInto('connections')
      .values({
        realm_id: '55',
        company_name: 'Company 55',
        region: 'AU',
        status: 'connected',
        access_token_enc: null,
        refresh_token_enc: null,
        access_expires_at: null,
        refresh_expires_at: null,
        refresh_hard_expires_at: null,
        connected_at: at,
        connected_by: null,
        disconnected_reason: null,
        updated_at: at,
        lock_owner: null,
        lock_until: null,
      })
      .execute();
    http = new Hono();
    http.route('/api/v1/schedule', scheduleApi(app));
    http.onError(onError(app.logger));
  });

  it('reads the schedule (off until set), sets it as an administrator, audited under the user', async () => {
    const off = (await (await http.request('/api/v1/schedule?realm=55', json(viewer))).json()) as { described: string; nextDueAt: string | null };
    expect(off).toMatchObject({ described: 'off', nextDueAt: null });
    const put = await http.request(
      '/api/v1/schedule?realm=55',
      json(admin, { method: 'PUT', body: JSON.stringify({ kind: 'weekdays', at: '18:30', timeZone: 'Australia/Sydney' }) }),
    );
    expect(put.status).toBe(200);
    // Friday 4 Dec 2026 21:00 in Sydney (UTC+11): the next weekday 18:30 is Monday 7 Dec, 07:30Z.
    expect(await put.json()).toMatchObject({ described: 'weekdays (Mon–Fri) at 18:30 (Australia/Sydney)', nextDueAt: '2026-12-07T07:30:00.000Z' });
    expect((await listAudit(ctx.db, '55', { path: 'schedule.kind' }))[0]).toMatchObject({ actor: 'user:ann@example.com', oldValue: 'off', newValue: 'weekdays' });
  });

  it('a viewer cannot change it; bad input is a 400 naming the field, nothing changed', async () => {
    expect((await http.request('/api/v1/schedule?realm=55', json(viewer, { method: 'PUT', body: '{"kind":"off"}' }))).status).toBe(403);
    for (const [body, field] of [
      ['{"kind":"daily","at":"7pm"}', 'schedule.at'],
      ['{"timeZone":"Sydney"}', 'schedule.timeZone'],
      ['{"__proto__":{"kind":"off"}}', 'schedule.__proto__'],
      ['not json', 'schedule'],
    ] as const) {
      const res = await http.request('/api/v1/schedule?realm=55', json(admin, { method: 'PUT', body }));
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as ErrorBody).error.field, body).toBe(field);
    }
    const now = (await (await http.request('/api/v1/schedule?realm=55', json(viewer))).json()) as { described: string };
    expect(now.described).toBe('weekdays (Mon–Fri) at 18:30 (Australia/Sydney)');
  });
});
