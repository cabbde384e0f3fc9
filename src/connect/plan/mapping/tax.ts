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
}

export function lineTax(ctx: MapContext, side: 'sales' | 'purchases', practiceCode: string, label: string, field: string, issues: Issue[]): LineTax | undefined {
  const mapped = mappedId(ctx.settings.tax[side], practiceCode);
  if (!mapped) {
    issues.push(issue('tax.unmapped', 'error', { record: label, value: practiceCode, field, detail: side, limit: `tax.${side}.${practiceCode}` }, field));
    return undefined;
  }
  if (ctx.us) {
    if (mapped === 'NON' || side === 'purchases') return { code: mapped, ratesPercent: [] };
    const txn = ctx.settings.tax.transactionTaxCodeId;
    const code = txn ? ctx.lists.taxCodes.get(txn) : undefined;
    return { code: 'TAX', ratesPercent: code ? code.salesRates : [] };
  }
  const code = ctx.lists.taxCodes.get(mapped);
  if (!code) {
    issues.push(issue('tax.unmapped', 'error', { record: label, value: practiceCode, field, detail: `${side} (QBO tax code ${mapped} is not in the company)`, limit: `tax.${side}.${practiceCode}` }, field));
    return undefined;
  }
  return { code: mapped, ratesPercent: side === 'sales' ? code.salesRates : code.purchaseRates };
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
