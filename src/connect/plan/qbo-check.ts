/**
 * Step 2 of the preview: what QBO holds for the documents, asked in bulk (never one request per
 * record). The numbers of NEW documents (and of invoices that payments and credit notes name), what
 * changed in QBO since the last sync (CDC, or reads by Id when CDC cannot tell), the current copy of
 * every document about to be updated or voided, what we last sent, and the payments on invoices about
 * to be voided. Reads only.
 */
import type { Clock } from '../../context.js';
import { toCents } from '../../qbo/money.js';
import type { Invoice, Payment } from '../../practice/schemas.js';
import { getRecordsByKeys, type StoredRecord } from '../../practice/store.js';
import type { Db } from '../../store/db.js';
import { kindFacts, type QboDocumentEntity } from '../kinds.js';
import { amount, QBO_DOC_NUMBER_LIMIT, type MapContext } from './context.js';
import type { DocItem } from './documents.js';
import type { SkipLookup } from './imports.js';
import { lastLinkWrite, linksByKey, linksByQboId, type Link } from '../links.js';
import { practiceOfRealm } from '../realm.js';
import { purchasesNotOfferedForUs } from './mapping/purchases.js';
import type { QboRow, QboSnapshot } from './qbo-snapshot.js';
import { basesOf } from './updates.js';

/** What QBO and the links say about the documents of this plan. */
export interface QboView {
  /** QBO documents found by number (lower case), per entity; payments by PaymentRefNum. */
  byNumber: Record<QboDocumentEntity, Map<string, QboRow>>;
  /** Numbers (`Invoice:inv-1`, lower case) QBO holds a document under that an undo took back: sent again with the duplicate allowed. */
  undoneNumbers: Set<string>;
  /** Links that already hold a QBO document found by number (`Invoice:42`): never adopted twice. */
  docLinks: Map<string, Link>;
  /** QBO's current copy of linked records (`Invoice:42`), from CDC or read by Id. */
  current: Map<string, QboRow>;
  /** True when CDC could not tell what changed (too long since the last sync, or too many changes). */
  cdcBlind: boolean;
  /** What we last sent for each document about to be updated (the three-way comparison's base). */
  bases: Awaited<ReturnType<typeof basesOf>>;
  /** "Payment 12 $6,283.20" for each QBO invoice about to be voided that QBO holds payments against. */
  paymentsOnVoided: Map<string, string>;
  /** Links of the invoices payments and credit notes name, and those invoices in the practice. */
  invoiceLinks: Map<string, Link>;
  practiceInvoices: Map<string, StoredRecord<'invoice'>>;
  /** The invoices of this plan, by number. */
  planInvoices: Map<string, DocItem>;
}

/** CDC answers at most 30 days back; stay a day inside it. */
const CDC_WINDOW_MS = 29 * 86_400_000;

