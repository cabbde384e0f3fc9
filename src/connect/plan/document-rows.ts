/**
 * Step 3 of the preview: a row for each document — sales (invoices, credit notes), payments and
 * purchases (bills, staff expenses) mapped to their QBO payloads — with the checks on both sides:
 * skipped, changed in QBO since its sync, a void QBO would refuse, a closed period, a number taken in
 * QBO (adopted when equal), an update sent field by field. A new credit note brings its application.
 */
import { toCents } from '../../qbo/money.js';
import type { ExportDocument } from '../../practice/store.js';
import { kindFacts, type QboDocumentEntity } from '../kinds.js';
import { amount, issue, makeRow, QBO_DOC_NUMBER_LIMIT, rowKey, type MapContext } from './context.js';
import { newApplication, type Application } from './credit-applications.js';
import { creditedInvoice, dateOf, totalOf, type DocItem } from './documents.js';
import type { SkipLookup } from './imports.js';
import type { InvoiceRefOf } from './invoice-refs.js';
import type { Link } from '../links.js';
import { paymentDraft } from './mapping/payments.js';
import { purchaseDraft, purchasesNotOfferedForUs } from './mapping/purchases.js';
import { salesDraft, type DocumentDraft } from './mapping/sales.js';
import type { NameRefs } from './name-refs.js';
import { linkedElsewhere, linkedRecordName } from './name-rows.js';
import type { QboView } from './qbo-check.js';
import type { QboRow } from './qbo-snapshot.js';
import { adoptedFields } from './sent-fields.js';
import type { Issue, PlanRow } from './types.js';
import { baseOf, updateRow } from './updates.js';

export interface DocumentRows {
  rows: PlanRow[];
  /** The credit applications planned, by row key. */
  applications: Map<string, Application>;
  /** What this sync's payments pay on each invoice, by invoice number. */
  paid: Map<string, number>;
}

export function documentRows(ctx: MapContext, items: DocItem[], view: QboView, names: NameRefs, invoiceRef: InvoiceRefOf, skipOf: SkipLookup): DocumentRows {
  const out: DocumentRows = { rows: [], applications: new Map(), paid: new Map() };
  for (const it of items) {
    const r = documentRow(ctx, it, view, names, invoiceRef, skipOf);
    if (r?.row) out.rows.push(r.row);
    for (const p of r?.paid ?? []) out.paid.set(p.invoiceNumber, (out.paid.get(p.invoiceNumber) ?? 0) + p.amountCents);
    if (r?.application) {
      out.rows.push(r.application.row);
      out.applications.set(r.application.row.key, r.application.application);
    }
  }
  return out;
}

type Drafted = { row?: PlanRow | undefined; paid?: Array<{ invoiceNumber: string; amountCents: number }>; application?: ReturnType<typeof newApplication> };

