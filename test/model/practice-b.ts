/**
 * Practice B (issue 15, "Many practices"): a second practice in the same installation and database,
 * with the SAME record keys as practice A (invoices INV-1, INV-2, … and contacts C1–C3) but other
 * names, unique IDs and amounts, connected to its own emulator companies: B keeps two offices (N, S;
 * each invoice is on its client's project, which has an office) and two companies (the first takes
 * the whole ledger, the second none, until a step says otherwise). Its commands change B's ledger,
 * skips, settings and company offices (an overlap comes and goes), move projects between offices and
 * sync either company, interleaved with A's. The promises (`checkPracticeB`), read from each company
 * as the emulator holds it (its dump) and the product's database:
 *  - isolation: A's company holds only A's customers and documents, B's companies only B's;
 *  - b-once:    every B invoice is in each B company at most once, where its link says;
 *  - b-totals:  each current linked B invoice's total and balance, and each B customer's balance,
 *               equal B's ledger to the cent;
 *  - b-routing: no B invoice is in both companies; one synced to a company is never created in the
 *               other; a sync whose preview has overlap error rows writes nothing;
 *  - b-settled: after the settle step every active, unskipped B invoice in its window is in a B company;
 *  - untouched: a step of one practice leaves the other's history, skips, settings, links, journal
 *               and ledger exactly as they were (checked in harness.ts around every step).
 */
import type { App } from '../../src/app.js';
import { followEmulatorConsent } from '../../src/cli/auto-consent.js';
import { setCompanyOffices } from '../../src/connect/company-scope.js';
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
    offices: [
      { code: 'N', name: 'North office' },
      { code: 'S', name: 'South office' },
    ],
    projects: contactCodes.map((code) => projectB(code, code === 'C2' ? 'S' : 'N')),
  };
}

/** B's project for a client: each B invoice is on its client's project, whose office routes it. */
export function projectB(clientCode: string, officeCode: string) {
  return { number: `P-${clientCode}`, name: `Project of ${clientCode}`, clientCode, officeCode, status: 'active' as const, stages: [] };
}

type Row = Record<string, unknown> & { Id: string };
type Dump = { entities: Record<string, Row[] | undefined> };
const entitiesOf = (emu: RunningEmulator, realmId: string) => (emu.control.dump(realmId) as Dump).entities;

/** Creates practice B, connects a new emulator company to it the way the web app does, imports and maps its ledger. */
export async function startPracticeB(app: App, emu: RunningEmulator, name: string, clock: ModelClock): Promise<System['b']> {
  const db = app.ctx.db;
  await createPractice(db, { id: PRACTICE_B, name: 'Practice B' }, 'model', clock());
  const report = await importDocument(db, PRACTICE_B, baseLedgerB(), clock());
  if (!report.ok) throw new Error(`practice B's ledger did not import: ${JSON.stringify(report.issues)}`);
  const first = await connectB(app, emu, `${name} 1`, clock);
  const second = await connectB(app, emu, `${name} 2`, clock);
  // The second company starts retired (no office): the first takes the whole ledger, as before issue 15.
  await setCompanyOffices(db, { realmId: second, offices: [], actor: 'model-b', clock });
  return { practiceId: PRACTICE_B, realmId: first, realmIds: [first, second] };
}

/** A new emulator company connected to practice B the way the web app connects, its settings mapped. */
async function connectB(app: App, emu: RunningEmulator, name: string, clock: ModelClock): Promise<string> {
  const db = app.ctx.db;
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
  const set = (path: string, value: unknown) => setSetting(db, { realmId, path, value, actor: 'model-b', clock });
  await set('invoices.jobItems', 'fixed-item');
  await set(
    'invoices.fixedItemId',
    idOf('Item', (r) => r['Name'] === 'Services'),
  );
  await set('invoices.memo', 'invoice-text');
  await set(
    'tax.sales.GST',
    idOf('TaxCode', (r) => r['Name'] === 'GST'),
  );
  await set(
    'payments.depositAccountId',
    idOf('Account', (r) => r['AccountType'] === 'Bank'),
  );
  await set(
    'payments.methodByPaymentType.EFT',
    idOf('PaymentMethod', (r) => r['Name'] === 'EFT'),
  );
  for (const k of ['invoices', 'creditNotes', 'payments', 'bills', 'staffExpenses']) await set(`general.exportFrom.${k}`, '2026-10-01');
  return realmId;
}

