/**
 * POST /webhooks/intuit (server/webhooks.ts): a recorded Intuit payload with a valid signature is
 * queued as one 'company-changes' job; a forged signature gets 401 and queues nothing (and the log
 * holds neither body nor token); a replay adds no work; a burst of 100 notifications for one company
 * is one job (the queue's jobKey coalescing, recorded here as the recording queue sees it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import type { AddJobOptions, JobQueue, JobTask } from '../../src/jobs/queue.js';
import { webhookSignature } from '../../src/qbo/webhooks.js';
import { createHttpApp } from '../../src/server/http.js';
import { testConfig } from '../helpers/config.js';
import { capturingLogger } from '../helpers/qbo.js';

const TOKEN = 'verifier-token-for-tests-7f3a';
const REALM = '310687';

// Recorded from Intuit's announcement of the CloudEvents format, which shows both formats
// (https://blogs.a.intuit.com/2025/11/12/upcoming-change-to-webhooks-payload-structure).
const legacy = {
  eventNotifications: [{ realmId: REALM, dataChangeEvent: { entities: [{ id: '1234', operation: 'Create', name: 'Account', lastUpdated: '2025-09-08T20:52:31.657Z' }] } }],
};
const cloudEvents = [
  {
    specversion: '1.0',
    id: '88cd52aa-33b6-4351-9aa4-47572edbd068',
    source: 'intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=',
    type: 'qbo.account.created.v1',
    datacontenttype: 'application/json',
    time: '2025-09-10T21:31:25.179851517Z',
    intuitentityid: '1234',
    intuitaccountid: REALM,
    data: {},
  },
];

/** The queue's contract, recorded: a job per jobKey while pending (what graphile-worker and the in-process runner both do). */
function recordingQueue() {
  const added: Array<{ task: JobTask; payload: Record<string, unknown>; opts: AddJobOptions }> = [];
  const pending = new Map<string, { payload: Record<string, unknown>; runAt: Date | undefined }>();
  const queue: JobQueue = {
    async add(task, payload, opts = {}) {
      added.push({ task, payload, opts });
      const key = opts.jobKey ?? `${task}:${added.length}`;
      const before = pending.get(key);
      pending.set(key, { payload, runAt: opts.jobKeyMode === 'preserve_run_at' && before ? before.runAt : opts.runAt });
    },
  };
  return { queue, added, pending };
}