/** One document's row (and its credit application); undefined when it is synced and unchanged on both sides. */
function documentRow(ctx: MapContext, it: DocItem, view: QboView, names: NameRefs, invoiceRef: InvoiceRefOf, skipOf: SkipLookup): Drafted | undefined {
  const { settings, lists } = ctx;
  const { kind, doc, link } = it;
  const stored = doc.stored;
  const { group, entity } = kindFacts[kind];
  const date = dateOf(it);
  const bookClose = lists.bookCloseDate;
  const base = { group, kind, id: stored.key, label: it.label, version: stored.version, date, entity };
  const skipped = skipOf(kind, stored.key);
  if (skipped) {
    const row = makeRow({
      ...base,
      action: it.status === 'new' ? 'create' : it.status === 'synced' ? 'none' : it.status,
      qboId: link?.qbo_id,
      practiceTotalCents: totalOf(kind, stored.record),
    });
    row.skipped = { by: skipped.skippedBy, at: skipped.skippedAt, ...(skipped.reasonCode ? { reason: skipped.reasonCode } : {}) };
    return { row };
  }
  const qboNow = link ? view.current.get(`${entity}:${link.qbo_id}`) : undefined;
  const issues: Issue[] = [...(it.notes ?? [])];

  if (it.status === 'synced') {
    // Already in QBO and unchanged here; shown only when QBO changed it since (never overwritten).
    const change = qboNow ? qboSideChange(qboNow, link!) : null;
    if (!change) return undefined;
    issues.push(issue(change === 'deleted' ? `${kind}.deleted-in-qbo` : `${kind}.changed-in-qbo`, 'warning', { record: it.label, detail: change }));
    return { row: makeRow({ ...base, action: 'none', qboId: link!.qbo_id, syncToken: qboNow!.SyncToken, practiceTotalCents: totalOf(kind, stored.record), issues }) };
  }

  if (it.status === 'void' && kind === 'credit-note') return cancelledCreditNote(it.label, base, link!, qboNow);
  if (it.status === 'void') {
    if (bookClose && date <= bookClose) issues.push(issue(`${kind}.closed-period`, 'error', { record: it.label, value: date, limit: bookClose }, 'date'));
    if (qboNow?.['status'] === 'Deleted') issues.push(issue(`${kind}.deleted-in-qbo`, 'warning', { record: it.label }));
    const syncToken = qboNow?.SyncToken ?? link!.sync_token;
    const deleted = qboNow?.['status'] === 'Deleted';
    const applied = kind === 'invoice' && qboNow && !deleted ? view.paymentsOnVoided.get(qboNow.Id) : undefined;
    if (applied) issues.push(issue('invoice.void-has-payments', 'error', { record: it.label, detail: applied }));
    return {
      row: makeRow({
        ...base,
        action: deleted ? 'none' : 'void',
        qboId: link!.qbo_id,
        syncToken,
        payload: deleted ? null : { Id: link!.qbo_id, SyncToken: syncToken },
        practiceTotalCents: 0,
        qboTotalCents: 0,
        issues,
      }),
    };
  }

  // US companies: bills and staff expenses are listed as not sent, with the reason (purchases.ts).
  if ((kind === 'bill' || kind === 'staff-expense') && purchasesNotOfferedForUs(ctx)) {
    issues.push(issue(`${kind}.not-for-us`, 'warning', { record: it.label }));
    return { row: makeRow({ ...base, action: 'none', qboId: link?.qbo_id, practiceTotalCents: totalOf(kind, stored.record), issues }) };
  }

  // Amounts go as they are: in another currency than the company's they would be booked wrongly.
  const currency = settings.general.practiceCurrency;
  if (lists.homeCurrency && lists.homeCurrency.toUpperCase() !== currency.toUpperCase()) {
    issues.push(issue('company.currency-differs', 'error', { record: it.label, value: currency, limit: lists.homeCurrency }, 'general.practiceCurrency'));
  }
  const total = totalOf(kind, stored.record);
  if (total === 0 && it.status === 'new') {
    issues.push(
      issue(`${kind}.zero-value`, 'warning', { record: it.label, field: kind === 'payment' ? 'amountCents' : 'totalCents' }, kind === 'payment' ? 'amountCents' : 'totalCents'),
    );
    return { row: makeRow({ ...base, action: 'none', practiceTotalCents: 0, qboTotalCents: 0, issues }) };
  }

  const refs = names.forDocument(it.label, rowKey(group, stored.key));
  let draft: DocumentDraft;
  let paid: Drafted['paid'];
  if (kind === 'invoice' || kind === 'credit-note') draft = salesDraft(kind, doc as ExportDocument<'invoice'>, ctx, refs, it.label);
  else if (kind === 'bill' || kind === 'staff-expense') draft = purchaseDraft(kind, doc as ExportDocument<'bill'>, ctx, refs, it.label);
  else ({ paid, ...draft } = paymentDraft(doc as ExportDocument<'payment'>, ctx, refs, invoiceRef, it.label));
  issues.push(...draft.issues);
  return { ...draftedRow(ctx, it, view, invoiceRef, draft, issues, qboNow), ...(paid ? { paid } : {}) };
}

