import { Hono } from 'hono';
import { onError } from '../http.js';
import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/db.js';
import { testConfig } from '../../../test/helpers/config.js';
import type { AppContext } from '../../context.js';
import { createApiToken } from '../../accounts/api-tokens.js';
import { createUser } from '../../accounts/users.js';
import { listAudit } from '../../connect/settings/store.js';
import { createLogger } from '../../log.js';
import { createRecord } from '../../practice/store.js';
import { practiceScope } from '../practice-scope.js';
import { companyApi } from './company.js';

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

const connection = (realm_id: string, practice_id: string) => ({
  realm_id,
  practice_id,
  company_name: `Company ${realm_id}`,
  region: 'AU',
  status: 'disconnected' as const,
  access_token_enc: null,
  refresh_token_enc: null,
  access_expires_at: null,
  refresh_expires_at: null,
  refresh_hard_expires_at: null,
  connected_at: '2026-11-01T00:00:00.000Z',
  connected_by: null,
  disconnected_reason: 'disconnected',
  updated_at: '2026-11-01T00:00:00.000Z',
  lock_owner: null,
  lock_until: null,
  offices: null,
});

describeEachDialect('company offices API', (ctx) => {
  let http: Hono;
  let admin: string;
  let viewer: string;
  const json = (token: string, extra: RequestInit = {}) => ({ ...extra, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  const put = (token: string, body: string, realm = '55') => http.request(`/api/v1/company/offices?realm=${realm}`, json(token, { method: 'PUT', body }));

  beforeAll(async () => {
    const now = new Date('2026-11-26T01:00:00Z');
    const app = { db: ctx.db, clock: () => now, logger: createLogger('silent'), config: testConfig() } as unknown as AppContext;
    const ann = await createUser(ctx.db, { email: 'ann@example.com', name: 'Ann', role: 'administrator' });
    const vic = await createUser(ctx.db, { email: 'vic@example.com', name: 'Vic', role: 'viewer' });
    admin = (await createApiToken(ctx.db, ann.id, 't')).token;
    viewer = (await createApiToken(ctx.db, vic.id, 't')).token;
    await ctx.db.insertInto('practices').values({ id: 'other', name: 'Other', created_at: now.toISOString(), created_by: 'test' }).execute();
    await ctx.db
      .insertInto('connections')
      .values([connection('55', 'default'), connection('56', 'other')])
      .execute();
    for (const [code, name] of [
      ['SYD', 'Sydney'],
      ['MEL', 'Melbourne'],
    ]) {
      await createRecord(ctx.db, 'default', 'office', { code, name }, now);
    }
    http = new Hono();
    http.use('*', practiceScope());
    http.route('/api/v1/company', companyApi(app));
    http.onError(onError(app.logger));
  });

  it('shows the whole ledger by default, with the practice offices', async () => {
    const res = await http.request('/api/v1/company/offices?realm=55', json(viewer));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ realmId: '55', practiceId: 'default', offices: null, practiceOffices: ['MEL', 'SYD'] });
  });

  it('lets an administrator choose offices, audited; a viewer is refused', async () => {
    expect((await put(viewer, '{"offices":["SYD"]}')).status).toBe(403);
    const res = await put(admin, '{"offices":["SYD"," MEL","SYD"]}');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ changed: true, oldValue: null, newValue: ['MEL', 'SYD'] });
    expect(await listAudit(ctx.db, '55', { path: 'company.offices' })).toMatchObject([{ actor: 'user:ann@example.com', oldValue: null, newValue: ['MEL', 'SYD'] }]);
    expect(await (await put(admin, '{"offices":["MEL","SYD"]}')).json()).toMatchObject({ changed: false });
    expect(await (await put(admin, '{"offices":null}')).json()).toMatchObject({ changed: true, newValue: null, described: 'all offices (the whole ledger)' });
  });

  it('refuses an unknown office naming the field and the code, keeping what was stored', async () => {
    await put(admin, '{"offices":["MEL"]}');
    const res = await put(admin, '{"offices":["MEL","PER"]}');
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error).toMatchObject({ code: 'company.unknown-office', field: 'offices' });
    expect(body.error.message).toContain('"PER"');
    for (const bad of ['{', '{"value":["MEL"]}', '{"offices":"MEL"}', '{"offices":[1]}']) {
      const r = await put(admin, bad);
      expect(r.status, bad).toBe(400);
      expect(((await r.json()) as ErrorBody).error.field, bad).toBe('offices');
    }
    expect(await (await http.request('/api/v1/company/offices?realm=55', json(viewer))).json()).toMatchObject({ offices: ['MEL'] });
  });

  it("answers 404 for another practice's company, and changes nothing there", async () => {
    expect((await http.request('/api/v1/company/offices?realm=56', json(viewer))).status).toBe(404);
    expect((await put(admin, '{"offices":["MEL"]}', '56')).status).toBe(404);
    const row = await ctx.db.selectFrom('connections').select('offices').where('realm_id', '=', '56').executeTakeFirstOrThrow();
    expect(row.offices).toBeNull();
  });
});