export async function checkQbo(
  deps: { db: Db; clock: Clock },
  ctx: MapContext,
  snap: QboSnapshot,
  items: DocItem[],
  nameLinks: Map<string, Link>,
  skipOf: SkipLookup,
): Promise<QboView> {
  const { db } = deps;
  const { realmId } = ctx;
  const entityOf = (i: DocItem) => kindFacts[i.kind].entity as QboDocumentEntity;

  // ---- document numbers of NEW documents (and invoices that payments and credits name) ----------
  const newNumbers = (kind: DocItem['kind']) =>
    items.filter((i) => i.kind === kind && i.status === 'new' && i.doc.stored.key.length <= QBO_DOC_NUMBER_LIMIT).map((i) => i.doc.stored.key);
  const planInvoices = new Map(items.filter((i) => i.kind === 'invoice').map((i) => [i.doc.stored.key, i]));
  const referencedInvoices = new Set<string>();
  for (const i of items) {
    if (i.status !== 'new') continue;
    if (i.kind === 'payment') for (const a of (i.doc.stored.record as Payment).allocations) referencedInvoices.add(a.invoiceNumber);
    if (i.kind === 'credit-note') {
      const n = (i.doc.stored.record as { invoiceNumber?: string | null }).invoiceNumber;
      if (n) referencedInvoices.add(n);
    }
  }
  const invoiceLinks = await linksByKey(db, realmId, 'invoice', referencedInvoices);
  const practiceInvoices = await getRecordsByKeys(db, await practiceOfRealm(db, realmId), 'invoice', referencedInvoices);
  const outside = [...referencedInvoices].filter((n) => !planInvoices.has(n) && !invoiceLinks.has(n) && n.length <= QBO_DOC_NUMBER_LIMIT);
  const byNumber = {
    Invoice: byDocNumber(await snap.byIn('Invoice', 'DocNumber', [...newNumbers('invoice'), ...outside])),
    CreditMemo: byDocNumber(await snap.byIn('CreditMemo', 'DocNumber', newNumbers('credit-note'))),
    Bill: byDocNumber(await snap.byIn('Bill', 'DocNumber', purchasesNotOfferedForUs(ctx) ? [] : [...newNumbers('bill'), ...newNumbers('staff-expense')])),
    Payment: byField(
      await paymentsByReference(
        snap,
        items.filter((i) => i.kind === 'payment' && i.status === 'new').map((i) => i.doc.stored.record as Payment),
      ),
      'PaymentRefNum',
    ),
  };

  // A document an undo took back (connect/undo) is not a candidate: QBO keeps a voided one under its
  // number, and the record is sent again as new, with QBO's duplicate-number check waived for it.
  const undone = await db.selectFrom('undone_records').select(['qbo_entity', 'qbo_id']).where('realm_id', '=', realmId).execute();
  const undoneIds = new Set(undone.map((u) => `${u.qbo_entity}:${u.qbo_id}`));
  const undoneNumbers = new Set<string>();
  for (const [entity, found] of Object.entries(byNumber) as Array<[string, Map<string, QboRow>]>) {
    for (const [n, r] of [...found]) {
      if (!undoneIds.has(`${entity}:${r.Id}`)) continue;
      found.delete(n);
      undoneNumbers.add(`${entity}:${n}`);
    }
  }

  // Documents found by number that another practice record holds already: never adopted twice.
  const docLinks = new Map<string, Link>();
  for (const [entity, found] of Object.entries(byNumber)) {
    for (const l of (
      await linksByQboId(
        db,
        realmId,
        entity,
        [...found.values()].map((r) => r.Id),
      )
    ).values())
      docLinks.set(`${entity}:${l.qbo_id}`, l);
  }

  // ---- what changed in QBO since the last sync, for the linked documents in the window ---------
  const linkedEntities = [...new Set(items.filter((i) => i.link).map(entityOf))];
  // Linked names and items are watched in the same request: one deleted or made inactive in QBO
  // would make every new document that refers to it fail.
  const nameEntities = [...new Set([...nameLinks.values()].map((l) => l.qbo_entity))].filter(
    (e): e is 'Customer' | 'Vendor' | 'Item' => e === 'Customer' || e === 'Vendor' || e === 'Item',
  );
  const current = new Map<string, QboRow>();
  let cdcBlind = false;
  if (linkedEntities.length || (nameEntities.length && items.some((i) => i.status !== 'synced'))) {
    const since = await lastLinkWrite(db, realmId);
    const now = deps.clock().getTime();
    if (since && now - Date.parse(since) < CDC_WINDOW_MS) {
      const r = await snap.cdc([...linkedEntities, ...nameEntities], new Date(Date.parse(since) - 60_000).toISOString());
      for (const [entity, rows] of Object.entries(r.changes)) for (const row of rows ?? []) current.set(`${entity}:${row.Id}`, row as QboRow);
      cdcBlind = r.truncated;
    } else {
      cdcBlind = true;
    }
    if (cdcBlind) {
      // Too long since the last sync (or too many changes) for CDC: read just the records about to be
      // written (updates and voids) by Id, so no write goes out with a stale view.
      for (const entity of linkedEntities) {
        const ids = items.filter((i) => i.link && entityOf(i) === entity && (i.status === 'update' || i.status === 'void')).map((i) => i.link!.qbo_id);
        for (const row of await snap.byIn(entity, 'Id', ids)) current.set(`${entity}:${row.Id}`, row);
      }
    }
  }

  // ---- the current copy of every document about to be updated, in bulk, and what we last sent ----
  // The three-way comparison needs QBO's values whether or not CDC saw a change (a link from before
  // migration 0010 takes them as its base), so those not in the CDC answer are read by Id.
  // Documents about to be voided are read too: an invoice QBO holds payments against is not voided.
  const updating = items.filter((i) => i.link && i.status === 'update');
  const voiding = items.filter((i) => i.link && i.status === 'void' && !skipOf(i.kind, i.doc.stored.key));
  for (const entity of linkedEntities) {
    const ids = [...updating, ...voiding].filter((i) => entityOf(i) === entity && !current.has(`${entity}:${i.link!.qbo_id}`)).map((i) => i.link!.qbo_id);
    for (const row of await snap.byIn(entity, 'Id', ids)) current.set(`${entity}:${row.Id}`, row);
  }
  const bases = await basesOf(
    db,
    realmId,
    updating.map((i) => i.link!),
  );
  const paymentsOnVoided = await paymentsApplied(snap, voiding, current);
  return { byNumber, undoneNumbers, docLinks, current, cdcBlind, bases, paymentsOnVoided, invoiceLinks, practiceInvoices, planInvoices };
}

