/**
 * The 'company-changes' task (jobs/tasks/company-changes.ts → connect/changes/apply.ts) against the
 * emulator, after a real sync: an edit made in QBO to a linked invoice is noted on its link at once
 * (the fields named), our own writes are not; a payment entered in QBO is imported, as a run of its
 * own in the history, once however often the task runs. And end to end: the emulator, told to send
 * webhooks to the running app, notifies it of an edit; the app's route queues the job; the job run
 * marks the invoice. (The queue itself is src/jobs' and has its own tests: here the recorded job is
 * handed to the task.)
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../src/accounts/sessions.js';
import { createUser } from '../../src/accounts/users.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { listRuns } from '../../src/connect/run/history.js';
import { acquireSyncLock } from '../../src/connect/run/lock.js';
import { sync } from '../../src/connect/run/sync.js';
import type { JobQueue, TaskContext } from '../../src/jobs/queue.js';
import { companyChanges, WEBHOOK_ACTOR } from '../../src/jobs/tasks/company-changes.js';
import { listRecords } from '../../src/practice/store.js';
import { createHttpApp } from '../../src/server/http.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { readyDemo } from '../sync/demo-setup.js';

type Row = Record<string, unknown> & { Id: string; SyncToken: string };
const VERIFIER = 'end-to-end-verifier-token';

describe.each(dialects)('company-changes: what QBO says changed [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);
  let deps: ReturnType<typeof syncDepsFor>;
  const jobs: Array<{ task: string; payload: Record<string, unknown> }> = [];
  const queue: JobQueue = {
    async add(task, payload) {
      jobs.push({ task, payload });
    },
  };
  const run = () =>
    companyChanges({ realmId: c.realmId }, { ctx: c.app.ctx, jobs: queue, signal: new AbortController().signal, attempt: 1, maxAttempts: 25 } satisfies TaskContext);
  const links = () => c.app.ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).orderBy('record_kind').orderBy('record_key').execute();
  const changed = async () => (await links()).filter((l) => l.qbo_changed_at !== null);
  let edits = 0;
  const accountant = async (entity: 'Invoice', id: string, fields: Record<string, unknown>) => {
    const now = (await deps.client.read(entity, id)) as Row;
    return deps.client.sparseUpdate(entity, { Id: id, SyncToken: now.SyncToken, ...fields } as never, { requestId: `accountant-${++edits}` });
  };
  const quietInvoice = async (n: number) => {
    const paid = new Set((await listRecords(c.app.ctx.db, 'default', 'payment', { limit: 5000 })).items.flatMap((p) => p.record.allocations.map((a) => a.invoiceNumber)));
    return (await links()).filter((l) => l.record_kind === 'invoice' && l.state === 'linked' && !paid.has(l.record_key))[n]!;
  };

  beforeAll(async () => {
    const ctx = c.app.ctx;
    deps = syncDepsFor(ctx, c.realmId, { client: { limits: { intervalMs: 1000 } } });
    await readyDemo(ctx, deps.client, c.realmId, { size: 'small', direction: 'import', applyCredits: false });
    const first = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(first.status, first.message ?? '').toBe('succeeded');
  }, 180_000);

  it("notes nothing for the sync's own writes", async () => {
    await run();
    expect(await changed()).toEqual([]);
    expect(await c.app.ctx.db.selectFrom('qbo_change_cursors').selectAll().where('realm_id', '=', c.realmId).executeTakeFirst()).toBeDefined();
  });

  it('notes a linked invoice edited in QBO, naming the field; a second run changes nothing', async () => {
    const target = await quietInvoice(0);
    const before = (await deps.client.read('Invoice', target.qbo_id)) as Row;
    const day = new Date(Date.parse(String(before['TxnDate'])) + 86_400_000).toISOString().slice(0, 10);
    await accountant('Invoice', target.qbo_id, { TxnDate: day });
    await run();
    const noted = await changed();
    expect(noted.map((l) => [l.record_kind, l.record_key, JSON.parse(l.qbo_changed_fields!)])).toEqual([['invoice', target.record_key, ['TxnDate']]]);
    expect(Date.parse(noted[0]!.qbo_changed_at!)).not.toBeNaN();
    // The link is otherwise as the sync left it: the preview's three-way comparison still decides.
    expect(noted[0]!.state).toBe('linked');
    expect(noted[0]!.updated_at).toBe(target.updated_at);

    const snapshot = await links();
    await run();
    expect(await links()).toEqual(snapshot);

    // Put back as we left it: the note is cleared.
    await accountant('Invoice', target.qbo_id, { TxnDate: before['TxnDate'] });
    await run();
    expect(await changed()).toEqual([]);
  });

  it('imports a payment entered in QBO as a run of its own, once however often it runs', async () => {
    const ctx = c.app.ctx;
    const target = await quietInvoice(1);
    const invoice = (await deps.client.read('Invoice', target.qbo_id)) as Row;
    const balance = Number(invoice['Balance']);
    expect(balance).toBeGreaterThan(0);
    const payment = await deps.client.create(
      'Payment',
      {
        CustomerRef: invoice['CustomerRef'],
        TotalAmt: balance,
        TxnDate: invoice['TxnDate'],
        Line: [{ Amount: balance, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
      } as never,
      { requestId: 'changes-hand-payment' },
    );
    const runsBefore = (await listRuns(ctx.db, { realmId: c.realmId })).length;
    await run();
    await run();
    const runs = await listRuns(ctx.db, { realmId: c.realmId });
    expect(runs.length - runsBefore).toBe(1);
    expect(runs[0]).toMatchObject({ startedBy: WEBHOOK_ACTOR, status: 'succeeded', imported: 1 });
    const imported = (await listRecords(ctx.db, 'default', 'payment', { limit: 5000 })).items.filter((p) => p.key === `QBO-${payment.Id}`);
    expect(imported).toHaveLength(1);
    // Applying it moved the invoice's SyncToken, but no field we manage: nothing noted.
    expect(await changed()).toEqual([]);
  });

  it('throws while a sync holds the company (the queue retries), then imports the payment once', async () => {
    const ctx = c.app.ctx;
    const target = await quietInvoice(3);
    const invoice = (await deps.client.read('Invoice', target.qbo_id)) as Row;
    const balance = Number(invoice['Balance']);
    const payment = await deps.client.create(
      'Payment',
      {
        CustomerRef: invoice['CustomerRef'],
        TotalAmt: balance,
        TxnDate: invoice['TxnDate'],
        Line: [{ Amount: balance, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
      } as never,
      { requestId: 'changes-hand-payment-locked' },
    );
    const lock = await acquireSyncLock(ctx.db, { realmId: c.realmId, holder: 'alice@example.com (web)', clock: ctx.clock });
    const runsBefore = (await listRuns(ctx.db, { realmId: c.realmId })).length;
    try {
      await expect(run()).rejects.toThrow(/alice@example\.com/);
    } finally {
      await lock.release();
    }
    expect((await listRuns(ctx.db, { realmId: c.realmId })).length).toBe(runsBefore);
    await run();
    await run();
    expect((await listRuns(ctx.db, { realmId: c.realmId })).length).toBe(runsBefore + 1);
    expect((await listRecords(ctx.db, 'default', 'payment', { limit: 5000 })).items.filter((p) => p.key === `QBO-${payment.Id}`)).toHaveLength(1);
  });

  it('end to end: the emulator notifies the running app of an edit; the queued job marks the invoice', async () => {
    const ctx = c.app.ctx;
    ctx.config.webhookVerifierToken = VERIFIER;
    ctx.jobs = queue;
    const http = createHttpApp(ctx, { connection: undefined });
    const server = await new Promise<ServerType>((resolve) => {
      const s: ServerType = serve({ fetch: http.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/intuit`;
      c.emu.control.setWebhooks({ url, verifierToken: VERIFIER, delayMs: 60_000 });
      jobs.length = 0;

      // A forged notification first: refused, nothing queued.
      c.emu.control.setWebhooks({ forge: true });
      const target = await quietInvoice(2);
      const before = (await deps.client.read('Invoice', target.qbo_id)) as Row;
      await accountant('Invoice', target.qbo_id, { PrivateNote: 'Edited in QuickBooks by the accountant' });
      const forged = await c.emu.control.flushWebhooks();
      expect(forged.map((d) => d.status)).toEqual([401]);
      expect(jobs).toEqual([]);

      c.emu.control.setWebhooks({ forge: false, duplicate: true });
      await accountant('Invoice', target.qbo_id, { TxnDate: new Date(Date.parse(String(before['TxnDate'])) + 86_400_000).toISOString().slice(0, 10) });
      const sent = await c.emu.control.flushWebhooks();
      expect(sent.map((d) => d.status)).toEqual([200, 200]);
      // The duplicate is acknowledged and adds no job.
      expect(jobs).toEqual([{ task: 'company-changes', payload: { realmId: c.realmId } }]);

      await companyChanges(jobs[0]!.payload, { ctx, jobs: queue, signal: new AbortController().signal, attempt: 1, maxAttempts: 25 });
      const noted = await changed();
      expect(noted.map((l) => [l.record_key, (JSON.parse(l.qbo_changed_fields!) as string[]).sort()])).toEqual([[target.record_key, ['PrivateNote', 'TxnDate']]]);

      // The invoice's page says so, before anyone opens a preview.
      const viewer = await createUser(ctx.db, { email: 'viewer@example.com', name: 'Viewer', role: 'viewer' });
      const { cookieValue } = await createSession(ctx.db, viewer, ctx.clock());
      const page = await http.request(`${ctx.config.publicUrl}/practice/invoice/${encodeURIComponent(target.record_key)}`, { headers: { cookie: `qbc_session=${cookieValue}` } });
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/Changed in QuickBooks \((PrivateNote, TxnDate|TxnDate, PrivateNote)\)/);
    } finally {
      c.emu.control.setWebhooks({ url: null, duplicate: false });
      await new Promise((r) => server.close(r));
    }
  });
});
