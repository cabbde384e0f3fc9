/**
 * Credit notes applied to their invoices. In QBO an application is a Payment of 0.00 with two lines,
 * one linking the invoice and one the credit memo, written after the credit note (payments-export
 * group) so it can refer to it. Planned for a new credit note whose invoice is known, and again for a
 * credit note synced before whose application never landed. An application never applies more than
 * the invoice has left after this sync's payments.
 */
import { toCents } from '../../qbo/money.js';
import type { Invoice, Payment } from '../../practice/schemas.js';
import type { Db } from '../../store/db.js';
import { amount, issue, makeRow, marker, payloadHash, rowKey } from './context.js';
import { creditedInvoice, dateOf, type DocItem } from './documents.js';
import type { SkipLookup } from './imports.js';
import type { InvoiceRefOf } from './invoice-refs.js';
import { linksByKey, type Link } from '../links.js';
import { refValue } from './mapping/refs.js';
import type { DocumentDraft } from './mapping/sales.js';
import type { QboSnapshot } from './qbo-snapshot.js';
import type { PlanRow } from './types.js';

/** A planned application: what it applies, to which invoice. `openCents`: what the invoice still owes in QBO, when it was synced before. */
export interface Application {
  invoiceNumber: string;
  creditKey: string;
  totalCents: number;
  openCents?: number;
}

export interface PlannedApplication {
  row: PlanRow;
  application: Application;
}

/** The one 0.00 Payment that applies a credit note to its invoice. */
function applicationRow(a: {
  credit: DocItem;
  invoiceNumber: string;
  customerRef: unknown;
  invoiceTxnId: string;
  creditTxnId: string;
  cents: number;
  dependsOn: string[];
}): PlanRow {
  const cnKey = a.credit.doc.stored.key;
  const date = dateOf(a.credit);
  return makeRow({
    group: 'payments-export',
    kind: 'credit-application',
    id: cnKey,
    label: `${a.credit.label} applied to invoice ${a.invoiceNumber}`,
    version: a.credit.doc.stored.version,
    date,
    action: 'create',
    entity: 'Payment',
    payload: {
      CustomerRef: a.customerRef,
      TxnDate: date,
      TotalAmt: 0,
      Line: [
        { Amount: amount(a.cents), LinkedTxn: [{ TxnId: a.invoiceTxnId, TxnType: 'Invoice' }] },
        { Amount: amount(a.cents), LinkedTxn: [{ TxnId: a.creditTxnId, TxnType: 'CreditMemo' }] },
      ],
      PrivateNote: `Credit note ${cnKey} applied to invoice ${a.invoiceNumber}\n${marker('credit-application', cnKey)}`,
    },
    dependsOn: a.dependsOn,
    practiceTotalCents: 0,
    qboTotalCents: 0,
  });
}

/** A new credit note applied to its original invoice; only when the invoice and the customer are known. */
export function newApplication(credit: DocItem, draft: DocumentDraft, invoiceRef: InvoiceRefOf): PlannedApplication | undefined {
  const n = creditedInvoice(credit);
  if (!n || !draft.payload['CustomerRef']) return undefined;
  const ref = invoiceRef(n);
  if (ref.kind !== 'ok') return undefined;
  const deps: string[] = [];
  const customerRow = draft.dependsOn.find((k) => k.startsWith('customers:'));
  const customer = refValue({ value: (draft.payload['CustomerRef'] as { value: string }).value, ...(customerRow ? { rowKey: customerRow } : {}) }, deps);
  const creditKey = rowKey('credit-notes', credit.doc.stored.key);
  const creditRef = refValue({ value: `@row:${creditKey}`, rowKey: creditKey }, deps);
  const invoice = refValue(ref.ref, deps);
  // What QBO will hold for the credit: the practice's total, except in a US company whose sales tax
  // code charges another tax than the practice (mapping/tax.ts usSalesTax). Under Automated Sales Tax
  // only QBO knows it: the credit is applied on the next sync, from QBO's figure (unappliedCredits),
  // never at a guessed amount that could over-apply it.
  if (draft.qboTotalCents === null) return undefined;
  const cents = draft.qboTotalCents;
  return {
    row: applicationRow({ credit, invoiceNumber: n, customerRef: customer, invoiceTxnId: invoice.value, creditTxnId: creditRef.value, cents, dependsOn: deps }),
    application: { invoiceNumber: n, creditKey, totalCents: cents },
  };
}

