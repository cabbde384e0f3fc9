/**
 * buildPlan: the preview (ARCHITECTURE §4 step 2). Reads the practice documents in the export window,
 * leaves out what is already synced and unchanged, maps the rest to the exact QBO payloads the
 * settings call for, checks both sides (QBO asked in bulk: see qbo-snapshot.ts), predicts QBO's
 * totals, and returns the plan as data. It writes nothing, except the one-time pre-fill of settings
 * from what both sides hold (audited like any other change).
 */
import type { Clock } from '../../context.js';
import type { CompanyClient } from '../../qbo/client.js';
import type { QboLogger } from '../../qbo/log.js';
import { toCents } from '../../qbo/money.js';
import type { DocumentKind } from '../../practice/kinds.js';
import type { Invoice, Payment } from '../../practice/schemas.js';
import { getRecordsByKeys, listDocumentsForExport, type ExportDocument } from '../../practice/store.js';
import type { Db } from '../../store/db.js';
import { getSettings } from '../settings/store.js';
import { listSkipped } from '../skips.js';
import { amount, issue, makeRow, marker, payloadHash, QBO_DOC_NUMBER_LIMIT, rowKey, type EntityRef, type MapContext } from './context.js';
import { lastLinkWrite, linksByKey, linksByQboId, linksOfKinds, type Link } from './links.js';
import { itemKey } from './mapping/items.js';
import { purchaseDraft, purchasesNotOfferedForUs } from './mapping/purchases.js';
import type { RefResolver } from './mapping/refs.js';
import { salesDraft, type DocumentDraft } from './mapping/sales.js';
import { QboSnapshot, type QboRow } from './qbo-snapshot.js';
import { finish } from './assemble.js';
import { importRows } from './imports.js';
import { itemRows, linkedElsewhere, linkedRecordName, nameRows } from './name-rows.js';
import { loadPracticeLists, prefillOnce } from './practice-lists.js';
import { skipIdOf, skipKindOf } from './skip-kinds.js';
import { adoptedFields } from './sent-fields.js';
import { basesOf, baseOf, nameUpdateRows, updateRow } from './updates.js';
import type { GroupKind, Issue, Plan, PlanRow } from './types.js';
import { mappedId } from '../settings/lookup.js';

export interface PlanDeps {
  db: Db;
  clock: Clock;
  logger: QboLogger;
  /** The QBO client for the realm (see connect/qbo-client.ts). */
  qbo: CompanyClient;
}

export interface BuildPlanOptions {
  /**
   * Pre-fill unset mappings from both sides first (default true), audited as PREFILL_ACTOR. False for
   * anything a page view or a viewer starts: those never write (issue 19).
   */
  prefill?: boolean;
  /** Who asked for the plan. Not the pre-fill's author: that is always PREFILL_ACTOR. */
  actor?: string;
}

const entityOf: Record<DocumentKind, string> = { invoice: 'Invoice', 'credit-note': 'CreditMemo', payment: 'Payment', bill: 'Bill', 'staff-expense': 'Bill' };
const groupOf: Record<DocumentKind, GroupKind> = { invoice: 'invoices', 'credit-note': 'credit-notes', payment: 'payments-export', bill: 'bills', 'staff-expense': 'staff-expenses' };

type DocStatus = 'new' | 'update' | 'void' | 'synced';
interface DocItem {
  kind: DocumentKind;
  doc: ExportDocument;
  link?: Link | undefined;
  status: DocStatus;
  label: string;
}

function docLabel(kind: DocumentKind, doc: ExportDocument): string {
  const who = doc.contact?.record.name ?? doc.staff?.record.name;
  const word = kind === 'staff-expense' ? 'staff expense' : kind === 'credit-note' ? 'credit note' : kind;
  return `${word} ${doc.stored.key}${who ? ` (${who})` : ''}`;
}

/** CDC answers at most 30 days back; stay a day inside it. */
const CDC_WINDOW_MS = 29 * 86_400_000;

/** The pre-fill on its own (on connecting, or a bookkeeper's "fill in"): QBO's lists and the practice's. */
export async function prefillSettings(deps: Pick<PlanDeps, 'db' | 'clock' | 'qbo'>, realmId: string): Promise<void> {
  const lists = await new QboSnapshot(deps.qbo).lists();
  await prefillOnce(deps, realmId, lists, await loadPracticeLists(deps.db));
}

