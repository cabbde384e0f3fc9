/**
 * The reconciliation report: the practice's documents and QBO's, read in bulk, paired through the
 * links; every pair that disagrees, every document in one book only, and every tax code a document
 * carries other than today's mapping becomes one difference, with what to do. Per customer, per
 * supplier and staff member, per tax code and per month, both books' figures side by side.
 */
import type { Clock } from '../../context.js';
import { createLogger, type Logger } from '../../log.js';
import { heldOf, planFor } from '../held/list.js';
import { toCents } from '../../qbo/money.js';
import type { CompanyClient } from '../../qbo/client.js';
import type { Bill, CreditNote, Invoice, Payment, StaffExpense } from '../../practice/schemas.js';
import { getRecordsByKeys, type StoredRecord } from '../../practice/store.js';
import type { Db } from '../../store/db.js';
import type { DocumentKind } from '../kinds.js';
import type { Link } from '../links.js';
import { normalizeField, parseSentFields, QboSnapshot, same, shownValue, type QboRow } from '../plan/index.js';
import { getSettings } from '../settings/store.js';
import { allLinks, documentsBetween, skipsByKey } from './read-practice.js';
import { practiceOfRealm } from '../realm.js';
import { readQbo, type DocEntity } from './read-qbo.js';
import { refusal } from './reasons.js';
import {
  heldAnchor,
  pair,
  sumPairs,
  type CustomerRow,
  type Difference,
  type DifferenceKind,
  type MonthTotals,
  type ReconciliationReport,
  type SupplierRow,
  type TaxRow,
} from './types.js';

export interface ReconcileDeps {
  db: Db;
  clock: Clock;
  qbo: CompanyClient;
  /** For the held records' plan (connect/held), built only when a document changed on both sides; silent when not given. */
  logger?: Logger;
}

export interface Period {
  from?: string | undefined;
  to?: string | undefined;
}

const entityOf: Record<DocumentKind, DocEntity> = { invoice: 'Invoice', 'credit-note': 'CreditMemo', payment: 'Payment', bill: 'Bill', 'staff-expense': 'Bill' };
const exportFromKey = { invoice: 'invoices', 'credit-note': 'creditNotes', payment: 'payments', bill: 'bills', 'staff-expense': 'staffExpenses' } as const;
const docKinds: DocumentKind[] = ['invoice', 'credit-note', 'payment', 'bill', 'staff-expense'];
const label: Record<DocumentKind, string> = { invoice: 'Invoice', 'credit-note': 'Credit note', payment: 'Payment', bill: 'Bill', 'staff-expense': 'Staff expense' };

// An impossible month (2026-13-01) makes an Invalid Date, whose toISOString throws a RangeError: check first.
const isDate = (s: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const t = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(t.getTime()) && t.toISOString().startsWith(s);
};
const money = (c: number) => `${c < 0 ? '-' : ''}${(Math.abs(c) / 100).toFixed(2)}`;
const cents = (v: unknown) => (typeof v === 'number' ? toCents(v, 'half-up') : typeof v === 'string' && v.trim() !== '' ? toCents(v.trim(), 'half-up') : 0);
const refOf = (v: unknown) => {
  const r = (v as { value?: unknown } | undefined)?.value;
  return r === undefined || r === null ? undefined : String(r);
};

/**
 * Today in the company's time zone (CompanyInfo.DefaultTimeZone, an IANA name), as QBO's own reports
 * default to the company's day; UTC when the zone is missing or unknown. `zone` says which was used.
 */
export function companyToday(now: Date, zone: unknown): { date: string; zone: string | null } {
  if (typeof zone === 'string' && zone !== '') {
    try {
      const date = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
      if (/^\d{4}-\d{2}-\d{2}$/.test(date)) return { date, zone };
    } catch {
      // An unknown zone name: UTC, and the report says so.
    }
  }
  return { date: now.toISOString().slice(0, 10), zone: null };
}

/** The period asked for, checked; by default from the earliest export-from date to today. */
export function resolvePeriod(period: Period, exportFrom: Record<string, string>, today: string): { from: string; to: string } {
  if (period.from !== undefined && !isDate(period.from)) throw refusal('reconcile.invalid-period', { which: 'start', value: period.from }, 'from');
  if (period.to !== undefined && !isDate(period.to)) throw refusal('reconcile.invalid-period', { which: 'end', value: period.to }, 'to');
  const from = period.from ?? Object.values(exportFrom).sort()[0] ?? today;
  const to = period.to ?? today;
  if (from > to) throw refusal('reconcile.invalid-period', { from, to }, 'from');
  return { from, to };
}

interface PracticeDoc {
  kind: DocumentKind;
  stored: StoredRecord;
  date: string;
  /** Contact code (customers, suppliers) or staff unique ID. */
  party: string;
  /** 0 when cancelled. */
  total: number;
  lines: Array<{ taxCode: string; amount: number; tax: number }>;
}

function practiceDoc(kind: DocumentKind, stored: StoredRecord): PracticeDoc {
  const live = stored.state !== 'cancelled';
  const r = stored.record as unknown as Record<string, unknown>;
  const date = String(r['date'] ?? '');
  switch (kind) {
    case 'invoice':
    case 'credit-note': {
      const d = r as unknown as Invoice | CreditNote;
      return {
        kind,
        stored,
        date,
        party: d.contactCode,
        total: live ? d.totalCents : 0,
        lines: live ? d.lines.map((l) => ({ taxCode: l.taxCode, amount: l.amountCents, tax: l.taxCents })) : [],
      };
    }
    case 'payment': {
      const d = r as unknown as Payment;
      return { kind, stored, date, party: d.contactCode, total: live ? d.amountCents : 0, lines: [] };
    }
    case 'bill': {
      const d = r as unknown as Bill;
      return {
        kind,
        stored,
        date,
        party: d.supplierCode,
        total: live ? d.totalCents : 0,
        lines: live ? d.lines.map((l) => ({ taxCode: l.taxCode, amount: l.amountCents, tax: l.taxCents })) : [],
      };
    }
    case 'staff-expense': {
      const d = r as unknown as StaffExpense;
      return { kind, stored, date, party: d.staffUniqueId, total: live ? d.totalCents : 0, lines: live ? [{ taxCode: d.taxCode, amount: d.amountCents, tax: d.taxCents }] : [] };
    }
  }
}