/**
 * Credit notes in QBO whose application never landed. An interrupted or partly failed sync can write a
 * credit note and not its 0.00 payment (that group comes later, or the invoice failed that run); the
 * credit note is then linked and never planned as new again. Apply it now when QBO shows it untouched
 * and its invoice still open (found by the chaos soak). A credit a person applied in QBO, even in
 * part, is left alone.
 */
export async function unappliedCredits(
  db: Db,
  realmId: string,
  snap: QboSnapshot,
  items: DocItem[],
  skipOf: SkipLookup,
  invoiceRef: InvoiceRefOf,
  rows: readonly PlanRow[],
): Promise<PlannedApplication[]> {
  const synced = items.filter(
    (i) =>
      i.kind === 'credit-note' &&
      i.status === 'synced' &&
      i.link &&
      creditedInvoice(i) &&
      !skipOf('credit-note', i.doc.stored.key) &&
      !skipOf('credit-application', i.doc.stored.key),
  );
  const appliedLinks = synced.length
    ? await linksByKey(
        db,
        realmId,
        'credit-application',
        synced.map((i) => i.doc.stored.key),
      )
    : new Map<string, Link>();
  // What earlier syncs paid on each invoice: a credit whose invoice was settled that way was left
  // unapplied on purpose (see limitApplications), and needs no look at QBO.
  const paidBefore = new Map<string, number>();
  for (const i of items) {
    if (i.kind !== 'payment' || i.status !== 'synced') continue;
    for (const a of (i.doc.stored.record as Payment).allocations) paidBefore.set(a.invoiceNumber, (paidBefore.get(a.invoiceNumber) ?? 0) + a.amountCents);
  }
  const planInvoices = new Map(items.filter((i) => i.kind === 'invoice').map((i) => [i.doc.stored.key, i]));
  const settled = (n: string) => {
    const total = (planInvoices.get(n)?.doc.stored.record as Invoice | undefined)?.totalCents;
    return total !== undefined && total - (paidBefore.get(n) ?? 0) <= 0;
  };
  const open = synced.filter((i) => !appliedLinks.has(i.doc.stored.key) && !settled(creditedInvoice(i)!));
  if (!open.length) return [];
  const invLinks = await linksByKey(
    db,
    realmId,
    'invoice',
    open.map((i) => creditedInvoice(i)!),
  );
  const credits = new Map(
    (
      await snap.byIn(
        'CreditMemo',
        'Id',
        open.map((i) => i.link!.qbo_id),
      )
    ).map((r) => [r.Id, r]),
  );
  const invoices = new Map((await snap.byIn('Invoice', 'Id', [...new Set([...invLinks.values()].map((l) => l.qbo_id))])).map((r) => [r.Id, r]));
  const out: PlannedApplication[] = [];
  for (const it of open) {
    const n = creditedInvoice(it)!;
    const credit = credits.get(it.link!.qbo_id);
    const invLink = invLinks.get(n);
    const invoice = invLink && invLink.state !== 'voided' ? invoices.get(invLink.qbo_id) : undefined;
    // The invoice not in QBO yet but written by this very plan (its earlier write failed while the
    // credit note's went through): the credit is applied after it, in the same sync (found by the
    // chaos soak: a sync succeeded with the credit still unapplied, and only the next one applied it).
    // Only when the preview knows what QBO will total the invoice at (not under Automated Sales Tax).
    const planned = !invLink ? invoiceRef(n) : undefined;
    const plannedRow =
      planned?.kind === 'ok' && planned.ref.rowKey && rows.some((r) => r.key === planned.ref.rowKey && r.action === 'create' && !r.skipped && r.qboTotalCents !== null)
        ? planned.ref
        : undefined;
    if (!credit || credit['status'] === 'Deleted' || (!invoice && !plannedRow) || invoice?.['status'] === 'Deleted') continue;
    const creditTotal = toCents(Number(credit['TotalAmt'] ?? 0));
    const creditLeft = toCents(Number(credit['Balance'] ?? 0));
    // A planned invoice owes its predicted total, less this plan's payments (capped in limitApplications).
    const invoiceLeft = invoice ? toCents(Number(invoice['Balance'] ?? 0)) : undefined;
    if (creditTotal <= 0 || creditLeft !== creditTotal || (invoiceLeft !== undefined && invoiceLeft <= 0)) continue;
    const deps: string[] = [];
    const invoiceId = invoice ? invoice.Id : refValue(plannedRow!, deps).value;
    out.push({
      row: applicationRow({
        credit: it,
        invoiceNumber: n,
        customerRef: credit['CustomerRef'],
        invoiceTxnId: invoiceId,
        creditTxnId: credit.Id,
        cents: creditTotal,
        dependsOn: deps,
      }),
      application: {
        invoiceNumber: n,
        creditKey: rowKey('credit-notes', it.doc.stored.key),
        totalCents: creditTotal,
        ...(invoiceLeft !== undefined ? { openCents: invoiceLeft } : {}),
      },
    });
  }
  return out;
}

