/** The Schedule page in-process: administrators change it; a refusal names the field and keeps what was typed; a viewer only reads. */
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../app.js';
import { hashPassword } from '../../accounts/passwords.js';
import { createUser } from '../../accounts/users.js';
import { getSchedule } from '../../connect/schedule/store.js';
import { createHttpApp } from '../http.js';
import { testConfig } from '../../../test/helpers/config.js';
import { signIn, WebClient } from '../../../test/helpers/web-client.js';

const PASS = 'a long enough password';

describe('the Schedule page', () => {
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
        company_name: 'Co',
        region: 'GB',
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
  });
  afterAll(async () => app.close());

  it('an administrator sets it; a bad time is refused naming schedule.at, with what was typed kept', async () => {
    const c = await as('ada@example.com');
    expect((await c.get('/schedule')).status).toBe(200);
    expect(c.lastHtml).toContain('Now: <strong>off</strong>');
    const bad = await c.post('/schedule', { kind: 'daily', at: '27:00', minute: '0', timeZone: 'Europe/London', onErrors: 'sync-nothing' });
    expect(bad.status).toBe(400);
    expect(c.lastHtml).toContain('schedule.at');
    expect(c.lastHtml).toContain('value="27:00"');
    expect((await getSchedule(app.ctx.db, '4620')).schedule.kind).toBe('off');
    const ok = await c.post('/schedule', { kind: 'daily', at: '18:30', minute: '0', timeZone: 'Europe/London', onErrors: 'sync-ready' });
    expect(ok.status).toBe(200);
    expect(c.lastHtml).toContain('Saved: daily at 18:30 (Europe/London).');
    // The next run in the company's time, then UTC.
    expect(c.lastHtml).toMatch(/Next scheduled sync: \w{3} \d{1,2} \w{3} \d{4} 18:30 Europe\/London \((\w{3} \d{1,2} \w{3} )?\d\d:30 UTC\)\./);
    expect(await getSchedule(app.ctx.db, '4620')).toMatchObject({ schedule: { kind: 'daily', at: '18:30' }, onErrors: 'sync-ready' });
  });

  it('a viewer sees it and cannot change it', async () => {
    const c = await as('vic@example.com');
    await c.get('/schedule');
    expect(c.lastHtml).toContain('daily at 18:30 (Europe/London)');
    expect(c.lastHtml).toContain('Only an administrator can change the schedule');
    expect((await c.post('/schedule', { kind: 'off', timeZone: 'UTC', onErrors: 'sync-nothing' })).status).toBe(403);
    expect((await getSchedule(app.ctx.db, '4620')).schedule.kind).toBe('daily');
  });

  it('after disconnecting, the page shows the company last connected here and an administrator can turn it off', async () => {
    await app.ctx.db.updateTable('connections').set({ status: 'disconnected' }).where('realm_id', '=', '4620').execute();
    try {
      const c = await as('ada@example.com');
      expect((await c.get('/schedule')).status).toBe(200);
      expect(c.lastHtml).toContain('QuickBooks is not connected now');
      expect(c.lastHtml).toContain('daily at 18:30 (Europe/London)');
      expect((await c.post('/schedule', { kind: 'off', timeZone: 'Europe/London', onErrors: 'sync-ready' })).status).toBe(200);
      expect((await getSchedule(app.ctx.db, '4620')).schedule.kind).toBe('off');
    } finally {
      await app.ctx.db.updateTable('connections').set({ status: 'connected' }).where('realm_id', '=', '4620').execute();
    }
  });
});
