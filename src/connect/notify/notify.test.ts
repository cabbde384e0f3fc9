/**
 * Notifications against a real SMTP server (smtp-server, started here) and a real local webhook
 * receiver: a failed sync run emails the recipients once, with what happened, which company, what to
 * do and a link, and no secret; the webhook is signed (HMAC-SHA256 of the body); a broken SMTP server
 * is logged and the run is unaffected; a disconnect tells someone; with a job queue each delivery is
 * a 'notify' job the task delivers (and throws to be retried); changes are audited; bad input is
 * refused naming its field, nothing stored.
 */
import crypto from 'node:crypto';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPractice } from '../../practice/practices.js';
import { createApp, type App } from '../../app.js';
import { testConfig } from '../../../test/helpers/config.js';
import { capturedLogger, closedPort, startHookReceiver, startSmtp, until } from '../../../test/helpers/notify-receivers.js';
import { syncDepsFor } from '../run/deps.js';
import { sync } from '../run/sync.js';
import type { AddJobOptions, JobQueue, JobTask } from '../../jobs/queue.js';
import { notifyTask } from '../../jobs/tasks/notify.js';
import { getNotificationSettings, listNotificationAudit, notifyScheduleBlocked, sendTestNotification, setNotificationSettings, signBody } from './index.js';
import { isUserFacing } from '../../user-facing-error.js';

const SMTP_USER = 'mailer';
const SMTP_PASSWORD = 'smtp-pass-7f3a9c';
const HOOK_SECRET = 'whsec-5b1e0c9d2a7f4e68';
const REALM = '9130350000000042';
const T0 = new Date('2026-03-02T03:04:05Z');
const clock = () => new Date(T0);

type Smtp = Awaited<ReturnType<typeof startSmtp>>;
type Hooks = Awaited<ReturnType<typeof startHookReceiver>>;

async function appWith(smtpPort: number, logger = capturedLogger()) {
  const config = testConfig({
    QBO_CONNECT_SMTP_URL: `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${smtpPort}`,
    QBO_CONNECT_MAIL_FROM: 'QBO Connect <qbo@example.com>',
    QBO_CONNECT_PUBLIC_URL: 'https://books.example.com',
  });
  const app = await createApp(config, { clock, logger: logger.logger });
  return { app, lines: logger.lines };
}

/** A sync of REALM whose preview fails (QuickBooks unreachable): a real run through run/sync.ts, closed `failed`. */
async function failingSync(app: App, realmId = REALM) {
  const deps = syncDepsFor(app.ctx, realmId, { actor: 'test' });
  return sync(
    {
      ...deps,
      buildPlan: async () => {
        throw new Error('QuickBooks could not be reached (HTTP 503)');
      },
    },
    { realmId, actor: 'test' },
  );
}

const noSecret = (s: string) => {
  expect(s).not.toContain(SMTP_PASSWORD);
  expect(s).not.toContain(HOOK_SECRET);
};