/**
 * Credits never apply more than an invoice has left after this sync's payments (`paid`, by invoice
 * number; imports of this plan are added here). An application with nothing left to apply is dropped
 * and its credit note warned about; one with less is cut down to what is left. Returns the rows kept.
 */
export function limitApplications(
  rows: PlanRow[],
  applications: Map<string, Application>,
  paid: Map<string, number>,
  invoiceTotal: (invoiceNumber: string) => number | undefined,
): PlanRow[] {
  const paidByInvoice = new Map(paid);
  const add = (n: string, cents: number) => paidByInvoice.set(n, (paidByInvoice.get(n) ?? 0) + cents);
  for (const r of rows) if (r.action === 'import' && r.payload) for (const a of (r.payload as unknown as Payment).allocations) add(a.invoiceNumber, a.amountCents);
  const dropped = new Set<string>();
  for (const r of rows) {
    const a = applications.get(r.key);
    const total = a ? (a.openCents ?? invoiceTotal(a.invoiceNumber)) : undefined;
    if (!a || total === undefined || r.skipped) continue;
    const left = total - (paidByInvoice.get(a.invoiceNumber) ?? 0);
    const applied = Math.min(a.totalCents, left);
    const credit = rows.find((x) => x.key === a.creditKey);
    if (applied <= 0) {
      dropped.add(r.key);
      credit?.issues.push(issue('credit-note.not-applied', 'warning', { record: credit.record.label, value: a.invoiceNumber, field: 'invoiceNumber' }, 'invoiceNumber'));
      continue;
    }
    add(a.invoiceNumber, applied);
    if (applied < a.totalCents) {
      r.payload = { ...r.payload!, Line: (r.payload!['Line'] as Array<Record<string, unknown>>).map((l) => ({ ...l, Amount: amount(applied) })) };
      r.payloadHash = payloadHash(r.payload);
      credit?.issues.push(
        issue(
          'credit-note.partly-applied',
          'warning',
          { record: credit.record.label, value: a.invoiceNumber, field: 'invoiceNumber', detail: `${amount(applied).toFixed(2)} of ${amount(a.totalCents).toFixed(2)}` },
          'invoiceNumber',
        ),
      );
    }
  }
  return rows.filter((r) => !dropped.has(r.key));
}