export async function buildPlan(deps: PlanDeps, realmId: string, opts: BuildPlanOptions = {}): Promise<Plan> {
  const { db } = deps;
  const snap = new QboSnapshot(deps.qbo);
  const lists = await snap.lists();
  const practice = await loadPracticeLists(db);
  if (opts.prefill !== false) await prefillOnce(deps, realmId, lists, practice);
  const settings = await getSettings(db, realmId, deps.clock);
  const ctx: MapContext = { realmId, settings, lists, us: lists.region === 'US', practice };
  const ef = settings.general.exportFrom;

  const skippedList = await listSkipped(db, realmId);
  const skips = new Map(skippedList.map((s) => [`${s.kind}:${s.recordId}`, s]));
  const skipOf = (recordKind: string, id: string) => skips.get(`${skipKindOf(recordKind)}:${skipIdOf(recordKind, id)}`);

  // ---- the practice documents in the window, and what the links say about each ----------------------
  const load = async <K extends DocumentKind>(kind: K, from: string, on: boolean) => (on ? await listDocumentsForExport(db, { kind, fromDate: from }) : []);
  const byKind: Record<DocumentKind, ExportDocument[]> = {
    invoice: await load('invoice', ef.invoices, true),
    'credit-note': await load('credit-note', ef.creditNotes, true),
    payment: await load('payment', ef.payments, settings.payments.direction === 'export'),
    bill: await load('bill', ef.bills, settings.bills.export),
    'staff-expense': await load('staff-expense', ef.staffExpenses, settings.staffExpenses.export),
  };
  const items: DocItem[] = [];
  const imported = await importedPayments(db, realmId, byKind.payment);
  for (const kind of Object.keys(byKind) as DocumentKind[]) {
    const docs = byKind[kind];
    const links = await linksByKey(db, realmId, kind, docs.map((d) => d.stored.key));
    for (const doc of docs) {
      // A payment that came from QBO is QBO's already: sending it back would post it twice (issue 19).
      if (kind === 'payment' && imported.has(doc.stored.key)) continue;
      const link = links.get(doc.stored.key);
      const cancelled = doc.stored.state === 'cancelled';
      let status: DocStatus | null;
      if (!link) status = cancelled ? null : 'new';
      else if (link.state === 'voided') status = null;
      else if (cancelled) status = 'void';
      else status = Number(link.record_version) < doc.stored.version ? 'update' : 'synced';
      if (status) items.push({ kind, doc, link, status, label: docLabel(kind, doc) });
    }
  }

  // ---- names and items: linked ones by Id, new ones as rows of this plan ------------------------------
  const nameLinks = await linksOfKinds(db, realmId, ['contact', 'supplier', 'staff', 'project']);
  const needs = {
    customers: new Map<string, string>(), // contact code → the first document that needs it
    suppliers: new Map<string, string>(),
    staff: new Map<string, string>(),
    items: new Map<string, { project: string; account: string | null; via: string }>(),
  };
  let registering: string | null = null;
  /** The row being drafted, and which linked QBO names each row refers to (checked against QBO below). */
  let drafting: string | null = null;
  const usedLinks = new Map<string, { link: Link; rows: Set<string> }>();
  const used = (link: Link) => {
    if (!drafting) return;
    const k = `${link.qbo_entity}:${link.qbo_id}`;
    const u = usedLinks.get(k) ?? { link, rows: new Set<string>() };
    u.rows.add(drafting);
    usedLinks.set(k, u);
  };
  const splitIncome = settings.invoices.incomeAccount !== 'fixed';
  const refs: RefResolver = {
    customer(code) {
      if (!practice.contacts.has(code)) return undefined;
      const link = nameLinks.get(`contact:${code}`);
      if (link) {
        used(link);
        return { value: link.qbo_id };
      }
      if (registering && !needs.customers.has(code)) needs.customers.set(code, registering);
      const k = rowKey('customers', code);
      return { value: `@row:${k}`, rowKey: k };
    },
    vendor(kind, key) {
      if (kind === 'supplier' ? !practice.contacts.has(key) : !practice.staff.has(key)) return undefined;
      const link = nameLinks.get(`${kind}:${key}`);
      if (link) {
        used(link);
        return { value: link.qbo_id };
      }
      const m = kind === 'supplier' ? needs.suppliers : needs.staff;
      if (registering && !m.has(key)) m.set(key, registering);
      const k = rowKey('suppliers', `${kind === 'staff' ? 'staff:' : ''}${key}`);
      return { value: `@row:${k}`, rowKey: k };
    },
    item(project, account) {
      const key = itemKey(project, account, splitIncome);
      const link = nameLinks.get(`project:${key}`);
      if (link) {
        used(link);
        return { value: link.qbo_id };
      }
      if (registering && !needs.items.has(key)) needs.items.set(key, { project, account, via: registering });
      const k = rowKey('items', key);
      return { value: `@row:${k}`, rowKey: k };
    },
  };

  // ---- QBO: document numbers of NEW documents (and invoices that payments and credits name) ----------
  const newNumbers = (kind: DocumentKind) => items.filter((i) => i.kind === kind && i.status === 'new' && i.doc.stored.key.length <= QBO_DOC_NUMBER_LIMIT).map((i) => i.doc.stored.key);
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
  const practiceInvoices = await getRecordsByKeys(db, 'invoice', referencedInvoices);
  const outside = [...referencedInvoices].filter((n) => !planInvoices.has(n) && !invoiceLinks.has(n) && n.length <= QBO_DOC_NUMBER_LIMIT);
  const qboDocs = {
    Invoice: byDocNumber(await snap.byIn('Invoice', 'DocNumber', [...newNumbers('invoice'), ...outside])),
    CreditMemo: byDocNumber(await snap.byIn('CreditMemo', 'DocNumber', newNumbers('credit-note'))),
    Bill: byDocNumber(await snap.byIn('Bill', 'DocNumber', purchasesNotOfferedForUs(ctx) ? [] : [...newNumbers('bill'), ...newNumbers('staff-expense')])),
    Payment: byField(await paymentsByReference(snap, items.filter((i) => i.kind === 'payment' && i.status === 'new').map((i) => i.doc.stored.record as Payment)), 'PaymentRefNum'),
  };

  // Documents found by number that another practice record holds already: never adopted twice.
  const docLinks = new Map<string, Link>();
  for (const [entity, found] of Object.entries(qboDocs)) {
    for (const l of (await linksByQboId(db, realmId, entity, [...found.values()].map((r) => r.Id))).values()) docLinks.set(`${entity}:${l.qbo_id}`, l);
  }

  // ---- QBO: what changed there since the last sync, for the linked documents in the window ---------
  const linkedEntities = [...new Set(items.filter((i) => i.link).map((i) => entityOf[i.kind]))] as Array<'Invoice' | 'CreditMemo' | 'Payment' | 'Bill'>;
  // Linked names and items are watched in the same request: one deleted or made inactive in QBO
  // would make every new document that refers to it fail.
  const nameEntities = [...new Set([...nameLinks.values()].map((l) => l.qbo_entity))].filter((e): e is 'Customer' | 'Vendor' | 'Item' => e === 'Customer' || e === 'Vendor' || e === 'Item');
  const cdcRows = new Map<string, QboRow>();
  let cdcBlind = false;
  if (linkedEntities.length || (nameEntities.length && items.some((i) => i.status !== 'synced'))) {
    const since = await lastLinkWrite(db, realmId);
    const now = deps.clock().getTime();
    if (since && now - Date.parse(since) < CDC_WINDOW_MS) {
      const r = await snap.cdc([...linkedEntities, ...nameEntities], new Date(Date.parse(since) - 60_000).toISOString());
      for (const [entity, rows] of Object.entries(r.changes)) for (const row of rows ?? []) cdcRows.set(`${entity}:${row.Id}`, row as QboRow);
      cdcBlind = r.truncated;
    } else {
      cdcBlind = true;
    }
    if (cdcBlind) {
      // Too long since the last sync (or too many changes) for CDC: read just the records about to be
      // written (updates and voids) by Id, so no write goes out with a stale view.
      for (const entity of linkedEntities) {
        const ids = items.filter((i) => i.link && entityOf[i.kind] === entity && (i.status === 'update' || i.status === 'void')).map((i) => i.link!.qbo_id);
        for (const row of await snap.byIn(entity, 'Id', ids)) cdcRows.set(`${entity}:${row.Id}`, row);
      }
    }
  }

  // ---- QBO: the current copy of every document about to be updated, in bulk, and what we last sent ----
  // The three-way comparison needs QBO's values whether or not CDC saw a change (a link from before
  // migration 0010 takes them as its base), so those not in the CDC answer are read by Id.
  // Documents about to be voided are read too: an invoice QBO holds payments against is not voided.
  const updating = items.filter((i) => i.link && i.status === 'update');
  const voiding = items.filter((i) => i.link && i.status === 'void' && !skipOf(i.kind, i.doc.stored.key));
  for (const entity of linkedEntities) {
    const ids = [...updating, ...voiding].filter((i) => entityOf[i.kind] === entity && !cdcRows.has(`${entity}:${i.link!.qbo_id}`)).map((i) => i.link!.qbo_id);
    for (const row of await snap.byIn(entity, 'Id', ids)) cdcRows.set(`${entity}:${row.Id}`, row);
  }
  const bases = await basesOf(db, realmId, updating.map((i) => i.link!));
  const paymentsOnVoided = await paymentsApplied(snap, voiding, cdcRows);

  // ---- document rows ------------------------------------------------------------------------------------
  const rows: PlanRow[] = [];
  /** What this sync pays on each invoice, and the credit applications it plans (limited below). */
  const paidByInvoice = new Map<string, number>();
  /** `openCents`: what the invoice still owes in QBO, when it was synced before this run. */
  const applications = new Map<string, { invoiceNumber: string; creditKey: string; totalCents: number; openCents?: number }>();
  const bookClose = lists.bookCloseDate;
  for (const it of items) {
    const { kind, doc, link } = it;
    const stored = doc.stored;
    const group = groupOf[kind];
    const entity = entityOf[kind];
    const date = (stored.record as { date: string }).date;
    const base = { group, kind, id: stored.key, label: it.label, version: stored.version, date, entity };
    const skipped = skipOf(kind, stored.key);
    if (skipped) {
      const row = makeRow({ ...base, action: it.status === 'new' ? 'create' : it.status === 'synced' ? 'none' : it.status, qboId: link?.qbo_id, practiceTotalCents: totalOf(kind, stored.record) });
      row.skipped = { by: skipped.skippedBy, at: skipped.skippedAt, ...(skipped.reasonCode ? { reason: skipped.reasonCode } : {}) };
      rows.push(row);
      continue;
    }
    const qboNow = link ? cdcRows.get(`${entity}:${link.qbo_id}`) : undefined;
    const issues: Issue[] = [];

    if (it.status === 'synced') {
      // Already in QBO and unchanged here; shown only when QBO changed it since (never overwritten).
      const change = qboNow ? qboSideChange(qboNow, link!) : null;
      if (change) {
        issues.push(issue(change === 'deleted' ? `${kind}.deleted-in-qbo` : `${kind}.changed-in-qbo`, 'warning', { record: it.label, detail: change }));
        rows.push(makeRow({ ...base, action: 'none', qboId: link!.qbo_id, syncToken: qboNow!.SyncToken, practiceTotalCents: totalOf(kind, stored.record), issues }));
      }
      continue;
    }

    if (it.status === 'void') {
      if (bookClose && date <= bookClose) issues.push(issue(`${kind}.closed-period`, 'error', { record: it.label, value: date, limit: bookClose }, 'date'));
      if (qboNow?.['status'] === 'Deleted') issues.push(issue(`${kind}.deleted-in-qbo`, 'warning', { record: it.label }));
      const syncToken = qboNow?.SyncToken ?? link!.sync_token;
      const deleted = qboNow?.['status'] === 'Deleted';
      const applied = kind === 'invoice' && qboNow && !deleted ? paymentsOnVoided.get(qboNow.Id) : undefined;
      if (applied) issues.push(issue('invoice.void-has-payments', 'error', { record: it.label, detail: applied }));
      rows.push(makeRow({ ...base, action: deleted ? 'none' : 'void', qboId: link!.qbo_id, syncToken, payload: deleted ? null : { Id: link!.qbo_id, SyncToken: syncToken }, practiceTotalCents: 0, qboTotalCents: 0, issues }));
      continue;
    }

    // US companies: bills and staff expenses are listed as not sent, with the reason (purchases.ts).
    if ((kind === 'bill' || kind === 'staff-expense') && purchasesNotOfferedForUs(ctx)) {
      issues.push(issue(`${kind}.not-for-us`, 'warning', { record: it.label }));
      rows.push(makeRow({ ...base, action: 'none', qboId: link?.qbo_id, practiceTotalCents: totalOf(kind, stored.record), issues }));
      continue;
    }

    // Amounts go as they are: in another currency than the company's they would be booked wrongly.
    const currency = settings.general.practiceCurrency;
    if (lists.homeCurrency && lists.homeCurrency.toUpperCase() !== currency.toUpperCase()) {
      issues.push(issue('company.currency-differs', 'error', { record: it.label, value: currency, limit: lists.homeCurrency }, 'general.practiceCurrency'));
    }
    const total = totalOf(kind, stored.record);
    if (total === 0 && it.status === 'new') {
      issues.push(issue(`${kind}.zero-value`, 'warning', { record: it.label, field: kind === 'payment' ? 'amountCents' : 'totalCents' }, kind === 'payment' ? 'amountCents' : 'totalCents'));
      rows.push(makeRow({ ...base, action: 'none', practiceTotalCents: 0, qboTotalCents: 0, issues }));
      continue;
    }

    registering = it.label;
    drafting = rowKey(group, stored.key);
    let draft: DocumentDraft;
    if (kind === 'invoice' || kind === 'credit-note') draft = salesDraft(kind, doc as ExportDocument<'invoice'>, ctx, refs, it.label);
    else if (kind === 'bill' || kind === 'staff-expense') draft = purchaseDraft(kind, doc as ExportDocument<'bill'>, ctx, refs, it.label);
    else draft = paymentDraft(doc as ExportDocument<'payment'>, it.label);
    registering = null;
    drafting = null;
    issues.push(...draft.issues);

    if (stored.key.length > QBO_DOC_NUMBER_LIMIT) issues.push(issue(`${kind}.number-too-long`, 'error', { record: it.label, value: stored.key, field: 'number', limit: QBO_DOC_NUMBER_LIMIT }, 'number'));
    if (bookClose && date <= bookClose) issues.push(issue(`${kind}.closed-period`, 'error', { record: it.label, value: date, limit: bookClose }, 'date'));
    if (kind === 'credit-note' && it.status === 'new') {
      const n = (stored.record as { invoiceNumber?: string | null }).invoiceNumber;
      // The original invoice must be in QBO (linked or found) or go in this sync; otherwise QBO cannot
      // know which invoice the credit reduces. Only an error when the credit is to be applied to it.
      const ref = n ? invoiceRef(n) : undefined;
      if (n && ref && ref.kind !== 'ok') {
        const why = ref.kind === 'skipped' ? 'it is skipped' : ref.kind === 'before-window' ? `it is dated ${ref.date}, before the export-from date ${ef.invoices}` : 'it is not in the practice ledger';
        issues.push(issue('credit-note.invoice-unknown', settings.invoices.applyCreditToInvoice ? 'error' : 'warning', { record: it.label, value: n, field: 'invoiceNumber', detail: why }, 'invoiceNumber'));
      }
    }

    if (it.status === 'update') {
      if (!qboNow || qboNow['status'] === 'Deleted') {
        issues.push(issue(`${kind}.deleted-in-qbo`, 'error', { record: it.label }));
        rows.push(makeRow({ ...base, action: 'update', qboId: link!.qbo_id, syncToken: link!.sync_token, dependsOn: draft.dependsOn, practiceTotalCents: draft.practiceTotalCents, qboTotalCents: draft.qboTotalCents, issues }));
        continue;
      }
      // Only the fields the practice changed since the last sync go; a field QBO changed too holds it.
      const row = updateRow({ ...base, version: stored.version, link: link!, draft, qboNow, base: baseOf(bases, link!), issues, divergedCode: `${kind}.diverged` });
      if (row) rows.push(row);
      continue;
    }

    // New: is the number in QBO already? Same content → adopt it; different → a person decides.
    const existing = kind === 'payment' ? qboDocs.Payment.get(stored.key.toLowerCase()) : qboDocs[entity as 'Invoice' | 'CreditMemo' | 'Bill'].get(stored.key.toLowerCase());
    const taken = existing ? linkedElsewhere((e, id) => docLinks.get(`${e}:${id}`), entity, existing.Id, kind, stored.key) : null;
    if (existing && taken) {
      issues.push(issue('qbo.linked-to-another', 'error', { record: it.label, value: stored.key, detail: `${entity} ${existing.Id}`, field: 'number', limit: linkedRecordName(taken) }, 'number'));
    } else if (existing) {
      const qboTotal = typeof existing['TotalAmt'] === 'number' ? toCents(existing['TotalAmt']) : null;
      const sameDate = existing['TxnDate'] === date;
      // Automated Sales Tax (draft total null): only QBO knows the tax, so the amounts before tax are compared.
      const qboTax = toCents(Number((existing['TxnTaxDetail'] as { TotalTax?: unknown } | undefined)?.TotalTax ?? 0));
      const qboNet = qboTotal === null ? null : qboTotal - qboTax;
      const ourNet = draft.qboTotalCents === null ? netCentsOf(draft.payload) : null;
      const sameTotal = draft.qboTotalCents === null ? qboNet === ourNet : qboTotal === draft.qboTotalCents;
      if (sameTotal && sameDate && existing['status'] !== 'Deleted') {
        const adopted = makeRow({ ...base, action: 'adopt', qboId: existing.Id, syncToken: existing.SyncToken, practiceTotalCents: draft.practiceTotalCents, qboTotalCents: qboTotal, issues });
        adopted.fields = adoptedFields(entity, draft.payload, existing);
        rows.push(adopted);
        continue;
      }
      const totalDiff = draft.qboTotalCents === null
        ? `QBO amount before tax ${qboNet === null ? '?' : amount(qboNet).toFixed(2)}, here ${amount(ourNet ?? 0).toFixed(2)}`
        : `QBO total ${qboTotal === null ? '?' : amount(qboTotal).toFixed(2)}, here ${amount(draft.qboTotalCents).toFixed(2)}`;
      const diff = [sameTotal ? null : totalDiff, sameDate ? null : `QBO date ${String(existing['TxnDate'])}, here ${date}`].filter(Boolean).join('; ');
      issues.push(issue(`${kind}.number-in-qbo-differs`, 'error', { record: it.label, value: stored.key, field: 'number', detail: diff || 'it was voided or deleted' }, 'number'));
    }
    rows.push(makeRow({ ...base, action: 'create', payload: draft.payload, dependsOn: draft.dependsOn, practiceTotalCents: draft.practiceTotalCents, qboTotalCents: draft.qboTotalCents, issues }));
    if (kind === 'credit-note' && settings.invoices.applyCreditToInvoice) {
      const application = creditApplication(doc as ExportDocument<'credit-note'>, it.label, draft);
      if (application) rows.push(application);
    }
  }

  function paymentDraft(doc: ExportDocument<'payment'>, label: string): DocumentDraft {
    const p = doc.stored.record;
    const issues: Issue[] = [];
    const deps: string[] = [];
    const payload: Record<string, unknown> = { TxnDate: p.date, TotalAmt: amount(p.amountCents), PaymentRefNum: p.number };
    const customer = refs.customer(p.contactCode);
    if (customer) payload['CustomerRef'] = refOf(customer, deps);
    else issues.push(issue('payment.contact-missing', 'error', { record: label, value: p.contactCode, field: 'contactCode' }, 'contactCode'));
    const method = mappedId(settings.payments.methodByPaymentType, p.paymentTypeCode);
    if (method) payload['PaymentMethodRef'] = { value: method };
    else issues.push(issue('payment.type-unmapped', 'error', { record: label, value: p.paymentTypeCode, field: 'paymentTypeCode' }, 'paymentTypeCode'));
    if (settings.payments.depositAccountId) payload['DepositToAccountRef'] = { value: settings.payments.depositAccountId };
    const lines: Record<string, unknown>[] = [];
    p.allocations.forEach((a, i) => {
      const field = `allocations[${i}].invoiceNumber`;
      const ref = invoiceRef(a.invoiceNumber);
      if (ref.kind === 'ok') paidByInvoice.set(a.invoiceNumber, (paidByInvoice.get(a.invoiceNumber) ?? 0) + a.amountCents);
      if (ref.kind === 'ok') lines.push({ Amount: amount(a.amountCents), LinkedTxn: [{ TxnId: refOf(ref.ref, deps).value, TxnType: 'Invoice' }] });
      else if (ref.kind === 'skipped') issues.push(issue('payment.invoice-skipped', 'error', { record: label, value: a.invoiceNumber, field }, field));
      else if (ref.kind === 'before-window') issues.push(issue('payment.invoice-before-export-from', 'error', { record: label, value: a.invoiceNumber, field, detail: `invoice ${a.invoiceNumber} (dated ${ref.date})`, limit: ef.invoices }, field));
      else issues.push(issue('payment.invoice-unknown', 'error', { record: label, value: a.invoiceNumber, field }, field));
    });
    if (lines.length) payload['Line'] = lines;
    payload['PrivateNote'] = [p.reference, marker('payment', p.number)].filter(Boolean).join('\n');
    if (p.number.length > QBO_DOC_NUMBER_LIMIT) delete payload['PaymentRefNum'];
    return { payload, dependsOn: deps, issues, practiceTotalCents: p.amountCents, qboTotalCents: p.amountCents };
  }

  /**
   * A new credit note applied to its original invoice: in QBO a Payment of 0.00 linking both, written
   * after the credit note (payments-export group) so it can refer to it. Only when the invoice is known.
   */
  function creditApplication(doc: ExportDocument<'credit-note'>, label: string, draft: DocumentDraft): PlanRow | undefined {
    const cn = doc.stored.record;
    if (!cn.invoiceNumber || !draft.payload['CustomerRef']) return undefined;
    const ref = invoiceRef(cn.invoiceNumber);
    if (ref.kind !== 'ok') return undefined;
    const deps: string[] = [];
    const customer = refOf({ value: (draft.payload['CustomerRef'] as { value: string }).value, ...(draft.dependsOn.find((k) => k.startsWith('customers:')) ? { rowKey: draft.dependsOn.find((k) => k.startsWith('customers:'))! } : {}) }, deps);
    const creditKey = rowKey('credit-notes', cn.number);
    const credit = refOf({ value: `@row:${creditKey}`, rowKey: creditKey }, deps);
    const invoice = refOf(ref.ref, deps);
    // What QBO will hold for the credit: the practice's total, except in a US company whose sales tax
    // code charges another tax than the practice (mapping/tax.ts usSalesTax). Under Automated Sales Tax
    // only QBO knows it: the credit is applied on the next sync, from QBO's figure (the synced-credit
    // path below), never at a guessed amount that could over-apply it.
    if (draft.qboTotalCents === null) return undefined;
    const amt = amount(draft.qboTotalCents);
    applications.set(rowKey('payments-export', cn.number), { invoiceNumber: cn.invoiceNumber, creditKey, totalCents: draft.qboTotalCents });
    return makeRow({
      group: 'payments-export',
      kind: 'credit-application',
      id: cn.number,
      label: `${label} applied to invoice ${cn.invoiceNumber}`,
      version: doc.stored.version,
      date: cn.date,
      action: 'create',
      entity: 'Payment',
      payload: {
        CustomerRef: customer,
        TxnDate: cn.date,
        TotalAmt: 0,
        Line: [
          { Amount: amt, LinkedTxn: [{ TxnId: invoice.value, TxnType: 'Invoice' }] },
          { Amount: amt, LinkedTxn: [{ TxnId: credit.value, TxnType: 'CreditMemo' }] },
        ],
        PrivateNote: `Credit note ${cn.number} applied to invoice ${cn.invoiceNumber}\n${marker('credit-application', cn.number)}`,
      },
      dependsOn: deps,
      practiceTotalCents: 0,
      qboTotalCents: 0,
    });
  }

  /** The amount before tax of a sales payload: its item lines. */
  function netCentsOf(payload: Record<string, unknown>): number {
    const lines = (payload['Line'] as Array<{ DetailType?: string; Amount?: unknown }> | undefined) ?? [];
    return lines.reduce((n, l) => n + (l.DetailType === 'SalesItemLineDetail' && typeof l.Amount === 'number' ? toCents(l.Amount) : 0), 0);
  }

  function invoiceRef(n: string): { kind: 'ok'; ref: EntityRef } | { kind: 'skipped' } | { kind: 'before-window'; date: string } | { kind: 'unknown' } {
    const link = invoiceLinks.get(n);
    if (link && link.state !== 'voided') return { kind: 'ok', ref: { value: link.qbo_id } };
    const inPlan = planInvoices.get(n);
    if (inPlan) {
      if (skipOf('invoice', n)) return { kind: 'skipped' };
      const k = rowKey('invoices', n);
      return { kind: 'ok', ref: { value: `@row:${k}`, rowKey: k } };
    }
    const inQbo = qboDocs.Invoice.get(n.toLowerCase());
    if (inQbo) return { kind: 'ok', ref: { value: inQbo.Id } };
    const practiceInvoice = practiceInvoices.get(n);
    if (practiceInvoice) return { kind: 'before-window', date: practiceInvoice.record.date };
    return { kind: 'unknown' };
  }
  // ---- name and item rows for what the documents need ---------------------------------------------
  const nameByQbo = new Map([...nameLinks.values()].map((l) => [`${l.qbo_entity}:${l.qbo_id}`, l]));
  const linkedName = (entity: string, id: string) => nameByQbo.get(`${entity}:${id}`);
  rows.push(...(await nameRows(ctx, snap, needs, linkedName)));
  // Linked names changed in the practice since their last sync (a new email reaches QBO's invoices).
  rows.push(...(await nameUpdateRows(db, ctx, snap, nameLinks)));
  rows.push(...(await itemRows(ctx, snap, needs.items, linkedName)));

  // ---- payments to import (the default direction) ------------------------------------------------
  if (settings.payments.direction === 'import') rows.push(...(await importRows(db, realmId, snap, ef.payments, practice, settings, skipOf)));

  // ---- linked names and items the new documents refer to: still usable in QBO? ------------------------
  if (usedLinks.size) {
    if (cdcBlind) {
      for (const entity of ['Customer', 'Vendor', 'Item'] as const) {
        const ids = [...usedLinks.values()].filter((u) => u.link.qbo_entity === entity).map((u) => u.link.qbo_id);
        for (const row of await snap.byIn(entity, 'Id', ids, true)) cdcRows.set(`${entity}:${row.Id}`, row);
      }
    }
    const byKey = new Map(rows.map((r) => [r.key, r]));
    for (const [k, u] of usedLinks) {
      const now = cdcRows.get(k);
      if (!now || (now['status'] !== 'Deleted' && now['Active'] !== false)) continue;
      const name = String(now['DisplayName'] ?? now['Name'] ?? u.link.record_key);
      for (const rk of u.rows) {
        const r = byKey.get(rk);
        if (r) r.issues.push(issue('qbo.reference-inactive', 'error', { record: r.record.label, value: name, detail: `${u.link.qbo_entity} ${u.link.qbo_id}`, field: refField[u.link.qbo_entity] ?? 'reference' }, refField[u.link.qbo_entity]));
      }
    }
  }

  // ---- credit notes in QBO whose application never landed ---------------------------------------------
  // An interrupted or partly failed sync can write a credit note and not its 0.00 payment (that group
  // comes later, or the invoice failed that run); the credit note is then linked and the row above is
  // never planned again. Apply it now when QBO shows it untouched and its invoice still open (found by
  // the chaos soak). A credit a person applied in QBO, even in part, is left alone.
  if (settings.invoices.applyCreditToInvoice) {
    const invoiceOf = (i: DocItem) => (i.doc.stored.record as { invoiceNumber?: string | null }).invoiceNumber ?? null;
    const synced = items.filter((i) => i.kind === 'credit-note' && i.status === 'synced' && i.link && invoiceOf(i) && !skipOf('credit-note', i.doc.stored.key) && !skipOf('credit-application', i.doc.stored.key));
    const appliedLinks = synced.length ? await linksByKey(db, realmId, 'credit-application', synced.map((i) => i.doc.stored.key)) : new Map<string, Link>();
    // What earlier syncs paid on each invoice: a credit whose invoice was settled that way was left
    // unapplied on purpose (see below), and needs no look at QBO.
    const paidBefore = new Map<string, number>();
    for (const i of items) {
      if (i.kind !== 'payment' || i.status !== 'synced') continue;
      for (const a of (i.doc.stored.record as Payment).allocations) paidBefore.set(a.invoiceNumber, (paidBefore.get(a.invoiceNumber) ?? 0) + a.amountCents);
    }
    const settled = (n: string) => {
      const total = (planInvoices.get(n)?.doc.stored.record as Invoice | undefined)?.totalCents;
      return total !== undefined && total - (paidBefore.get(n) ?? 0) <= 0;
    };
    const open = synced.filter((i) => !appliedLinks.has(i.doc.stored.key) && !settled(invoiceOf(i)!));
    if (open.length) {
      const invLinks = await linksByKey(db, realmId, 'invoice', open.map((i) => invoiceOf(i)!));
      const credits = new Map((await snap.byIn('CreditMemo', 'Id', open.map((i) => i.link!.qbo_id))).map((r) => [r.Id, r]));
      const invoices = new Map((await snap.byIn('Invoice', 'Id', [...new Set([...invLinks.values()].map((l) => l.qbo_id))])).map((r) => [r.Id, r]));
      for (const it of open) {
        const n = invoiceOf(it)!;
        const credit = credits.get(it.link!.qbo_id);
        const invLink = invLinks.get(n);
        const invoice = invLink && invLink.state !== 'voided' ? invoices.get(invLink.qbo_id) : undefined;
        // The invoice not in QBO yet but written by this very plan (its earlier write failed while the
        // credit note's went through): the credit is applied after it, in the same sync (found by the
        // chaos soak: a sync succeeded with the credit still unapplied, and only the next one applied it).
        // Only when the preview knows what QBO will total the invoice at (not under Automated Sales Tax).
        const planned = !invLink ? invoiceRef(n) : undefined;
        const plannedRow = planned?.kind === 'ok' && planned.ref.rowKey && rows.some((r) => r.key === planned.ref.rowKey && r.action === 'create' && !r.skipped && r.qboTotalCents !== null) ? planned.ref : undefined;
        if (!credit || credit['status'] === 'Deleted' || (!invoice && !plannedRow) || invoice?.['status'] === 'Deleted') continue;
        const creditTotal = toCents(Number(credit['TotalAmt'] ?? 0));
        const creditLeft = toCents(Number(credit['Balance'] ?? 0));
        // A planned invoice owes its predicted total, less this plan's payments (capped below).
        const invoiceLeft = invoice ? toCents(Number(invoice['Balance'] ?? 0)) : undefined;
        if (creditTotal <= 0 || creditLeft !== creditTotal || (invoiceLeft !== undefined && invoiceLeft <= 0)) continue;
        const deps: string[] = [];
        const invoiceId = invoice ? invoice.Id : refOf(plannedRow!, deps).value;
        const cnKey = it.doc.stored.key;
        const key = rowKey('payments-export', cnKey);
        applications.set(key, { invoiceNumber: n, creditKey: rowKey('credit-notes', cnKey), totalCents: creditTotal, ...(invoiceLeft !== undefined ? { openCents: invoiceLeft } : {}) });
        rows.push(
          makeRow({
            group: 'payments-export',
            kind: 'credit-application',
            id: cnKey,
            label: `${it.label} applied to invoice ${n}`,
            version: it.doc.stored.version,
            date: (it.doc.stored.record as { date: string }).date,
            action: 'create',
            entity: 'Payment',
            payload: {
              CustomerRef: credit['CustomerRef'],
              TxnDate: (it.doc.stored.record as { date: string }).date,
              TotalAmt: 0,
              Line: [
                { Amount: amount(creditTotal), LinkedTxn: [{ TxnId: invoiceId, TxnType: 'Invoice' }] },
                { Amount: amount(creditTotal), LinkedTxn: [{ TxnId: credit.Id, TxnType: 'CreditMemo' }] },
              ],
              PrivateNote: `Credit note ${cnKey} applied to invoice ${n}\n${marker('credit-application', cnKey)}`,
            },
            dependsOn: deps,
            practiceTotalCents: 0,
            qboTotalCents: 0,
          }),
        );
      }
    }
  }

  // ---- credits never apply more than an invoice has left after this sync's payments -------------------
  for (const r of rows) if (r.action === 'import' && r.payload) for (const a of (r.payload as unknown as Payment).allocations) paidByInvoice.set(a.invoiceNumber, (paidByInvoice.get(a.invoiceNumber) ?? 0) + a.amountCents);
  // An invoice of this plan totals in QBO what its row predicts (the practice's total, but for US sales tax).
  const invoiceTotal = (n: string) => rows.find((x) => x.key === rowKey('invoices', n) && x.action === 'create')?.qboTotalCents ?? ((planInvoices.get(n)?.doc.stored.record as Invoice | undefined) ?? practiceInvoices.get(n)?.record)?.totalCents;
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
    paidByInvoice.set(a.invoiceNumber, (paidByInvoice.get(a.invoiceNumber) ?? 0) + applied);
    if (applied < a.totalCents) {
      r.payload = { ...r.payload!, Line: (r.payload!['Line'] as Array<Record<string, unknown>>).map((l) => ({ ...l, Amount: amount(applied) })) };
      r.payloadHash = payloadHash(r.payload);
      credit?.issues.push(issue('credit-note.partly-applied', 'warning', { record: credit.record.label, value: a.invoiceNumber, field: 'invoiceNumber', detail: `${amount(applied).toFixed(2)} of ${amount(a.totalCents).toFixed(2)}` }, 'invoiceNumber'));
    }
  }
  const kept = rows.filter((r) => !dropped.has(r.key));

  return finish(realmId, deps.clock, settings, kept, snap.requests, skipOf);
}

