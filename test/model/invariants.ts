/**
 * The promises, checked after every step by reading QBO back through its public API (the
 * accountant's own connection: query endpoints) and the product's database:
 *  - once:       every practice record is in QBO at most once, and a linked one is where its link says;
 *                a payment that came from QBO is never sent back;
 *  - one-link:   no QBO record is linked to two practice records;
 *  - survives:   every field the accountant set in QBO still holds it (an update sends only what the
 *                practice changed; a conflict is held as diverged, never overwritten);
 *  - totals:     when no write is unresolved, each linked invoice's total and balance, and each
 *                customer's balance, equal the practice's to the cent;
 *  - counts:     every finished run's counts add up to its records, and to what it planned;
 *  - settled:    after the closing settle step (reconnected, no faults, two syncs), every active,
 *                unskipped practice invoice in the export window is linked to a QBO invoice;
 *  - isolation, b-once, b-totals, b-settled, b-routing: practice B, the same installation's second
 *                practice with the same record keys, its two companies and two offices (practice-b.ts);
 *                untouched: harness.ts.
 * Each returns sentences; an empty list is a pass.
 */
import { marker } from '../../src/connect/plan/index.js';
import { listRecords } from '../../src/practice/store.js';
import type { Model } from './model.js';
import { checkPracticeB } from './practice-b.js';
import type { System } from './system.js';

type QboRow = Record<string, unknown> & { Id: string; SyncToken: string };

export const invariantNames = ['once', 'one-link', 'survives', 'totals', 'counts', 'settled', 'isolation', 'b-once', 'b-totals', 'b-settled', 'b-routing', 'untouched'] as const;
export type InvariantName = (typeof invariantNames)[number];
export type Violations = Partial<Record<InvariantName, string[]>>;

const cents = (v: unknown) => Math.round(Number(v ?? 0) * 100);
const refOf = (v: unknown) => (v as { value?: string } | undefined)?.value;
const noteLines = (r: QboRow) => String(r['PrivateNote'] ?? '').split('\n');

async function all(sys: System, entity: 'Customer' | 'Invoice' | 'Payment'): Promise<QboRow[]> {
  const out: QboRow[] = [];
  for await (const r of sys.accountant.query(entity)) out.push(r as QboRow);
  return out;
}

/** Runs the model's kill left behind: their counts are cut off by design. */
export interface CheckContext {
  killedRuns: Set<string>;
}

