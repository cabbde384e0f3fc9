/**
 * A payment exported to QBO never applies more to an invoice than QBO will let it: QBO refuses a
 * Payment whose `Line.Amount` linked to an invoice exceeds that invoice's Balance (found by the chaos
 * soak on the `us` preset: the practice's invoice total carries the practice's tax, QBO's carries the
 * sales tax of `TxnTaxCodeRef`, e.g. NYC 8.875 % against the practice's 10 %, so "paid in full" in
 * the practice is more than QBO's total). The preview checks every payment line against the invoice's
 * predicted QBO total, less what earlier payments of this plan apply to it.
 *
 * What a careful bookkeeper expects, and why an error rather than a silent fix: capping the line at
 * QBO's balance and leaving the rest unapplied would put a customer credit in QBO that the practice's
 * ledger does not have (the two ledgers disagree on the customer's balance from then on), and the
 * difference is tax the practice charged that QBO does not — a decision about the tax code or the
 * invoice, not about the payment. So the payment row is an error naming the payment, the invoice, the
 * amount applied and QBO's predicted total, with the fixes; nothing is sent for it until it is resolved
 * or skipped, and the run's other records are unaffected once it is skipped.
 *
 * Under Automated Sales Tax QBO's total is unknown until the invoice is in QBO (mapping/tax.ts,
 * `invoice.us-automated-tax`): a payment on such an invoice of this plan waits (nothing sent, a
 * warning) and is checked on the next sync against the total QBO answered, as credit applications wait
 * (build.ts creditApplication).
 */
import type { Link } from '../links.js';
import type { Issue, PlanRow } from './types.js';

const cents = (n: number) => `${n < 0 ? '-' : ''}${(Math.abs(n) / 100).toFixed(2)}`;
const toCentsOf = (v: unknown) => (typeof v === 'number' ? Math.round(v * 100) : 0);

type InvoiceTotal = { number: string; qboTotalCents: number | null };

/**
 * The invoice a payment line names (`@row:invoices:N` for one this plan writes, else a QBO Id), with
 * the total QBO holds or will hold for it: null when QBO alone will know it (Automated Sales Tax).
 */
function invoiceTotalFor(txnId: string, rows: PlanRow[], invoiceLinks: Map<string, Link>): InvoiceTotal | undefined {
  const planned = /^@row:(invoices:.+)$/.exec(txnId);
  if (planned) {
    const row = rows.find((r) => r.key === planned[1]);
    if (!row) return undefined;
    return { number: row.record.id, qboTotalCents: row.qboTotalCents };
  }
  for (const l of invoiceLinks.values()) {
    if (l.qbo_id === txnId && l.state !== 'voided') return l.qbo_total_cents === null ? undefined : { number: l.record_key, qboTotalCents: Number(l.qbo_total_cents) };
  }
  return undefined;
}

/** Marks each exported payment that QBO would refuse (an error) or cannot yet be checked (it waits). */
export function checkPaymentsAgainstQboTotals(rows: PlanRow[], invoiceLinks: Map<string, Link>): void {
  const applied = new Map<string, number>();
  for (const r of rows) {
    if (r.group !== 'payments-export' || r.record.kind !== 'payment' || r.action !== 'create' || r.skipped || !r.payload) continue;
    const lines = (r.payload['Line'] as Array<{ Amount?: unknown; LinkedTxn?: Array<{ TxnId: string; TxnType: string }> }> | undefined) ?? [];
    const issues: Issue[] = [];
    let waits: string | undefined;
    lines.forEach((l, i) => {
      const txn = l.LinkedTxn?.find((t) => t.TxnType === 'Invoice');
      if (!txn) return;
      const inv = invoiceTotalFor(txn.TxnId, rows, invoiceLinks);
      if (!inv) return;
      const amount = toCentsOf(l.Amount);
      if (inv.qboTotalCents === null) {
        waits ??= inv.number;
        return;
      }
      const before = applied.get(inv.number) ?? 0;
      applied.set(inv.number, before + amount);
      const left = inv.qboTotalCents - before;
      if (amount > left) {
        issues.push({
          code: 'payment.exceeds-qbo-balance',
          severity: 'error',
          field: `allocations[${i}].amountCents`,
          message:
            `${r.record.label}: applies ${cents(amount)} to invoice ${inv.number}, but QBO's total for that invoice will be ${cents(inv.qboTotalCents)}` +
            (before ? ` with ${cents(before)} already applied by earlier payments of this sync, leaving ${cents(Math.max(0, left))}` : '') +
            ` (QBO computes the sales tax from the transaction tax code, not the practice's tax), so QuickBooks would refuse the payment. ` +
            `Map a sales tax code whose rate matches the practice's tax (setting tax.transactionTaxCodeId), or correct the invoice's tax or the payment's allocation (field allocations[${i}].amountCents) in the practice; or skip the payment and record it in QuickBooks.`,
        });
      }
    });
    if (issues.length) {
      r.issues.push(...issues);
      continue;
    }
    if (waits !== undefined) {
      // Not sent now, so QBO is never asked to take more than the invoice's balance; the next sync
      // plans it again with the total QBO answered for the invoice (stored on its link).
      r.action = 'none';
      r.payload = null;
      r.payloadHash = null;
      r.issues.push({
        code: 'payment.waits-for-qbo-total',
        severity: 'warning',
        field: 'allocations',
        message: `${r.record.label}: waits for the next sync: invoice ${waits} is taxed by QuickBooks' Automated Sales Tax, so its QBO total is known only once it is in QuickBooks; the payment is sent on the next sync, checked against that total.`,
      });
    }
  }
}