// ---- helpers -------------------------------------------------------------------------------------------

/**
 * The practice payments an import recorded (number `QBO-<Id>`, linked as `qbo:<Id>`; see
 * run/payments-import.ts): never exported, whatever the direction is now. Only a number whose import
 * link exists counts, so a practice's own payment that happens to be numbered `QBO-…` still goes.
 */
async function importedPayments(db: Db, realmId: string, payments: ExportDocument[]): Promise<Set<string>> {
  const byLinkKey = new Map<string, string>();
  for (const p of payments) {
    const m = /^QBO-(.+)$/.exec(p.stored.key);
    if (m) byLinkKey.set(`qbo:${m[1]}`, p.stored.key);
  }
  if (byLinkKey.size === 0) return new Set();
  const links = await linksByKey(db, realmId, 'qbo-payment', byLinkKey.keys());
  return new Set([...links.keys()].map((k) => byLinkKey.get(k)!));
}

const refField: Record<string, string> = { Customer: 'contactCode', Vendor: 'supplierCode', Item: 'projectNumber' };

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

function totalOf(kind: DocumentKind, record: unknown): number {
  const r = record as { totalCents?: number; amountCents?: number };
  return kind === 'payment' ? (r.amountCents ?? 0) : (r.totalCents ?? 0);
}