describe('POST /webhooks/intuit', () => {
  let app: App;
  let http: ReturnType<typeof createHttpApp>;
  let q: ReturnType<typeof recordingQueue>;
  const log = capturingLogger();

  beforeAll(async () => {
    app = await createApp(testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: 'http://127.0.0.1:9', QBO_WEBHOOK_VERIFIER_TOKEN: TOKEN }), { logger: log.logger });
    q = recordingQueue();
    app.ctx.jobs = q.queue;
    const now = app.ctx.clock();
    await app.ctx.qbo.connections.saveConnection({
      realmId: REALM,
      tokens: {
        accessToken: 'a'.repeat(40),
        refreshToken: 'r'.repeat(40),
        accessExpiresAt: new Date(now.getTime() + 3_600_000),
        refreshExpiresAt: null,
        refreshHardExpiresAt: null,
      },
    });
    http = createHttpApp(app.ctx, { connection: undefined });
  });
  afterAll(async () => app?.close());

  const post = (body: string, signature?: string) =>
    http.request(`${app.ctx.config.publicUrl}/webhooks/intuit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature !== undefined ? { 'intuit-signature': signature } : {}) },
      body,
    });
  const fresh = () => {
    q.added.length = 0;
    q.pending.clear();
  };

  it('queues one company-changes job for a recorded legacy payload with a valid signature, coalesced on the company', async () => {
    fresh();
    const body = JSON.stringify(legacy);
    const res = await post(body, webhookSignature(TOKEN, body));
    expect(res.status).toBe(200);
    expect(q.added).toHaveLength(1);
    const job = q.added[0]!;
    expect(job.task).toBe('company-changes');
    expect(job.payload).toEqual({ realmId: REALM });
    expect(job.opts).toMatchObject({ queueName: `company:${REALM}`, jobKey: `company-changes:${REALM}`, jobKeyMode: 'preserve_run_at' });
    // A delay, counted on the clock that runs the jobs (the database's on PostgreSQL), not a host time.
    expect(job.opts.runAt).toBeUndefined();
    expect(job.opts.delayMs).toBe(5_000);
  });

  it('accepts the CloudEvents format too', async () => {
    fresh();
    const body = JSON.stringify(cloudEvents);
    const res = await post(body, webhookSignature(TOKEN, body));
    expect(res.status).toBe(200);
    expect(q.added.map((a) => a.payload)).toEqual([{ realmId: REALM }]);
  });

  it('refuses a forged, missing or other-key signature with 401, queues nothing and logs neither body nor token', async () => {
    fresh();
    const body = JSON.stringify({ ...legacy, marker: 'body-secret-marker' });
    const good = webhookSignature(TOKEN, body);
    const forged = [webhookSignature('another-verifier-token', body), `${good.slice(0, -4)}AAA=`, good.slice(0, 10), '', 'not base64 at all!', webhookSignature(TOKEN, `${body} `)];
    for (const sig of forged) expect((await post(body, sig)).status, sig).toBe(401);
    expect((await post(body)).status).toBe(401);
    expect(q.added).toEqual([]);
    const logged = log.lines.join('');
    expect(logged).toContain('intuit-signature does not match');
    expect(logged).not.toContain('body-secret-marker');
    expect(logged).not.toContain(TOKEN);
    expect(logged).not.toContain(good);
  });

  it('acknowledges a replay without adding work', async () => {
    fresh();
    const body = JSON.stringify({
      eventNotifications: [{ realmId: REALM, dataChangeEvent: { entities: [{ id: '77', operation: 'Update', name: 'Invoice', lastUpdated: '2025-09-08T21:00:00.000Z' }] } }],
    });
    const sig = webhookSignature(TOKEN, body);
    expect((await post(body, sig)).status).toBe(200);
    expect((await post(body, sig)).status).toBe(200);
    expect(q.added).toHaveLength(1);
  });

  it('turns a burst of 100 notifications for one company into one job', async () => {
    fresh();
    for (let i = 0; i < 100; i++) {
      const body = JSON.stringify({ eventNotifications: [{ realmId: REALM, dataChangeEvent: { entities: [{ id: String(1000 + i), operation: 'Update', name: 'Invoice' }] } }] });
      expect((await post(body, webhookSignature(TOKEN, body))).status).toBe(200);
    }
    expect(q.pending.size).toBe(1);
    const [first, last] = [q.added[0]!, q.added.at(-1)!];
    // preserve_run_at: the first notification's run time stands, so a steady stream cannot postpone the job forever.
    expect(q.pending.get(`company-changes:${REALM}`)!.runAt).toEqual(first.opts.runAt);
    expect(last.opts.jobKey).toBe(first.opts.jobKey);
  });

  it('acknowledges and ignores a company not connected here (Intuit retries anything else)', async () => {
    fresh();
    const body = JSON.stringify({ eventNotifications: [{ realmId: '999999', dataChangeEvent: { entities: [{ id: '1', operation: 'Update', name: 'Invoice' }] } }] });
    const res = await post(body, webhookSignature(TOKEN, body));
    expect(res.status).toBe(200);
    expect(q.added).toEqual([]);
  });

  it('refuses a body over 1 MB before reading it as a notification, queuing nothing', async () => {
    fresh();
    const body = JSON.stringify({ ...legacy, pad: 'x'.repeat(1024 * 1024) });
    const res = await post(body, webhookSignature(TOKEN, body));
    expect(res.status).toBe(413);
    expect(q.added).toEqual([]);
  });

  it('answers 400 naming the field for a signed body that is no QBO payload', async () => {
    const body = JSON.stringify({ eventNotifications: [{ dataChangeEvent: { entities: [] } }] });
    const res = await post(body, webhookSignature(TOKEN, body));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('eventNotifications.0.realmId');
  });
});

describe('POST /webhooks/intuit without a verifier token', () => {
  it('answers 404 with the setting to set', async () => {
    const app = await createApp(testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: 'http://127.0.0.1:9' }));
    try {
      const http = createHttpApp(app.ctx, { connection: undefined });
      const res = await http.request(`${app.ctx.config.publicUrl}/webhooks/intuit`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { message: string }).message).toContain('QBO_WEBHOOK_VERIFIER_TOKEN');
    } finally {
      await app.close();
    }
  });
});
