/** The Offices page in-process: an administrator chooses the offices a company takes; a refusal names the code; a viewer only reads. */
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../app.js';
import { hashPassword } from '../../accounts/passwords.js';
import { createUser } from '../../accounts/users.js';
import { getCompanyScope } from '../../connect/company-scope.js';
import { createRecord } from '../../practice/store.js';
import { createHttpApp } from '../http.js';
import { testConfig } from '../../../test/helpers/config.js';
import { signIn, WebClient } from '../../../test/helpers/web-client.js';

const PASS = 'a long enough password';

describe('the Offices page', () => {
  let app: App;
  let http: Hono;
  const as = async (email: string) => {
    const c = new WebClient(http);
    expect((await signIn(c, email, PASS)).status).toBe(303);
    return c;
  };

  beforeAll(async () => {
    app = await createApp(testConfig());
    http = createHttpApp(app.ctx);
    await createUser(app.ctx.db, { email: 'ada@example.com', name: 'Ada', role: 'administrator', passwordHash: await hashPassword(PASS) });
    await createUser(app.ctx.db, { email: 'vic@example.com', name: 'Vic', role: 'viewer', passwordHash: await hashPassword(PASS) });
    const at = app.ctx.clock().toISOString();
    await app.ctx.db
      .insertInto('connections')
      .values({
        realm_id: '4620',
        company_name: 'Sydney books',
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
    await createRecord(app.ctx.db, 'default', 'office', { code: 'SYD', name: 'Sydney' }, app.ctx.clock());
    await createRecord(app.ctx.db, 'default', 'office', { code: 'MEL', name: 'Melbourne' }, app.ctx.clock());
  });
  afterAll(async () => app.close());

  it('an administrator chooses an office; an unknown code is refused naming it, nothing stored', async () => {
    const c = await as('ada@example.com');
    expect((await c.get('/offices')).status).toBe(200);
    expect(c.lastHtml).toContain('takes <strong>all offices (the whole ledger)</strong>');
    const bad = await c.post('/offices', { scope: 'offices', office: 'PER' });
    expect(bad.status).toBe(400);
    expect(c.lastHtml).toContain('&quot;PER&quot; is not an office of practice default');
    expect((await getCompanyScope(app.ctx.db, '4620')).offices).toBeNull();
    expect((await c.post('/offices', { scope: 'offices' })).status).toBe(400);
    expect((await c.post('/offices', { scope: 'everything', office: 'SYD' })).status).toBe(400);
    expect((await c.post('/offices', {})).status).toBe(400);
    const ok = await c.post('/offices', { scope: 'offices', office: 'SYD' });
    expect(ok.status).toBe(200);
    expect(c.lastHtml).toContain('Saved: the company takes office SYD.');
    expect((await getCompanyScope(app.ctx.db, '4620')).offices).toEqual(['SYD']);
  });

  it('a viewer sees it and cannot change it', async () => {
    const c = await as('vic@example.com');
    await c.get('/offices');
    expect(c.lastHtml).toContain('takes <strong>office SYD</strong>');
    expect(c.lastHtml).toContain('Only an administrator can change which offices a company takes');
    expect((await c.post('/offices', { scope: 'all' })).status).toBe(403);
    expect((await getCompanyScope(app.ctx.db, '4620')).offices).toEqual(['SYD']);
  });
});