// ---- what one practice's step must leave alone in the other ----------------------------------------

/** Everything the product keeps for one practice and its company, as text to compare before and after a step. */
export async function practiceState(db: Db, practiceId: string, realmIds: readonly string[]): Promise<string> {
  const byRealm = (table: 'runs' | 'skips' | 'connect_settings' | 'settings_audit' | 'links' | 'journal') =>
    db.selectFrom(table).selectAll().where('realm_id', 'in', realmIds).orderBy('realm_id').execute();
  const [runs, runRecords, skips, settings, audit, links, journal, records] = await Promise.all([
    byRealm('runs'),
    db
      .selectFrom('run_records')
      .innerJoin('runs', 'runs.id', 'run_records.run_id')
      .selectAll('run_records')
      .where('runs.realm_id', 'in', realmIds)
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
    const doc = {
      number,
      contactCode,
      projectNumber: `P-${contactCode}`,
      date: dayOf(this.day),
      dueDate: dayOf(this.day + 30),
      text: `B fees ${number}`,
      lineCents: this.lineCents,
    };
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
  /** Skips are kept per company; the model's are the first company's. */
  readonly company = 0;
  constructor(
    readonly which: number,
    readonly addBack: boolean,
  ) {
    super();
  }
  check = (m: Readonly<Model>) => (this.addBack ? m.b.skipped.size > 0 : m.b.invoices.size > 0);
  async run(m: Model, r: Real) {
    const base = { realmId: r.sys.b.realmIds[this.company], kind: 'invoice', actor: 'model-b', clock: r.sys.clock };
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
    for (const realmId of r.sys.b.realmIds)
      await setSetting(r.sys.app.ctx.db, { realmId, path: 'general.exportFrom.invoices', value: this.value, actor: 'model-b', clock: r.sys.clock });
    m.b.exportFrom = this.value;
  }
  toString = () => `B.set(general.exportFrom.invoices = ${this.value})`;
}

/**
 * A sync of one of B's companies. Its preview is read first: while it has an overlap error row
 * (two companies take one office), the sync must send nothing (`b-routing`).
 */
export class SyncB extends BCmd {
  constructor(readonly company: 0 | 1 = 0) {
    super();
  }
  check = () => true;
  async run(m: Model, r: Real) {
    const realmId = r.sys.b.realmIds[this.company];
    const deps = syncDepsFor(r.sys.app.ctx, realmId, { processingWindowMs, env: {}, client: clientOptions });
    const plan = await deps.buildPlan(realmId);
    const overlaps = plan.groups.flatMap((g) => g.rows.filter((x) => x.issues.some((i) => i.code === 'company.offices-overlap')));
    const res = await sync(deps, { realmId, actor: 'model-b' });
    const s = res.summary;
    const sent = s.created + s.adopted + s.updated + s.voided;
    if (overlaps.length && sent > 0)
      m.b.violations.push(`a sync of B's company ${this.company + 1} wrote ${sent} records while its preview had overlap error rows (${overlaps.map((x) => x.key).join(', ')})`);
    r.log.push(
      `  B.sync(${this.company + 1}): ${res.status} ${JSON.stringify(pickCounts(s))}${overlaps.length ? ` [${overlaps.length} overlap rows]` : ''}${res.message ? ` — ${res.message.slice(0, 300)}` : ''}`,
    );
  }
  toString = () => `B.sync(company ${this.company + 1})`;
}

/** Which offices one of B's companies takes: the whole ledger, one office, both, or none (an overlap comes and goes). */
export class SetOfficesB extends BCmd {
  constructor(
    readonly company: 0 | 1,
    readonly offices: string[] | null,
  ) {
    super();
  }
  check = () => true;
  async run(_m: Model, r: Real) {
    await setCompanyOffices(r.sys.app.ctx.db, { realmId: r.sys.b.realmIds[this.company], offices: this.offices, actor: 'model-b', clock: r.sys.clock });
  }
  toString = () => `B.setOffices(company ${this.company + 1} = ${this.offices === null ? 'all' : `[${this.offices.join(',')}]`})`;
}

/** A project moves to the other office (its invoices, synced or not, go with it in the ledger). */
export class MoveProjectB extends BCmd {
  constructor(readonly which: number) {
    super();
  }
  check = () => true;
  async run(m: Model, r: Real) {
    const client = pick(contactCodes, this.which)!;
    const number = `P-${client}`;
    const office = m.b.projectOffice.get(number) === 'N' ? 'S' : 'N';
    await updateRecord(r.sys.app.ctx.db, PRACTICE_B, 'project', number, projectB(client, office), r.sys.clock());
    m.b.projectOffice.set(number, office);
  }
  toString = () => `B.moveProject(${this.which})`;
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
      return {
        number,
        contactCode: d.contactCode,
        projectNumber: `P-${d.contactCode}`,
        date: dayOf(d.day),
        dueDate: dayOf(d.day + 30),
        text: `B fees ${number}`,
        lineCents: d.lineCents,
      };
    });
    const report = await importDocument(r.sys.app.ctx.db, PRACTICE_B, { invoices: docs.map((d) => invoice(d)) }, r.sys.clock());
    if (!report.ok) throw new Error(`practice B's warm-up import refused: ${JSON.stringify(report.issues)}`);
    for (const d of docs) m.b.invoices.set(d.number, { ...d, cancelled: false });
    await new SyncB(0).run(m, r);
  }
  toString = () => 'B.warmUp(INV-1..INV-3, sync)';
}