/** Which reason names a pair's difference when several hold: the one to act on first. */
const precedence: DifferenceKind[] = ['diverged', 'deleted-in-qbo', 'voided-in-qbo', 'total', 'payment-applied', 'date', 'changed-in-qbo', 'changed-in-practice'];
const actions: Record<DifferenceKind, string> = {
  'practice-only': 'Run a sync to send it (check the preview first), or skip it if it should stay out of QuickBooks.',
  'qbo-only': 'Record it in the practice (set payments to import and sync), or void it in QuickBooks if it was entered by mistake.',
  'looks-like-ours': 'Delete or void the duplicate in QuickBooks, or let the next sync adopt it (a new document with the same number is linked, not created again).',
  total: 'Decide which book is right: correct the practice and sync, or keep QuickBooks’ figure and record it in the practice.',
  'payment-applied': 'Re-apply the payment in QuickBooks to the invoices the practice names, or correct the practice’s allocation.',
  'changed-in-qbo': 'Check the change in QuickBooks; the practice keeps its own copy (a field only QuickBooks changed is never overwritten).',
  'changed-in-practice': 'Run a sync to send the change.',
  date: 'Correct the date in the book that is wrong: a practice change is sent by the next sync; a date changed in QuickBooks stays until someone changes it back there.',
  diverged: 'Resolve it on the Held records page (/held): keep QuickBooks’ version or send the practice’s.',
  'deleted-in-qbo': 'Check why it was deleted in QuickBooks: cancel it in the practice if that was right, or restore it in QuickBooks.',
  'voided-in-qbo': 'Check why it was voided in QuickBooks: cancel it in the practice if that was right, or enter it again in QuickBooks.',
  'outside-period': 'Widen the period (--from, or the From date) to see the documents that explain it.',
  'tax-code': 'Correct the tax code on these documents in QuickBooks, or put the mapping back (Settings → tax) if the change was a mistake.',
  customer: 'Decide which customer is right: move it back to the practice’s customer in QuickBooks, or change the customer on the practice document.',
};

