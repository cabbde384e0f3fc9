/**
 * Practice tax codes → QBO tax codes, for sales or purchases. Non-US companies put a real TaxCode Id
 * on every line; US companies put TAX or NON on lines and one tax code on the transaction.
 */
import type { MapContext } from '../context.js';
import { issue } from '../context.js';
import type { Issue } from '../types.js';
import { mappedId } from '../../settings/lookup.js';

export interface LineTax {
  /** The TaxCodeRef value for the line (a TaxCode Id, or TAX/NON in the US). */
  code: string;
  /** The rates QBO will apply to the line, in percent. */
  ratesPercent: number[];
  /** Set when QBO's rate is not the practice code's: an error is raised, and no tax is ever forced. */
  rateDiffers?: true;
}

const samePercent = (a: number, b: number) => Math.round(a * 1000) === Math.round(b * 1000);
const pct = (n: number) => `${Math.round(n * 1000) / 1000}%`;

/**
 * The mapped QBO code must charge the practice code's rate: sending the practice's tax as an override on
 * a code of another rate (GST 10% onto UK VAT 20%) would put a figure in QBO its code cannot explain
 * (issue 19). An error naming both rates and the setting; the line keeps QBO's rates for the prediction.
 */
function checkRate(ctx: MapContext, side: 'sales' | 'purchases', practiceCode: string, tax: LineTax, qboName: string, label: string, field: string, setting: string, issues: Issue[]): LineTax {
  const practice = ctx.practice.taxCodes.get(practiceCode);
  if (!practice) return tax;
  const practiceRate = practice.record.rateBasisPoints / 100;
  const qboRate = tax.ratesPercent.reduce((a, b) => a + b, 0);
  if (samePercent(practiceRate, qboRate)) return tax;
  issues.push(issue('tax.rate-differs', 'error', { record: label, value: practiceCode, field, detail: `${pct(practiceRate)} in the practice and ${pct(qboRate)} on QBO tax code ${qboName} (${side})`, limit: setting }, field));
  return { ...tax, rateDiffers: true };
}

export function lineTax(ctx: MapContext, side: 'sales' | 'purchases', practiceCode: string, label: string, field: string, issues: Issue[]): LineTax | undefined {
  const mapped = mappedId(ctx.settings.tax[side], practiceCode);
  if (!mapped) {
    issues.push(issue('tax.unmapped', 'error', { record: label, value: practiceCode, field, detail: side, limit: `tax.${side}.${practiceCode}` }, field));
    return undefined;
  }
  const setting = `tax.${side}.${practiceCode}`;
  if (ctx.us) {
    // US purchases carry no sales tax in QBO (see txnTaxFields): nothing to compare.
    if (side === 'purchases') return { code: mapped, ratesPercent: [] };
    if (mapped === 'NON') return checkRate(ctx, side, practiceCode, { code: mapped, ratesPercent: [] }, 'NON', label, field, setting, issues);
    const txn = ctx.settings.tax.transactionTaxCodeId;
    const code = txn ? ctx.lists.taxCodes.get(txn) : undefined;
    // Without a transaction code, tax.transaction-code-unmapped says so already.
    if (!code) return { code: 'TAX', ratesPercent: [] };
    return checkRate(ctx, side, practiceCode, { code: 'TAX', ratesPercent: code.salesRates }, `TAX with ${code.name}`, label, field, `${setting} and tax.transactionTaxCodeId`, issues);
  }
  const code = ctx.lists.taxCodes.get(mapped);
  if (!code) {
    issues.push(issue('tax.unmapped', 'error', { record: label, value: practiceCode, field, detail: `${side} (QBO tax code ${mapped} is not in the company)`, limit: `tax.${side}.${practiceCode}` }, field));
    return undefined;
  }
  return checkRate(ctx, side, practiceCode, { code: mapped, ratesPercent: side === 'sales' ? code.salesRates : code.purchaseRates }, code.name, label, field, setting, issues);
}

/**
 * Whether per-line rounding explains the gap between QBO's tax and the practice's: each taxed line and
 * rate QBO rounds on its own can move the sum by at most a cent against any other rounding (per line,
 * or once on the document) — so a gap of more cents than that is not rounding (issue 19), and the
 * practice's tax is then never forced onto QBO.
 */
export function roundingExplains(lines: Array<{ amountCents: number; tax: LineTax }>, qboTaxCents: number, practiceTaxCents: number): boolean {
  const pairs = lines.reduce((n, l) => n + (l.amountCents === 0 ? 0 : l.tax.ratesPercent.filter((r) => r !== 0).length), 0);
  return Math.abs(qboTaxCents - practiceTaxCents) <= pairs;
}

/** The transaction-level tax fields: GlobalTaxCalculation (non-US) or TxnTaxCodeRef (US). */
export function txnTaxFields(ctx: MapContext, lines: LineTax[], label: string, issues: Issue[], side: 'sales' | 'purchases'): { header: Record<string, unknown>; txnTaxDetail: Record<string, unknown> } {
  if (!ctx.us) return { header: { GlobalTaxCalculation: 'TaxExcluded' }, txnTaxDetail: {} };
  // QBO's US purchases carry no sales tax: lines are sent without tax (NON).
  if (side === 'purchases') return { header: {}, txnTaxDetail: {} };
  if (!lines.some((l) => l.code === 'TAX')) return { header: {}, txnTaxDetail: {} };
  const txn = ctx.settings.tax.transactionTaxCodeId;
  if (!txn) {
    issues.push(issue('tax.transaction-code-unmapped', 'error', { record: label }, 'taxCode'));
    return { header: {}, txnTaxDetail: {} };
  }
  return { header: {}, txnTaxDetail: { TxnTaxCodeRef: { value: txn } } };
}
