/**
 * Issue 13, "US as QBO does it": the small demo practice synced to a US company (emulator preset 'us',
 * sales tax codes with rates, TxnTaxDetail computed from TxnTaxCodeRef). For every invoice and credit
 * note the preview's predicted total is QBO's TotalAmt to the cent, and no purchase carries sales tax
 * (none is sent: bills and staff expenses are not offered for US companies). The same run on the
 * 'au' preset shows nothing changed there: GST documents, bills included, land at the practice's totals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlan, type Plan, type PlanRow } from '../../src/connect/plan/index.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { sync } from '../../src/connect/run/sync.js';
import { startEmulator } from '../../src/emulator/run/server.js';
import { toCents } from '../../src/qbo/money.js';
import { connectedApp } from '../helpers/emulator-company.js';
import { readyDemo } from './demo-setup.js';

type Row = Record<string, unknown> & { Id: string };
const cents = (v: unknown) => (typeof v === 'number' ? toCents(v, 'half-up') : 0);
const rows = (plan: Plan): PlanRow[] => plan.groups.flatMap((g) => g.rows);
const salesKinds = [
  ['invoice', 'Invoice'],
  ['credit-note', 'CreditMemo'],
] as const;

async function syncSmallDemo(preset: 'us' | 'au', opts: { automatedSalesTax?: boolean } = {}) {
  const emu = await startEmulator({ preset, limits: 'off', ...(opts.automatedSalesTax ? { automatedSalesTax: true } : {}) });
  const c = await connectedApp(emu);
  const ctx = c.app.ctx;
  const deps = syncDepsFor(ctx, c.realmId, { actor: 'tester', client: { limits: { intervalMs: 1000 } } });
  // The whole year of the demo; payments stay in QBO's hands (imported), so only documents are sent.
  const from = new Date(ctx.clock().getTime() - 400 * 86_400_000).toISOString().slice(0, 10);
  const plan = await readyDemo(ctx, deps.client, c.realmId, { size: 'small', direction: 'import', exportFrom: from, ...(preset === 'us' ? { us: { salesTaxCode: 'NYC' } } : {}) });
  const result = await sync(deps, { realmId: c.realmId, actor: 'tester' });
  const dump = emu.control.dump(c.realmId) as { entities: Record<string, Row[]> };
  const links = await ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).execute();
  return { emu, c, deps, plan, result, all: (e: string) => dump.entities[e] ?? [], links };
}

/** Every sent invoice and credit note: the preview's prediction against what QBO computed. */
function predictedAgainstQbo(run: Awaited<ReturnType<typeof syncSmallDemo>>) {
  const out: Array<{ key: string; predicted: number | null; qbo: number; row: PlanRow; qboRow: Row }> = [];
  for (const [kind, entity] of salesKinds) {
    for (const l of run.links.filter((x) => x.record_kind === kind)) {
      const row = rows(run.plan).find((r) => r.record.kind === kind && r.record.id === l.record_key)!;
      const qboRow = run.all(entity).find((x) => x.Id === l.qbo_id)!;
      out.push({ key: `${kind} ${l.record_key}`, predicted: row.qboTotalCents, qbo: cents(qboRow['TotalAmt']), row, qboRow });
    }
  }
  return out;
}

