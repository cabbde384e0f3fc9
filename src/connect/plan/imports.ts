/**
 * Payments received in QBO, to import into the practice (the default direction): each QBO Payment not
 * yet linked, applied to invoices the practice knows through links, becomes a practice payment; one
 * imported before and voided or deleted in QBO since cancels its practice payment.
 */
import type { Invoice, Payment } from '../../practice/schemas.js';
import { getRecordsByKeys } from '../../practice/store.js';
import { toCents } from '../../qbo/money.js';
import { QueryBuilder } from '../../qbo/query.js';
import type { Db } from '../../store/db.js';
import type { Settings } from '../settings/model.js';
import { issue, makeRow, type PracticeLists } from './context.js';
import { linksByKey, linksByQboId, linksOfKinds } from '../links.js';
import { practiceOfRealm } from '../realm.js';
import type { QboRow, QboSnapshot } from './qbo-snapshot.js';
import type { Issue, PlanRow } from './types.js';

export type SkipLookup = (kind: string, id: string) => { skippedBy: string; skippedAt: string; reasonCode: string | null } | undefined;

export async function importRows(db: Db, realmId: string, snap: QboSnapshot, from: string, practice: PracticeLists, settings: Settings, skipOf: SkipLookup): Promise<PlanRow[]> {
  const payments = await snap.all(QueryBuilder.from('Payment').where('TxnDate', '>=', from).orderBy('Id'));
  const gone = await cancelledRows(db, realmId, snap, payments, skipOf);
  if (payments.length === 0) return gone;
  const ids = payments.map((p) => p.Id);
  const ours = await linksByQboId(db, realmId, 'Payment', ids);
  // A voided payment moves no money and is never one to import: QBO keeps it with TotalAmt 0 and
  // "Voided" in its PrivateNote (docs/qbo-api.md §void), whether a person or our undo voided it (an
  // undo removes the link, so it is unlinked; undone_records remembers it).
  const undone = await db.selectFrom('undone_records').select('qbo_id').where('realm_id', '=', realmId).where('qbo_entity', '=', 'Payment').execute();
  const undoneIds = new Set(undone.map((u) => u.qbo_id));
  const unlinked = payments.filter((p) => !ours.has(p.Id) && !undoneIds.has(p.Id) && !isVoided(p));
  // A payment of 0.00 moves no money: in QBO it applies a credit memo to an invoice (ours, or a
  // person's). Ours are adopted when their link was lost (a restored backup); none is ever a practice payment.
  const zero = unlinked.filter((p) => totalCents(p) === 0);
  const fresh = unlinked.filter((p) => totalCents(p) !== 0);
  const zeroRows = await creditApplicationRows(db, realmId, snap, zero, skipOf);
  const invoiceIds = fresh.flatMap((p) => linkedInvoices(p).map((l) => l.id));
  const invLinks = await linksByQboId(db, realmId, 'Invoice', invoiceIds);
  const invoices = await getRecordsByKeys(
    db,
    await practiceOfRealm(db, realmId),
    'invoice',
    [...invLinks.values()].map((l) => l.record_key),
  );
  const methodToType = new Map(Object.entries(settings.payments.methodByPaymentType).map(([code, id]) => [id, code]));
  const defaultType = [...practice.paymentTypes.keys()].sort()[0];
  const rows = fresh.map((p) => {
    const id = `qbo:${p.Id}`;
    const customer = (p['CustomerRef'] as { name?: string } | undefined)?.name;
    const label = `QBO payment ${p.Id}${customer ? ` (${customer})` : ''}`;
    const base = { group: 'payments-import' as const, kind: 'qbo-payment', id, label, date: String(p['TxnDate'] ?? ''), entity: 'Payment', qboId: p.Id, syncToken: p.SyncToken };
    const total = totalCents(p);
    const skipped = skipOf('qbo-payment', id);
    if (skipped) {
      const row = makeRow({ ...base, action: 'import', practiceTotalCents: total, qboTotalCents: total });
      row.skipped = { by: skipped.skippedBy, at: skipped.skippedAt, ...(skipped.reasonCode ? { reason: skipped.reasonCode } : {}) };
      return row;
    }
    const issues: Issue[] = [];
    const allocations: Payment['allocations'] = [];
    let contactCode: string | undefined;
    for (const l of linkedInvoices(p)) {
      const link = invLinks.get(l.id);
      const inv = link ? invoices.get(link.record_key) : undefined;
      if (!inv) {
        issues.push(issue('payment-import.invoice-unknown', 'warning', { record: label, detail: `QBO invoice ${l.id}` }));
        continue;
      }
      contactCode ??= (inv.record as Invoice).contactCode;
      allocations.push({ invoiceNumber: inv.key, amountCents: l.cents });
    }
    if (issues.length || allocations.length === 0 || !contactCode) return makeRow({ ...base, action: 'none', practiceTotalCents: null, qboTotalCents: total, issues });
    const method = (p['PaymentMethodRef'] as { value?: string } | undefined)?.value;
    const paymentTypeCode = (method && methodToType.get(method)) ?? defaultType;
    if (!paymentTypeCode) {
      issues.push(issue('payment-import.no-payment-type', 'error', { record: label }));
      return makeRow({ ...base, action: 'none', qboTotalCents: total, issues });
    }
    const record: Payment = {
      number: `QBO-${p.Id}`,
      date: String(p['TxnDate']),
      contactCode,
      paymentTypeCode,
      reference: typeof p['PaymentRefNum'] === 'string' ? p['PaymentRefNum'] : null,
      amountCents: total,
      allocations,
    };
    // For an import the payload is the practice payment to record (the practice side is written).
    return makeRow({ ...base, action: 'import', payload: record as unknown as Record<string, unknown>, practiceTotalCents: total, qboTotalCents: total, issues });
  });
  return [...rows, ...zeroRows, ...gone];
}