/** A drafted document's row, checked: an update, an adoption, or a create (with its credit application). */
function draftedRow(ctx: MapContext, it: DocItem, view: QboView, invoiceRef: InvoiceRefOf, draft: DocumentDraft, issues: Issue[], qboNow: QboRow | undefined): Drafted {
  const { settings, lists } = ctx;
  const { kind, link } = it;
  const stored = it.doc.stored;
  const { group, entity } = kindFacts[kind];
  const date = dateOf(it);
  const bookClose = lists.bookCloseDate;
  const base = { group, kind, id: stored.key, label: it.label, version: stored.version, date, entity };
  if (stored.key.length > QBO_DOC_NUMBER_LIMIT)
    issues.push(issue(`${kind}.number-too-long`, 'error', { record: it.label, value: stored.key, field: 'number', limit: QBO_DOC_NUMBER_LIMIT }, 'number'));
  if (bookClose && date <= bookClose) issues.push(issue(`${kind}.closed-period`, 'error', { record: it.label, value: date, limit: bookClose }, 'date'));
  if (kind === 'credit-note' && it.status === 'new') {
    const n = creditedInvoice(it);
    // The original invoice must be in QBO (linked or found) or go in this sync; otherwise QBO cannot
    // know which invoice the credit reduces. Only an error when the credit is to be applied to it.
    const ref = n ? invoiceRef(n) : undefined;
    if (n && ref && ref.kind !== 'ok') {
      const why =
        ref.kind === 'skipped'
          ? 'it is skipped'
          : ref.kind === 'before-window'
            ? `it is dated ${ref.date}, before the export-from date ${settings.general.exportFrom.invoices}`
            : 'it is not in the practice ledger';
      issues.push(
        issue(
          'credit-note.invoice-unknown',
          settings.invoices.applyCreditToInvoice ? 'error' : 'warning',
          { record: it.label, value: n, field: 'invoiceNumber', detail: why },
          'invoiceNumber',
        ),
      );
    }
  }

  if (it.status === 'update') {
    if (!qboNow || qboNow['status'] === 'Deleted') {
      issues.push(issue(`${kind}.deleted-in-qbo`, 'error', { record: it.label }));
      return {
        row: makeRow({
          ...base,
          action: 'update',
          qboId: link!.qbo_id,
          syncToken: link!.sync_token,
          dependsOn: draft.dependsOn,
          practiceTotalCents: draft.practiceTotalCents,
          qboTotalCents: draft.qboTotalCents,
          issues,
        }),
      };
    }
    // Only the fields the practice changed since the last sync go; a field QBO changed too holds it.
    return {
      row: updateRow({ ...base, version: stored.version, link: link!, draft, qboNow, base: baseOf(view.bases, link!), issues, divergedCode: `${kind}.diverged` }) ?? undefined,
    };
  }

  // New: is the number in QBO already? Same content → adopt it; different → a person decides.
  const existing = view.byNumber[entity as QboDocumentEntity].get(stored.key.toLowerCase());
  const taken = existing ? linkedElsewhere((e, id) => view.docLinks.get(`${e}:${id}`), entity, existing.Id, kind, stored.key) : null;
  if (existing && taken) {
    issues.push(
      issue(
        'qbo.linked-to-another',
        'error',
        { record: it.label, value: stored.key, detail: `${entity} ${existing.Id}`, field: 'number', limit: linkedRecordName(taken) },
        'number',
      ),
    );
  } else if (existing) {
    const qboTotal = typeof existing['TotalAmt'] === 'number' ? toCents(existing['TotalAmt']) : null;
    const sameDate = existing['TxnDate'] === date;
    // Automated Sales Tax (draft total null): only QBO knows the tax, so the amounts before tax are compared.
    const qboTax = toCents(Number((existing['TxnTaxDetail'] as { TotalTax?: unknown } | undefined)?.TotalTax ?? 0));
    const qboNet = qboTotal === null ? null : qboTotal - qboTax;
    const ourNet = draft.qboTotalCents === null ? netCentsOf(draft.payload) : null;
    const sameTotal = draft.qboTotalCents === null ? qboNet === ourNet : qboTotal === draft.qboTotalCents;
    if (sameTotal && sameDate && existing['status'] !== 'Deleted') {
      const adopted = makeRow({
        ...base,
        action: 'adopt',
        qboId: existing.Id,
        syncToken: existing.SyncToken,
        practiceTotalCents: draft.practiceTotalCents,
        qboTotalCents: qboTotal,
        issues,
      });
      adopted.fields = adoptedFields(entity, draft.payload, existing);
      return { row: adopted };
    }
    const totalDiff =
      draft.qboTotalCents === null
        ? `QBO amount before tax ${qboNet === null ? '?' : amount(qboNet).toFixed(2)}, here ${amount(ourNet ?? 0).toFixed(2)}`
        : `QBO total ${qboTotal === null ? '?' : amount(qboTotal).toFixed(2)}, here ${amount(draft.qboTotalCents).toFixed(2)}`;
    const diff = [sameTotal ? null : totalDiff, sameDate ? null : `QBO date ${String(existing['TxnDate'])}, here ${date}`].filter(Boolean).join('; ');
    issues.push(issue(`${kind}.number-in-qbo-differs`, 'error', { record: it.label, value: stored.key, field: 'number', detail: diff || 'it was voided or deleted' }, 'number'));
  }
  const row = makeRow({
    ...base,
    action: 'create',
    payload: draft.payload,
    dependsOn: draft.dependsOn,
    practiceTotalCents: draft.practiceTotalCents,
    qboTotalCents: draft.qboTotalCents,
    issues,
  });
  if (view.undoneNumbers.has(`${entity}:${stored.key.toLowerCase()}`)) row.allowDuplicateNumber = true;
  const application = kind === 'credit-note' && settings.invoices.applyCreditToInvoice ? newApplication(it, draft, invoiceRef) : undefined;
  return { row, ...(application ? { application } : {}) };
}

