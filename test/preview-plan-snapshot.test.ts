/**
 * The whole plan of the medium demo practice, byte for byte, at three moments: before anything is
 * mapped (fresh, with its planted errors and the pre-fill), after a bookkeeper's mapping and skips, and
 * after a sync followed by edits (an invoice edited, one cancelled, a payment cancelled, a contact's
 * email changed, a credit note's application lost). Written to guard refactors of the preview that must
 * change no behaviour (issue 14): any difference in any row, payload, issue or total fails here.
 *
 * Deterministic: a fixed instant for the product's and the emulator's clocks (not the test instant, so
 * QBO_TEST_NOW runs compare with the same file), emulator seed 1, demo seed 1, and a sync that sends one
 * request at a time (QBO Ids are handed out in the order writes arrive).
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlan, skipWithLinked, type Plan } from '../src/connect/plan/index.js';
import { sync, type SyncDeps } from '../src/connect/run/sync.js';
import { setSetting } from '../src/connect/settings/store.js';
import { loadDemoPractice } from '../src/practice/demo.js';
import { getRecord, listRecords, updateRecord } from '../src/practice/store.js';
import { createQboClients } from '../src/connect/connection/qbo-client.js';
import type { CompanyClient } from '../src/qbo/client.js';
import type { Db } from '../src/store/db.js';
import { freshDatabase } from './helpers/db.js';
import { connectedCompany, silentLogger, type ConnectedCompany } from './helpers/preview.js';
import { fixedClock } from './helpers/test-time.js';

const NOW = '2026-11-26T02:00:00.000Z';
const clock = fixedClock(NOW);

const errorRows = (plan: Plan) => plan.groups.flatMap((g) => g.rows.filter((r) => !r.skipped && r.issues.some((i) => i.severity === 'error')));
/** The plan as text, and a line per row (so a failure shows which rows moved, not a 4 MB diff). */
const text = (plan: Plan) => JSON.stringify(plan, null, 1);
const digest = (plan: Plan) => ({
  sha256: crypto.createHash('sha256').update(text(plan)).digest('hex'),
  rows: plan.groups.flatMap((g) => g.rows.map((r) => `${r.key} ${r.action} ${crypto.createHash('sha256').update(JSON.stringify(r)).digest('hex').slice(0, 16)}`)),
  summary: { ...plan, groups: plan.groups.map((g) => ({ ...g, rows: g.rows.length })) },
});

async function idOf(qbo: CompanyClient, entity: 'TaxCode' | 'Account' | 'PaymentMethod', name: string): Promise<string> {
  for await (const r of qbo.query(entity)) if ((r as { Name?: string }).Name === name) return r.Id;
  throw new Error(`no ${entity} named ${name}`);
}

