/**
 * Issue 19, what people see and who is blamed, through the web pages in-process against an emulator
 * company with the small demo practice: a page view (even a viewer's) never writes, the settings
 * pre-fill is audited as `qbo-connect (pre-fill)` whoever starts it, and the audit shows the settings
 * page's labels and QuickBooks names instead of paths and Ids; the preview's counts leave skipped rows
 * out, a credit application shows what it applies, a total gap rounding does not explain is not called
 * rounding, a document before the export-from date says so, and history and skipped records stay
 * readable after disconnecting.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { createQboClients } from '../src/connect/connection/qbo-client.js';
import { loadConfig } from '../src/config.js';
import { hashPassword } from '../src/accounts/passwords.js';
import { createUser } from '../src/accounts/users.js';
import { buildPlan, prefillDoneKey, type Plan, type PlanRow } from '../src/connect/plan/index.js';
import { createConnectionService } from '../src/connect/connection/connection.js';
import { toCents } from '../src/qbo/money.js';
import { money } from '../src/server/pages/work-common.js';
import { getSettings, listAudit } from '../src/connect/settings/store.js';
import { loadDemoPractice } from '../src/practice/demo.js';
import { createRecord, getRecord } from '../src/practice/store.js';
import { createHttpApp } from '../src/server/http.js';
import { getMeta } from '../src/store/meta.js';
import { connectedCompany, silentLogger, type ConnectedCompany } from './helpers/preview.js';
import { signIn, WebClient } from './helpers/web-client.js';

const PASS = 'a long enough password';
const BOOK = { email: 'bob@example.com', name: 'Bob Books', role: 'bookkeeper' };
const VIEW = { email: 'vic@example.com', name: 'Vic Viewer', role: 'viewer' };

describe('web: nothing written by a page view, nothing blamed on the wrong person', () => {
  let app: App;
  let co: ConnectedCompany;
  let http: Hono;
  const as = async (u: { email: string }) => {
    const c = new WebClient(http);
    expect((await signIn(c, u.email, PASS)).status).toBe(303);
    return c;
  };

  beforeAll(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-web-trust-'));
    app = await createApp(loadConfig({ QBO_CONNECT_LOG_LEVEL: 'silent', QBO_CONNECT_DATA_DIR: dataDir }), { runJobs: true });
    co = await connectedCompany(app.ctx.db, app.ctx.clock, { dataDir });
    expect((await loadDemoPractice(app.ctx.db, 'default', { size: 'small', seed: 1, today: app.ctx.clock() })).ok).toBe(true);
    for (const u of [BOOK, VIEW]) await createUser(app.ctx.db, { ...u, passwordHash: await hashPassword(PASS) });
    // The app pointed at this test's emulator: its QBO clients are built for that configuration.
    const ctx = { ...app.ctx, config: co.config };
    http = createHttpApp({ ...ctx, qbo: createQboClients(ctx) });
  }, 60_000);
  afterAll(async () => {
    await co?.close();
    await app?.close();
  });

  it("a viewer's preview writes nothing; a bookkeeper's pre-fill is audited as qbo-connect (pre-fill)", async () => {
    const before = await getSettings(app.ctx.db, co.realmId, app.ctx.clock);
    const viewer = await as(VIEW);
    for (let i = 0; i < 2; i++) {
      const res = await viewer.get('/preview');
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('have not been matched with QuickBooks yet');
      expect(html).not.toContain('Fill in the mappings that match</button>');
    }
    expect(await listAudit(app.ctx.db, co.realmId, {})).toEqual([]);
    expect(await getMeta(app.ctx.db, prefillDoneKey(co.realmId))).toBeUndefined();
    expect(await getSettings(app.ctx.db, co.realmId, app.ctx.clock)).toEqual(before);
    // Nor can a viewer post it.
    await viewer.get('/preview');
    expect((await viewer.post('/preview/prefill')).status).toBe(403);

    const book = await as(BOOK);
    await book.get('/preview');
    const done = await book.post('/preview/prefill');
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/preview?prefilled=1');
    const audit = await listAudit(app.ctx.db, co.realmId, {});
    expect(audit.length).toBeGreaterThan(5);
    expect([...new Set(audit.map((a) => a.actor))]).toEqual(['qbo-connect (pre-fill)']);
    const after = await (await book.get('/preview?prefilled=1')).text();
    expect(after).not.toContain('have not been matched with QuickBooks yet');
  });

  it('the audit shows the settings labels and QuickBooks names, not paths and Ids', async () => {
    const s = await getSettings(app.ctx.db, co.realmId, app.ctx.clock);
    const viewer = await as(VIEW);
    const html = await (await viewer.get('/settings/audit')).text();
    expect(html).toContain('Tax › Sales (invoices and credit notes) › ');
    expect(html).toContain('Invoice payments › Payment method by payment type › ');
    expect(html).not.toContain('<code>tax.sales.');
    // The income account by its name, not its Id.
    expect(s.invoices.fixedIncomeAccountId).toBeTruthy();
    expect(html).toMatch(/title="invoices.fixedIncomeAccountId">Invoices and credit notes › The one income account<\/td><td>\(not set\)<\/td><td>[^<]*Services<\/td>/);
  });

  const plan = (): Promise<Plan> => buildPlan({ db: app.ctx.db, clock: app.ctx.clock, logger: silentLogger, qbo: co.qbo }, co.realmId, { prefill: false });
  /** One preview row's HTML (its <details> element). */
  const rowHtml = (html: string, key: string) => {
    const start = html.indexOf(`id="row-${key.replace(/[^a-zA-Z0-9_-]+/g, '-')}"`);
    expect(start, key).toBeGreaterThan(0);
    return html.slice(start, html.indexOf('</details>', start));
  };

  it('preview counts leave skipped rows out and show them apart', async () => {
    const book = await as(BOOK);
    await book.get('/preview');
    const skip = await book.post('/preview/skip', { row: 'invoices:INV-10001' });
    expect(skip.status).toBe(303);
    const p = await plan();
    const invoices = p.groups.find((g) => g.kind === 'invoices')!;
    const live = (rs: PlanRow[]) => rs.filter((r) => !r.skipped).length;
    expect(invoices.skipped).toBeGreaterThanOrEqual(1);
    expect(invoices.records).toBe(live(invoices.rows));
    for (const g of p.groups) expect(g.records + (g.skipped ?? 0), g.kind).toBe(g.rows.length);
    const html = await (await book.get('/preview')).text();
    const total = p.groups.reduce((n, g) => n + g.records, 0);
    const skipped = p.groups.reduce((n, g) => n + (g.skipped ?? 0), 0);
    expect(html).toContain(`${total} records to sync`);
    expect(html).toContain(`(and ${skipped} skipped)`);
    expect(html).toContain(`${invoices.records} record${invoices.records === 1 ? '' : 's'} to sync · ${invoices.skipped} skipped`);
  });

  it('a credit application shows the amount it applies, not $0.00', async () => {
    // A new invoice and a credit note of $833.80 against it (the demo's own credit meets a paid invoice).
    const inv = (await getRecord(app.ctx.db, 'default', 'invoice', 'INV-90001'))!.record;
    const line = { ...inv.lines[0]!, amountCents: 100_000, taxCents: 10_000 };
    await createRecord(app.ctx.db, 'default', 'invoice', { ...inv, number: 'INV-CA1', lines: [line], taxCents: 10_000, totalCents: 110_000 }, app.ctx.clock());
    const cnLine = { ...line, amountCents: 75_800, taxCents: 7_580 };
    await createRecord(
      app.ctx.db,
      'default',
      'credit-note',
      {
        number: 'CN-CA1',
        date: inv.date,
        contactCode: inv.contactCode,
        projectNumber: inv.projectNumber,
        invoiceNumber: 'INV-CA1',
        kind: 'discount',
        text: null,
        lines: [cnLine],
        taxCents: 7_580,
        totalCents: 83_380,
      },
      app.ctx.clock(),
    );
    const p = await plan();
    const app1 = p.groups.flatMap((g) => g.rows).find((r) => r.record.kind === 'credit-application' && !r.skipped)!;
    expect(app1, 'the demo applies a credit note').toBeDefined();
    const applied = toCents((app1.payload!['Line'] as Array<{ Amount: number }>)[0]!.Amount);
    expect(applied).toBeGreaterThan(0);
    const html = rowHtml(await (await (await as(VIEW)).get('/preview')).text(), app1.key);
    expect(applied).toBe(83_380);
    expect(html).toContain(`${money(applied)} applied`);
    expect(html).toContain('Credit applied to the invoice');
  });

  it("an unmapped tax code's missing tax is not explained as per-line rounding", async () => {
    const p = await plan();
    const bill = p.groups.flatMap((g) => g.rows).find((r) => r.key === 'bills:B-90005')!;
    expect(bill.issues.map((i) => i.code)).toContain('tax.unmapped');
    expect(bill.qboTotalCents).not.toBe(bill.practiceTotalCents);
    const html = rowHtml(await (await (await as(VIEW)).get('/preview')).text(), bill.key);
    expect(html).not.toContain('rounding in QuickBooks');
    expect(html).not.toContain('rounded per line');
    expect(html).toContain('see the errors above (not rounding)');
  });

  it('a document before the export-from date is labelled so, not "Not yet in QuickBooks"', async () => {
    const html = await (await (await as(VIEW)).get('/practice/invoice/INV-90070')).text();
    expect(html).toContain('Before the export-from date (not synced)');
    expect(html).not.toContain('Not yet in QuickBooks');
  });

  it('history and skipped records stay readable after disconnecting', async () => {
    const book = await as(BOOK);
    await book.get('/sync');
    // Errors remain: the sync is refused, and the refusal is in the history.
    await book.post('/sync');
    // The refused sync runs in the background: wait until it has let go of the company's lock,
    // since disconnecting is refused while a sync holds it.
    for (let i = 0; i < 200; i++) {
      const held = await app.ctx.db.selectFrom('sync_locks').select('realm_id').where('realm_id', '=', co.realmId).executeTakeFirst();
      // Queued first (a job), then running under the lock: wait for both to be over.
      const unfinished = await app.ctx.db.selectFrom('runs').select('id').where('realm_id', '=', co.realmId).where('status', 'in', ['queued', 'running']).executeTakeFirst();
      if (!held && !unfinished) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const svc = createConnectionService({ db: app.ctx.db, config: co.config, logger: app.ctx.logger, clock: app.ctx.clock });
    await svc.disconnect(co.realmId, 'test', { revoke: false });
    const history = await (await book.get('/history')).text();
    expect(history).not.toContain('nothing to show yet');
    expect(history).toContain('QuickBooks is not connected now');
    expect(history).toContain('href="/history/');
    const skipped = await (await book.get('/skipped')).text();
    expect(skipped).not.toContain('nothing to show yet');
    expect(skipped).toContain('INV-10001');
  });
});
