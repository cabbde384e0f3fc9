/**
 * Which run closes tell someone, and what every kind of notification says: what happened, which
 * company, what to do, a link into the app — and nothing undefined.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../app.js';
import { testConfig } from '../../../test/helpers/config.js';
import type { JobQueue } from '../../jobs/queue.js';
import { notifyRunClosed, renderNotification, setNotificationSettings, type DeliveryPayload, type NotificationEvent } from './index.js';

const at = new Date('2026-07-01T10:00:00Z');
const clock = () => at;

describe('run closes that tell someone', () => {
  let app: App;
  const added: DeliveryPayload[] = [];
  const jobs: JobQueue = {
    add: async (_task, payload) => {
      added.push(payload as unknown as DeliveryPayload);
    },
  };
  beforeAll(async () => {
    app = await createApp(testConfig({ QBO_CONNECT_SMTP_URL: 'smtp://127.0.0.1:9' }), { clock });
    await setNotificationSettings(app.ctx.db, { change: { emails: ['ada@example.com'] }, actor: 'test', clock, cipher: app.ctx.qbo.cipher });
  });
  afterAll(async () => app?.close());

  it('failed → run-failed, only held → run-held, refused → run-refused; succeeded and interrupted say nothing', async () => {
    const ctx = { ...app.ctx, jobs };
    const base = { realmId: '9130', runId: 'r1', message: null, failed: 0, held: 0, errors: 0 };
    const cases: [Parameters<typeof notifyRunClosed>[1], string | undefined][] = [
      [{ ...base, status: 'failed', failed: 2, held: 1 }, 'run-failed'],
      [{ ...base, status: 'failed', held: 3 }, 'run-held'],
      [{ ...base, status: 'failed', held: 3, heldForErrors: 3 }, 'run-held'],
      [{ ...base, status: 'refused', errors: 4 }, 'run-refused'],
      [{ ...base, status: 'succeeded' }, undefined],
      [{ ...base, status: 'interrupted' }, undefined],
    ];
    for (const [run, kind] of cases) {
      added.length = 0;
      await notifyRunClosed(ctx, run);
      // The kind of held travels to the notice (it decides the advice and the link).
      if (run.heldForErrors) expect(added[0]?.event).toMatchObject({ heldForErrors: run.heldForErrors });
      expect(
        added.map((a) => a.event.kind),
        run.status,
      ).toEqual(kind ? [kind] : []);
    }
  });
});

describe('what each notification says', () => {
  const events: NotificationEvent[] = [
    { kind: 'run-failed', realmId: '9130', company: 'Keystone', runId: 'r-7', failed: 2, held: 1, errors: 0, message: 'Two records failed.' },
    { kind: 'run-held', realmId: '9130', company: 'Keystone', runId: 'r-8', failed: 0, held: 1, errors: 0 },
    { kind: 'run-refused', realmId: '9130', company: null, runId: 'r-9', failed: 0, held: 0, errors: 3 },
    { kind: 'connection-disconnected', realmId: '9130', company: 'Keystone', reason: 'invalid_grant' },
    { kind: 'connection-disconnected', realmId: '9130', company: 'Keystone', reason: 'disconnected' },
    { kind: 'connection-expiring', realmId: '9130', company: 'Keystone', why: 'hard-expiry', expiresAt: '2026-07-15T00:00:00.000Z' },
    { kind: 'connection-expiring', realmId: '9130', company: 'Keystone', why: 'refresh-failed', expiresAt: '2026-09-01T00:00:00.000Z', detail: 'temporary, HTTP 503' },
    { kind: 'schedule-blocked', realmId: '9130', company: 'Keystone', errors: 2, detail: ['invoice INV-1: no account'] },
    { kind: 'test', actor: 'cli:ada' },
  ];
  const paths = ['/history/r-7', '/held', '/preview', '/connection', '/connection', '/connection', '/connection', '/preview', '/settings/notifications'];

  it('each says what happened, which company, what to do, with its link', () => {
    events.forEach((e, i) => {
      const r = renderNotification(e, 'https://books.example.com/', at);
      expect(r.payload.link, e.kind).toBe(`https://books.example.com${paths[i]}`);
      expect(r.text).toContain(`https://books.example.com${paths[i]}`);
      expect(r.text).toContain('What to do: ');
      if (e.kind !== 'test') expect(r.text).toContain('QuickBooks company 9130');
      expect(`${r.subject} ${r.text} ${JSON.stringify(r.payload)}`).not.toMatch(/undefined|NaN|\[object/);
    });
    expect(renderNotification(events[0]!, 'https://b', at).subject).toBe('Sync failed for Keystone');
    expect(renderNotification(events[2]!, 'https://b', at).subject).toBe('Sync refused for 9130: 3 errors to fix');
    expect(renderNotification(events[5]!, 'https://b', at).subject).toBe('QuickBooks connection ends on 2026-07-15: Keystone');
  });

  it('a schedule blocked because the company is not connected says connect again, linking to the connection page', () => {
    const r = renderNotification({ kind: 'schedule-blocked', realmId: '9130', company: 'Keystone', errors: 0, notConnected: true }, 'https://b', at);
    expect(r.subject).toBe('Scheduled sync blocked for Keystone: QuickBooks not connected');
    expect(r.payload.path).toBe('/connection');
    expect(r.text).not.toContain('error');
  });

  it('records held because of errors in the preview point to the preview, not to the held page (which does not list them)', () => {
    const r = renderNotification({ kind: 'run-held', realmId: '9130', company: 'Keystone', runId: 'r-8', failed: 0, held: 2, errors: 0, heldForErrors: 2 }, 'https://b', at);
    expect(r.payload.path).toBe('/preview');
    expect(r.text).toContain('2 records were held because of errors in the preview');
    expect(r.text).toContain('What to do: Open the preview and fix each error in the practice or skip it');
    expect(r.text).not.toContain('Open the held records');
    const mixed = renderNotification({ kind: 'run-held', realmId: '9130', runId: 'r-8', failed: 0, held: 3, errors: 0, heldForErrors: 2 }, 'https://b', at);
    expect(mixed.text).toContain('2 records were held because of errors in the preview and 1 record was held for review');
    expect(mixed.text).toContain('open the held records and decide each one');
  });

  it('a run stopped by a lost connection says so and advises reconnecting, not fixing records', () => {
    const r = renderNotification(
      {
        kind: 'run-failed',
        realmId: '9130',
        company: 'Keystone',
        runId: 'r-8',
        failed: 0,
        held: 0,
        errors: 0,
        message: 'The sync stopped: connection ended',
        connectionLost: true,
      },
      'https://b',
      at,
    );
    expect(r.subject).toBe('Sync stopped for Keystone: QuickBooks disconnected');
    expect(r.text).toContain('connects the company again');
    expect(r.text).not.toMatch(/0 records failed|fix them in the practice/);
    expect(r.payload.link).toBe('https://b/connection');
  });

  it('a disconnect by a person names who', () => {
    const r = renderNotification({ kind: 'connection-disconnected', realmId: '9130', company: 'Keystone', reason: 'disconnected', by: 'user:ann@example.com' }, 'https://b', at);
    expect(r.text).toContain('was disconnected by user:ann@example.com');
  });

  it('the subject is one line even when the company name (from QuickBooks) carries CR/LF', () => {
    const r = renderNotification({ kind: 'run-refused', realmId: '9130', company: 'Evil\r\nBcc: x@evil.example', runId: 'r', failed: 0, held: 0, errors: 1 }, 'https://b', at);
    expect(r.subject).not.toMatch(/[\r\n]/);
    expect(r.payload.subject).toBe(r.subject);
  });
});
