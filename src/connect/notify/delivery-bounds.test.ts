/**
 * What delivery may never do: keep a company's sync lock or a run open (the notification goes after
 * the lock is released, and the run's end does not wait for it), reach a private or metadata address
 * through a host name (checked when sent), or send the same notice again and again (one per hour).
 */
import net, { type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../app.js';
import { testConfig } from '../../../test/helpers/config.js';
import { capturedLogger, startSmtp, until } from '../../../test/helpers/notify-receivers.js';
import { syncDepsFor } from '../run/deps.js';
import { startSync } from '../run/sync.js';
import { acquireSyncLock } from '../run/lock.js';
import { postWebhook } from './deliver.js';
import { renderNotification } from './events.js';
import { notifyScheduleBlocked, setNotificationSettings } from './index.js';
import { REPEAT_WINDOW_MS, type ClosedRun } from './send.js';
import { ConnectionLostError } from '../../qbo/fault.js';
import { sentence } from '../run/reasons.js';

const REALM = '9130350000000077';
const T0 = new Date('2026-03-02T03:04:05Z');
let now = T0.getTime();
const clock = () => new Date(now);

async function appWith(smtpPort: number, auth = '') {
  const log = capturedLogger();
  const app = await createApp(testConfig({ QBO_CONNECT_SMTP_URL: `smtp://${auth}127.0.0.1:${smtpPort}`, QBO_CONNECT_PUBLIC_URL: 'https://books.example.com' }), {
    clock,
    logger: log.logger,
  });
  await app.ctx.qbo.connections.saveConnection({
    realmId: REALM,
    companyName: 'Keystone Architects',
    region: 'AU',
    tokens: { accessToken: 'at-1', refreshToken: 'rt-1', accessExpiresAt: new Date(T0.getTime() + 3600_000), refreshExpiresAt: null, refreshHardExpiresAt: null },
  });
  await setNotificationSettings(app.ctx.db, { change: { emails: ['ada@example.com'] }, actor: 'test', clock, cipher: app.ctx.qbo.cipher });
  return { app, lines: log.lines };
}

describe('a mail server that accepts and never answers', () => {
  let silent: net.Server;
  const sockets: Socket[] = [];
  let app: App;
  let lines: string[];
  beforeAll(async () => {
    silent = net.createServer((s) => void sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    ({ app, lines } = await appWith((silent.address() as AddressInfo).port));
  });
  afterAll(async () => {
    await app?.close();
    for (const s of sockets) s.destroy();
    silent?.close();
  });

  it('does not hold the run open or the company locked: the next sync may start at once', async () => {
    const deps = {
      ...syncDepsFor(app.ctx, REALM, { actor: 'test', notifyTimeoutMs: 1500 }),
      buildPlan: async () => Promise.reject(new Error('QuickBooks could not be reached (HTTP 503)')),
    };
    const started = await startSync(deps, { realmId: REALM, actor: 'test' });
    let notified = false;
    void started.notified.then(() => (notified = true));
    expect((await started.done).status).toBe('failed');
    // The run ended (and let go of its lock) while the email was still waiting for its deadline.
    expect(notified).toBe(false);
    const next = await acquireSyncLock(app.ctx.db, { realmId: REALM, holder: 'next', clock, ttlMs: 60_000 });
    await next.release();
    // The delivery is still given up on at its deadline and logged, after the fact.
    await started.notified;
    expect(lines.join('')).toContain('notification not delivered');
  });
});

describe('sending', () => {
  it('a webhook host name that resolves to a private or metadata address is refused before connecting', async () => {
    const message = renderNotification({ kind: 'test', actor: 'test' }, 'https://b', T0);
    let fetched = 0;
    const fetchSpy: typeof fetch = async () => {
      fetched++;
      return new Response(null, { status: 204 });
    };
    for (const address of ['169.254.169.254', '10.1.2.3', 'fd00:ec2::254', '::ffff:192.168.0.1']) {
      await expect(
        postWebhook({ url: 'https://hooks.example.com/x', secret: 's'.repeat(16), fetch: fetchSpy, lookup: async () => ['93.184.216.34', address] }, message),
      ).rejects.toThrow(/refused: hooks\.example\.com resolves to/);
    }
    expect(fetched).toBe(0);
    await postWebhook({ url: 'https://hooks.example.com/x', secret: 's'.repeat(16), fetch: fetchSpy, lookup: async () => ['93.184.216.34'] }, message);
    await postWebhook({ url: 'http://localhost:9/x', secret: 's'.repeat(16), fetch: fetchSpy, lookup: async () => ['127.0.0.1', '::1'] }, message);
    expect(fetched).toBe(2);
  });

  it('the same notice again within the hour is not sent again; after it, it is', async () => {
    const smtp = await startSmtp({ user: 'u', password: 'p-0000' });
    const { app } = await appWith(smtp.port, 'u:p-0000@');
    try {
      now = T0.getTime();
      for (let i = 0; i < 3; i++) await notifyScheduleBlocked(app.ctx, { realmId: REALM, errors: ['invoice INV-7: no income account'] });
      await until(() => smtp.mails.length >= 1, 'the email');
      expect(smtp.mails).toHaveLength(1);
      // Other content is another notice.
      await notifyScheduleBlocked(app.ctx, { realmId: REALM, errors: ['invoice INV-8: no income account'] });
      await until(() => smtp.mails.length >= 2, 'the second email');
      expect(smtp.mails).toHaveLength(2);
      now = T0.getTime() + REPEAT_WINDOW_MS;
      await notifyScheduleBlocked(app.ctx, { realmId: REALM, errors: ['invoice INV-7: no income account'] });
      await until(() => smtp.mails.length >= 3, 'the third email');
      expect(smtp.mails).toHaveLength(3);
    } finally {
      now = T0.getTime();
      await app.close();
      await smtp.close();
    }
  });
});

describe("a run's notice", () => {
  it('a run stopped because the connection ended is marked so (its notice advises connecting again)', async () => {
    const { app } = await appWith(9);
    try {
      const told: ClosedRun[] = [];
      const deps = {
        ...syncDepsFor(app.ctx, REALM, { actor: 'test' }),
        notify: async (r: ClosedRun) => void told.push(r),
        buildPlan: async () => Promise.reject(new ConnectionLostError(REALM, 'invalid_grant')),
      };
      const started = await startSync(deps, { realmId: REALM, actor: 'test' });
      expect((await started.done).status).toBe('failed');
      await started.notified;
      expect(told).toEqual([expect.objectContaining({ status: 'failed', connectionLost: true })]);
    } finally {
      await app.close();
    }
  });

  it('the refused-sync sentence ends each quoted error once (no "settings.. Fix")', () => {
    const text = sentence('run.plan-errors', { count: 1, list: ['Invoice INV-7: no QBO income account. Set it under accounts.income in the settings.'] });
    expect(text).toContain('in the settings. Fix them');
    expect(text).not.toContain('..');
  });
});