describe('the small demo synced to a US company (sales tax codes with rates)', () => {
  let run: Awaited<ReturnType<typeof syncSmallDemo>>;
  beforeAll(async () => {
    run = await syncSmallDemo('us');
  });
  afterAll(async () => {
    await run?.c.app.close();
    await run?.emu.close();
  });

  it('every invoice and credit note: the predicted total is QBO TotalAmt to the cent, from the transaction tax code', () => {
    expect(
      run.result.status,
      `${run.result.message}\n${run.result.summary.records
        .filter((r) => r.status !== 'done')
        .map((r) => r.message)
        .join('\n')}`,
    ).toBe('succeeded');
    const sent = predictedAgainstQbo(run);
    expect(sent.filter((s) => s.key.startsWith('invoice')).length).toBeGreaterThan(10);
    expect(sent.filter((s) => s.key.startsWith('credit-note')).length).toBeGreaterThan(0);
    expect(sent.filter((s) => s.predicted !== s.qbo).map((s) => `${s.key}: predicted ${s.predicted}, QBO ${s.qbo}`)).toEqual([]);
    const nyc = run.all('TaxCode').find((t) => t['Name'] === 'NYC')!;
    let taxed = 0;
    for (const s of sent) {
      const lines = (s.qboRow['Line'] as Array<Record<string, unknown>>).filter((l) => l['DetailType'] === 'SalesItemLineDetail');
      // Line codes are only TAX/NON; the rate comes from the transaction code.
      for (const l of lines) expect(['TAX', 'NON']).toContain((l['SalesItemLineDetail'] as { TaxCodeRef: { value: string } }).TaxCodeRef.value);
      const detail = s.qboRow['TxnTaxDetail'] as { TxnTaxCodeRef?: { value: string }; TotalTax?: number } | undefined;
      if (lines.some((l) => (l['SalesItemLineDetail'] as { TaxCodeRef: { value: string } }).TaxCodeRef.value === 'TAX')) {
        expect(detail?.TxnTaxCodeRef, s.key).toEqual({ value: nyc.Id });
        if (cents(detail?.TotalTax) > 0) taxed++;
      }
      // The practice's tax is never forced onto QBO's code (no override sent).
      expect((s.row.payload!['TxnTaxDetail'] as Record<string, unknown> | undefined)?.['TotalTax'], s.key).toBeUndefined();
    }
    expect(taxed).toBeGreaterThan(10);
  });

  it('where the practice charged another tax (GST 10 % against NYC 8.875 %), the preview warned naming both amounts', () => {
    const sent = predictedAgainstQbo(run);
    const differing = sent.filter((s) => s.predicted !== (s.row.practiceTotalCents ?? null));
    expect(differing.length).toBeGreaterThan(10);
    for (const s of differing) {
      const w = s.row.issues.find((i) => i.code === `${s.row.record.kind}.us-tax-differs`);
      expect(w?.severity, s.key).toBe('warning');
      const qboTax = cents((s.qboRow['TxnTaxDetail'] as { TotalTax?: number } | undefined)?.TotalTax);
      const practiceTax = s.row.practiceTotalCents! - (s.qbo - qboTax);
      expect(w!.message).toContain(`of ${(qboTax / 100).toFixed(2)} (NYC: 4% + 4.5% + 0.375% on ${((s.qbo - qboTax) / 100).toFixed(2)} taxable)`);
      expect(w!.message).toContain(`the practice's tax is ${(practiceTax / 100).toFixed(2)}`);
      expect(w!.message).toContain(`QBO's total will be ${(s.qbo / 100).toFixed(2)}`);
    }
  });

  it('no purchase is sent: bills and staff expenses are listed as not offered for a US company, and QBO has none', () => {
    const purchases = rows(run.plan).filter((r) => r.group === 'bills' || r.group === 'staff-expenses');
    expect(purchases.filter((r) => !r.skipped).length).toBeGreaterThan(5);
    for (const r of purchases.filter((x) => !x.skipped)) {
      expect([r.action, r.payload], r.key).toEqual(['none', null]);
      expect(r.issues.map((i) => i.code)).toEqual([`${r.record.kind}.not-for-us`]);
      expect(r.issues[0]!.message).toMatch(/not sent: QBO Connect does not sync bills or staff expenses to a US QuickBooks company/);
    }
    expect(run.links.filter((l) => l.record_kind === 'bill' || l.record_kind === 'staff-expense')).toEqual([]);
    expect([...run.all('Bill'), ...run.all('Purchase')]).toEqual([]);
  });
});

describe('a US company whose invoices are in QBO but not linked (a lost link, or entered before)', () => {
  let run: Awaited<ReturnType<typeof syncSmallDemo>>;
  beforeAll(async () => {
    run = await syncSmallDemo('us');
  });
  afterAll(async () => {
    await run?.c.app.close();
    await run?.emu.close();
  });

  it("adopts each one by number: QBO's TotalAmt with sales tax is the total the preview predicts", async () => {
    expect(run.result.status, run.result.message ?? '').toBe('succeeded');
    const ctx = run.c.app.ctx;
    await ctx.db.deleteFrom('links').where('realm_id', '=', run.c.realmId).where('record_kind', 'in', ['invoice', 'credit-note', 'credit-application']).execute();
    const plan = await buildPlan({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, qbo: run.deps.client }, run.c.realmId);
    const linked = run.links.filter((l) => l.record_kind === 'invoice' || l.record_kind === 'credit-note');
    expect(linked.length).toBeGreaterThan(10);
    const actions = linked.map((l) => {
      const r = rows(plan).find((x) => x.record.kind === l.record_kind && x.record.id === l.record_key);
      return `${l.record_kind} ${l.record_key}: ${r?.action} ${
        r?.issues
          .filter((i) => i.severity === 'error')
          .map((i) => i.code)
          .join(',') ?? ''
      }`;
    });
    expect(actions.filter((a) => !/: adopt $/.test(a))).toEqual([]);
  });
});