export async function checkInvariants(sys: System, m: Model, cx: CheckContext): Promise<Violations> {
  const db = sys.app.ctx.db;
  const v: Violations = {};
  const say = (k: InvariantName, s: string) => (v[k] ??= []).push(s);
  const [customers, invoices, payments] = [await all(sys, 'Customer'), await all(sys, 'Invoice'), await all(sys, 'Payment')];
  const links = await db.selectFrom('links').selectAll().where('realm_id', '=', sys.realmId).execute();
  const linkOf = new Map(links.map((l) => [`${l.record_kind}:${l.record_key}`, l]));
  const invoiceById = new Map(invoices.map((i) => [i.Id, i]));
  const practiceInvoices = (await listRecords(db, 'default', 'invoice', { limit: 1000 })).items;
  const practicePayments = (await listRecords(db, 'default', 'payment', { limit: 1000 })).items;
  const practiceContacts = (await listRecords(db, 'default', 'contact', { limit: 1000 })).items;

  // ---- once -------------------------------------------------------------------------------------
  for (const c of practiceContacts) {
    const link = linkOf.get(`contact:${c.key}`);
    const named = customers.filter((x) => String(x['Notes'] ?? '').includes(`uid:${c.record.uniqueId}`));
    if (named.length > 1) say('once', `contact ${c.key}: ${named.length} QBO customers carry its unique ID (${named.map((x) => x.Id).join(', ')})`);
    if (link && !customers.some((x) => x.Id === link.qbo_id)) say('once', `contact ${c.key} is linked to Customer ${link.qbo_id}, which QBO does not have`);
  }
  for (const inv of practiceInvoices) {
    const same = invoices.filter((x) => x['DocNumber'] === inv.key);
    if (same.length > 1) say('once', `invoice ${inv.key} is in QBO ${same.length} times (Ids ${same.map((x) => x.Id).join(', ')})`);
    const link = linkOf.get(`invoice:${inv.key}`);
    if (link && invoiceById.get(link.qbo_id)?.['DocNumber'] !== inv.key)
      say('once', `invoice ${inv.key} is linked to Invoice ${link.qbo_id}, which QBO holds as ${String(invoiceById.get(link.qbo_id)?.['DocNumber'] ?? 'nothing')}`);
  }
  for (const p of practicePayments) {
    const mark = marker('payment', p.key);
    const sent = payments.filter((x) => noteLines(x).includes(mark));
    const fromQbo = /^QBO-/.test(p.key);
    if (fromQbo && sent.length > 0) say('once', `payment ${p.key} came from QBO (Payment ${p.key.slice(4)}) and was sent back as Payment ${sent.map((x) => x.Id).join(', ')}`);
    if (!fromQbo && sent.length > 1) say('once', `payment ${p.key} is in QBO ${sent.length} times (Ids ${sent.map((x) => x.Id).join(', ')})`);
  }
  for (const [id] of m.accountantPayments) if (!payments.some((x) => x.Id === id)) say('once', `the accountant's Payment ${id} is gone from QBO`);

  // ---- one-link ---------------------------------------------------------------------------------
  const byQbo = new Map<string, string[]>();
  for (const l of links) byQbo.set(`${l.qbo_entity} ${l.qbo_id}`, [...(byQbo.get(`${l.qbo_entity} ${l.qbo_id}`) ?? []), `${l.record_kind}:${l.record_key}`]);
  for (const [q, recs] of byQbo) if (recs.length > 1) say('one-link', `${q} is linked to ${recs.join(' and ')}`);

  // ---- survives ---------------------------------------------------------------------------------
  for (const [id, e] of m.edits) {
    const now = invoiceById.get(id);
    if (!now) {
      say('survives', `Invoice ${id} (${e.invoiceNumber}), edited by the accountant, is gone`);
      continue;
    }
    const state = linkOf.get(`invoice:${e.invoiceNumber}`)?.state ?? 'unlinked';
    if (e.memo !== undefined && refOf(now['CustomerMemo']) !== e.memo)
      say('survives', `invoice ${e.invoiceNumber}: the accountant's memo "${e.memo}" became "${String(refOf(now['CustomerMemo']) ?? '')}" (link ${state})`);
    if (e.dueDate !== undefined && now['DueDate'] !== e.dueDate)
      say('survives', `invoice ${e.invoiceNumber}: the accountant's due date ${e.dueDate} became ${String(now['DueDate'])} (link ${state})`);
    const voided = state === 'voided' || cents(now['TotalAmt']) === 0;
    if (e.totalCents !== undefined && !voided && cents(now['TotalAmt']) !== e.totalCents)
      say('survives', `invoice ${e.invoiceNumber}: the accountant's total ${e.totalCents / 100} became ${String(now['TotalAmt'])} (link ${state})`);
  }

  // ---- totals (only when every write is settled) ---------------------------------------------------
  const unresolved = await db.selectFrom('journal').select('id').where('realm_id', '=', sys.realmId).where('status', '=', 'pending').execute();
  if (unresolved.length === 0) {
    const amountEdited = new Set([...m.edits.values()].filter((e) => e.totalCents !== undefined).map((e) => e.invoiceNumber));
    const inQbo = (key: string) => {
      if (/^QBO-/.test(key)) return true;
      const l = linkOf.get(`payment:${key}`);
      return !!l && l.state !== 'voided';
    };
    const paidTo = new Map<string, number>();
    for (const p of practicePayments) {
      if (p.state === 'cancelled' || !inQbo(p.key)) continue;
      for (const a of p.record.allocations) paidTo.set(a.invoiceNumber, (paidTo.get(a.invoiceNumber) ?? 0) + a.amountCents);
    }
    const imported = new Set(practicePayments.filter((p) => /^QBO-/.test(p.key)).map((p) => p.key.slice(4)));
    for (const [id, ap] of m.accountantPayments) if (!imported.has(id)) paidTo.set(ap.invoiceNumber, (paidTo.get(ap.invoiceNumber) ?? 0) + ap.amountCents);
    const expectedByCustomer = new Map<string, { cents: number; checkable: boolean }>();
    for (const inv of practiceInvoices) {
      const link = linkOf.get(`invoice:${inv.key}`);
      if (!link) continue;
      const q = invoiceById.get(link.qbo_id);
      if (!q) continue;
      const cust = refOf(q['CustomerRef']) ?? '';
      const acc = expectedByCustomer.get(cust) ?? { cents: 0, checkable: true };
      expectedByCustomer.set(cust, acc);
      // QBO leaves a payment on a voided invoice unapplied: the customer is in credit by that much.
      if (link.state === 'voided') {
        acc.cents -= paidTo.get(inv.key) ?? 0;
        continue;
      }
      const current = Number(link.record_version) === inv.version && link.state === 'linked' && inv.state !== 'cancelled';
      if (!current || amountEdited.has(inv.key)) {
        acc.checkable = false;
        continue;
      }
      if (cents(q['TotalAmt']) !== inv.record.totalCents) say('totals', `invoice ${inv.key}: QBO total ${String(q['TotalAmt'])}, the practice's ${inv.record.totalCents / 100}`);
      const expected = inv.record.totalCents - (paidTo.get(inv.key) ?? 0);
      if (cents(q['Balance']) !== expected)
        say('totals', `invoice ${inv.key}: QBO balance ${String(q['Balance'])}, the practice's ${expected / 100} (total ${inv.record.totalCents / 100} less payments)`);
      acc.cents += expected;
    }
    const linkedInvoiceIds = new Set(links.filter((l) => l.record_kind === 'invoice').map((l) => l.qbo_id));
    for (const [custId, e] of expectedByCustomer) {
      if (!e.checkable) continue;
      if (invoices.some((i) => refOf(i['CustomerRef']) === custId && !linkedInvoiceIds.has(i.Id))) continue; // a stray invoice is reported under once
      const c = customers.find((x) => x.Id === custId);
      if (c && cents(c['Balance']) !== e.cents)
        say('totals', `Customer ${custId} (${String(c['DisplayName'])}): QBO balance ${String(c['Balance'])}, the practice's ${e.cents / 100}`);
    }
  }

  // ---- counts -----------------------------------------------------------------------------------
  const runs = await db.selectFrom('runs').selectAll().where('realm_id', '=', sys.realmId).execute();
  for (const r of runs) {
    if (cx.killedRuns.has(r.id) || r.status === 'running' || r.status === 'interrupted' || r.status === 'refused') continue;
    const recs = await db.selectFrom('run_records').select(['status', 'action']).where('run_id', '=', r.id).execute();
    const counted = ['created', 'adopted', 'updated', 'voided', 'imported', 'failed', 'held'].reduce((s, k) => s + Number(r[k as 'created']), 0);
    if (counted !== recs.length) say('counts', `run ${r.id} (${r.status}): its counts add up to ${counted}, it has ${recs.length} records`);
    if (Number(r.progress_total) > 0 && Number(r.progress_done) !== Number(r.progress_total))
      say('counts', `run ${r.id} (${r.status}, "${r.message ?? ''}"): ${String(r.progress_done)} of ${String(r.progress_total)} planned records accounted for`);
  }
  // ---- settled ------------------------------------------------------------------------------------
  if (m.settled) {
    const skipped = await db.selectFrom('skips').select(['record_kind', 'record_id']).where('realm_id', '=', sys.realmId).where('unskipped_at', 'is', null).execute();
    const isSkipped = new Set(skipped.map((x) => `${x.record_kind}:${x.record_id}`));
    const last = runs.sort((a, b) => a.started_at.localeCompare(b.started_at) || a.id.localeCompare(b.id)).at(-1);
    for (const inv of practiceInvoices) {
      if (inv.state === 'cancelled' || inv.record.date < m.exportFrom || isSkipped.has(`invoice:${inv.key}`)) continue;
      if (!linkOf.has(`invoice:${inv.key}`)) say('settled', `invoice ${inv.key} is not in QBO after two clean syncs (last run ${last?.status ?? 'none'}: ${last?.message ?? ''})`);
    }
  }
  await checkPracticeB(sys, m, say);
  return v;
}