export async function reconcile(deps: ReconcileDeps, realmId: string, period: Period = {}): Promise<ReconciliationReport> {
  const started = Date.now();
  const { db } = deps;
  const settings = await getSettings(db, realmId, deps.clock);
  const practiceId = await practiceOfRealm(db, realmId);
  // Read first: the default period end is the company's day.
  const info = await deps.qbo.companyInfo();
  const local = companyToday(deps.clock(), (info as Record<string, unknown>)['DefaultTimeZone']);
  const today = local.date;
  const exportFrom = settings.general.exportFrom as Record<string, string>;
  const { from, to } = resolvePeriod(period, exportFrom, today);
  const snap = new QboSnapshot(deps.qbo);
  snap.requests++; // the CompanyInfo read above

  // ---- both books, in bulk --------------------------------------------------------------------
  const [qbo, links, skips] = await Promise.all([readQbo(snap, { from, to }), allLinks(db, realmId), skipsByKey(db, realmId)]);
  const practice: PracticeDoc[] = [];
  for (const kind of docKinds) {
    const start = [from, exportFrom[exportFromKey[kind]] ?? from].sort()[0]!;
    for (const s of await documentsBetween(db, practiceId, kind, start, to)) practice.push(practiceDoc(kind, s));
  }
  const linkOfRecord = new Map(links.map((l) => [`${l.record_kind}:${l.record_key}`, l]));
  const linkOfQbo = new Map(links.map((l) => [`${l.qbo_entity}:${l.qbo_id}`, l]));
  const qboRows = new Map<string, QboRow>();
  for (const [entity, rows] of Object.entries(qbo.docs)) for (const r of rows) qboRows.set(`${entity}:${r.Id}`, r);

  const exportFromOf = (d: PracticeDoc) => exportFrom[exportFromKey[d.kind]] ?? from;
  const inPeriod = (date: string | null | undefined) => !!date && date >= from && date <= to;
  const practiceLinkOf = (d: PracticeDoc): Link | undefined => {
    // A payment imported from QBO (number QBO-<Id>) is linked as `qbo-payment:qbo:<Id>`.
    const imported = d.kind === 'payment' ? /^QBO-(.+)$/.exec(d.stored.key) : null;
    return linkOfRecord.get(`${d.kind}:${d.stored.key}`) ?? (imported ? linkOfRecord.get(`qbo-payment:qbo:${imported[1]}`) : undefined);
  };
  const partySkipped = (d: PracticeDoc) => skips.get(`${d.kind === 'staff-expense' ? 'staff' : 'contact'}:${d.party}`);
  const skipOf = (d: PracticeDoc) => skips.get(`${d.kind}:${d.stored.key}`) ?? partySkipped(d);
  const us = (info.Country ?? '').toUpperCase() === 'US';
  /**
   * Why a document not in QuickBooks is left out on purpose (not a difference): skipped, or not sent
   * by the settings (payments imported, bills or staff expenses off, purchases to a US company,
   * dated before its export-from date); null when it should be in QuickBooks.
   */
  const leftOut = (d: PracticeDoc): { text: string; action: string } | null => {
    const skipped = skipOf(d);
    if (skipped)
      return {
        text: `skipped by ${skipped.by} on ${skipped.at.slice(0, 10)}${skipped.reason ? ` (${skipped.reason})` : ''}`,
        action: 'Add it back on the Skipped page to send it with the next sync, or leave it out on purpose.',
      };
    const change = 'Change the setting if it should be sent.';
    if (d.kind === 'payment' && settings.payments.direction === 'import')
      return { text: 'payments are imported from QuickBooks, not exported (setting payments.direction)', action: change };
    if (d.kind === 'bill' && !settings.bills.export) return { text: 'bills are not sent (setting bills.export)', action: change };
    if (d.kind === 'staff-expense' && !settings.staffExpenses.export) return { text: 'staff expenses are not sent (setting staffExpenses.export)', action: change };
    if ((d.kind === 'bill' || d.kind === 'staff-expense') && us)
      return { text: 'bills and staff expenses are not sent to a US company', action: 'Enter it in QuickBooks by hand if it belongs there.' };
    if (d.date < exportFromOf(d))
      return { text: `dated before the export-from date ${exportFromOf(d)}`, action: 'Move the export-from date back (Settings → general) if it should be sent.' };
    return null;
  };

  // Linked documents QBO holds under a date outside the period (or no longer): read by Id, in bulk.
  const missing = new Map<DocEntity, string[]>();
  for (const d of practice) {
    const l = practiceLinkOf(d);
    if (!l || !inPeriod(d.date) || qboRows.has(`${l.qbo_entity}:${l.qbo_id}`)) continue;
    missing.set(l.qbo_entity as DocEntity, [...(missing.get(l.qbo_entity as DocEntity) ?? []), l.qbo_id]);
  }
  for (const [entity, ids] of missing) for (const r of await snap.byIn(entity, 'Id', ids)) qboRows.set(`${entity}:${r.Id}`, r);
  // QBO documents in the period linked to practice documents dated outside it: read from the practice by key.
  const byKey = new Map(practice.map((d) => [`${d.kind}:${d.stored.key}`, d]));
  const outside = new Map<DocumentKind, string[]>();
  for (const [entity, rows] of Object.entries(qbo.docs)) {
    for (const r of rows) {
      const l = linkOfQbo.get(`${entity}:${r.Id}`);
      if (!l || !(docKinds as string[]).includes(l.record_kind) || byKey.has(`${l.record_kind}:${l.record_key}`)) continue;
      outside.set(l.record_kind as DocumentKind, [...(outside.get(l.record_kind as DocumentKind) ?? []), l.record_key]);
    }
  }
  for (const [kind, keys] of outside)
    for (const s of (await getRecordsByKeys(db, practiceId, kind, keys)).values()) {
      const d = practiceDoc(kind, s);
      practice.push(d);
      byKey.set(`${kind}:${s.key}`, d);
    }

  // ---- names: QBO Customer / Vendor Id → practice party ---------------------------------------
  const customerOf = new Map<string, string>();
  const vendorOf = new Map<string, { kind: 'supplier' | 'staff'; code: string }>();
  for (const l of links) {
    if (l.qbo_entity === 'Customer') customerOf.set(l.qbo_id, l.record_key);
    if (l.qbo_entity === 'Vendor') vendorOf.set(l.qbo_id, { kind: l.record_kind === 'staff' ? 'staff' : 'supplier', code: l.record_key });
  }
  const qboCustomerOf = new Map([...customerOf].map(([id, code]) => [code, id]));
  const qboVendorOf = new Map([...vendorOf].map(([id, v]) => [`${v.kind}:${v.code}`, id]));
  const qboName = new Map<string, string>();
  const partyOfQbo = (entity: DocEntity, r: QboRow): { key: string; name: string } => {
    const ref = r[entity === 'Bill' ? 'VendorRef' : 'CustomerRef'] as { value?: string; name?: string } | undefined;
    const id = refOf(ref) ?? '?';
    if (ref?.name) qboName.set(`${entity === 'Bill' ? 'Vendor' : 'Customer'}:${id}`, ref.name);
    if (entity === 'Bill') {
      const v = vendorOf.get(id);
      return { key: v ? `${v.kind}:${v.code}` : `supplier:qbo:${id}`, name: ref?.name ?? id };
    }
    return { key: customerOf.get(id) ?? `qbo:${id}`, name: ref?.name ?? id };
  };
  const partyKey = (d: PracticeDoc) => (d.kind === 'bill' ? `supplier:${d.party}` : d.kind === 'staff-expense' ? `staff:${d.party}` : d.party);

  // ---- pairs and differences ------------------------------------------------------------------
  const differences: Difference[] = [];
  const add = (d: Omit<Difference, 'amountCents'>) => differences.push({ ...d, amountCents: d.practiceCents - d.qboCents });
  const paired = new Set<string>();
  const invoiceKeyOfQbo = (id: string) => {
    const l = linkOfQbo.get(`Invoice:${id}`);
    return l && l.record_kind === 'invoice' ? l.record_key : `QBO invoice ${id}`;
  };
  /** The QBO document's figure the practice compares with: its total (a voided one is 0). */
  const qboTotal = (r: QboRow) => cents(r['TotalAmt']);

  // Held: the held page's own detection (connect/held, a plan's three-way comparison), not only the
  // links a sync has marked diverged, so a record edited on both sides is held before the next sync
  // too. Its plan is built only when some linked document changed on both sides since the last sync.
  const bothSides = practice.some((d) => {
    const l = practiceLinkOf(d);
    const r = l && l.state === 'linked' ? qboRows.get(`${l.qbo_entity}:${l.qbo_id}`) : undefined;
    return !!l && !!r && Number(l.record_version) < d.stored.version && qboChanges(l, r).length > 0;
  });
  const heldKeys = new Set<string>();
  if (bothSides) {
    const heldDeps = { db, clock: deps.clock, logger: deps.logger ?? createLogger('silent'), client: deps.qbo };
    const plan = await planFor(heldDeps, realmId, 'qbo-connect (reconcile)');
    snap.requests += plan.qboRequests;
    for (const h of await heldOf(heldDeps, realmId, plan)) if (h.why === 'diverged') heldKeys.add(`${h.kind}:${h.id}`);
  }
  const heldHref = (d: PracticeDoc) => `/held#${heldAnchor(d.kind, d.stored.key)}`;

  for (const d of practice) {
    const link = practiceLinkOf(d);
    // In the period in either book: a document dated differently in the two is compared too.
    if (!inPeriod(d.date) && !(link && inPeriod(qboRows.get(`${link.qbo_entity}:${link.qbo_id}`)?.['TxnDate'] as string | undefined))) continue;
    const href = `/practice/${d.kind}/${encodeURIComponent(d.stored.key)}`;
    const base = { record: { kind: d.kind, key: d.stored.key, href }, party: partyKey(d), date: d.date ?? null };
    const name = `${label[d.kind]} ${d.stored.key}`;
    if (!link || link.state === 'voided') {
      if (d.total === 0 && (!link || d.stored.state === 'cancelled')) continue; // cancelled, never sent or voided: nothing in either book
      const out = leftOut(d);
      add({
        ...base,
        id: `${d.kind}:${d.stored.key}`,
        kind: 'practice-only',
        intentional: !!out,
        qbo: null,
        practiceCents: d.total,
        qboCents: 0,
        explanation: `${name} is in the practice only: ${out ? out.text : 'not yet in QuickBooks'}.`,
        action: out ? out.action : actions['practice-only'],
      });
      continue;
    }
    const key = `${link.qbo_entity}:${link.qbo_id}`;
    paired.add(key);
    const row = qboRows.get(key);
    const reasons: Array<[DifferenceKind, string]> = [];
    const qboCents = row ? qboTotal(row) : 0;
    // Under another customer in QBO than the practice's: named by both customers, not by raw Ids.
    const qboCustomer = row && d.kind !== 'bill' && d.kind !== 'staff-expense' ? refOf(row['CustomerRef']) : undefined;
    const ownCustomer = qboCustomerOf.get(d.party);
    const moved = !!qboCustomer && !!ownCustomer && qboCustomer !== ownCustomer;
    if (link.state === 'diverged' || heldKeys.has(`${d.kind}:${d.stored.key}`)) reasons.push(['diverged', 'held: changed in QuickBooks and in the practice since the last sync']);
    if (!row) reasons.push(['deleted-in-qbo', `QuickBooks no longer has ${link.qbo_entity} ${link.qbo_id} it was sent as`]);
    else {
      // QBO's void zeroes the amounts and overwrites PrivateNote with "Voided" (src/emulator/core/company.ts void).
      const voided = qboCents === 0 && String(row['PrivateNote'] ?? '').startsWith('Voided');
      const changed = qboChanges(link, row)
        .filter((f) => !voided || !['Line', 'TotalAmt', 'PrivateNote', 'Balance'].includes(f))
        .filter((f) => !moved || !f.startsWith('CustomerRef'));
      if (voided && d.total !== 0) reasons.push(['voided-in-qbo', `voided in QuickBooks: practice ${money(d.total)}, QuickBooks 0.00`]);
      else if (d.total !== qboCents) reasons.push(['total', `totals differ: practice ${money(d.total)}, QuickBooks ${money(qboCents)}`]);
      if (typeof row['TxnDate'] === 'string' && row['TxnDate'] !== d.date) reasons.push(['date', `dated differently: practice ${d.date}, QuickBooks ${row['TxnDate']}`]);
      if (changed.length) reasons.push(['changed-in-qbo', `changed in QuickBooks since the last sync (${changed.join(', ')})`]);
      if (d.kind === 'payment' && d.total === qboCents) {
        const want = allocationText(new Map(((d.stored.record as Payment).allocations ?? []).map((a) => [a.invoiceNumber, a.amountCents])));
        const got = allocationText(qboAllocations(row, invoiceKeyOfQbo));
        if (d.stored.state !== 'cancelled' && want !== got) reasons.push(['payment-applied', `applied differently: practice ${want || 'nothing'}, QuickBooks ${got || 'nothing'}`]);
      }
    }
    if (d.stored.state === 'cancelled' && link.state !== 'voided') {
      // Its total is 0 in the practice: the differing total is the cancellation itself, not a second reason.
      const i = reasons.findIndex(([k]) => k === 'total');
      if (i >= 0) reasons.splice(i, 1);
      reasons.push(['changed-in-practice', 'cancelled in the practice since the last sync: the next sync takes it back in QuickBooks']);
    } else if (Number(link.record_version) < d.stored.version)
      reasons.push(['changed-in-practice', `changed in the practice since the last sync (version ${link.record_version} → ${d.stored.version})`]);
    if (moved && link.state !== 'diverged') {
      const otherCode = customerOf.get(qboCustomer) ?? `qbo:${qboCustomer}`;
      const names = await getRecordsByKeys(db, practiceId, 'contact', [d.party, otherCode]);
      const ours = names.get(d.party)?.record.name ?? d.party;
      const theirs = names.get(otherCode)?.record.name ?? (row?.['CustomerRef'] as { name?: string } | undefined)?.name ?? `QuickBooks customer ${qboCustomer}`;
      const id = `${d.kind}:${d.stored.key}`;
      const practiceCents = inPeriod(d.date) ? d.total : 0;
      const qboShare = row && !inPeriod(row['TxnDate'] as string | undefined) ? 0 : qboCents;
      const also = reasons.length ? `; also ${reasons.map(([, t]) => t).join('; ')}` : '';
      const explanation = `${name} (QuickBooks ${link.qbo_entity} ${link.qbo_id}) is under a different customer: ${ours} in the practice, ${theirs} in QuickBooks (${money(qboCents)} in ${theirs}’s figures there, ${money(d.total)} in ${ours}’s here)${also}.`;
      const common = { ...base, kind: 'customer' as const, intentional: false, qbo: { entity: link.qbo_entity, id: link.qbo_id }, explanation, action: actions.customer };
      // One row on each customer: the practice's customer has it only in the practice, QBO's only in QBO.
      add({ ...common, id, practiceCents, qboCents: 0 });
      add({ ...common, id: `${id}:qbo-customer`, party: otherCode, practiceCents: 0, qboCents: qboShare, shareOf: id });
      continue;
    }
    if (!reasons.length) continue;
    const kind = precedence.find((k) => reasons.some(([r]) => r === k))!;
    add({
      ...base,
      id: `${d.kind}:${d.stored.key}`,
      kind,
      intentional: false,
      qbo: { entity: link.qbo_entity, id: link.qbo_id },
      // Each book's figure in the period: a document one book dates outside it moves its whole amount
      // out of that book's period figures (a re-date across the period's edge is not a 0.00 difference).
      practiceCents: inPeriod(d.date) ? d.total : 0,
      qboCents: row && !inPeriod(row['TxnDate'] as string | undefined) ? 0 : qboCents,
      explanation: `${name} (QuickBooks ${link.qbo_entity} ${link.qbo_id}): ${reasons.map(([, t]) => t).join('; ')}.`,
      ...(kind === 'diverged' ? { actionHref: heldHref(d) } : {}),
      action:
        kind === 'changed-in-practice' && d.stored.state === 'cancelled'
          ? 'Run a sync (check the preview first): the next sync takes it back in QuickBooks.'
          : kind === 'date' && reasons.some(([k]) => k === 'changed-in-practice') && reasons.some(([k]) => k === 'changed-in-qbo')
            ? 'Changed on both sides since the last sync: the next sync holds it; resolve it on the Held records page (/held).'
            : actions[kind],
    });
  }

  // QBO documents no practice document is linked to: ours by marker or number, or QBO's own.
  const practiceNumbers = new Map<string, PracticeDoc>();
  for (const d of practice) practiceNumbers.set(`${entityOf[d.kind]}:${d.stored.key.toLowerCase()}`, d);
  /**
   * What to do with a QBO document that looks like ours: only a practice record that exists and is not
   * linked yet can be adopted by the next sync; a duplicate of a linked record, or a marker naming a
   * record the practice does not have, cannot.
   */
  const lookalikeAction = async (marked: RegExpExecArray | null, twin: PracticeDoc | undefined): Promise<string> => {
    let kind = twin?.kind as string | undefined;
    let key = twin?.stored.key;
    if (!twin && marked) {
      kind = marked[1];
      key = marked[2];
      const known = (docKinds as string[]).includes(kind!) && (byKey.has(`${kind}:${key}`) || (await getRecordsByKeys(db, practiceId, kind as DocumentKind, [key!])).size > 0);
      if (!known) return 'No practice record has that key, so no sync can adopt it: void or delete it in QuickBooks if it is a stray copy, or enter the record in the practice.';
    }
    if (linkOfRecord.has(`${kind}:${key}`))
      return 'The practice record is already linked to another QuickBooks document, so this one is a duplicate: delete or void it in QuickBooks.';
    return actions['looks-like-ours'];
  };
  const qboOnlyDocument = 'Enter it in the practice by hand (a sync never imports invoices, credit notes or bills), or void it in QuickBooks if it was entered by mistake.';
  for (const [entity, rows] of Object.entries(qbo.docs) as Array<[DocEntity, QboRow[]]>) {
    for (const r of rows) {
      const key = `${entity}:${r.Id}`;
      if (paired.has(key) || linkOfQbo.has(key)) continue;
      const total = qboTotal(r);
      const note = String(r['PrivateNote'] ?? '');
      const number = String(r[entity === 'Payment' ? 'PaymentRefNum' : 'DocNumber'] ?? '');
      const marked = /qbo-connect:([a-z-]+):(\S+)/.exec(note);
      const twin = number ? practiceNumbers.get(`${entity}:${number.toLowerCase()}`) : undefined;
      if (total === 0 && !marked && !twin) continue; // a voided or 0.00 document of QBO's own moves nothing
      // A voided document moves nothing in either book: undoing a sync (connect/undo) leaves one under
      // the record's number, its link removed, and the corrected sync sends the record again.
      if (total === 0 && note.startsWith('Voided')) continue;
      const party = partyOfQbo(entity, r);
      const what = `QuickBooks ${entity} ${r.Id}${number ? ` (number ${number})` : ''}`;
      const lookalike = marked
        ? `carries our marker for ${marked[1]} ${marked[2]}`
        : twin
          ? `has the number of practice ${label[twin.kind].toLowerCase()} ${twin.stored.key}`
          : null;
      add({
        id: `qbo:${entity}:${r.Id}`,
        kind: lookalike ? 'looks-like-ours' : 'qbo-only',
        intentional: false,
        record: twin ? { kind: twin.kind, key: twin.stored.key, href: `/practice/${twin.kind}/${encodeURIComponent(twin.stored.key)}` } : null,
        qbo: { entity, id: r.Id },
        party: party.key,
        date: typeof r['TxnDate'] === 'string' ? r['TxnDate'] : null,
        practiceCents: 0,
        qboCents: total,
        explanation: lookalike ? `${what} ${lookalike} but is not linked to it.` : `${what} is in QuickBooks only (${party.name}, ${money(total)}).`,
        action: lookalike ? await lookalikeAction(marked, twin) : entity === 'Payment' ? actions['qbo-only'] : qboOnlyDocument,
      });
    }
  }

  // Credit notes applied to invoices: a 0.00 QBO Payment each (connect/plan/credit-applications.ts),
  // compared like a payment's allocations: what the sync applied against what QBO applies now.
  for (const l of links) {
    if (l.record_kind !== 'credit-application' || l.state === 'voided') continue;
    const row = qboRows.get(`${l.qbo_entity}:${l.qbo_id}`);
    const credit = byKey.get(`credit-note:${l.record_key}`);
    if (!row || !credit || credit.stored.state === 'cancelled' || !inPeriod(credit.date)) continue;
    const sent = parseSentFields(l.sent_fields)?.['Line']?.qbo as Array<{ Amount?: number; LinkedTxn?: string[] }> | null | undefined;
    const want = new Map<string, number>();
    for (const line of Array.isArray(sent) ? sent : [])
      for (const t of line.LinkedTxn ?? []) if (t.startsWith('Invoice:')) want.set(invoiceKeyOfQbo(t.slice(8)), (want.get(invoiceKeyOfQbo(t.slice(8))) ?? 0) + (line.Amount ?? 0));
    const got = allocationText(qboAllocations(row, invoiceKeyOfQbo));
    if (!want.size || allocationText(want) === got) continue;
    add({
      id: `credit-application:${l.record_key}`,
      kind: 'payment-applied',
      intentional: false,
      record: { kind: 'credit-note', key: l.record_key, href: `/practice/credit-note/${encodeURIComponent(l.record_key)}` },
      qbo: { entity: l.qbo_entity, id: l.qbo_id },
      party: credit.party,
      date: credit.date || null,
      practiceCents: 0,
      qboCents: 0,
      explanation: `Credit note ${l.record_key} (QuickBooks ${l.qbo_entity} ${l.qbo_id}, its application): applied differently: practice ${allocationText(want)}, QuickBooks ${got || 'nothing'}.`,
      action: 'Re-apply the credit note in QuickBooks to the invoice the practice names, or correct the practice’s credit note.',
    });
  }

  // ---- tax codes --------------------------------------------------------------------------------
  const tax = taxTable(
    practice.filter((d) => inPeriod(d.date) && (!leftOut(d) || !!practiceLinkOf(d))),
    qbo,
    qboRows,
    linkOfQbo,
    practiceLinkOf,
    settings.tax as { sales: Record<string, string>; purchases: Record<string, string> },
    inPeriod,
    new Map(differences.map((x) => [x.id, x])),
  );
  for (const t of tax.remapped) add(t);

  // ---- parties ------------------------------------------------------------------------------------
  // A receipt the practice records while payments are imported is still money the practice received:
  // in its columns (a difference when QBO lacks it), only not sent.
  const ownReceipt = (d: PracticeDoc) => d.kind === 'payment' && settings.payments.direction === 'import' && !skipOf(d);
  const counted = (d: PracticeDoc) => !leftOut(d) || !!practiceLinkOf(d) || ownReceipt(d);
  const customers = new Map<string, CustomerRow>();
  const customer = (code: string, name: string, qboId: string | null): CustomerRow => {
    let c = customers.get(code);
    if (!c) {
      c = { code, name, qboId, invoiced: pair(0, 0), credited: pair(0, 0), received: pair(0, 0), openBalance: pair(0, 0), overdueInQbo: 0, differences: [] };
      customers.set(code, c);
    }
    return c;
  };
  const suppliers = new Map<string, SupplierRow>();
  const supplier = (key: string, name: string): SupplierRow => {
    let s = suppliers.get(key);
    if (!s) {
      const [kind, ...rest] = key.split(':');
      s = {
        kind: kind === 'staff' ? 'staff' : 'supplier',
        code: rest.join(':'),
        name,
        qboId: qboVendorOf.get(key) ?? (rest[0] === 'qbo' ? rest[1]! : null),
        billed: pair(0, 0),
        openInQbo: 0,
        differences: [],
      };
      suppliers.set(key, s);
    }
    return s;
  };
  const bump = (p: { practice: number; qbo: number; difference: number }, side: 'practice' | 'qbo', c: number) => {
    p[side] += c;
    p.difference = p.practice - p.qbo;
  };
  for (const d of practice) {
    if (!counted(d)) continue;
    if (d.kind === 'bill' || d.kind === 'staff-expense') {
      if (inPeriod(d.date)) bump(supplier(partyKey(d), d.party).billed, 'practice', d.total);
      continue;
    }
    const c = customer(d.party, d.party, qboCustomerOf.get(d.party) ?? null);
    const field = d.kind === 'invoice' ? c.invoiced : d.kind === 'credit-note' ? c.credited : c.received;
    if (inPeriod(d.date)) bump(field, 'practice', d.total);
    if (d.date && d.date >= exportFromOf(d) && d.date <= to) bump(c.openBalance, 'practice', d.kind === 'invoice' ? d.total : -d.total);
  }
  for (const [entity, rows] of Object.entries(qbo.docs) as Array<[DocEntity, QboRow[]]>) {
    for (const r of rows) {
      const p = partyOfQbo(entity, r);
      const total = qboTotal(r);
      if (entity === 'Bill') {
        bump(supplier(p.key, p.name).billed, 'qbo', total);
        continue;
      }
      const c = customer(p.key, p.name, refOf(r['CustomerRef']) ?? null);
      bump(entity === 'Invoice' ? c.invoiced : entity === 'CreditMemo' ? c.credited : c.received, 'qbo', total);
    }
  }
  for (const [id, line] of qbo.customerBalance) {
    const code = customerOf.get(id) ?? `qbo:${id}`;
    bump(customer(code, line.name, id).openBalance, 'qbo', line.cells[line.cells.length - 1] ?? 0);
  }
  for (const [id, line] of qbo.agedReceivables) {
    const c = customers.get(customerOf.get(id) ?? `qbo:${id}`);
    if (c) c.overdueInQbo = line.cells.slice(1, -1).reduce((s, x) => s + x, 0);
  }
  for (const [id, line] of qbo.vendorBalance) {
    const v = vendorOf.get(id);
    supplier(v ? `${v.kind}:${v.code}` : `supplier:qbo:${id}`, line.name).openInQbo = line.cells[line.cells.length - 1] ?? 0;
  }
  // Names: the practice's own where it has them, else QBO's.
  const contactKeys: string[] = [...customers.keys(), ...[...suppliers.values()].filter((s) => s.kind === 'supplier').map((s) => s.code)];
  const contactNames = await getRecordsByKeys(db, practiceId, 'contact', contactKeys);
  const staffNames = await getRecordsByKeys(
    db,
    practiceId,
    'staff',
    [...suppliers.values()].filter((s) => s.kind === 'staff').map((s) => s.code),
  );
  // QBO's current name: its CustomerBalance report line, else a document's CustomerRef name.
  for (const [id, line] of qbo.customerBalance) if (line.name) qboName.set(`Customer:${id}`, line.name);
  for (const c of customers.values()) {
    const ours = contactNames.get(c.code)?.record.name;
    const theirs = qboName.get(`Customer:${c.qboId}`);
    c.name = ours ?? theirs ?? c.name;
    if (ours && theirs && ours !== theirs) c.qboName = theirs;
  }
  for (const s of suppliers.values()) {
    s.name = (s.kind === 'staff' ? staffNames.get(s.code)?.record.name : contactNames.get(s.code)?.record.name) ?? qboName.get(`Vendor:${s.qboId}`) ?? s.name;
  }
  // Open balances are as at the period's end, so a document dated before the period that differs moves
  // a customer's open balance without a difference row of its own: say so rather than stay silent.
  const explained = new Set(differences.filter((d) => !d.intentional && d.party).map((d) => d.party));
  for (const c of customers.values()) {
    if (!c.openBalance.difference || explained.has(c.code)) continue;
    differences.push({
      id: `open:${c.code}`,
      kind: 'outside-period',
      intentional: false,
      record: null,
      qbo: null,
      party: c.code,
      date: to,
      practiceCents: c.openBalance.practice,
      qboCents: c.openBalance.qbo,
      amountCents: c.openBalance.difference,
      explanation: `${c.name}'s open balance at ${to} differs by ${money(c.openBalance.difference)}; the documents explaining it are outside the period (before ${from}): widen --from.`,
      action: actions['outside-period'],
    });
  }
  for (const diff of differences) {
    if (!diff.party) continue;
    if (customers.has(diff.party)) customers.get(diff.party)!.differences.push(diff.id);
    else if (suppliers.has(diff.party)) suppliers.get(diff.party)!.differences.push(diff.id);
  }

  const months = monthTotals(
    practice.filter((d) => inPeriod(d.date) && counted(d)),
    qbo,
    from,
    to,
  );
  const counting = differences.filter((d) => !d.intentional && !d.shareOf);
  const agrees =
    counting.length === 0 &&
    [...customers.values()].every((c) => !c.invoiced.difference && !c.credited.difference && !c.received.difference && !c.openBalance.difference) &&
    [...suppliers.values()].every((s) => !s.billed.difference) &&
    tax.rows.every((t) => !t.taxable.difference && !t.tax.difference);
  return {
    realmId,
    companyName: info.CompanyName,
    from,
    to,
    generatedAt: deps.clock().toISOString(),
    today: { date: today, zone: local.zone ?? 'UTC', known: local.zone !== null },
    qboRequests: snap.requests,
    elapsedMs: Date.now() - started,
    summary: { differences: counting.length, leftOut: differences.filter((d) => d.intentional).length, agrees },
    customers: [...customers.values()].sort((a, b) => a.name.localeCompare(b.name)),
    suppliers: [...suppliers.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name)),
    tax: tax.rows,
    differences: differences.sort((a, b) => Number(a.intentional) - Number(b.intentional) || a.id.localeCompare(b.id)),
    months,
    totals: {
      customers: {
        invoiced: sumPairs([...customers.values()].map((x) => x.invoiced)),
        credited: sumPairs([...customers.values()].map((x) => x.credited)),
        received: sumPairs([...customers.values()].map((x) => x.received)),
        openBalance: sumPairs([...customers.values()].map((x) => x.openBalance)),
        overdueInQbo: [...customers.values()].reduce((s, x) => s + x.overdueInQbo, 0),
      },
      suppliers: { billed: sumPairs([...suppliers.values()].map((x) => x.billed)), openInQbo: [...suppliers.values()].reduce((s, x) => s + x.openInQbo, 0) },
      tax: {
        sales: { taxable: sumPairs(tax.rows.filter((t) => t.side === 'sales').map((t) => t.taxable)), tax: sumPairs(tax.rows.filter((t) => t.side === 'sales').map((t) => t.tax)) },
        purchases: {
          taxable: sumPairs(tax.rows.filter((t) => t.side === 'purchases').map((t) => t.taxable)),
          tax: sumPairs(tax.rows.filter((t) => t.side === 'purchases').map((t) => t.tax)),
        },
      },
      differencesCents: counting.reduce((s, x) => s + x.amountCents, 0),
    },
  };
}

