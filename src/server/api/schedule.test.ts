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
      // JSON types and exact values: a string minute, an untrimmed time or zone, a number for a string.
      ['{"kind":"hourly","minute":"5"}', 'schedule.minute'],
      ['{"kind":"daily","at":"18:30\\n"}', 'schedule.at'],
      ['{"timeZone":" Europe/London"}', 'schedule.timeZone'],
      ['{"kind":3}', 'schedule.kind'],
      ['[]', 'schedule.input'],
      ['{"schedule":{"kind":"off"},"realmId":"56"}', 'schedule.realmId'],
    ] as const) {
      const res = await http.request('/api/v1/schedule?realm=55', json(admin, { method: 'PUT', body }));
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as ErrorBody).error.field, body).toBe(field);
    }
    const now = (await (await http.request('/api/v1/schedule?realm=55', json(viewer))).json()) as { described: string };
    expect(now.described).toBe('weekdays (Mon–Fri) at 18:30 (Australia/Sydney)');
  });

  it('takes the shape GET returns (read-only fields ignored) and stores a zone in its canonical spelling', async () => {
    const got = (await (await http.request('/api/v1/schedule?realm=55', json(viewer))).json()) as Record<string, unknown>;
    const sent = { ...got, schedule: { kind: 'daily', at: '07:15' }, timeZone: 'america/new_york' };
    const put = await http.request('/api/v1/schedule?realm=55', json(admin, { method: 'PUT', body: JSON.stringify(sent) }));
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ schedule: { kind: 'daily', at: '07:15' }, timeZone: 'America/New_York', described: 'daily at 07:15 (America/New_York)' });
    const back = await http.request(
      '/api/v1/schedule?realm=55',
      json(admin, { method: 'PUT', body: JSON.stringify({ kind: 'weekdays', at: '18:30', timeZone: 'Australia/Sydney' }) }),
    );
    expect(back.status).toBe(200);
  });

  it('after disconnecting, the company last connected here: its schedule is read and an administrator can turn it off', async () => {
    await ctx.db.updateTable('connections').set({ status: 'disconnected', disconnected_reason: 'disconnected' }).where('realm_id', '=', '55').execute();
    try {
      const got = await http.request('/api/v1/schedule', json(viewer));
      expect(got.status).toBe(200);
      expect(await got.json()).toMatchObject({ realmId: '55', described: 'weekdays (Mon–Fri) at 18:30 (Australia/Sydney)' });
      const off = await http.request('/api/v1/schedule', json(admin, { method: 'PUT', body: '{"kind":"off"}' }));
      expect(off.status).toBe(200);
      expect(await off.json()).toMatchObject({ realmId: '55', described: 'off', nextDueAt: null });
    } finally {
      await ctx.db.updateTable('connections').set({ status: 'connected', disconnected_reason: null }).where('realm_id', '=', '55').execute();
      await http.request('/api/v1/schedule?realm=55', json(admin, { method: 'PUT', body: JSON.stringify({ kind: 'weekdays', at: '18:30', timeZone: 'Australia/Sydney' }) }));
    }
  });
});
