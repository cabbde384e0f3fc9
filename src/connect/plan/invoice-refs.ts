/**
 * Which QBO invoice a payment allocation or a credit note names: one linked before, one of this plan
 * (an `@row:` reference), one found in QBO by its number — or why none can be named.
 */
import { rowKey, type EntityRef } from './context.js';
import type { SkipLookup } from './imports.js';
import type { QboView } from './qbo-check.js';

export type InvoiceRef = { kind: 'ok'; ref: EntityRef } | { kind: 'skipped' } | { kind: 'before-window'; date: string } | { kind: 'unknown' };
export type InvoiceRefOf = (invoiceNumber: string) => InvoiceRef;

export function invoiceRefs(view: QboView, skipOf: SkipLookup): InvoiceRefOf {
  return (n) => {
    const link = view.invoiceLinks.get(n);
    if (link && link.state !== 'voided') return { kind: 'ok', ref: { value: link.qbo_id } };
    if (view.planInvoices.has(n)) {
      if (skipOf('invoice', n)) return { kind: 'skipped' };
      const k = rowKey('invoices', n);
      return { kind: 'ok', ref: { value: `@row:${k}`, rowKey: k } };
    }
    const inQbo = view.byNumber.Invoice.get(n.toLowerCase());
    if (inQbo) return { kind: 'ok', ref: { value: inQbo.Id } };
    const practiceInvoice = view.practiceInvoices.get(n);
    if (practiceInvoice) return { kind: 'before-window', date: practiceInvoice.record.date };
    return { kind: 'unknown' };
  };
}