describe('notifications (real SMTP server, real webhook receiver)', () => {
  let smtp: Smtp;
  let hooks: Hooks;
  let app: App;
  let lines: string[];

  beforeAll(async () => {
    smtp = await startSmtp({ user: SMTP_USER, password: SMTP_PASSWORD });
    hooks = await startHookReceiver();
    ({ app, lines } = await appWith(smtp.port));
    await app.ctx.qbo.connections.saveConnection({
      realmId: REALM,
      companyName: 'Keystone Architects',
      region: 'AU',
      tokens: { accessToken: 'at-1', refreshToken: 'rt-1', accessExpiresAt: new Date(T0.getTime() + 3600_000), refreshExpiresAt: null, refreshHardExpiresAt: null },
    });
  });
  afterAll(async () => {
    await app?.close();
    await smtp?.close();
    await hooks?.close();
  });

  it('a failed run sends one email to the recipients: what happened, which company, what to do, a link; no secret', async () => {
    await setNotificationSettings(app.ctx.db, { change: { emails: ['ada@example.com', 'bob@example.com'] }, actor: 'user:ada@example.com', clock, cipher: app.ctx.qbo.cipher });
    const before = smtp.mails.length;
    const result = await failingSync(app);
    expect(result.status).toBe('failed');
    await until(() => smtp.mails.length > before, 'the email');
    expect(smtp.mails.length - before).toBe(1);
    const mail = smtp.mails.at(-1)!;
    expect(mail.from).toBe('qbo@example.com');
    expect(mail.to.sort()).toEqual(['ada@example.com', 'bob@example.com']);
    expect(mail.subject).toBe('Sync failed for Keystone Architects');
    expect(mail.text).toContain(`A sync of Keystone Architects (QuickBooks company ${REALM}) ended with problems`);
    expect(mail.text).toContain('QuickBooks could not be reached (HTTP 503)');
    expect(mail.text).toContain('What to do: Open the run');
    expect(mail.text).toContain(`https://books.example.com/history/${result.runId}`);
    noSecret(mail.raw);
    noSecret(lines.join(''));
  });

  it("a company of another practice tells that practice's recipients only (issue 15)", async () => {
    const NORTH_REALM = '9130350000000077';
    await createPractice(app.ctx.db, { id: 'north', name: 'North Studio' }, 'tester', T0);
    await app.ctx.qbo.connections.saveConnection({
      realmId: NORTH_REALM,
      companyName: 'North Studio Pty Ltd',
      practiceId: 'north',
      tokens: { accessToken: 'at-2', refreshToken: 'rt-2', accessExpiresAt: new Date(T0.getTime() + 3600_000), refreshExpiresAt: null, refreshHardExpiresAt: null },
    });
    await setNotificationSettings(app.ctx.db, {
      practiceId: 'north',
      change: { emails: ['nora@north.example'] },
      actor: 'user:nora@north.example',
      clock,
      cipher: app.ctx.qbo.cipher,
    });
    const before = smtp.mails.length;
    expect((await failingSync(app, NORTH_REALM)).status).toBe('failed');
    await until(() => smtp.mails.length > before, 'the email');
    expect(smtp.mails.slice(before).map((m) => [m.to, m.subject])).toEqual([[['nora@north.example'], 'Sync failed for North Studio Pty Ltd']]);
  });

  it('the webhook receives the event as JSON, signed with HMAC-SHA256 of the exact body', async () => {
    await setNotificationSettings(app.ctx.db, { change: { webhookUrl: hooks.url, webhookSecret: HOOK_SECRET }, actor: 'user:ada@example.com', clock, cipher: app.ctx.qbo.cipher });
    const mailsBefore = smtp.mails.length;
    await notifyScheduleBlocked(app.ctx, { realmId: REALM, errors: ['invoice INV-7: no income account mapped', 'contact Acme: no email'] });
    expect(hooks.hooks).toHaveLength(1);
    const hook = hooks.hooks[0]!;
    const expected = `sha256=${crypto.createHmac('sha256', HOOK_SECRET).update(hook.body).digest('hex')}`;
    expect(hook.headers['x-qbo-connect-signature']).toBe(expected);
    expect(signBody(HOOK_SECRET, hook.body)).toBe(expected);
    expect(signBody('another-secret-0000', hook.body)).not.toBe(expected);
    expect(hook.headers['x-qbo-connect-event']).toBe('schedule-blocked');
    const body = JSON.parse(hook.body) as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'schedule-blocked',
      realmId: REALM,
      company: 'Keystone Architects',
      path: '/preview',
      link: 'https://books.example.com/preview',
      at: T0.toISOString(),
    });
    expect(String(body.happened)).toContain('2 blocking errors');
    noSecret(hook.body);
    // The same event went by email too.
    await until(() => smtp.mails.length > mailsBefore, 'the email');
    expect(smtp.mails.at(-1)!.subject).toBe('Scheduled sync blocked for Keystone Architects: 2 errors');
  });

  it('a connection that becomes disconnected (Intuit refusing the refresh token) tells the recipients', async () => {
    const before = smtp.mails.length;
    await app.ctx.qbo.connections.markDisconnected(REALM, 'invalid_grant');
    await until(() => smtp.mails.length > before, 'the email');
    expect(smtp.mails.at(-1)!.subject).toBe('QuickBooks disconnected: Keystone Architects');
    expect(smtp.mails.at(-1)!.text).toContain('https://books.example.com/connection');
    // Marking an already-disconnected company again says nothing new.
    const hooksBefore = hooks.hooks.length;
    await app.ctx.qbo.connections.markDisconnected(REALM, 'disconnected');
    expect(hooks.hooks.length).toBe(hooksBefore);
  });

  it('with a job queue each delivery is a notify job; the task delivers it, and throws on failure so the queue retries', async () => {
    const added: { task: JobTask; payload: Record<string, unknown>; opts?: AddJobOptions }[] = [];
    const jobs: JobQueue = {
      add: async (task, payload, opts) => {
        added.push({ task, payload, ...(opts ? { opts } : {}) });
      },
    };
    const ctx = { ...app.ctx, jobs };
    const mailsBefore = smtp.mails.length;
    const hooksBefore = hooks.hooks.length;
    await notifyScheduleBlocked(ctx, { realmId: REALM, errors: ['x'] });
    expect(added.map((a) => [a.task, a.payload.channel])).toEqual([
      ['notify', 'email'],
      ['notify', 'webhook'],
    ]);
    expect(smtp.mails.length).toBe(mailsBefore);
    expect(hooks.hooks.length).toBe(hooksBefore);
    noSecret(JSON.stringify(added));
    const t = { ctx, jobs, signal: new AbortController().signal, attempt: 1, maxAttempts: 8 };
    for (const a of added) await notifyTask(a.payload, t);
    expect(smtp.mails.length).toBe(mailsBefore + 1);
    expect(hooks.hooks.length).toBe(hooksBefore + 1);

    // The same job against a broken SMTP server throws (the queue retries it) and logs no secret.
    const broken = await appWith(await closedPort());
    try {
      const brokenCtx = { ...broken.app.ctx, jobs };
      await setNotificationSettings(broken.app.ctx.db, { change: { emails: ['ada@example.com'] }, actor: 'test', clock, cipher: broken.app.ctx.qbo.cipher });
      await expect(notifyTask(added[0]!.payload, { ...t, ctx: brokenCtx })).rejects.toThrow(/email through smtp:\/\/127\.0\.0\.1:\d+ failed/);
      expect(broken.lines.join('')).toContain('the queue retries it');
      noSecret(broken.lines.join(''));
    } finally {
      await broken.app.close();
    }
  });

  it('`test` sends a test message on every channel', async () => {
    const mailsBefore = smtp.mails.length;
    expect(await sendTestNotification(app.ctx, 'user:ada@example.com')).toEqual({ email: 'sent', webhook: 'sent' });
    expect(smtp.mails.length).toBe(mailsBefore + 1);
    expect(smtp.mails.at(-1)!.subject).toBe('QBO Connect test notification');
  });

  it('each change is audited with who, when, the old and the new value; the secret only as set/changed', async () => {
    await setNotificationSettings(app.ctx.db, {
      change: { emails: ['carol@example.com'], webhookSecret: 'whsec-new-0000000000' },
      actor: 'cli:carol',
      clock,
      cipher: app.ctx.qbo.cipher,
    });
    const audit = await listNotificationAudit(app.ctx.db);
    expect(
      audit
        .slice(0, 2)
        .map((a) => a.field)
        .sort(),
    ).toEqual(['emails', 'webhookSecret']);
    expect(audit.find((a) => a.field === 'emails')).toMatchObject({
      field: 'emails',
      oldValue: ['ada@example.com', 'bob@example.com'],
      newValue: ['carol@example.com'],
      actor: 'cli:carol',
      changedAt: T0.toISOString(),
    });
    expect(audit.find((a) => a.field === 'webhookSecret')).toMatchObject({ field: 'webhookSecret', oldValue: 'set', newValue: 'changed', actor: 'cli:carol' });
    // The URL's path may be the receiver's credential: the audit holds scheme://host/… only.
    expect(audit.find((a) => a.field === 'webhookUrl')).toMatchObject({ oldValue: null, newValue: `${new URL(hooks.url).origin}/…`, actor: 'user:ada@example.com' });
    noSecret(JSON.stringify(audit));
    expect(JSON.stringify(audit)).not.toContain('whsec-new-0000000000');
    // The same value again changes nothing and adds no row.
    await setNotificationSettings(app.ctx.db, { change: { emails: ['carol@example.com'] }, actor: 'cli:carol', clock, cipher: app.ctx.qbo.cipher });
    expect(await listNotificationAudit(app.ctx.db)).toHaveLength(audit.length);
  });

  it('bad input is refused naming the field, and nothing is stored', async () => {
    const before = await getNotificationSettings(app.ctx.db);
    const cases: [unknown, string, string][] = [
      [{ emails: ['ok@example.com', 'not-an-email'] }, 'notify.invalid-email', 'emails[1]'],
      [{ emails: 'ada@example.com' }, 'notify.invalid-email', 'emails'],
      [{ webhookUrl: 'http://hooks.example.com/x' }, 'notify.invalid-webhook-url', 'webhookUrl'],
      [{ webhookUrl: 'ftp://hooks.example.com/x' }, 'notify.invalid-webhook-url', 'webhookUrl'],
      [{ webhookUrl: 'https://user:pw@hooks.example.com/x' }, 'notify.invalid-webhook-url', 'webhookUrl'],
      [{ webhookUrl: 'not a url' }, 'notify.invalid-webhook-url', 'webhookUrl'],
      [{ webhookSecret: 'short' }, 'notify.invalid-webhook-secret', 'webhookSecret'],
      [{ webhookSecret: null }, 'notify.webhook-secret-required', 'webhookSecret'],
      [{ phone: '123' }, 'notify.unknown-field', 'phone'],
    ];
    for (const [change, code, field] of cases) {
      const err = await setNotificationSettings(app.ctx.db, { change, actor: 'test', clock, cipher: app.ctx.qbo.cipher }).catch((e: unknown) => e);
      expect(isUserFacing(err), JSON.stringify(change)).toBe(true);
      expect(err, JSON.stringify(change)).toMatchObject({ code, field });
      expect((err as Error).message).toContain(field);
    }
    expect(await getNotificationSettings(app.ctx.db)).toEqual(before);
    // https anywhere and http to this machine are taken.
    await setNotificationSettings(app.ctx.db, { change: { webhookUrl: 'https://hooks.example.com/qbo' }, actor: 'test', clock, cipher: app.ctx.qbo.cipher });
    await setNotificationSettings(app.ctx.db, { change: { webhookUrl: 'http://localhost:9/x' }, actor: 'test', clock, cipher: app.ctx.qbo.cipher });
    expect((await getNotificationSettings(app.ctx.db)).webhookUrl).toBe('http://localhost:9/x');
  });
});