/** The managed fields QBO holds other values for than right after our last write (the diverged detection's base). */
function qboChanges(link: Link, row: QboRow): string[] {
  const base = parseSentFields(link.sent_fields);
  if (!base) return [];
  return (
    Object.entries(base)
      .filter(([f, v]) => !same(v.qbo, normalizeField(f, row[f])))
      // PrivateNote holds our marker (qbo-connect:<kind>:<key>), never shown: its name says enough.
      .map(([f, v]) => (f === 'Line' || f === 'TotalAmt' || f === 'PrivateNote' ? f : `${f} ${shownValue(v.qbo)} → ${shownValue(normalizeField(f, row[f]))}`))
  );
}

/** A QBO payment's application, per practice invoice number (invoices not linked named by QBO Id). */
function qboAllocations(row: QboRow, invoiceKey: (id: string) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of (row['Line'] as Array<{ Amount?: number; LinkedTxn?: Array<{ TxnId: string; TxnType: string }> }> | undefined) ?? []) {
    for (const t of l.LinkedTxn ?? []) if (t.TxnType === 'Invoice') out.set(invoiceKey(String(t.TxnId)), (out.get(invoiceKey(String(t.TxnId))) ?? 0) + cents(l.Amount));
  }
  return out;
}

const allocationText = (m: Map<string, number>) =>
  [...m]
    .filter(([, c]) => c !== 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, c]) => `${k} ${money(c)}`)
    .join(', ');