// ---- B's promises -----------------------------------------------------------------------------------

export type PracticeBInvariant = 'isolation' | 'b-once' | 'b-totals' | 'b-settled' | 'b-routing';

const cents = (v: unknown) => Math.round(Number(v ?? 0) * 100);
const refOf = (v: unknown) => (v as { value?: string } | undefined)?.value;

/** Checks the promises at the top of this file; `m.settled`: the settle step has synced B's companies. */
export async function checkPracticeB(sys: System, m: Model, say: (k: PracticeBInvariant, s: string) => void): Promise<void> {
  const db = sys.app.ctx.db;
  const a = entitiesOf(sys.emu, sys.realmId);
  const uidOf = (c: Row) => /uid:(\S+)/.exec(String(c['Notes'] ?? ''))?.[1];
  for (const x of m.b.violations.splice(0)) say('b-routing', x);

  // ---- isolation: A's company -----------------------------------------------------------------------
  for (const c of a['Customer'] ?? []) if (uidOf(c)?.startsWith('UB-')) say('isolation', `practice A's company holds B's contact ${uidOf(c)} as Customer ${c.Id}`);
  // A's own invoices are checked by invariants.ts (once, totals); here: every one is one of A's.
  const aLinks = await db.selectFrom('links').select('qbo_id').where('realm_id', '=', sys.realmId).where('record_kind', '=', 'invoice').execute();
  const aPending = await db.selectFrom('journal').select('id').where('realm_id', '=', sys.realmId).where('status', '=', 'pending').execute();
  const aLinked = new Set(aLinks.map((l) => l.qbo_id));
  if (aPending.length === 0)
    for (const inv of a['Invoice'] ?? [])
      if (!aLinked.has(inv.Id))
        say('isolation', `practice A's company holds Invoice ${inv.Id} (${String(inv['DocNumber'])}, ${String(inv['TotalAmt'])}), which no A invoice is linked to`);

  const ledger = (await listRecords(db, PRACTICE_B, 'invoice', { limit: 1000 })).items;
  const bLinks = await db.selectFrom('links').selectAll().where('realm_id', 'in', sys.b.realmIds).where('record_kind', '=', 'invoice').execute();
  const inCompanies = new Map<string, string[]>();
  for (const [n, realmId] of sys.b.realmIds.entries()) {
    const name = `B's company ${n + 1}`;
    const b = entitiesOf(sys.emu, realmId);
    // ---- isolation: B's companies -------------------------------------------------------------------
    for (const c of b['Customer'] ?? [])
      if (!uidOf(c)?.startsWith('UB-')) say('isolation', `${name} holds Customer ${c.Id} (${String(c['DisplayName'])}), not one of B's contacts`);
    const customers = new Set((b['Customer'] ?? []).map((c) => c.Id));
    const links = bLinks.filter((l) => l.realm_id === realmId);
    const linked = new Map(links.map((l) => [l.qbo_id, l.record_key]));
    for (const inv of b['Invoice'] ?? []) {
      if (!customers.has(refOf(inv['CustomerRef']) ?? '')) say('isolation', `${name}'s Invoice ${inv.Id} (${String(inv['DocNumber'])}) is for a customer it does not have`);
      if (!linked.has(inv.Id)) say('isolation', `${name} holds Invoice ${inv.Id} (${String(inv['DocNumber'])}, ${String(inv['TotalAmt'])}), which no B invoice is linked to`);
      const key = String(inv['DocNumber']);
      inCompanies.set(key, [...(inCompanies.get(key) ?? []), `${n + 1}`]);
    }

    // ---- b-once and b-totals ------------------------------------------------------------------------
    const byId = new Map((b['Invoice'] ?? []).map((i) => [i.Id, i]));
    const linkOf = new Map(links.map((l) => [l.record_key, l]));
    const byCustomer = new Map<string, { cents: number; checkable: boolean }>();
    for (const inv of ledger) {
      const same = [...byId.values()].filter((x) => x['DocNumber'] === inv.key);
      if (same.length > 1) say('b-once', `B's invoice ${inv.key} is in ${name} ${same.length} times (Ids ${same.map((x) => x.Id).join(', ')})`);
      const link = linkOf.get(inv.key);
      if (!link) continue;
      const first = m.b.firstCompany.get(inv.key);
      if (first === undefined) m.b.firstCompany.set(inv.key, realmId);
      else if (first !== realmId) say('b-routing', `B's invoice ${inv.key}, synced to company ${sys.b.realmIds.indexOf(first) + 1}, was created in ${name} too`);
      const q = byId.get(link.qbo_id);
      if (q?.['DocNumber'] !== inv.key) {
        say('b-once', `B's invoice ${inv.key} is linked to Invoice ${link.qbo_id}, which ${name} holds as ${String(q?.['DocNumber'] ?? 'nothing')}`);
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
      if (cents(q['TotalAmt']) !== inv.record.totalCents)
        say('b-totals', `B's invoice ${inv.key}: ${name}'s total ${String(q['TotalAmt'])}, B's ledger ${inv.record.totalCents / 100}`);
      if (cents(q['Balance']) !== inv.record.totalCents)
        say('b-totals', `B's invoice ${inv.key}: ${name}'s balance ${String(q['Balance'])}, B's ledger ${inv.record.totalCents / 100} (B has no payments)`);
      acc.cents += inv.record.totalCents;
    }
    for (const [custId, e] of byCustomer) {
      const c = (b['Customer'] ?? []).find((x) => x.Id === custId);
      if (e.checkable && c && cents(c['Balance']) !== e.cents)
        say('b-totals', `${name}'s Customer ${custId} (${String(c['DisplayName'])}): QBO balance ${String(c['Balance'])}, B's ledger ${e.cents / 100}`);
    }
  }
  // ---- b-routing: no document in two companies ----------------------------------------------------------
  for (const [key, where] of inCompanies) if (new Set(where).size > 1) say('b-routing', `B's invoice ${key} is in B's companies ${[...new Set(where)].join(' and ')}`);

  // ---- b-settled --------------------------------------------------------------------------------------
  if (m.settled) {
    const skipped = await db
      .selectFrom('skips')
      .select('record_id')
      .where('realm_id', '=', sys.b.realmIds[0])
      .where('record_kind', '=', 'invoice')
      .where('unskipped_at', 'is', null)
      .execute();
    const isSkipped = new Set(skipped.map((x) => x.record_id));
    const linkedKeys = new Set(bLinks.map((l) => l.record_key));
    for (const inv of ledger) {
      if (inv.state === 'cancelled' || inv.record.date < m.b.exportFrom || isSkipped.has(inv.key)) continue;
      if (!linkedKeys.has(inv.key)) say('b-settled', `B's invoice ${inv.key} is in neither of B's companies after the settle step`);
    }
  }
}
