/**
 * Bills and staff expenses as QBO Bills: a bill to its supplier, a staff expense to the staff member
 * as a supplier (a Vendor). Each line books to an expense account (fixed, or by expense type) with
 * the purchase tax code mapped from the practice's.
 *
 * Not for US companies (see purchasesNotOfferedForUs): the original product did not offer bills or
 * staff expenses to US QBO files, and QBO's US purchases carry no sales tax, so the practice's tax
 * on them could only be dropped (the payable would be short) or folded into the cost (QBO's figures
 * would no longer be the practice's).
 */
import type { ExportDocument, ResolvedLine } from '../../../practice/store.js';
import type { Bill, StaffExpense } from '../../../practice/schemas.js';
import { amount, issue, marker, type MapContext } from '../context.js';
import { predictTotals } from '../totals.js';
import type { Issue } from '../types.js';
import { refValue, type RefResolver } from './refs.js';
import { lineTax, roundingExplains, txnTaxFields, type LineTax } from './tax.js';
import type { DocumentDraft } from './sales.js';
import { mappedId } from '../../settings/lookup.js';

type PurchaseKind = 'bill' | 'staff-expense';

interface PurchaseLine {
  description: string;
  expenseTypeCode: string;
  amountCents: number;
  taxCode: string;
  projectNumber?: string | null | undefined;
  stageCode?: string | null | undefined;
}

function lineText(ctx: MapContext, kind: PurchaseKind, l: PurchaseLine, r: ResolvedLine): string {
  const setting = (kind === 'bill' ? ctx.settings.bills : ctx.settings.staffExpenses).lineDescription;
  const project = r.project ? `${r.project.record.number} ${r.project.record.name}` : (l.projectNumber ?? undefined);
  const stage = r.stage?.name;
  const type = r.expenseType?.record.name ?? l.expenseTypeCode;
  const rate = `${amount(l.amountCents).toFixed(2)}`;
  switch (setting) {
    case 'project-stage-and-expense-type':
      return [project, stage, type].filter(Boolean).join(' – ');
    case 'project-and-stage':
      return [project, stage].filter(Boolean).join(' – ') || l.description;
    case 'rate-and-expense-type':
      return `${type} @ ${rate}`;
    case 'expense-type':
      return type;
    case 'note':
      return l.description;
  }
}

/** Bills and staff expenses are listed for a US company, never sent: the row says why. */
export function purchasesNotOfferedForUs(ctx: MapContext): boolean {
  return ctx.us;
}

