/**
 * The preview against the emulator over real HTTP: the small demo practice on an AU company lists
 * each planted problem with its reason code and record; fixing or skipping them leaves no error; a
 * company that already holds some records adopts them; QBO's total is predicted as QBO computes it;
 * practice changes after a sync become updates and voids.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildPlan, resolveRowRefs, skipWithLinked, type Plan, type PlanRow } from '../src/connect/plan/index.js';
import { setSetting } from '../src/connect/settings/store.js';
import { clashingSupplierName, loadDemoPractice, plantedProblems } from '../src/practice/demo.js';
import { createRecord, getRecord, updateRecord } from '../src/practice/store.js';
import { toCents } from '../src/qbo/money.js';
import type { Db } from '../src/store/db.js';
import { describeEachDialect, freshDatabase } from './helpers/db.js';
import { connectedCompany, qboCreate, requestCount, silentLogger, type ConnectedCompany } from './helpers/preview.js';
import { testClock } from './helpers/test-time.js';

const clock = testClock();
const rows = (plan: Plan): PlanRow[] => plan.groups.flatMap((g) => g.rows);
const row = (plan: Plan, key: string) => rows(plan).find((r) => r.key === key);

async function idOf(co: ConnectedCompany, entity: 'TaxCode' | 'Account' | 'PaymentMethod' | 'Item', name: string): Promise<string> {
  for await (const r of co.qbo.query(entity)) if ((r as { Name?: string }).Name === name) return r.Id;
  throw new Error(`no ${entity} named ${name}`);
}

describeEachDialect(
  'preview of the small demo on an AU company',
  (t) => {
    let co: ConnectedCompany;
    const deps = () => ({ db: t.db, clock, logger: silentLogger, qbo: co.qbo });
    beforeEach(async () => {
      co = await connectedCompany(t.db, clock);
      const report = await loadDemoPractice(t.db, 'default', { size: 'small', seed: 1, today: clock() });
      expect(report.ok).toBe(true);
      await qboCreate(co, 'Vendor', { DisplayName: clashingSupplierName });
      // Payments are imported by default; the planted payment problem is about exporting them.
      await setSetting(t.db, { realmId: co.realmId, path: 'payments.direction', value: 'export', actor: 'tester', clock });
    });
    afterEach(async () => co?.close());

    it('lists every planted problem with its reason code, record and field', async () => {
      const before = requestCount(co);
      const plan = await buildPlan(deps(), co.realmId);
      expect(plan.qboRequests).toBe(requestCount(co) - before);
      for (const p of plantedProblems) {
        const hits = rows(plan).filter((r) => r.record.kind === p.kind && r.record.id === p.key && r.issues.some((i) => i.code === p.code && i.field === p.field));
        expect(hits, `${p.code} on ${p.kind} ${p.key}`).toHaveLength(1);
        const i = hits[0]!.issues.find((x) => x.code === p.code)!;
        expect(i.message).toContain(p.key);
        expect(i.message).toContain(p.field.split('[')[0]!.split('.')[0]!);
      }
      // Severity as the product defines it: warnings inform, errors block.
      const sev = (code: string) =>
        rows(plan)
          .flatMap((r) => r.issues)
          .find((i) => i.code === code)!.severity;
      expect(sev('contact.name-has-colon')).toBe('warning');
      expect(sev('invoice.zero-value')).toBe('warning');
      expect(sev('contact.missing-unique-id')).toBe('error');
      expect(sev('invoice.number-too-long')).toBe('error');
      expect(row(plan, 'invoices:INV-90006')!.action).toBe('none');
      expect(row(plan, 'invoices:INV-90006')!.payload).toBeNull();
      // The colon is replaced in what is sent.
      expect(row(plan, 'customers:C9002')!.payload!['DisplayName']).toBe('Bayside Council - Parks & Gardens');
      expect(plan.errors).toBeGreaterThan(0);
      const g = plan.groups.find((x) => x.kind === 'invoices')!;
      expect(g.records).toBe(g.rows.length);
      expect(g.totalCents).toBe(g.rows.filter((r) => !r.skipped).reduce((s, r) => s + (r.practiceTotalCents ?? 0), 0));
    });

    it('after fixing or skipping each problem no error remains', async () => {
      const realmId = co.realmId;
      const set = (path: string, value: unknown) => setSetting(t.db, { realmId, path, value, actor: 'tester', clock });
      // Fix: a unique ID for the contact, a QBO tax code for GST-CAP, accounts and payment methods.
      const c = (await getRecord(t.db, 'default', 'contact', 'C9001'))!;
      await updateRecord(t.db, 'default', 'contact', 'C9001', { ...c.record, uniqueId: 'CL90001' }, clock());
      await set('tax.purchases.GST-CAP', await idOf(co, 'TaxCode', 'GST on capital'));
      await set('staffExpenses.fixedExpenseAccountId', await idOf(co, 'Account', 'Office Expenses'));
      for (const code of ['EFT', 'BPAY', 'CHQ', 'CARD']) await set(`payments.methodByPaymentType.${code}`, await idOf(co, 'PaymentMethod', 'EFT'));
      let plan = await buildPlan(deps(), realmId);
      // Skip: the clashing contact (its invoice goes with it), the long-numbered invoice, the old invoice's payment.
      const skipped = await skipWithLinked(t.db, { realmId, plan, row: 'customers:C9003', actor: 'tester', clock });
      expect(skipped.map((r) => `${r.kind}:${r.id}`).sort()).toEqual(['contact:C9003', 'invoice:INV-90003']);
      await skipWithLinked(t.db, { realmId, plan, row: { kind: 'invoice', id: 'INV-2026-HARBOURVIEW-000077' }, actor: 'tester', clock });
      await skipWithLinked(t.db, { realmId, plan, row: 'payments-export:RCT-90007', actor: 'tester', clock });
      plan = await buildPlan(deps(), realmId);
      const errors = rows(plan)
        .filter((r) => !r.skipped)
        .flatMap((r) => r.issues.filter((i) => i.severity === 'error').map((i) => `${r.key}: ${i.code}`));
      expect(errors).toEqual([]);
      expect(plan.errors).toBe(0);
      expect(row(plan, 'invoices:INV-90003')!.skipped?.by).toBe('tester');
      // A skipped document brings no contact into the plan.
      expect(row(plan, 'customers:C9003')).toBeUndefined();
      // A skipped contact still needed by a document is skipped with that document.
      await skipWithLinked(t.db, { realmId, plan, row: 'customers:C9002', actor: 'tester', clock });
      await import('../src/connect/skips.js').then((m) => m.unskip(t.db, { realmId, kind: 'invoice', id: 'INV-90002', actor: 'tester', clock }));
      plan = await buildPlan(deps(), realmId);
      expect(row(plan, 'customers:C9002')!.skipped?.by).toBe('tester');
      expect(row(plan, 'invoices:INV-90002')!.skipped?.reason).toBe('needs customers:C9002, which is skipped');
      // Warnings stay, to inform.
      expect(rows(plan).some((r) => r.issues.some((i) => i.code === 'invoice.zero-value'))).toBe(true);
    });
  },
  { fresh: 'each' },
);

describe('preview against a company that already holds some of the practice', () => {
  let db: Db;
  let closeDb: () => Promise<void>;
  let co: ConnectedCompany;
  beforeAll(async () => {
    ({ db, close: closeDb } = await freshDatabase('sqlite'));
    co = await connectedCompany(db, clock);
    await loadDemoPractice(db, 'default', { size: 'small', seed: 1, today: clock() });
  });
  afterAll(async () => {
    await co?.close();
    await closeDb?.();
  });

  it('adopts the customers and invoices QBO holds with the same content, and flags a number with other content', async () => {
    const deps = { db, clock, logger: silentLogger, qbo: co.qbo };
    const first = await buildPlan(deps, co.realmId);
    const inv = rows(first).find((r) => r.group === 'invoices' && r.action === 'create' && r.issues.length === 0 && r.record.id.startsWith('INV-1'))!;
    const other = rows(first).find((r) => r.group === 'invoices' && r.action === 'create' && r.issues.length === 0 && r.key !== inv.key && r.record.id.startsWith('INV-1'))!;
    const customerKey = inv.dependsOn.find((k) => k.startsWith('customers:'))!;
    const customer = row(first, customerKey)!;
    // A person made the customer and the invoice in QBO by hand, the same as in the practice.
    const made = await qboCreate(co, 'Customer', { DisplayName: customer.payload!['DisplayName'] as string });
    const itemId = await idOf(co, 'Item', 'Services');
    const withIds = resolveRowRefs(inv.payload!, { [customerKey]: made.Id, ...Object.fromEntries(inv.dependsOn.filter((k) => k.startsWith('items:')).map((k) => [k, itemId])) });
    const qboInvoice = await qboCreate(co, 'Invoice', withIds);
    expect(toCents(qboInvoice['TotalAmt'] as number)).toBe(inv.qboTotalCents);
    // …and another invoice with the same number but another amount.
    const otherLines = resolveRowRefs(other.payload!, Object.fromEntries(other.dependsOn.map((k) => [k, k.startsWith('items:') ? itemId : made.Id])));
    const changed = {
      ...otherLines,
      Line: (otherLines['Line'] as Array<Record<string, unknown>>).map((l) => (l['DetailType'] === 'SalesItemLineDetail' ? { ...l, Amount: (l['Amount'] as number) + 1 } : l)),
    };
    await qboCreate(co, 'Invoice', changed);

    const plan = await buildPlan(deps, co.realmId);
    const c = row(plan, customerKey)!;
    expect(c.action).toBe('adopt');
    expect(c.qbo.id).toBe(made.Id);
    expect(c.payload).toBeNull();
    const i = row(plan, inv.key)!;
    expect(i.action).toBe('adopt');
    expect(i.qbo.id).toBe(qboInvoice.Id);
    // Documents of the adopted customer refer to its QBO Id, not to a row.
    for (const r of rows(plan).filter((x) => x.payload && JSON.stringify(x.payload).includes(made.Id) && x.group !== 'customers')) expect(r.dependsOn).not.toContain(customerKey);
    const o = row(plan, other.key)!;
    expect(o.issues.map((x) => x.code)).toContain('invoice.number-in-qbo-differs');
    expect(o.issues.find((x) => x.code === 'invoice.number-in-qbo-differs')!.severity).toBe('error');
    // Nothing adopted is created again.
    expect(rows(plan).filter((r) => r.action === 'create' && r.qbo.id)).toEqual([]);
  });

  it("predicts QBO's total (tax per line) and sends the practice's tax as an override when they differ", async () => {
    const deps = { db, clock, logger: silentLogger, qbo: co.qbo };
    const today = clock().toISOString().slice(0, 10);
    const base = (await getRecord(db, 'default', 'invoice', 'INV-90001'))!.record;
    // 3 × 1.05 at 10 %: per line 0.105 → 0.11 each (0.33); on the total 0.315 → 0.32.
    await createRecord(
      db,
      'default',
      'invoice',
      {
        ...base,
        number: 'INV-ROUND-1',
        date: today,
        lines: [0, 1, 2].map(() => ({ description: 'Printing', amountCents: 105, taxCode: 'GST', taxCents: 0 })).map((l, i) => ({ ...l, taxCents: i < 2 ? 11 : 10 })),
        taxCents: 32,
        totalCents: 347,
      },
      clock(),
    );
    const plan = await buildPlan(deps, co.realmId);
    const r = row(plan, 'invoices:INV-ROUND-1')!;
    expect(r.practiceTotalCents).toBe(347);
    expect(r.qboTotalCents).toBe(347);
    const w = r.issues.find((i) => i.code === 'invoice.total-differs')!;
    expect(w.severity).toBe('warning');
    expect(w.message).toContain('3.48');
    expect(w.message).toContain('1 cent');
    expect(r.payload!['TxnTaxDetail']).toEqual({ TotalTax: 0.32 });
    // The emulator agrees: without the override QBO totals 3.48, with it 3.47.
    const customer = await qboCreate(co, 'Customer', { DisplayName: 'Rounding Test Client' });
    const itemId = await idOf(co, 'Item', 'Services');
    const ids = Object.fromEntries(r.dependsOn.map((k) => [k, k.startsWith('items:') ? itemId : customer.Id]));
    const sent = resolveRowRefs(r.payload!, ids);
    const { TxnTaxDetail: _t, ...plain } = sent;
    expect(toCents((await qboCreate(co, 'Invoice', { ...plain, DocNumber: 'ROUND-PLAIN' }))['TotalAmt'] as number)).toBe(348);
    expect(toCents((await qboCreate(co, 'Invoice', { ...sent, DocNumber: 'ROUND-OVER' }))['TotalAmt'] as number)).toBe(r.qboTotalCents);
  });

  it("a practice change after a sync is an update with the link's Id and SyncToken; a cancellation is a void", async () => {
    const deps = { db, clock, logger: silentLogger, qbo: co.qbo };
    const plan = await buildPlan(deps, co.realmId);
    const [a, b] = rows(plan).filter((r) => r.group === 'invoices' && r.action === 'create' && r.issues.length === 0);
    const now = clock().toISOString();
    const link = (r: PlanRow, id: string) => ({
      realm_id: co.realmId,
      record_kind: 'invoice',
      record_key: r.record.id,
      qbo_entity: 'Invoice',
      qbo_id: id,
      sync_token: '0',
      payload_hash: r.payloadHash!,
      record_version: r.record.version!,
      state: 'linked',
      qbo_total_cents: r.qboTotalCents,
      created_at: now,
      updated_at: now,
      last_run_id: null,
    });
    // The two invoices as a sync would have left them in QBO (a customer and the Services item made
    // by hand): the preview reads linked documents it updates, and one QBO does not hold is an error.
    const customer = await qboCreate(co, 'Customer', { DisplayName: 'Linked Invoices Client' });
    let item = '';
    for await (const r of co.qbo.query('Item')) if ((r as { Name?: string }).Name === 'Services') item = r.Id;
    const inQbo = async (r: PlanRow) =>
      (await qboCreate(co, 'Invoice', resolveRowRefs(r.payload!, Object.fromEntries(r.dependsOn.map((k) => [k, k.startsWith('items:') ? item : customer.Id]))))).Id;
    const [idA, idB] = [await inQbo(a!), await inQbo(b!)];
    await db
      .insertInto('links')
      .values([link(a!, idA), link(b!, idB)])
      .execute();
    let next = await buildPlan(deps, co.realmId);
    expect(row(next, a!.key)).toBeUndefined(); // synced and unchanged: not in the plan
    const rec = (await getRecord(db, 'default', 'invoice', a!.record.id))!;
    await updateRecord(db, 'default', 'invoice', a!.record.id, { ...rec.record, text: `${rec.record.text ?? ''} (revised)` }, clock());
    const recB = (await getRecord(db, 'default', 'invoice', b!.record.id))!;
    await updateRecord(db, 'default', 'invoice', b!.record.id, { ...recB.record, state: 'cancelled' }, clock());
    next = await buildPlan(deps, co.realmId);
    const u = row(next, a!.key)!;
    expect(u.action).toBe('update');
    expect(u.payload).toMatchObject({ Id: idA, SyncToken: '0', sparse: true });
    expect(JSON.stringify(u.payload)).toContain('(revised)');
    const v = row(next, b!.key)!;
    expect(v.action).toBe('void');
    expect(v.payload).toEqual({ Id: idB, SyncToken: '0' });
  });
});