const isVoided = (p: QboRow) => totalCents(p) === 0 && typeof p['PrivateNote'] === 'string' && /\bVoided\b/.test(p['PrivateNote']);

const totalCents = (p: QboRow) => (typeof p['TotalAmt'] === 'number' ? toCents(p['TotalAmt']) : 0);

const APPLICATION_MARKER = /^qbo-connect:credit-application:(\S+)$/m;

/**
 * QBO payments of 0.00 not linked to anything here. One that is our credit application — its
 * PrivateNote carries our marker for credit note K, it links an invoice and the credit memo that is
 * K in QBO (linked to K, or numbered K), and no other payment holds K's application — is adopted:
 * linked as K's application, nothing sent. Its link is lost when a backup from before the sync that
 * wrote it is restored (or any link is lost); without adoption it was imported as a practice payment
 * of 0.00, which the practice refuses, on every sync. Any other (a credit a person applied in QBO, a
 * voided payment) is shown as not imported, with the reason.
 */
async function creditApplicationRows(db: Db, realmId: string, snap: QboSnapshot, zero: QboRow[], skipOf: SkipLookup): Promise<PlanRow[]> {
  if (!zero.length) return [];
  const linked = (p: QboRow, type: string) => linkedTxns(p).filter((t) => t.TxnType === type);
  const keyOf = (p: QboRow) => (typeof p['PrivateNote'] === 'string' ? APPLICATION_MARKER.exec(p['PrivateNote'])?.[1] : undefined);
  const keys = zero.map(keyOf).filter((k): k is string => k !== undefined);
  const creditLinks = await linksByKey(db, realmId, 'credit-note', keys);
  const applicationLinks = await linksByKey(db, realmId, 'credit-application', keys);
  const credits = await getRecordsByKeys(db, await practiceOfRealm(db, realmId), 'credit-note', keys);
  const memos = new Map(
    (
      await snap.byIn(
        'CreditMemo',
        'Id',
        zero.flatMap((p) => linked(p, 'CreditMemo').map((t) => t.TxnId)),
      )
    ).map((m) => [m.Id, m]),
  );
  const claimed = new Set<string>();
  return zero.map((p) => {
    const customer = (p['CustomerRef'] as { name?: string } | undefined)?.name;
    const label = `QBO payment ${p.Id}${customer ? ` (${customer})` : ''}`;
    const key = keyOf(p);
    const memoIds = linked(p, 'CreditMemo').map((t) => t.TxnId);
    const memo = memoIds.length === 1 ? memos.get(memoIds[0]!) : undefined;
    const creditLink = key ? creditLinks.get(key) : undefined;
    const isK = key !== undefined && memo !== undefined && (creditLink ? creditLink.qbo_id === memo.Id : String(memo['DocNumber'] ?? '').toLowerCase() === key.toLowerCase());
    const ours =
      isK &&
      linked(p, 'Invoice').length === 1 &&
      credits.has(key) &&
      !applicationLinks.has(key) &&
      !claimed.has(key) &&
      !skipOf('credit-application', key) &&
      p['status'] !== 'Deleted';
    if (ours) {
      claimed.add(key);
      return makeRow({
        group: 'payments-export',
        kind: 'credit-application',
        id: key,
        label: `credit note ${key} applied (QBO payment ${p.Id})`,
        date: String(p['TxnDate'] ?? ''),
        action: 'adopt',
        entity: 'Payment',
        qboId: p.Id,
        syncToken: p.SyncToken,
        practiceTotalCents: 0,
        qboTotalCents: 0,
      });
    }
    return makeRow({
      group: 'payments-import',
      kind: 'qbo-payment',
      id: `qbo:${p.Id}`,
      label,
      date: String(p['TxnDate'] ?? ''),
      action: 'none',
      entity: 'Payment',
      qboId: p.Id,
      syncToken: p.SyncToken,
      practiceTotalCents: null,
      qboTotalCents: 0,
      issues: [
        issue('payment-import.zero-total', 'warning', {
          record: label,
          detail: memoIds.length ? `it applies QBO credit memo ${memoIds.join(', ')}` : 'it moves no money',
        }),
      ],
    });
  });
}