/** The amount before tax of a sales payload: its item lines. */
function netCentsOf(payload: Record<string, unknown>): number {
  const lines = (payload['Line'] as Array<{ DetailType?: string; Amount?: unknown }> | undefined) ?? [];
  return lines.reduce((n, l) => n + (l.DetailType === 'SalesItemLineDetail' && typeof l.Amount === 'number' ? toCents(l.Amount) : 0), 0);
}

/** How QBO's copy differs from what we last wrote; null when only bookkeeping moved (a payment applied bumps the SyncToken). */
function qboSideChange(row: QboRow, link: Link): string | null {
  if (row['status'] === 'Deleted') return 'deleted';
  const total = typeof row['TotalAmt'] === 'number' ? toCents(row['TotalAmt']) : null;
  const was = link.qbo_total_cents === null ? null : Number(link.qbo_total_cents);
  if (typeof row['PrivateNote'] === 'string' && /voided/i.test(row['PrivateNote']) && total === 0 && was !== 0) return 'voided in QBO';
  if (total !== null && was !== null && total !== was) return `QBO total now ${amount(total).toFixed(2)}, ${amount(was).toFixed(2)} when synced`;
  return null;
}

/**
 * A credit note cancelled in the practice after it was synced. QBO's API cannot void a credit memo:
 * Intuit's SDK maintainer, "The Operation Void for CreditMemo is not supported for Quickbooks Online"
 * (https://github.com/intuit/QuickBooks-V3-PHP-SDK/issues/133); qbo_api's voidable list is BillPayment,
 * Invoice, Payment, SalesReceipt; the CreditMemo reference offers create, read, update, delete, query.
 * Deleting it instead would erase a posted document (and QBO refuses while a payment applies it), so
 * the sync never does that on its own (the undo deletes one, on explicit request only): the row is
 * held with a warning saying what to do in QuickBooks, and nothing is sent. Once QBO's credit memo is
 * deleted or at zero, QBO agrees with the cancellation and there is nothing left to show.
 */
function cancelledCreditNote(label: string, base: Omit<Parameters<typeof makeRow>[0], 'action'>, link: Link, qboNow: QboRow | undefined): { row: PlanRow } | undefined {
  // Not found: qbo-check.ts reads every linked document about to be voided by Id, so QBO no longer has it.
  if (!qboNow || qboNow['status'] === 'Deleted') return undefined;
  const total = typeof qboNow['TotalAmt'] === 'number' ? toCents(qboNow['TotalAmt'] as number, 'half-up') : null;
  if (total === 0) return undefined;
  const remaining = typeof qboNow['Balance'] === 'number' ? toCents(qboNow['Balance'] as number, 'half-up') : null;
  const applied = total !== null && remaining !== null && remaining < total;
  const issues = [
    issue('credit-note.cannot-void', 'warning', {
      record: label,
      value: link.qbo_id,
      ...(total !== null ? { limit: total } : {}),
      ...(applied ? { detail: `$${amount(total - remaining!).toFixed(2)}` } : {}),
    }),
  ];
  return {
    row: makeRow({
      ...base,
      action: 'none',
      qboId: link.qbo_id,
      syncToken: qboNow.SyncToken ?? link.sync_token,
      practiceTotalCents: 0,
      ...(total !== null ? { qboTotalCents: total } : {}),
      issues,
    }),
  };
}