describe('a US company with Automated Sales Tax (emulator: tax by ship-to state, the code sent ignored)', () => {
  let run: Awaited<ReturnType<typeof syncSmallDemo>>;
  beforeAll(async () => {
    run = await syncSmallDemo('us', { automatedSalesTax: true });
  });
  afterAll(async () => {
    await run?.c.app.close();
    await run?.emu.close();
  });

  it("the preview cannot know AST's tax: it warns, sends no code, predicts nothing; the run records QBO's TotalAmt", async () => {
    expect(
      run.result.status,
      `${run.result.message}\n${run.result.summary.records
        .filter((r) => r.status !== 'done')
        .map((r) => r.message)
        .join('\n')}`,
    ).toBe('succeeded');
    const sent = predictedAgainstQbo(run);
    expect(sent.filter((s) => s.key.startsWith('invoice')).length).toBeGreaterThan(10);
    let taxed = 0;
    for (const s of sent) {
      const taxable = (s.row.payload!['Line'] as Array<{ SalesItemLineDetail?: { TaxCodeRef?: { value: string } } }>).some(
        (l) => l.SalesItemLineDetail?.TaxCodeRef?.value === 'TAX',
      );
      expect((s.row.payload!['TxnTaxDetail'] as Record<string, unknown> | undefined)?.['TxnTaxCodeRef'], s.key).toBeUndefined();
      if (!taxable) continue;
      const w = s.row.issues.find((i) => i.code === `${s.row.record.kind}.us-automated-tax`);
      expect(w?.severity, s.key).toBe('warning');
      expect(w!.message).toMatch(/uses Automated Sales Tax.*QBO's figure stands/);
      expect(s.predicted, s.key).toBeNull();
      // The emulator's AST: no ship-to on these customers, so the company's state (CA, 7.25 %).
      const detail = s.qboRow['TxnTaxDetail'] as { TxnTaxCodeRef?: { value: string }; TotalTax?: number };
      expect(run.all('TaxCode').find((t) => t.Id === detail.TxnTaxCodeRef?.value)?.['Name'], s.key).toBe('AST CA');
      if (cents(detail.TotalTax) > 0) taxed++;
      // What the run recorded is QBO's figure.
      const link = run.links.find((l) => l.qbo_id === s.qboRow.Id && l.record_kind === s.row.record.kind)!;
      expect(Number(link.qbo_total_cents), s.key).toBe(s.qbo);
    }
    expect(taxed).toBeGreaterThan(10);
  });

  it("a second sync finds nothing to do but the credit applications that waited for QBO's figure, then nothing at all", async () => {
    const ctx = run.c.app.ctx;
    // The first run wrote the credit notes but applied none whose tax AST decides.
    const appliedFirst = run.links.filter((l) => l.record_kind === 'credit-application').length;
    const again = await sync(run.deps, { realmId: run.c.realmId, actor: 'tester' });
    expect(again.status, again.message ?? '').toBe('succeeded');
    const applied = await ctx.db.selectFrom('links').selectAll().where('realm_id', '=', run.c.realmId).where('record_kind', '=', 'credit-application').execute();
    expect(applied.length).toBeGreaterThan(appliedFirst);
    // Each at QBO's own figure for its credit: the credit memo is fully used, never over-applied.
    const dump = run.emu.control.dump(run.c.realmId) as { entities: Record<string, Row[]> };
    const creditLinks = await ctx.db.selectFrom('links').selectAll().where('realm_id', '=', run.c.realmId).where('record_kind', '=', 'credit-note').execute();
    for (const a of applied) {
      const credit = dump.entities['CreditMemo']!.find((c) => c.Id === creditLinks.find((l) => l.record_key === a.record_key)?.qbo_id)!;
      expect(cents(credit['Balance']), a.record_key).toBe(0);
    }
    const plan = await buildPlan({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, qbo: run.deps.client }, run.c.realmId);
    expect(
      rows(plan)
        .filter((r) => r.action !== 'none' && r.action !== 'import' && !r.skipped)
        .map((r) => `${r.key} ${r.action}`),
    ).toEqual([]);
  });
});

describe('the same on the AU preset: nothing changed there', () => {
  let run: Awaited<ReturnType<typeof syncSmallDemo>>;
  beforeAll(async () => {
    run = await syncSmallDemo('au');
  });
  afterAll(async () => {
    await run?.c.app.close();
    await run?.emu.close();
  });

  it('invoices and credit notes at the predicted totals, line tax codes and no transaction code; bills sent with GST at the practice totals', () => {
    expect(
      run.result.status,
      `${run.result.message}\n${run.result.summary.records
        .filter((r) => r.status !== 'done')
        .map((r) => r.message)
        .join('\n')}`,
    ).toBe('succeeded');
    const sent = predictedAgainstQbo(run);
    expect(sent.length).toBeGreaterThan(10);
    expect(sent.filter((s) => s.predicted !== s.qbo).map((s) => `${s.key}: predicted ${s.predicted}, QBO ${s.qbo}`)).toEqual([]);
    for (const s of sent) {
      expect(s.row.payload!['GlobalTaxCalculation']).toBe('TaxExcluded');
      expect((s.qboRow['TxnTaxDetail'] as Record<string, unknown> | undefined)?.['TxnTaxCodeRef']).toBeUndefined();
    }
    const bills = run.links.filter((l) => l.record_kind === 'bill' || l.record_kind === 'staff-expense');
    expect(bills.length).toBeGreaterThan(5);
    let gst = 0;
    for (const l of bills) {
      const b = run.all('Bill').find((x) => x.Id === l.qbo_id)!;
      const row = rows(run.plan).find((r) => r.record.kind === l.record_kind && r.record.id === l.record_key)!;
      expect(cents(b['TotalAmt']), l.record_key).toBe(row.practiceTotalCents);
      gst += cents((b['TxnTaxDetail'] as { TotalTax?: number } | undefined)?.TotalTax);
    }
    expect(gst).toBeGreaterThan(0);
  });
});
