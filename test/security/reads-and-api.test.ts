/**
 * Issue 12 §10 and §11: reads never write and only known companies are accepted; a token call
 * without Content-Type is told which header; a page's 500 is a page; settings refuse keys that reach
 * an object's prototype; API tokens expire when asked and are listed with their last use; a password
 * change can revoke them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/accounts/api-tokens.js';
import { snapshotTables } from '../helpers/snapshot.js';
import { makeBench, stackTraceIn, type Bench } from './harness.js';

let now = new Date('2026-11-26T01:00:00Z');

async function knownCompany(b: Bench, realmId: string): Promise<void> {
  await b.app.ctx.db
    .insertInto('connections')
    .values({
      realm_id: realmId,
      company_name: 'Known Pty Ltd',
      region: 'AU',
      status: 'disconnected',
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
    })
    .execute();
}

describe('security: reads never write; only known companies', () => {
  let b: Bench;
  beforeAll(async () => {
    b = await makeBench({ clock: () => now });
  });
  afterAll(async () => b?.close());

  it('GET /api/v1/settings?realm=N by a viewer stores nothing and answers 404 for a company never connected', async () => {
    const before = await snapshotTables(b.app.ctx.db);
    const res = await b.call('/api/v1/settings?realm=424242', { as: { person: b.people.viewer, via: 'token' } });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; message: string; field: string } };
    expect(body.error).toMatchObject({ code: 'realm.unknown', field: 'realm' });
    expect(body.error.message).toMatch(/424242 was never connected here/);
    expect(await snapshotTables(b.app.ctx.db)).toBe(before);
  });

  it('POST /api/v1/sync?realm=1 for a company never connected records no run', async () => {
    const before = await snapshotTables(b.app.ctx.db);
    const res = await b.call('/api/v1/sync?realm=1', { method: 'POST', body: '{}', as: { person: b.people.bookkeeper, via: 'token' } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('connect it first');
    expect(await snapshotTables(b.app.ctx.db)).toBe(before);
    expect(await b.app.ctx.db.selectFrom('runs').select('id').execute()).toHaveLength(0);
  });
});

describe('security: API ergonomics', () => {
  let b: Bench;
  beforeAll(async () => {
    b = await makeBench({ clock: () => now });
    await knownCompany(b, '78');
    // A page route that fails, to see how a 500 looks to a browser.
    b.http.get('/boom-for-test', () => {
      throw new Error('a bug in a page');
    });
  });
  afterAll(async () => b?.close());

  it('a bearer-token call without Content-Type gets 415 naming the header', async () => {
    const res = await b.http.request(`${b.origin}/api/v1/sync?realm=78`, { method: 'POST', headers: { authorization: `Bearer ${b.people.bookkeeper.apiToken}` } });
    expect(res.status).toBe(415);
    const body = (await res.json()) as { error: { message: string; field: string } };
    expect(body.error.field).toBe('Content-Type');
    expect(body.error.message).toContain('Content-Type: application/json');
    expect(body.error.message).not.toMatch(/another site/);
  });

  it('a 500 for a page request is an HTML page without a stack trace', async () => {
    const res = await b.call('/boom-for-test', { as: { person: b.people.viewer, via: 'session' } });
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('Something went wrong');
    expect(stackTraceIn(html)).toBeUndefined();
    expect(html).not.toContain('a bug in a page');
  });

  it.each([
    ['tax.sales.__proto__', '"10"'],
    ['tax.sales.constructor', '"10"'],
    ['tax.sales', '{"__proto__": "10"}'],
    ['tax.sales', '{"prototype": "10"}'],
  ])('PUT /api/v1/settings/%s with %s is refused and audits nothing', async (path, value) => {
    const before = await snapshotTables(b.app.ctx.db, ['connect_settings', 'settings_audit']);
    const res = await b.call(`/api/v1/settings/${path}?realm=78`, { method: 'PUT', body: `{"value": ${value}}`, as: { person: b.people.administrator, via: 'token' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/cannot be a key/);
    expect(await snapshotTables(b.app.ctx.db, ['connect_settings', 'settings_audit'])).toBe(before);
  });

  it('an API token with an expiry stops working after it, and the list shows expiry and last use', async () => {
    const viewer = await b.app.ctx.db.selectFrom('users').select('id').where('email', '=', b.people.viewer.email).executeTakeFirstOrThrow();
    const { token } = await createApiToken(b.app.ctx.db, viewer.id, 'short-lived', now, 30);
    const call = () => b.http.request(`${b.origin}/api/v1/history?realm=78`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
    expect((await call()).status).toBe(200);
    const page = await (await b.call('/account', { as: { person: b.people.viewer, via: 'session' } })).text();
    expect(page).toContain('Last used');
    expect(page).toContain('Expires');
    expect(page).toMatch(/short-lived[\s\S]*2026-11-26 01:00[\s\S]*2026-12-26/);
    now = new Date('2026-12-27T01:00:00Z');
    expect((await call()).status).toBe(401);
    now = new Date('2026-11-26T01:00:00Z');
  });

  it('changing the password can revoke every API token of the person', async () => {
    const me = b.people.bookkeeper;
    const form = new URLSearchParams({ current: me.password, password: 'walnut cathedral umbrella seven', revokeTokens: 'yes' }).toString();
    const res = await b.call('/account/password', { method: 'POST', as: { person: me, via: 'session' }, contentType: 'application/x-www-form-urlencoded', body: form });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/API token[s]? (was|were) revoked/);
    const after = await b.http.request(`${b.origin}/api/v1/history?realm=78`, { headers: { authorization: `Bearer ${me.apiToken}`, accept: 'application/json' } });
    expect(after.status).toBe(401);
  });
});