describe('the medium demo plan, byte for byte', () => {
  let db: Db;
  let closeDb: () => Promise<void>;
  let co: ConnectedCompany;
  beforeAll(async () => {
    ({ db, close: closeDb } = await freshDatabase('sqlite'));
    co = await connectedCompany(db, clock, { startMs: Date.parse(NOW), seed: 1 });
    // The sync sends ~2,460 creates: under QBO's 500 requests a minute the client's own limiter
    // (62 s window) spent ~5 minutes idle. The emulator here enforces no limits ('off'), so a 1 s
    // window only stops the idling; one request at a time keeps the writes' order, and so the Ids,
    // the same. The limiter's pacing is proven by src/qbo/limiter.test.ts and connect/connection tests.
    co.qbo = createQboClients({ db, config: co.config, logger: silentLogger, clock }).companyWith(
      co.realmId,
      { db, clock, logger: silentLogger },
      { limits: { intervalMs: 1000 } },
    );
  });
  afterAll(async () => {
    await co?.close();
    await closeDb?.();
  });

  it('fresh, mapped and skipped, then after a sync and edits', async () => {
    const { realmId, qbo } = co;
    const deps = { db, clock, logger: silentLogger, qbo };
    const report = await loadDemoPractice(db, 'default', { size: 'medium', seed: 1, today: clock() });
    expect(report.ok).toBe(true);
    const set = (path: string, value: unknown) => setSetting(db, { realmId, path, value, actor: 'tester', clock });
    const from = new Date(clock().getTime() - 400 * 86_400_000).toISOString().slice(0, 10);
    for (const k of ['invoices', 'creditNotes', 'payments', 'bills', 'staffExpenses']) await set(`general.exportFrom.${k}`, from);
    await set('payments.direction', 'export');

    const fresh = await buildPlan(deps, realmId);
    await expect(JSON.stringify(digest(fresh), null, 1)).toMatchFileSnapshot('./__snapshots__/plan-medium-1-fresh.json');

    // What a bookkeeper maps (as test/sync/demo-setup.ts), then skips whatever still errs.
    const c = await getRecord(db, 'default', 'contact', 'C9001');
    if (c && !c.record.uniqueId) await updateRecord(db, 'default', 'contact', 'C9001', { ...c.record, uniqueId: 'CL90001' }, clock());
    await set('tax.purchases.GST-CAP', await idOf(qbo, 'TaxCode', 'GST on capital'));
    await set('staffExpenses.fixedExpenseAccountId', await idOf(qbo, 'Account', 'Office Expenses'));
    const eft = await idOf(qbo, 'PaymentMethod', 'EFT');
    let bank: string | undefined;
    for await (const a of qbo.query('Account')) if ((a as { AccountType?: string }).AccountType === 'Bank') bank ??= a.Id;
    if (bank) await set('payments.depositAccountId', bank);
    for (const code of ['EFT', 'BPAY', 'CHQ', 'CARD']) await set(`payments.methodByPaymentType.${code}`, eft);
    let plan = await buildPlan(deps, realmId);
    for (let round = 0; round < 5 && errorRows(plan).length; round++) {
      for (const row of errorRows(plan)) {
        if (!plan.groups.some((g) => g.rows.some((r) => r.key === row.key && !r.skipped))) continue;
        await skipWithLinked(db, { realmId, plan, row: row.key, actor: 'tester', clock });
      }
      plan = await buildPlan(deps, realmId);
    }
    expect(errorRows(plan)).toEqual([]);
    await expect(JSON.stringify(digest(plan), null, 1)).toMatchFileSnapshot('./__snapshots__/plan-medium-2-mapped.json');

    const syncDeps: SyncDeps = { ...deps, client: qbo, crash: () => {}, parallelRequests: 1, buildPlan: (id) => buildPlan(deps, id) };
    const first = await sync(syncDeps, { realmId, actor: 'tester' });
    expect(first.summary.created).toBeGreaterThan(1000);

    // Edits after the sync: each takes the preview down another path (update, void, name update,
    // a credit note whose 0.00 application never landed).
    const links = await db.selectFrom('links').selectAll().where('realm_id', '=', realmId).orderBy('record_kind').orderBy('record_key').execute();
    const of = (kind: string) => links.filter((l) => l.record_kind === kind);
    const paid = new Set((await listRecords(db, 'default', 'payment', { limit: 5000 })).items.flatMap((p) => p.record.allocations.map((a) => a.invoiceNumber)));
    const invoices = of('invoice');
    const edited = invoices.find((l) => paid.has(l.record_key))!;
    const cancelled = invoices
      .filter((l) => l !== edited && !paid.has(l.record_key))
      .slice(0, 1)
      .concat(invoices.filter((l) => l !== edited && paid.has(l.record_key)).slice(0, 1));
    const inv = (await getRecord(db, 'default', 'invoice', edited.record_key))!;
    await updateRecord(db, 'default', 'invoice', inv.key, { ...inv.record, text: `${inv.record.text ?? 'Fees'} (revised)` }, clock());
    for (const l of cancelled) {
      const r = (await getRecord(db, 'default', 'invoice', l.record_key))!;
      await updateRecord(db, 'default', 'invoice', r.key, { ...r.record, state: 'cancelled' }, clock());
    }
    const pay = (await getRecord(db, 'default', 'payment', of('payment')[0]!.record_key))!;
    await updateRecord(db, 'default', 'payment', pay.key, { ...pay.record, state: 'cancelled' }, clock());
    const contact = (await getRecord(db, 'default', 'contact', of('contact')[0]!.record_key))!;
    await updateRecord(db, 'default', 'contact', contact.key, { ...contact.record, email: 'accounts@changed.example' }, clock());
    const application = of('credit-application')[0];
    if (application)
      await db.deleteFrom('links').where('realm_id', '=', realmId).where('record_kind', '=', 'credit-application').where('record_key', '=', application.record_key).execute();
    const after = await buildPlan(deps, realmId);
    await expect(JSON.stringify(digest(after), null, 1)).toMatchFileSnapshot('./__snapshots__/plan-medium-3-after-sync.json');
  }, 600_000);
});
