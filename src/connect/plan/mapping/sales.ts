/**
 * Invoices and credit notes as QBO Invoice / CreditMemo payloads, honouring the invoice settings:
 * the invoice text as a first description line, the memo, each line's description, the job item
 * (per project, or one fixed item), the income account per stage line, and tax per line. When QBO's
 * per-line tax rounding would give another total than the practice's, the practice's tax is sent as
 * an override (TxnTaxDetail.TotalTax) and the row says so. US companies: lines say TAX or NON and the
 * transaction names the sales tax code; QBO's tax is predicted, never overridden (tax.ts usSalesTax).
 */
import type { ExportDocument, ResolvedLine } from '../../../practice/store.js';
import type { CreditNote, Invoice } from '../../../practice/schemas.js';
import { amount, issue, marker, type MapContext } from '../context.js';
import { predictTotals } from '../totals.js';
import type { Issue } from '../types.js';
import { refValue, type RefResolver } from './refs.js';
import { lineTax, roundingExplains, txnTaxFields, usSalesTax, type LineTax } from './tax.js';
import { mappedId } from '../../settings/lookup.js';

export interface DocumentDraft {
  payload: Record<string, unknown>;
  dependsOn: string[];
  issues: Issue[];
  practiceTotalCents: number;
  /** What QBO will total once the payload (with any tax override) is in; null when only QBO can
   *  know (a US company with Automated Sales Tax: mapping/tax.ts usSalesTax). */
  qboTotalCents: number | null;
}

type SalesKind = 'invoice' | 'credit-note';

/** The income account a stage line earns into, by the setting; null (with an issue) when unmapped. */
function incomeAccount(ctx: MapContext, line: ResolvedLine, label: string, i: number, issues: Issue[], kind: SalesKind): string | null {
  const s = ctx.settings.invoices;
  if (s.incomeAccount === 'fixed') return s.fixedIncomeAccountId;
  const byCc = s.incomeAccount === 'by-cost-centre';
  const code = byCc ? line.stage?.costCentreCode : line.stage?.disciplineCode;
  const mapped = mappedId(byCc ? s.incomeAccountByCostCentre : s.incomeAccountByDiscipline, code);
  if (mapped) return mapped;
  const what = code ? `${byCc ? 'cost centre' : 'discipline'} ${code}` : `a line without a ${byCc ? 'cost centre' : 'discipline'}`;
  const setting = code ? `invoices.${byCc ? 'incomeAccountByCostCentre' : 'incomeAccountByDiscipline'}.${code}` : 'the stage in the practice';
  issues.push(issue(`${kind}.income-account-unmapped`, 'error', { record: label, detail: what, field: `lines[${i}].stageCode`, limit: setting }, `lines[${i}].stageCode`));
  return null;
}

function lineDescription(ctx: MapContext, l: Invoice['lines'][number], r: ResolvedLine): string {
  const stage = r.stage?.name;
  const project = r.project ? `${r.project.record.number} ${r.project.record.name}` : undefined;
  switch (ctx.settings.invoices.lineDescription) {
    case 'stage':
      return stage ?? l.description;
    case 'project-and-stage':
      return [project, stage ?? l.description].filter(Boolean).join(' – ');
    case 'stage-and-description':
      return stage ? `${stage}: ${l.description}` : l.description;
  }
}

function memoText(ctx: MapContext, d: Invoice | CreditNote, doc: ExportDocument): string | null {
  switch (ctx.settings.invoices.memo) {
    case 'none':
      return null;
    case 'invoice-text':
      return d.text?.trim() || null;
    case 'project-number':
      return d.projectNumber ?? null;
    case 'client-reference':
      return ('clientReference' in d ? d.clientReference : null) ?? doc.project?.record.clientReference ?? null;
  }
}