/** An invoice's total as the practice holds it, whether in this plan or before the window. */
export function practiceInvoiceTotal(view: QboView, n: string): number | undefined {
  return ((view.planInvoices.get(n)?.doc.stored.record as Invoice | undefined) ?? view.practiceInvoices.get(n)?.record)?.totalCents;
}

/**
 * QBO's payments whose reference (PaymentRefNum) is one of the new payments' numbers. No Intuit
 * source marks PaymentRefNum filterable (qbo-api.md §4.2; issue 13), so the payments are read by
 * their dates (`TxnDate IN (…)`: TxnDate is filterable on every transaction) and matched here:
 * one query per 1,000 distinct dates, growing with the payments QBO holds on those days.
 */
async function paymentsByReference(snap: QboSnapshot, payments: Payment[]): Promise<QboRow[]> {
  const numbers = new Set(payments.filter((p) => p.number.length <= QBO_DOC_NUMBER_LIMIT).map((p) => p.number.toLowerCase()));
  if (!numbers.size) return [];
  const dates = [...new Set(payments.filter((p) => numbers.has(p.number.toLowerCase())).map((p) => p.date))].sort();
  const rows = await snap.byIn('Payment', 'TxnDate', dates);
  return rows.filter((r) => typeof r['PaymentRefNum'] === 'string' && numbers.has((r['PaymentRefNum'] as string).toLowerCase()));
}

function byField(rows: QboRow[], field: string): Map<string, QboRow> {
  const out = new Map<string, QboRow>();
  for (const r of rows) if (typeof r[field] === 'string') out.set((r[field] as string).toLowerCase(), r);
  return out;
}
const byDocNumber = (rows: QboRow[]) => byField(rows, 'DocNumber');

/**
 * The payments QBO holds applied to each invoice about to be voided ("Payment 12 $6,283.20"), by QBO
 * invoice Id; only invoices with some. Voiding an invoice in QBO unlinks its payments and leaves them
 * as unapplied credit (qbo-api.md §3 Payment: a payment adds `{TxnId, TxnType: "Payment"}` to the
 * invoice's LinkedTxn and lowers its Balance), so such a void is an error the bookkeeper settles first
 * (found by the issue-19 attack). Payments this same run voids are left out. One IN query per 1,000.
 */
async function paymentsApplied(snap: QboSnapshot, voiding: ReadonlyArray<{ kind: string; link?: Link | undefined }>, qboRows: Map<string, QboRow>): Promise<Map<string, string>> {
  const voidedHere = new Set(voiding.filter((i) => i.kind === 'payment').map((i) => i.link!.qbo_id));
  const byInvoice = new Map<string, { ids: string[]; open: boolean }>();
  for (const i of voiding) {
    if (i.kind !== 'invoice') continue;
    const inv = qboRows.get(`Invoice:${i.link!.qbo_id}`);
    if (!inv || inv['status'] === 'Deleted') continue;
    const linked = (inv['LinkedTxn'] as Array<{ TxnId: string; TxnType: string }> | undefined) ?? [];
    const ids = linked.filter((t) => t.TxnType === 'Payment' && !voidedHere.has(String(t.TxnId))).map((t) => String(t.TxnId));
    const total = typeof inv['TotalAmt'] === 'number' ? toCents(inv['TotalAmt']) : 0;
    const balance = typeof inv['Balance'] === 'number' ? toCents(inv['Balance']) : total;
    const others = linked.some((t) => t.TxnType === 'Payment' && voidedHere.has(String(t.TxnId)));
    if (ids.length || (balance < total && !others)) byInvoice.set(inv.Id, { ids, open: balance < total });
  }
  const out = new Map<string, string>();
  if (!byInvoice.size) return out;
  const payments = new Map((await snap.byIn('Payment', 'Id', [...new Set([...byInvoice.values()].flatMap((v) => v.ids))])).map((p) => [p.Id, p]));
  for (const [invoiceId, v] of byInvoice) {
    const parts = v.ids.map((id) => {
      const lines = (payments.get(id)?.['Line'] as Array<{ Amount?: number; LinkedTxn?: Array<{ TxnId: string; TxnType: string }> }> | undefined) ?? [];
      const cents = lines
        .filter((l) => (l.LinkedTxn ?? []).some((t) => t.TxnType === 'Invoice' && String(t.TxnId) === invoiceId))
        .reduce((s, l) => s + (typeof l.Amount === 'number' ? toCents(l.Amount) : 0), 0);
      return `Payment ${id} $${amount(cents).toFixed(2)}`;
    });
    out.set(invoiceId, parts.length ? parts.join(', ') : 'its balance is below its total');
  }
  return out;
}
