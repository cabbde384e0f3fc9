/**
 * Settings › Notifications in the web app (in-process): an administrator saves recipients and the
 * webhook with the page's CSRF token (audited under their name; the secret never shown back), a bad
 * address is shown as an error naming the field and nothing is stored, a post without the token is
 * refused, and a viewer sees the page without a form button.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { createApp, type App } from '../../app.js';
import { testConfig } from '../../../test/helpers/config.js';
import { signIn, WebClient } from '../../../test/helpers/web-client.js';
import { createHttpApp } from '../http.js';
import { hashPassword } from '../../accounts/passwords.js';
import { createUser } from '../../accounts/users.js';
import { getNotificationSettings, listNotificationAudit } from '../../connect/notify/index.js';

const SECRET = 'whsec-web-0a9b8c7d6e5f4a3b';

describe('Settings › Notifications page', () => {
  let app: App;
  let http: Hono;

  beforeAll(async () => {
    app = await createApp(testConfig());
    http = createHttpApp(app.ctx, {});
    await createUser(app.ctx.db, { email: 'ada@example.com', name: 'Ada', role: 'administrator', passwordHash: await hashPassword('admin password 1') });
    await createUser(app.ctx.db, { email: 'vic@example.com', name: 'Vic', role: 'viewer', passwordHash: await hashPassword('viewer password 2') });
  });
  afterAll(async () => app.close());

  it('an administrator saves recipients and the webhook; the change is audited and the secret never shown', async () => {
    const c = new WebClient(http);
    await signIn(c, 'ada@example.com', 'admin password 1');
    expect((await c.get('/settings/notifications')).status).toBe(200);
    const forged = await c.post('/settings/notifications', { emails: 'x@example.com' }, { csrf: false });
    expect(forged.status).toBe(403);
    const res = await c.post('/settings/notifications', { emails: 'bob@example.com\ncarol@example.com', webhookUrl: 'https://hooks.example.com/qbo/tok3n', webhookSecret: SECRET });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/settings/notifications?saved=1');
    expect(await getNotificationSettings(app.ctx.db)).toEqual({
      emails: ['bob@example.com', 'carol@example.com'],
      webhookUrl: 'https://hooks.example.com/qbo/tok3n',
      webhookSecretSet: true,
    });
    const page = await (await c.get('/settings/notifications')).text();
    expect(page).toContain('bob@example.com');
    expect(page).not.toContain(SECRET);
    expect((await listNotificationAudit(app.ctx.db)).map((a) => a.actor)).toContain('user:ada@example.com');

    const bad = await c.post('/settings/notifications', { emails: 'bob@example.com, nope', webhookUrl: 'https://hooks.example.com/qbo' });
    expect(bad.status).toBe(400);
    const badPage = await bad.text();
    expect(badPage).toContain('emails[1]');
    // What was typed stays in the form, with the error, to be corrected rather than typed again.
    expect(badPage).toMatch(/<textarea[^>]*>\s*bob@example.com, nope\s*<\/textarea>/);
    expect((await getNotificationSettings(app.ctx.db)).emails).toEqual(['bob@example.com', 'carol@example.com']);
    const ssrf = await c.post('/settings/notifications', { emails: 'bob@example.com', webhookUrl: 'https://169.254.169.254/latest' });
    expect(ssrf.status).toBe(400);
    expect(await ssrf.text()).toContain('value="https://169.254.169.254/latest"');

    // With nobody to tell, the test's error does not send a web user to the command line.
    await c.post('/settings/notifications', { emails: '', webhookUrl: '' });
    const nothing = await (await c.post('/settings/notifications/test', {})).text();
    expect(nothing).toContain('nobody to send a test to');
    expect(nothing).not.toContain('qbo-connect');
    expect((await c.post('/settings/notifications', { emails: 'bob@example.com', webhookUrl: 'https://hooks.example.com/qbo/tok3n', webhookSecret: SECRET })).status).toBe(303);
  });

  it('a viewer sees who is told but cannot change it', async () => {
    const c = new WebClient(http);
    await signIn(c, 'vic@example.com', 'viewer password 2');
    const page = await (await c.get('/settings/notifications')).text();
    expect(page).toContain('Only an administrator can change notifications');
    // The webhook URL's path is the receiver's credential: a viewer sees scheme://host/… only.
    expect(page).toContain('https://hooks.example.com/…');
    expect(page).not.toContain('tok3n');
    expect(page).not.toContain('Save notifications');
    const res = await c.post('/settings/notifications', { emails: 'x@example.com' });
    expect(res.status).toBe(403);
  });
});
