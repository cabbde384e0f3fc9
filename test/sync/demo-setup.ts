/**
 * Readies a demo practice for a sync against an emulator company: loads it, maps what the demo
 * leaves unmapped (a unique ID, GST on capital purchases, the staff expense account, payment
 * methods, the deposit account), and skips whatever the preview still reports as an error (the
 * planted problems that are meant to be skipped), the way a bookkeeper would before syncing.
 */
import type { AppContext } from '../../src/context.js';
import { buildPlan, skipWithLinked, type Plan } from '../../src/connect/plan/index.js';
import { setSetting } from '../../src/connect/settings/store.js';
import { loadDemoPractice, type DemoSize } from '../../src/practice/demo.js';
import { getRecord, updateRecord } from '../../src/practice/store.js';
import type { CompanyClient } from '../../src/qbo/client.js';

type Ctx = Pick<AppContext, 'db' | 'clock' | 'logger'>;

async function idOf(qbo: CompanyClient, entity: 'TaxCode' | 'Account' | 'PaymentMethod', name: string): Promise<string> {
  for await (const r of qbo.query(entity)) if ((r as { Name?: string }).Name === name) return r.Id;
  throw new Error(`no ${entity} named ${name}`);
}

export const errorsOf = (plan: Plan) => plan.groups.flatMap((g) => g.rows.filter((r) => !r.skipped && r.issues.some((i) => i.severity === 'error')));

/**
 * `us`: the company is a US one (emulator preset 'us'): amounts are said to be USD, the sales tax code
 * on the transaction is the one named, and purchases need no tax mapping (not offered for US).
 */
export async function readyDemo(
  ctx: Ctx,
  qbo: CompanyClient,
  realmId: string,
  opts: { size: DemoSize; direction: 'export' | 'import'; exportFrom?: string; applyCredits?: boolean; us?: { salesTaxCode: string }; practiceId?: string; seed?: number },
): Promise<Plan> {
  const clock = ctx.clock;
  const practiceId = opts.practiceId ?? 'default';
  const report = await loadDemoPractice(ctx.db, practiceId, { size: opts.size, seed: opts.seed ?? 1, today: clock() });
  if (!report.ok) throw new Error('the demo practice did not load');
  const set = (path: string, value: unknown) => setSetting(ctx.db, { realmId, path, value, actor: 'tester', clock });
  await set('payments.direction', opts.direction);
  // The small demo credits an invoice it also has paid in full: applying the credit note as well
  // over-applies the invoice in QBO (6000), whichever of the two is written first.
  if (opts.applyCredits === false) await set('invoices.applyCreditToInvoice', false);
  if (opts.exportFrom) for (const k of ['invoices', 'creditNotes', 'payments', 'bills', 'staffExpenses']) await set(`general.exportFrom.${k}`, opts.exportFrom);
  const c = await getRecord(ctx.db, practiceId, 'contact', 'C9001');
  if (c && !c.record.uniqueId) await updateRecord(ctx.db, practiceId, 'contact', 'C9001', { ...c.record, uniqueId: 'CL90001' }, clock());
  if (opts.us) {
    await set('general.practiceCurrency', 'USD');
    await set('tax.transactionTaxCodeId', await idOf(qbo, 'TaxCode', opts.us.salesTaxCode));
  } else {
    await set('tax.purchases.GST-CAP', await idOf(qbo, 'TaxCode', 'GST on capital'));
  }
  await set('staffExpenses.fixedExpenseAccountId', await idOf(qbo, 'Account', 'Office Expenses'));
  const eft = await idOf(qbo, 'PaymentMethod', opts.us ? 'ACH' : 'EFT');
  let bank: string | undefined;
  for await (const a of qbo.query('Account')) if ((a as { AccountType?: string }).AccountType === 'Bank') bank ??= a.Id;
  if (bank) await set('payments.depositAccountId', bank);
  for (const code of ['EFT', 'BPAY', 'CHQ', 'CARD']) await set(`payments.methodByPaymentType.${code}`, eft);
  const deps = { db: ctx.db, clock, logger: ctx.logger, qbo };
  let plan = await buildPlan(deps, realmId);
  for (let round = 0; round < 5 && errorsOf(plan).length; round++) {
    for (const row of errorsOf(plan)) {
      if (!plan.groups.some((g) => g.rows.some((r) => r.key === row.key && !r.skipped))) continue;
      await skipWithLinked(ctx.db, { realmId, plan, row: row.key, actor: 'tester', clock });
    }
    plan = await buildPlan(deps, realmId);
  }
  const left = errorsOf(plan);
  if (left.length) throw new Error(`errors remain after skipping: ${left.map((r) => `${r.key}: ${r.issues.map((i) => i.code).join(',')}`).join('; ')}`);
  return plan;
}
