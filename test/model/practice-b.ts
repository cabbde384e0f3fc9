/**
 * Practice B (issue 15, "Many practices"): a second practice in the same installation and database,
 * with the SAME record keys as practice A (invoices INV-1, INV-2, … and contacts C1–C3) but other
 * names, unique IDs and amounts, connected to its own emulator company. Its commands change B's ledger,
 * skips and settings and sync B, interleaved with A's. The promises (`checkPracticeB`), read from each
 * company as the emulator holds it (its dump) and the product's database:
 *  - isolation: A's company holds only A's customers and documents, B's only B's;
 *  - b-once:    every B invoice is in B's company at most once, where its link says;
 *  - b-totals:  each current linked B invoice's total and balance, and each B customer's balance,
 *               equal B's ledger to the cent;
 *  - b-settled: after the settle step every active, unskipped B invoice in its window is in B's company;
 *  - untouched: a step of one practice leaves the other's history, skips, settings, links, journal
 *               and ledger exactly as they were (checked in harness.ts around every step).
 */
import type { App } from '../../src/app.js';
import { followEmulatorConsent } from '../../src/cli/auto-consent.js';
import { createConnectionService } from '../../src/connect/connection/connection.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { sync } from '../../src/connect/run/sync.js';
import { setSetting } from '../../src/connect/settings/store.js';
import { skip, unskip } from '../../src/connect/skips.js';
import type { RunningEmulator } from '../../src/emulator/run/server.js';
import { importDocument } from '../../src/practice/import.js';
import { createPractice } from '../../src/practice/practices.js';
import { listRecords, updateRecord } from '../../src/practice/store.js';
import type { Db } from '../../src/store/db.js';
import type { Cmd, Real } from './commands.js';
import type { Model } from './model.js';
import { contactCodes, dayOf, invoice } from './practice.js';
import type { ModelClock, System } from './system.js';
import { clientOptions, pickCounts, processingWindowMs } from './sync-options.js';

export const PRACTICE_B = 'practice-b';

/** B's contacts: A's codes, B's own names and unique IDs (A's are `U-C1`, …). */
export function baseLedgerB() {
  return {
    taxCodes: [{ code: 'GST', name: 'GST 10%', rateBasisPoints: 1000, forSales: true, forPurchases: true }],
    paymentTypes: [{ code: 'EFT', name: 'Direct deposit' }],
    contacts: contactCodes.map((code) => ({ code, uniqueId: `UB-${code}`, name: `Other practice client ${code}`, isClient: true, isSupplier: false })),
  };
}

type Row = Record<string, unknown> & { Id: string };
type Dump = { entities: Record<string, Row[] | undefined> };
const entitiesOf = (emu: RunningEmulator, realmId: string) => (emu.control.dump(realmId) as Dump).entities;

/** Creates practice B, connects a new emulator company to it the way the web app does, imports and maps its ledger. */
export async function startPracticeB(app: App, emu: RunningEmulator, name: string, clock: ModelClock): Promise<System['b']> {
  const db = app.ctx.db;
  await createPractice(db, { id: PRACTICE_B, name: 'Practice B' }, 'model', clock());
  const company = emu.control.seedCompany({ preset: 'au', name });
  const svc = createConnectionService({ db, config: app.ctx.config, logger: app.ctx.logger, clock: app.ctx.clock });
  const begun = await svc.beginConnect({ actor: 'model', company: company.realmId, practiceId: PRACTICE_B });
  const q = await followEmulatorConsent(begun.url, company.realmId);
  const status = await svc.completeConnect({ ...q, actor: 'model' });
  if (status.state !== 'connected' || q.realmId !== company.realmId) throw new Error(`practice B could not connect: ${status.message}`);
  const realmId = company.realmId;
  const e = entitiesOf(emu, realmId);
  const idOf = (entity: string, ok: (r: Row) => boolean) => {
    const r = (e[entity] ?? []).find(ok);
    if (!r) throw new Error(`no matching ${entity} in practice B's emulator company`);
    return r.Id;
  };
  const report = await importDocument(db, PRACTICE_B, baseLedgerB(), clock());
  if (!report.ok) throw new Error(`practice B's ledger did not import: ${JSON.stringify(report.issues)}`);
  const set = (path: string, value: unknown) => setSetting(db, { realmId, path, value, actor: 'model-b', clock });
  await set('invoices.jobItems', 'fixed-item');
  await set('invoices.fixedItemId', idOf('Item', (r) => r['Name'] === 'Services'));
  await set('invoices.memo', 'invoice-text');
  await set('tax.sales.GST', idOf('TaxCode', (r) => r['Name'] === 'GST'));
  await set('payments.depositAccountId', idOf('Account', (r) => r['AccountType'] === 'Bank'));
  await set('payments.methodByPaymentType.EFT', idOf('PaymentMethod', (r) => r['Name'] === 'EFT'));
  for (const k of ['invoices', 'creditNotes', 'payments', 'bills', 'staffExpenses']) await set(`general.exportFrom.${k}`, '2026-10-01');
  return { practiceId: PRACTICE_B, realmId };
}