describe('a broken SMTP server', () => {
  it('one that accepts and never answers is given up on at the deadline, logged, never thrown', async () => {
    const silent = net.createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { app, lines } = await appWith((silent.address() as AddressInfo).port);
    try {
      await setNotificationSettings(app.ctx.db, { change: { emails: ['ada@example.com'] }, actor: 'test', clock, cipher: app.ctx.qbo.cipher });
      const started = Date.now();
      await notifyScheduleBlocked(app.ctx, { realmId: REALM, errors: ['x'] }, { timeoutMs: 300 });
      expect(Date.now() - started).toBeLessThan(5000);
      // Our deadline or nodemailer's greeting timeout, whichever fires first: both bound the wait.
      expect(lines.join('')).toContain('notification not delivered');
      expect(lines.join('')).toMatch(/no answer within 300 ms|Greeting never received|ETIMEDOUT/);
      noSecret(lines.join(''));
    } finally {
      await app.close();
      silent.close();
    }
  });

  it('is logged without secrets and the run closes as it would have', async () => {
    const { app, lines } = await appWith(await closedPort());
    try {
      await setNotificationSettings(app.ctx.db, { change: { emails: ['ada@example.com'] }, actor: 'test', clock, cipher: app.ctx.qbo.cipher });
      const result = await failingSync(app);
      expect(result.status).toBe('failed');
      expect(result.message).toContain('QuickBooks could not be reached');
      const run = await app.ctx.db.selectFrom('runs').select(['status', 'finished_at']).where('id', '=', result.runId).executeTakeFirstOrThrow();
      expect(run).toMatchObject({ status: 'failed', finished_at: T0.toISOString() });
      // The notification goes after the run closed and its lock was released.
      await until(() => lines.join('').includes('notification not delivered'), 'the failure logged');
      const log = lines.join('');
      expect(log).toMatch(/email through smtp:\/\/127\.0\.0\.1:\d+ failed/);
      noSecret(log);
    } finally {
      await app.close();
    }
  });
});
