/**
 * A practice payment as a QBO Payment: its customer, payment method and deposit account by the
 * settings, one line per allocation linked to the invoice it pays (linked, of this plan, or found in
 * QBO by number). What it pays on each invoice is returned too: a credit note applied to the same
 * invoice never applies more than the invoice has left.
 */
import type { ExportDocument } from '../../../practice/store.js';
import { mappedId } from '../../settings/lookup.js';
import { amount, issue, marker, QBO_DOC_NUMBER_LIMIT, type MapContext } from '../context.js';
import type { InvoiceRefOf } from '../invoice-refs.js';
import type { Issue } from '../types.js';
import { refValue, type RefResolver } from './refs.js';
import type { DocumentDraft } from './sales.js';

export interface PaymentDraft extends DocumentDraft {
  /** What this payment pays on each invoice it can name. */
  paid: Array<{ invoiceNumber: string; amountCents: number }>;
}

export function paymentDraft(doc: ExportDocument<'payment'>, ctx: MapContext, refs: RefResolver, invoiceRef: InvoiceRefOf, label: string): PaymentDraft {
  const { settings } = ctx;
  const p = doc.stored.record;
  const issues: Issue[] = [];
  const deps: string[] = [];
  const paid: PaymentDraft['paid'] = [];
  const payload: Record<string, unknown> = { TxnDate: p.date, TotalAmt: amount(p.amountCents), PaymentRefNum: p.number };
  const customer = refs.customer(p.contactCode);
  if (customer) payload['CustomerRef'] = refValue(customer, deps);
  else issues.push(issue('payment.contact-missing', 'error', { record: label, value: p.contactCode, field: 'contactCode' }, 'contactCode'));
  const method = mappedId(settings.payments.methodByPaymentType, p.paymentTypeCode);
  if (method) payload['PaymentMethodRef'] = { value: method };
  else issues.push(issue('payment.type-unmapped', 'error', { record: label, value: p.paymentTypeCode, field: 'paymentTypeCode' }, 'paymentTypeCode'));
  if (settings.payments.depositAccountId) payload['DepositToAccountRef'] = { value: settings.payments.depositAccountId };
  const lines: Record<string, unknown>[] = [];
  p.allocations.forEach((a, i) => {
    const field = `allocations[${i}].invoiceNumber`;
    const ref = invoiceRef(a.invoiceNumber);
    if (ref.kind === 'ok') {
      paid.push({ invoiceNumber: a.invoiceNumber, amountCents: a.amountCents });
      lines.push({ Amount: amount(a.amountCents), LinkedTxn: [{ TxnId: refValue(ref.ref, deps).value, TxnType: 'Invoice' }] });
    } else if (ref.kind === 'skipped') issues.push(issue('payment.invoice-skipped', 'error', { record: label, value: a.invoiceNumber, field }, field));
    else if (ref.kind === 'before-window')
      issues.push(
        issue(
          'payment.invoice-before-export-from',
          'error',
          { record: label, value: a.invoiceNumber, field, detail: `invoice ${a.invoiceNumber} (dated ${ref.date})`, limit: settings.general.exportFrom.invoices },
          field,
        ),
      );
    else issues.push(issue('payment.invoice-unknown', 'error', { record: label, value: a.invoiceNumber, field }, field));
  });
  if (lines.length) payload['Line'] = lines;
  payload['PrivateNote'] = [p.reference, marker('payment', p.number)].filter(Boolean).join('\n');
  if (p.number.length > QBO_DOC_NUMBER_LIMIT) delete payload['PaymentRefNum'];
  return { payload, dependsOn: deps, issues, practiceTotalCents: p.amountCents, qboTotalCents: p.amountCents, paid };
}