/**
 * Taxable amount and tax per QBO tax code, sales and purchases. The practice's lines go under the
 * code today's mapping names; QBO's under the code each line carries (SalesItemLineDetail /
 * AccountBasedExpenseLineDetail TaxCodeRef), with the tax of each TxnTaxDetail.TaxLine spread over
 * the codes whose rate list holds its rate, by their lines' amounts. A linked line whose QBO code is
 * not the one mapped is a `tax-code` difference, one per practice code, mapped code and held code.
 */
function taxTable(
  practice: PracticeDoc[],
  qbo: Awaited<ReturnType<typeof readQbo>>,
  qboRows: Map<string, QboRow>,
  linkOfQbo: Map<string, Link>,
  practiceLinkOf: (d: PracticeDoc) => Link | undefined,
  mapping: { sales: Record<string, string>; purchases: Record<string, string> },
  inPeriod: (date: string | null | undefined) => boolean,
  ownRows: Map<string, Difference>,
): { rows: TaxRow[]; remapped: Array<Omit<Difference, 'amountCents'>> } {
  const codeName = new Map(qbo.taxCodes.map((t) => [t.Id, String(t['Name'] ?? t.Id)]));
  const ratesOf = (codeId: string, side: 'sales' | 'purchases'): string[] => {
    const t = qbo.taxCodes.find((c) => c.Id === codeId);
    const list = t?.[side === 'sales' ? 'SalesTaxRateList' : 'PurchaseTaxRateList'] as { TaxRateDetail?: Array<{ TaxRateRef?: { value?: string } }> } | undefined;
    return (list?.TaxRateDetail ?? []).map((d) => String(d.TaxRateRef?.value ?? ''));
  };
  const shown = (c: string | undefined) => (c ? `${codeName.get(c) ?? c} (${c})` : '(none)');
  const rows = new Map<string, TaxRow>();
  const row = (side: 'sales' | 'purchases', code: string) => {
    const k = `${side}:${code}`;
    let r = rows.get(k);
    if (!r) {
      r = { side, qboCode: code, qboCodeName: codeName.get(code) ?? (code === '' ? '(no tax code)' : code), practiceCodes: [], taxable: pair(0, 0), tax: pair(0, 0) };
      rows.set(k, r);
    }
    return r;
  };
  const addTo = (p: { practice: number; qbo: number; difference: number }, side: 'practice' | 'qbo', c: number) => {
    p[side] += c;
    p.difference = p.practice - p.qbo;
  };
  const sideOf = (kind: DocumentKind) => (kind === 'bill' || kind === 'staff-expense' ? 'purchases' : 'sales');
  const sign = (kind: DocumentKind) => (kind === 'credit-note' ? -1 : 1);
  const remaps = new Map<string, Omit<Difference, 'amountCents'> & { docs: string[] }>();
  for (const d of practice) {
    if (d.kind === 'payment') continue;
    const side = sideOf(d.kind);
    const link = practiceLinkOf(d);
    const qboLines = link ? taxLines(qboRows.get(`${link.qbo_entity}:${link.qbo_id}`)) : [];
    d.lines.forEach((l, i) => {
      const mapped = mapping[side][l.taxCode] ?? '';
      const r = row(side, mapped);
      if (!r.practiceCodes.includes(l.taxCode)) r.practiceCodes.push(l.taxCode);
      addTo(r.taxable, 'practice', sign(d.kind) * l.amount);
      addTo(r.tax, 'practice', sign(d.kind) * l.tax);
      const held = qboLines[i]?.code;
      if (link && link.state !== 'voided' && held !== undefined && held !== mapped) {
        // A document with a row of its own (its total or lines changed with the code): one row with both facts.
        const own = ownRows.get(`${d.kind}:${d.stored.key}`);
        if (own) {
          const fact = `QuickBooks tax code ${shown(held)} on lines the practice codes ${l.taxCode} (the mapping says ${shown(mapped)})`;
          if (!own.explanation.includes(fact)) own.explanation = `${own.explanation.replace(/\.$/, '')}; ${fact}.`;
          return;
        }
        const id = `tax:${side}:${l.taxCode}:${held}>${mapped}`;
        const x = remaps.get(id) ?? {
          id,
          kind: 'tax-code' as const,
          intentional: false,
          record: { kind: d.kind, key: d.stored.key, href: `/practice/${d.kind}/${encodeURIComponent(d.stored.key)}` },
          qbo: { entity: link.qbo_entity, id: link.qbo_id },
          party: null,
          date: d.date ?? null,
          practiceCents: 0,
          qboCents: 0,
          explanation: '',
          action: actions['tax-code'],
          docs: [],
        };
        x.practiceCents += sign(d.kind) * l.amount;
        if (!x.docs.includes(d.stored.key)) x.docs.push(d.stored.key);
        remaps.set(id, x);
      }
    });
  }
  // QBO's side: every document of the period QBO holds (ours and its own).
  for (const [entity, docs] of Object.entries(qbo.docs) as Array<[DocEntity, QboRow[]]>) {
    if (entity === 'Payment') continue;
    const side = entity === 'Bill' ? 'purchases' : 'sales';
    const s = entity === 'CreditMemo' ? -1 : 1;
    for (const r of docs) {
      if (!inPeriod(r['TxnDate'] as string)) continue;
      const lines = taxLines(r);
      const byCode = new Map<string, number>();
      for (const l of lines) {
        addTo(row(side, l.code).taxable, 'qbo', s * l.amount);
        byCode.set(l.code, (byCode.get(l.code) ?? 0) + l.amount);
      }
      const taxLinesOf = ((r['TxnTaxDetail'] as { TaxLine?: Array<{ Amount?: number; TaxLineDetail?: { TaxRateRef?: { value?: string } } }> } | undefined)?.TaxLine ?? []).filter(
        (t) => t.TaxLineDetail,
      );
      for (const t of taxLinesOf) {
        const rate = String(t.TaxLineDetail?.TaxRateRef?.value ?? '');
        const codes = [...byCode.keys()].filter((c) => ratesOf(c, side).includes(rate));
        spread(cents(t.Amount), codes.length ? codes : [[...byCode.keys()][0] ?? ''], (c) => byCode.get(c) ?? 0).forEach(([c, part]) => addTo(row(side, c).tax, 'qbo', s * part));
      }
    }
  }
  void linkOfQbo;
  const remapped = [...remaps.values()].map(({ docs, ...x }) => {
    const [, side, practiceCode, rest] = x.id.split(':');
    const [held, mapped] = rest!.split('>');
    const only = docs.length === 1;
    return {
      ...x,
      // Several documents: the fix is the mapping (or each document in QBO), so the link is the tax settings.
      record: only ? x.record : { kind: 'settings', key: `tax.${side}.${practiceCode}`, href: '/settings?tab=tax' },
      qbo: only ? x.qbo : null,
      // The amount is the taxable amount under another code than the mapping's (each book's total is equal).
      qboCents: 0,
      explanation: `${docs.length} ${side} document${only ? '' : 's'} (${docs.slice(0, 5).join(', ')}${docs.length > 5 ? ', …' : ''}) carry QuickBooks tax code ${shown(held)} on lines the practice codes ${practiceCode}; the mapping now says ${shown(mapped)}: ${money(x.practiceCents)} taxable is under the other code in each book.`,
    };
  });
  return { rows: [...rows.values()].sort((a, b) => a.side.localeCompare(b.side) || a.qboCodeName.localeCompare(b.qboCodeName)), remapped };
}