function refOf(r: EntityRef, deps: string[]): { value: string } {
  if (r.rowKey) deps.push(r.rowKey);
  return { value: r.value };
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
 * The payments QBO holds applied to each invoice about to be voided ("Payment 12 $6,283.20"), by QBO
 * invoice Id; only invoices with some. Voiding an invoice in QBO unlinks its payments and leaves them
 * as unapplied credit (qbo-api.md §3 Payment: a payment adds `{TxnId, TxnType: "Payment"}` to the
 * invoice's LinkedTxn and lowers its Balance), so such a void is an error the bookkeeper settles first
 * (found by the issue-19 attack). Payments this same run voids are left out. One IN query per 1,000.
 */
async function paymentsApplied(snap: QboSnapshot, voiding: ReadonlyArray<{ kind: string; link?: Link }>, qboRows: Map<string, QboRow>): Promise<Map<string, string>> {
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
      const cents = lines.filter((l) => (l.LinkedTxn ?? []).some((t) => t.TxnType === 'Invoice' && String(t.TxnId) === invoiceId)).reduce((s, l) => s + (typeof l.Amount === 'number' ? toCents(l.Amount) : 0), 0);
      return `Payment ${id} $${amount(cents).toFixed(2)}`;
    });
    out.set(invoiceId, parts.length ? parts.join(', ') : 'its balance is below its total');
  }
  return out;
}