export function purchaseDraft(kind: PurchaseKind, doc: ExportDocument<'bill'> | ExportDocument<'staff-expense'>, ctx: MapContext, refs: RefResolver, label: string): DocumentDraft {
  // A bug if reached: build.ts lists US purchases as not sent before drafting anything.
  if (purchasesNotOfferedForUs(ctx)) throw new Error(`${label}: bills and staff expenses are not sent to a US company`);
  const issues: Issue[] = [];
  const deps: string[] = [];
  const s = kind === 'bill' ? ctx.settings.bills : ctx.settings.staffExpenses;
  const settingPrefix = kind === 'bill' ? 'bills' : 'staffExpenses';
  let lines: PurchaseLine[];
  let vendor;
  let header: { number: string; date: string; dueDate?: string; taxCents: number; totalCents: number; note?: string | null };
  if (kind === 'bill') {
    const b = doc.stored.record as Bill;
    lines = b.lines;
    vendor = refs.vendor('supplier', b.supplierCode);
    header = {
      number: b.number,
      date: b.date,
      dueDate: b.dueDate,
      taxCents: b.taxCents,
      totalCents: b.totalCents,
      note: b.supplierReference ? `Supplier invoice ${b.supplierReference}` : null,
    };
  } else {
    const e = doc.stored.record as StaffExpense;
    lines = [e];
    vendor = refs.vendor('staff', e.staffUniqueId);
    header = { number: e.number, date: e.date, taxCents: e.taxCents, totalCents: e.totalCents, note: `${e.kind === 'travel' ? 'Travel' : 'Cash'} expense claim` };
  }
  const payload: Record<string, unknown> = { DocNumber: header.number, TxnDate: header.date };
  if (header.dueDate) payload['DueDate'] = header.dueDate;
  if (vendor) payload['VendorRef'] = refValue(vendor, deps);
  else
    issues.push(
      issue(
        `${kind}.contact-missing`,
        'error',
        {
          record: label,
          value: kind === 'bill' ? (doc.stored.record as Bill).supplierCode : (doc.stored.record as StaffExpense).staffUniqueId,
          field: kind === 'bill' ? 'supplierCode' : 'staffUniqueId',
        },
        kind === 'bill' ? 'supplierCode' : 'staffUniqueId',
      ),
    );

  const taxes: LineTax[] = [];
  const wire: Record<string, unknown>[] = [];
  lines.forEach((l, i) => {
    const r = doc.lines[i] ?? {};
    const f = (name: string) => (kind === 'bill' ? `lines[${i}].${name}` : name);
    const tax = lineTax(ctx, 'purchases', l.taxCode, label, f('taxCode'), issues);
    if (tax) taxes.push(tax);
    const account = s.expenseAccount === 'fixed' ? s.fixedExpenseAccountId : (mappedId(s.expenseAccountByExpenseType, l.expenseTypeCode) ?? null);
    if (!account) {
      const setting = s.expenseAccount === 'fixed' ? `${settingPrefix}.fixedExpenseAccountId` : `${settingPrefix}.expenseAccountByExpenseType.${l.expenseTypeCode}`;
      issues.push(
        issue(
          `${kind}.expense-account-unmapped`,
          'error',
          { record: label, detail: s.expenseAccount === 'fixed' ? 'these expenses' : `expense type ${l.expenseTypeCode}`, field: f('expenseTypeCode'), limit: setting },
          f('expenseTypeCode'),
        ),
      );
    }
    const detail: Record<string, unknown> = {};
    if (account) detail['AccountRef'] = { value: account };
    if (tax) detail['TaxCodeRef'] = { value: tax.code };
    wire.push({
      DetailType: 'AccountBasedExpenseLineDetail',
      Amount: amount(l.amountCents),
      Description: lineText(ctx, kind, l, r).slice(0, 4000),
      AccountBasedExpenseLineDetail: detail,
    });
  });
  payload['Line'] = wire;
  const tx = txnTaxFields();
  Object.assign(payload, tx.header);
  const txnTaxDetail = tx.txnTaxDetail;
  const ratesKnown = taxes.length === lines.length;
  const allTaxKnown = ratesKnown && !taxes.some((t) => t.rateDiffers);
  const predicted = predictTotals(lines.map((l, i) => ({ amountCents: l.amountCents, ratesPercent: ratesKnown ? taxes[i]!.ratesPercent : [] })));
  let qboTotal = predicted.totalCents;
  const explained =
    allTaxKnown &&
    roundingExplains(
      lines.map((l, i) => ({ amountCents: l.amountCents, tax: taxes[i]! })),
      predicted.taxCents,
      header.taxCents,
    );
  if (allTaxKnown && predicted.taxCents !== header.taxCents && !explained) {
    issues.push(
      issue(
        `${kind}.tax-differs`,
        'error',
        { record: label, value: header.taxCents, limit: predicted.taxCents, detail: `${Math.abs(predicted.taxCents - header.taxCents)} cent(s)` },
        'taxCents',
      ),
    );
  } else if (allTaxKnown && predicted.taxCents !== header.taxCents) {
    issues.push(
      issue(
        `${kind}.total-differs`,
        'warning',
        {
          record: label,
          value: header.totalCents,
          limit: header.taxCents,
          detail: `${amount(predicted.totalCents).toFixed(2)} (tax ${amount(predicted.taxCents).toFixed(2)}), ${Math.abs(predicted.totalCents - header.totalCents)} cent(s) ${predicted.totalCents > header.totalCents ? 'more' : 'less'}`,
        },
        'taxCents',
      ),
    );
    txnTaxDetail['TotalTax'] = amount(header.taxCents);
    qboTotal = predicted.netCents + header.taxCents;
  }
  if (Object.keys(txnTaxDetail).length) payload['TxnTaxDetail'] = txnTaxDetail;
  payload['PrivateNote'] = [header.note, marker(kind, header.number)].filter(Boolean).join('\n');
  return { payload, dependsOn: deps, issues, practiceTotalCents: header.totalCents, qboTotalCents: qboTotal };
}