function linkedTxns(p: QboRow): Array<{ TxnId: string; TxnType: string }> {
  const lines = (p['Line'] as Array<{ LinkedTxn?: Array<{ TxnId: string; TxnType: string }> }> | undefined) ?? [];
  return lines.flatMap((l) => l.LinkedTxn ?? []);
}

/**
 * Payments imported before and voided or deleted in QBO since: an update row that cancels the
 * practice payment `QBO-<Id>` (found by the issue-19 attack: it stayed active and kept its invoice
 * paid). QBO's void keeps the Payment with TotalAmt 0 and a PrivateNote starting "Voided"
 * (docs/qbo-api.md §void; the emulator's void does the same); a deleted one no longer answers a query.
 * Those in the window were read already; the rest are read by Id (one IN query per 1,000).
 */
async function cancelledRows(db: Db, realmId: string, snap: QboSnapshot, inWindow: QboRow[], skipOf: SkipLookup): Promise<PlanRow[]> {
  const links = [...(await linksOfKinds(db, realmId, ['qbo-payment'])).values()].filter((l) => l.state === 'linked' && l.qbo_entity === 'Payment');
  if (!links.length) return [];
  const known = new Map(inWindow.map((p) => [p.Id, p]));
  for (const p of await snap.byIn(
    'Payment',
    'Id',
    links.map((l) => l.qbo_id).filter((id) => !known.has(id)),
  ))
    known.set(p.Id, p);
  const out: PlanRow[] = [];
  for (const l of links) {
    const p = known.get(l.qbo_id);
    const voided = p && p['TotalAmt'] === 0 && typeof p['PrivateNote'] === 'string' && /^voided/i.test(p['PrivateNote']);
    if (p && !voided) continue;
    const label = `QBO payment ${l.qbo_id}`;
    const base = { group: 'payments-import' as const, kind: 'qbo-payment', id: l.record_key, label, entity: 'Payment', qboId: l.qbo_id, syncToken: p?.SyncToken ?? l.sync_token };
    const row = makeRow({
      ...base,
      action: 'update',
      payload: { number: `QBO-${l.qbo_id}`, state: 'cancelled', reason: p ? 'voided' : 'deleted' },
      practiceTotalCents: 0,
      qboTotalCents: 0,
    });
    const skipped = skipOf('qbo-payment', l.record_key);
    if (skipped) row.skipped = { by: skipped.skippedBy, at: skipped.skippedAt, ...(skipped.reasonCode ? { reason: skipped.reasonCode } : {}) };
    out.push(row);
  }
  return out;
}

function linkedInvoices(p: QboRow): Array<{ id: string; cents: number }> {
  const lines = (p['Line'] as Array<{ Amount?: number; LinkedTxn?: Array<{ TxnId: string; TxnType: string }> }> | undefined) ?? [];
  return lines.flatMap((l) =>
    (l.LinkedTxn ?? []).filter((t) => t.TxnType === 'Invoice').map((t) => ({ id: t.TxnId, cents: typeof l.Amount === 'number' ? toCents(l.Amount) : 0 })),
  );
}