/** The lines of a QBO sales or purchase document with their amount and tax code, in order. */
function taxLines(r: QboRow | undefined): Array<{ code: string; amount: number }> {
  if (!r) return [];
  const out: Array<{ code: string; amount: number }> = [];
  for (const l of (r['Line'] as Array<Record<string, unknown>> | undefined) ?? []) {
    const detail = (l['SalesItemLineDetail'] ?? l['AccountBasedExpenseLineDetail'] ?? l['ItemBasedExpenseLineDetail']) as { TaxCodeRef?: { value?: string } } | undefined;
    if (!detail) continue;
    out.push({ code: String(detail.TaxCodeRef?.value ?? ''), amount: cents(l['Amount']) });
  }
  return out;
}

/** `total` split over `keys` by their weights, to the cent (the last key takes the remainder). */
function spread(total: number, keys: string[], weight: (k: string) => number): Array<[string, number]> {
  const sum = keys.reduce((s, k) => s + weight(k), 0);
  let left = total;
  return keys.map((k, i) => {
    const part = i === keys.length - 1 || sum === 0 ? left : Math.round((total * weight(k)) / sum);
    left -= part;
    return [k, part];
  });
}

/** Sales (invoices less credit notes) and purchases (bills and staff expenses) per month, in both books. */
function monthTotals(practice: PracticeDoc[], qbo: Awaited<ReturnType<typeof readQbo>>, from: string, to: string): MonthTotals[] {
  const months = new Map<string, MonthTotals>();
  // Every month of the period, an empty one too: a chart that skips a month hides that nothing moved.
  for (let m = from.slice(0, 7); m <= to.slice(0, 7);) {
    months.set(m, { month: m, sales: pair(0, 0), purchases: pair(0, 0) });
    const [y, mo] = m.split('-').map(Number) as [number, number];
    m = mo === 12 ? `${y + 1}-01` : `${y}-${String(mo + 1).padStart(2, '0')}`;
  }
  const at = (date: string) => {
    const m = date.slice(0, 7);
    let x = months.get(m);
    if (!x) {
      x = { month: m, sales: pair(0, 0), purchases: pair(0, 0) };
      months.set(m, x);
    }
    return x;
  };
  const addTo = (p: { practice: number; qbo: number; difference: number }, side: 'practice' | 'qbo', c: number) => {
    p[side] += c;
    p.difference = p.practice - p.qbo;
  };
  for (const d of practice) {
    if (!d.date || d.kind === 'payment') continue;
    if (d.kind === 'invoice' || d.kind === 'credit-note') addTo(at(d.date).sales, 'practice', d.kind === 'invoice' ? d.total : -d.total);
    else addTo(at(d.date).purchases, 'practice', d.total);
  }
  for (const [entity, rows] of Object.entries(qbo.docs) as Array<[DocEntity, QboRow[]]>) {
    if (entity === 'Payment') continue;
    for (const r of rows) {
      const date = String(r['TxnDate'] ?? '');
      if (!date) continue;
      const c = cents(r['TotalAmt']);
      if (entity === 'Bill') addTo(at(date).purchases, 'qbo', c);
      else addTo(at(date).sales, 'qbo', entity === 'Invoice' ? c : -c);
    }
  }
  return [...months.values()].sort((a, b) => a.month.localeCompare(b.month));
}