export function salesDraft(kind: SalesKind, doc: ExportDocument<'invoice'> | ExportDocument<'credit-note'>, ctx: MapContext, refs: RefResolver, label: string): DocumentDraft {
  const d = doc.stored.record as Invoice | CreditNote;
  const issues: Issue[] = [];
  const deps: string[] = [];
  const payload: Record<string, unknown> = { DocNumber: d.number, TxnDate: d.date };
  const customer = refs.customer(d.contactCode);
  if (customer) payload['CustomerRef'] = refValue(customer, deps);
  else issues.push(issue(`${kind}.contact-missing`, 'error', { record: label, value: d.contactCode, field: 'contactCode' }, 'contactCode'));
  if ('dueDate' in d) payload['DueDate'] = d.dueDate;

  const lines: Record<string, unknown>[] = [];
  const text = d.text?.trim();
  if (ctx.settings.invoices.invoiceTextLine && text) lines.push({ DetailType: 'DescriptionOnly', Description: text.slice(0, 4000), DescriptionLineDetail: {} });
  const taxes: LineTax[] = [];
  const byLine: Array<LineTax | undefined> = [];
  const s = ctx.settings.invoices;
  d.lines.forEach((l, i) => {
    const r = doc.lines[i] ?? {};
    const tax = lineTax(ctx, 'sales', l.taxCode, label, `lines[${i}].taxCode`, issues);
    if (tax) taxes.push(tax);
    byLine.push(tax);
    const detail: Record<string, unknown> = {};
    const projectNumber = r.project?.key ?? d.projectNumber ?? null;
    if (s.jobItems === 'per-project' && projectNumber) {
      const account = incomeAccount(ctx, r, label, i, issues, kind);
      detail['ItemRef'] = refValue(refs.item(projectNumber, s.incomeAccount === 'fixed' ? null : account), deps);
    } else if (s.fixedItemId) {
      detail['ItemRef'] = { value: s.fixedItemId };
    } else if (!issues.some((x) => x.code === 'invoice.item-unmapped')) {
      issues.push(issue('invoice.item-unmapped', 'error', { record: label }, 'invoices.fixedItemId'));
    }
    if (tax) detail['TaxCodeRef'] = { value: tax.code };
    lines.push({ DetailType: 'SalesItemLineDetail', Amount: amount(l.amountCents), Description: lineDescription(ctx, l, r).slice(0, 4000), SalesItemLineDetail: detail });
  });
  payload['Line'] = lines;

  let txnTaxDetail: Record<string, unknown>;
  let qboTotal: number | null;
  if (ctx.us) {
    const us = usSalesTax(
      ctx,
      kind,
      d.lines.map((l, i) => ({ amountCents: l.amountCents, tax: byLine[i] })),
      d.taxCents,
      label,
      issues,
    );
    txnTaxDetail = us.txnTaxDetail;
    const net = d.lines.reduce((n, l) => n + l.amountCents, 0);
    // Automated Sales Tax: QBO's total is unknown until QBO answers (null), and recorded from it then.
    qboTotal = us.automated ? null : us.qboTaxCents === null ? d.totalCents : net + us.qboTaxCents;
  } else {
    const { header, txnTaxDetail: detail } = txnTaxFields();
    txnTaxDetail = detail;
    Object.assign(payload, header);
    const predicted = predictTotals(d.lines.map((l, i) => ({ amountCents: l.amountCents, ratesPercent: taxes.length === d.lines.length ? taxes[i]!.ratesPercent : [] })));
    qboTotal = predicted.totalCents;
    const allTaxKnown = taxes.length === d.lines.length && !taxes.some((t) => t.rateDiffers);
    const explained =
      allTaxKnown &&
      roundingExplains(
        d.lines.map((l, i) => ({ amountCents: l.amountCents, tax: taxes[i]! })),
        predicted.taxCents,
        d.taxCents,
      );
    if (allTaxKnown && predicted.taxCents !== d.taxCents && !explained) {
      issues.push(
        issue(
          `${kind}.tax-differs`,
          'error',
          { record: label, value: d.taxCents, limit: predicted.taxCents, detail: `${Math.abs(predicted.taxCents - d.taxCents)} cent(s)` },
          'taxCents',
        ),
      );
    } else if (allTaxKnown && predicted.taxCents !== d.taxCents) {
      issues.push(
        issue(
          `${kind}.total-differs`,
          'warning',
          {
            record: label,
            value: d.totalCents,
            limit: d.taxCents,
            detail: `${amount(predicted.totalCents).toFixed(2)} (tax ${amount(predicted.taxCents).toFixed(2)}), ${Math.abs(predicted.totalCents - d.totalCents)} cent(s) ${predicted.totalCents > d.totalCents ? 'more' : 'less'}`,
          },
          'taxCents',
        ),
      );
      txnTaxDetail['TotalTax'] = amount(d.taxCents);
      qboTotal = predicted.netCents + d.taxCents;
    }
  }
  if (Object.keys(txnTaxDetail).length) payload['TxnTaxDetail'] = txnTaxDetail;

  const memo = memoText(ctx, d, doc);
  // The memo is what the client reads on the document (QBO's "message on invoice"); the private note
  // keeps the marker that recovery looks for.
  if (memo) payload['CustomerMemo'] = { value: memo.slice(0, 1000) };
  const notes: string[] = [];
  if (kind === 'credit-note' && (d as CreditNote).invoiceNumber) notes.push(`Credit for invoice ${(d as CreditNote).invoiceNumber}`);
  notes.push(marker(kind, d.number));
  payload['PrivateNote'] = notes.join('\n').slice(-4000);
  return { payload, dependsOn: deps, issues, practiceTotalCents: d.totalCents, qboTotalCents: qboTotal };
}