// ---- what one practice's step must leave alone in the other ----------------------------------------

/** Everything the product keeps for one practice and its company, as text to compare before and after a step. */
export async function practiceState(db: Db, practiceId: string, realmId: string): Promise<string> {
  const byRealm = (table: 'runs' | 'skips' | 'connect_settings' | 'settings_audit' | 'links' | 'journal') => db.selectFrom(table).selectAll().where('realm_id', '=', realmId).execute();
  const [runs, runRecords, skips, settings, audit, links, journal, records] = await Promise.all([
    byRealm('runs'),
    db
      .selectFrom('run_records')
      .innerJoin('runs', 'runs.id', 'run_records.run_id')
      .selectAll('run_records')
      .where('runs.realm_id', '=', realmId)
      .orderBy('run_records.id')
      .execute(),
    byRealm('skips'),
    byRealm('connect_settings'),
    byRealm('settings_audit'),
    byRealm('links'),
    byRealm('journal'),
    db.selectFrom('practice_records').select(['kind', 'key', 'version', 'state', 'content_hash']).where('practice_id', '=', practiceId).orderBy('kind').orderBy('key').execute(),
  ]);
  const state = { runs, runRecords, skips, settings, audit, links, journal, records };
  return JSON.stringify(state, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v));
}

/** The first part that differs, named, for the counterexample. */
export function firstDifference(before: string, after: string): string {
  const a = JSON.parse(before) as Record<string, unknown>;
  const b = JSON.parse(after) as Record<string, unknown>;
  const part = Object.keys(a).find((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  return part ? `${part}: ${JSON.stringify(a[part]).slice(0, 300)} became ${JSON.stringify(b[part]).slice(0, 300)}` : 'nothing';
}

// ---- B's commands -----------------------------------------------------------------------------------

const pick = <T>(xs: readonly T[], i: number): T | undefined => (xs.length ? xs[i % xs.length] : undefined);

/** A step of practice B: harness.ts checks that it leaves practice A's state untouched. */
abstract class BCmd implements Cmd {
  readonly practice = 'b';
  abstract check(m: Readonly<Model>): boolean;
  abstract run(m: Model, r: Real): Promise<void>;
  abstract toString(): string;
}

export class ImportInvoiceB extends BCmd {
  constructor(
    readonly contact: number,
    readonly day: number,
    readonly lineCents: number[],
  ) {
    super();
  }
  check = () => true;
  async run(m: Model, r: Real) {
    const contactCode = pick(contactCodes, this.contact)!;
    // B numbers its invoices as A does: INV-1 is in both ledgers, with other clients and amounts.
    const number = `INV-${m.b.nextInvoice++}`;
    const doc = { number, contactCode, date: dayOf(this.day), dueDate: dayOf(this.day + 30), text: `B fees ${number}`, lineCents: this.lineCents };
    const report = await importDocument(r.sys.app.ctx.db, PRACTICE_B, { invoices: [invoice(doc)] }, r.sys.clock());
    if (!report.ok) throw new Error(`practice B's import of ${number} refused: ${JSON.stringify(report.issues)}`);
    m.b.invoices.set(number, { ...doc, cancelled: false });
  }
  toString = () => `B.importInvoice(contact ${this.contact}, day ${this.day}, [${this.lineCents.join(',')}])`;
}

export class EditInvoiceB extends BCmd {
  constructor(
    readonly which: number,
    readonly field: 'text' | 'amount' | 'cancel',
  ) {
    super();
  }
  check = (m: Readonly<Model>) => [...m.b.invoices.values()].some((i) => !i.cancelled);
  async run(m: Model, r: Real) {
    const [number, inv] = pick(
      [...m.b.invoices.entries()].filter(([, i]) => !i.cancelled),
      this.which,
    )!;
    const n = m.b.nextEdit++;
    if (this.field === 'text') inv.text = `B fees ${number} rev ${n}`;
    if (this.field === 'amount') inv.lineCents = [...inv.lineCents.slice(0, -1), inv.lineCents.at(-1)! + 1_007 * (1 + (n % 3))];
    if (this.field === 'cancel') inv.cancelled = true;
    await updateRecord(r.sys.app.ctx.db, PRACTICE_B, 'invoice', number, invoice({ number, ...inv, ...(inv.cancelled ? { state: 'cancelled' as const } : {}) }), r.sys.clock());
  }
  toString = () => `B.editInvoice(${this.which}, ${this.field})`;
}

export class SkipInvoiceB extends BCmd {
  constructor(
    readonly which: number,
    readonly addBack: boolean,
  ) {
    super();
  }
  check = (m: Readonly<Model>) => (this.addBack ? m.b.skipped.size > 0 : m.b.invoices.size > 0);
  async run(m: Model, r: Real) {
    const base = { realmId: r.sys.b.realmId, kind: 'invoice', actor: 'model-b', clock: r.sys.clock };
    if (this.addBack) {
      const id = pick([...m.b.skipped], this.which)!;
      m.b.skipped.delete(id);
      await unskip(r.sys.app.ctx.db, { ...base, id });
    } else {
      const id = pick([...m.b.invoices.keys()], this.which)!;
      m.b.skipped.add(id);
      await skip(r.sys.app.ctx.db, { ...base, id, date: m.b.invoices.get(id)!.date });
    }
  }
  toString = () => `B.${this.addBack ? 'addBack' : 'skip'}(${this.which})`;
}

export class SetExportFromB extends BCmd {
  constructor(readonly value: string) {
    super();
  }
  check = () => true;
  async run(m: Model, r: Real) {
    await setSetting(r.sys.app.ctx.db, { realmId: r.sys.b.realmId, path: 'general.exportFrom.invoices', value: this.value, actor: 'model-b', clock: r.sys.clock });
    m.b.exportFrom = this.value;
  }
  toString = () => `B.set(general.exportFrom.invoices = ${this.value})`;
}

export class SyncB extends BCmd {
  check = () => true;
  async run(_m: Model, r: Real) {
    const realmId = r.sys.b.realmId;
    const deps = syncDepsFor(r.sys.app.ctx, realmId, { processingWindowMs, env: {}, client: clientOptions });
    const res = await sync(deps, { realmId, actor: 'model-b' });
    r.log.push(`  B.sync: ${res.status} ${JSON.stringify(pickCounts(res.summary))}${res.message ? ` — ${res.message.slice(0, 300)}` : ''}`);
  }
  toString = () => 'B.sync';
}

export const isPracticeBStep = (cmd: unknown): boolean => (cmd as { practice?: string }).practice === 'b';

/** B's start, one step: three invoices numbered as A's first three, imported in one document, and one sync. */
export class WarmUpB extends BCmd {
  check = () => true;
  async run(m: Model, r: Real) {
    const docs = [
      { contactCode: 'C1', day: 21, lineCents: [90_007, 40_017] },
      { contactCode: 'C2', day: 26, lineCents: [180_007] },
      { contactCode: 'C3', day: 33, lineCents: [65_007] },
    ].map((d) => {
      const number = `INV-${m.b.nextInvoice++}`;
      return { number, contactCode: d.contactCode, date: dayOf(d.day), dueDate: dayOf(d.day + 30), text: `B fees ${number}`, lineCents: d.lineCents };
    });
    const report = await importDocument(r.sys.app.ctx.db, PRACTICE_B, { invoices: docs.map((d) => invoice(d)) }, r.sys.clock());
    if (!report.ok) throw new Error(`practice B's warm-up import refused: ${JSON.stringify(report.issues)}`);
    for (const d of docs) m.b.invoices.set(d.number, { ...d, cancelled: false });
    await new SyncB().run(m, r);
  }
  toString = () => 'B.warmUp(INV-1..INV-3, sync)';
}

// ---- B's promises -----------------------------------------------------------------------------------

export type PracticeBInvariant = 'isolation' | 'b-once' | 'b-totals' | 'b-settled';

const cents = (v: unknown) => Math.round(Number(v ?? 0) * 100);
const refOf = (v: unknown) => (v as { value?: string } | undefined)?.value;

/** Checks the promises at the top of this file; `settled`: the settle step has synced B twice. */
export async function checkPracticeB(sys: System, m: Model, say: (k: PracticeBInvariant, s: string) => void): Promise<void> {
  const db = sys.app.ctx.db;
  const a = entitiesOf(sys.emu, sys.realmId);
  const b = entitiesOf(sys.emu, sys.b.realmId);
  const uidOf = (c: Row) => /uid:(\S+)/.exec(String(c['Notes'] ?? ''))?.[1];

  // ---- isolation --------------------------------------------------------------------------------------
  for (const c of a['Customer'] ?? []) if (uidOf(c)?.startsWith('UB-')) say('isolation', `practice A's company holds B's contact ${uidOf(c)} as Customer ${c.Id}`);
  for (const c of b['Customer'] ?? []) if (!uidOf(c)?.startsWith('UB-')) say('isolation', `practice B's company holds Customer ${c.Id} (${String(c['DisplayName'])}), not one of B's contacts`);
  const bCustomers = new Set((b['Customer'] ?? []).map((c) => c.Id));
  const bLinks = await db.selectFrom('links').selectAll().where('realm_id', '=', sys.b.realmId).execute();
  const bLinked = new Map(bLinks.filter((l) => l.record_kind === 'invoice').map((l) => [l.qbo_id, l.record_key]));
  for (const inv of b['Invoice'] ?? []) {
    if (!bCustomers.has(refOf(inv['CustomerRef']) ?? '')) say('isolation', `practice B's Invoice ${inv.Id} (${String(inv['DocNumber'])}) is for a customer B's company does not have`);
    if (!bLinked.has(inv.Id)) say('isolation', `practice B's company holds Invoice ${inv.Id} (${String(inv['DocNumber'])}, ${String(inv['TotalAmt'])}), which no B invoice is linked to`);
  }
  // A's own invoices are checked by invariants.ts (once, totals); here: none of them is B's.
  const aLinks = await db.selectFrom('links').select(['qbo_id', 'record_kind']).where('realm_id', '=', sys.realmId).where('record_kind', '=', 'invoice').execute();
  const aPending = await db.selectFrom('journal').select('id').where('realm_id', '=', sys.realmId).where('status', '=', 'pending').execute();
  const aLinked = new Set(aLinks.map((l) => l.qbo_id));
  if (aPending.length === 0)
    for (const inv of a['Invoice'] ?? [])
      if (!aLinked.has(inv.Id)) say('isolation', `practice A's company holds Invoice ${inv.Id} (${String(inv['DocNumber'])}, ${String(inv['TotalAmt'])}), which no A invoice is linked to`);

  // ---- b-once and b-totals ------------------------------------------------------------------------------
  const bInvoices = new Map((b['Invoice'] ?? []).map((i) => [i.Id, i]));
  const ledger = (await listRecords(db, PRACTICE_B, 'invoice', { limit: 1000 })).items;
  const linkOf = new Map(bLinks.map((l) => [`${l.record_kind}:${l.record_key}`, l]));
  const byCustomer = new Map<string, { cents: number; checkable: boolean }>();
  for (const inv of ledger) {
    const same = [...bInvoices.values()].filter((x) => x['DocNumber'] === inv.key);
    if (same.length > 1) say('b-once', `B's invoice ${inv.key} is in B's company ${same.length} times (Ids ${same.map((x) => x.Id).join(', ')})`);
    const link = linkOf.get(`invoice:${inv.key}`);
    if (!link) continue;
    const q = bInvoices.get(link.qbo_id);
    if (q?.['DocNumber'] !== inv.key) {
      say('b-once', `B's invoice ${inv.key} is linked to Invoice ${link.qbo_id}, which B's company holds as ${String(q?.['DocNumber'] ?? 'nothing')}`);
      continue;
    }
    const cust = refOf(q['CustomerRef']) ?? '';
    const acc = byCustomer.get(cust) ?? { cents: 0, checkable: true };
    byCustomer.set(cust, acc);
    if (link.state === 'voided') continue;
    if (Number(link.record_version) !== inv.version || link.state !== 'linked' || inv.state === 'cancelled') {
      acc.checkable = false;
      continue;
    }
    if (cents(q['TotalAmt']) !== inv.record.totalCents) say('b-totals', `B's invoice ${inv.key}: QBO total ${String(q['TotalAmt'])}, B's ledger ${inv.record.totalCents / 100}`);
    if (cents(q['Balance']) !== inv.record.totalCents) say('b-totals', `B's invoice ${inv.key}: QBO balance ${String(q['Balance'])}, B's ledger ${inv.record.totalCents / 100} (B has no payments)`);
    acc.cents += inv.record.totalCents;
  }
  for (const [custId, e] of byCustomer) {
    const c = (b['Customer'] ?? []).find((x) => x.Id === custId);
    if (e.checkable && c && cents(c['Balance']) !== e.cents)
      say('b-totals', `B's Customer ${custId} (${String(c['DisplayName'])}): QBO balance ${String(c['Balance'])}, B's ledger ${e.cents / 100}`);
  }

  // ---- b-settled --------------------------------------------------------------------------------------
  if (m.settled) {
    const skipped = await db.selectFrom('skips').select('record_id').where('realm_id', '=', sys.b.realmId).where('record_kind', '=', 'invoice').where('unskipped_at', 'is', null).execute();
    const isSkipped = new Set(skipped.map((x) => x.record_id));
    for (const inv of ledger) {
      if (inv.state === 'cancelled' || inv.record.date < m.b.exportFrom || isSkipped.has(inv.key)) continue;
      if (!linkOf.has(`invoice:${inv.key}`)) say('b-settled', `B's invoice ${inv.key} is not in B's company after the settle step`);
    }
  }
}
