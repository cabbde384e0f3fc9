/**
 * The model test's commands: small steps a bookkeeper, an accountant, an operator or the network
 * takes. Each acts on the real system through its public surfaces (the practice store, settings,
 * skips, the connection service, the sync engine as the CLI wires it, QBO's API, the emulator's
 * fault plan) and records in the model only facts it cannot read back (the accountant's edits).
 * A command that finds nothing to act on does nothing: sequences stay valid while they shrink.
 */
import fc from 'fast-check';
import type { KyselyPlugin } from 'kysely';
import { crashLabels, type CrashLabel } from '../../src/connect/run/crash-point.js';
import { skipWithLinked } from '../../src/connect/plan/index.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { DEFAULT_LOCK_TTL_MS } from '../../src/connect/run/lock.js';
import { sync } from '../../src/connect/run/sync.js';
import { setSetting } from '../../src/connect/settings/store.js';
import { skip, unskip } from '../../src/connect/skips.js';
import { importDocument } from '../../src/practice/import.js';
import { createRecord, updateRecord } from '../../src/practice/store.js';
import { actOnHeld, listActions, listHeld, undoHeldAction } from '../../src/connect/held/index.js';
import { isUserFacing } from '../../src/user-facing-error.js';
import { applyQboChanges } from '../../src/connect/changes/apply.js';
import { hasAnyPayment, practicePaid, type AccountantEdit as EditFacts, type Model } from './model.js';
import { baseContact, dayOf, invoice, payment } from './practice.js';
import { disconnect, reconnect, type System } from './system.js';
import { clientOptions, pickCounts, processingWindowMs } from './sync-options.js';
import { EditInvoiceB, ImportInvoiceB, MoveProjectB, SetExportFromB, SetOfficesB, SkipInvoiceB, SyncB } from './practice-b.js';

export interface Real {
  sys: System;
  killedRuns: Set<string>;
  /** What each step did, in order (printed with a counterexample). */
  log: string[];
}

export type Cmd = fc.AsyncCommand<Model, Real, boolean>;

const totalOf = (lines: number[]) => lines.reduce((s, c) => s + c + Math.round(c / 10), 0);

async function linkedInvoices(r: Real): Promise<Array<{ key: string; qboId: string; state: string }>> {
  const rows = await r.sys.app.ctx.db
    .selectFrom('links')
    .select(['record_key', 'qbo_id', 'state'])
    .where('realm_id', '=', r.sys.realmId)
    .where('record_kind', '=', 'invoice')
    .orderBy('record_key')
    .execute();
  return rows.map((x) => ({ key: x.record_key, qboId: x.qbo_id, state: x.state }));
}

const pick = <T>(xs: readonly T[], i: number): T | undefined => (xs.length ? xs[i % xs.length] : undefined);

// ---- the practice ---------------------------------------------------------------------------------

export class ImportInvoice implements Cmd {
  constructor(
    readonly contact: number,
    readonly day: number,
    readonly lineCents: number[],
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const contactCode = pick([...m.contacts.keys()], this.contact)!;
    const number = `INV-${m.next.invoice++}`;
    const date = dayOf(this.day);
    const doc = { number, contactCode, date, dueDate: dayOf(this.day + 30), text: `Fees ${number}`, lineCents: this.lineCents };
    // Through the practice import API, as an import file or the JSON API would.
    const report = await importDocument(r.sys.app.ctx.db, 'default', { invoices: [invoice(doc)] }, r.sys.clock());
    if (!report.ok) throw new Error(`import of ${number} refused: ${JSON.stringify(report.issues)}`);
    m.invoices.set(number, { ...doc, cancelled: false });
  }
  toString = () => `importInvoice(contact ${this.contact}, day ${this.day}, [${this.lineCents.join(',')}])`;
}

export class EditInvoice implements Cmd {
  constructor(
    readonly which: number,
    readonly field: 'text' | 'dueDate' | 'amount',
  ) {}
  check = (m: Readonly<Model>) => [...m.invoices.values()].some((i) => !i.cancelled);
  async run(m: Model, r: Real) {
    const open = [...m.invoices.entries()].filter(([, i]) => !i.cancelled);
    const [number, inv] = pick(open, this.which)!;
    const n = m.next.edit++;
    if (this.field === 'text') inv.text = `Fees ${number} rev ${n}`;
    if (this.field === 'dueDate') inv.dueDate = dayOf(60 + (n % 20));
    // More, never less: the practice's payments still fit the invoice.
    if (this.field === 'amount') inv.lineCents = [...inv.lineCents.slice(0, -1), inv.lineCents.at(-1)! + 1_000 * (1 + (n % 5))];
    await updateRecord(r.sys.app.ctx.db, 'default', 'invoice', number, invoice({ number, ...inv }), r.sys.clock());
    // A field whose QBO value a person kept (resolveHeld keep-qbo) is agreed, no longer a hand edit:
    // the practice's new value goes, as the three-way comparison sends any one-sided change.
    const field = ({ text: 'memo', dueDate: 'dueDate', amount: 'totalCents' } as const)[this.field];
    for (const [id, e] of m.edits) if (e.invoiceNumber === number && heldKept.get(r)?.has(`${id}:${field}`)) delete e[field];
  }
  toString = () => `editInvoice(${this.which}, ${this.field})`;
}

export class CancelInvoice implements Cmd {
  constructor(readonly which: number) {}
  check = (m: Readonly<Model>) => [...m.invoices.entries()].some(([n, i]) => !i.cancelled && !hasAnyPayment(m as Model, n));
  async run(m: Model, r: Real) {
    const open = [...m.invoices.entries()].filter(([n, i]) => !i.cancelled && !hasAnyPayment(m, n));
    const [number, inv] = pick(open, this.which)!;
    inv.cancelled = true;
    await updateRecord(r.sys.app.ctx.db, 'default', 'invoice', number, invoice({ number, ...inv, state: 'cancelled' }), r.sys.clock());
  }
  toString = () => `cancelInvoice(${this.which})`;
}

export class RenameContact implements Cmd {
  /** `reuseName`: a new contact takes the old name (issue 19, "A rename blocks every future sync"). */
  constructor(
    readonly which: number,
    readonly reuseName: boolean,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const code = pick([...m.contacts.keys()], this.which)!;
    const old = m.contacts.get(code)!;
    const name = `${old} renamed ${m.next.edit++}`;
    m.contacts.set(code, name);
    await updateRecord(r.sys.app.ctx.db, 'default', 'contact', code, baseContact(code, name), r.sys.clock());
    if (this.reuseName) {
      const fresh = `C${m.next.contact++}`;
      m.contacts.set(fresh, old);
      await createRecord(r.sys.app.ctx.db, 'default', 'contact', baseContact(fresh, old), r.sys.clock());
    }
  }
  toString = () => `renameContact(${this.which}${this.reuseName ? ', a new contact takes the old name' : ''})`;
}

export class PracticePayment implements Cmd {
  constructor(
    readonly which: number,
    readonly percent: number,
  ) {}
  private open(m: Readonly<Model>) {
    return [...m.invoices.entries()].filter(([n, i]) => !i.cancelled && totalOf(i.lineCents) - practicePaid(m as Model, n) - accountantPaid(m, n) > 100);
  }
  check = (m: Readonly<Model>) => this.open(m).length > 0;
  async run(m: Model, r: Real) {
    const [number, inv] = pick(this.open(m), this.which)!;
    const left = totalOf(inv.lineCents) - practicePaid(m, number) - accountantPaid(m, number);
    const amountCents = Math.max(100, Math.floor((left * this.percent) / 100));
    const p = { number: `R-${m.next.payment++}`, contactCode: inv.contactCode, date: dayOf(50), invoiceNumber: number, amountCents };
    await createRecord(r.sys.app.ctx.db, 'default', 'payment', payment(p), r.sys.clock());
    m.payments.set(p.number, { contactCode: p.contactCode, invoiceNumber: number, amountCents });
  }
  toString = () => `practicePayment(${this.which}, ${this.percent}%)`;
}

function accountantPaid(m: Readonly<Model>, number: string): number {
  let s = 0;
  for (const p of m.accountantPayments.values()) if (p.invoiceNumber === number) s += p.amountCents;
  return s;
}

export class SkipInvoice implements Cmd {
  constructor(
    readonly which: number,
    readonly addBack: boolean,
  ) {}
  check = (m: Readonly<Model>) => (this.addBack ? m.skipped.size > 0 : m.invoices.size > 0);
  async run(m: Model, r: Real) {
    const base = { realmId: r.sys.realmId, kind: 'invoice', actor: 'model', clock: r.sys.clock };
    if (this.addBack) {
      const id = pick([...m.skipped], this.which)!;
      m.skipped.delete(id);
      await unskip(r.sys.app.ctx.db, { ...base, id });
    } else {
      const id = pick([...m.invoices.keys()], this.which)!;
      m.skipped.add(id);
      await skip(r.sys.app.ctx.db, { ...base, id, date: m.invoices.get(id)!.date });
    }
  }
  toString = () => `${this.addBack ? 'addBack' : 'skip'}(${this.which})`;
}

// ---- settings -------------------------------------------------------------------------------------

export class SetSetting implements Cmd {
  constructor(
    readonly path: 'payments.direction' | 'general.exportFrom.invoices' | 'invoices.memo',
    readonly value: string,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    await setSetting(r.sys.app.ctx.db, { realmId: r.sys.realmId, path: this.path, value: this.value, actor: 'model', clock: r.sys.clock });
    if (this.path === 'payments.direction') m.direction = this.value as Model['direction'];
    if (this.path === 'general.exportFrom.invoices') m.exportFrom = this.value;
    if (this.path === 'invoices.memo') m.memo = this.value as Model['memo'];
  }
  toString = () => `set(${this.path} = ${this.value})`;
}

// ---- the accountant, in QBO -------------------------------------------------------------------------

type QboRow = Record<string, unknown> & { Id: string; SyncToken: string };

export class AccountantEdit implements Cmd {
  constructor(
    readonly which: number,
    readonly field: 'memo' | 'dueDate' | 'amount',
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const target = pick(
      (await linkedInvoices(r)).filter((l) => l.state !== 'voided'),
      this.which,
    );
    if (!target) return;
    const q = r.sys.accountant;
    const cur = (await q.read('Invoice', target.qboId)) as QboRow;
    if (Math.round(Number(cur['TotalAmt']) * 100) === 0) return;
    const n = m.next.edit++;
    const edit = m.edits.get(target.qboId) ?? { invoiceNumber: target.key };
    const body: Record<string, unknown> = { Id: cur.Id, SyncToken: cur.SyncToken };
    if (this.field === 'memo') body['CustomerMemo'] = { value: `Accountant note ${n}` };
    if (this.field === 'dueDate') body['DueDate'] = dayOf(90 + (n % 20));
    if (this.field === 'amount') {
      const lines = structuredClone(cur['Line'] as Array<Record<string, unknown>>).filter((l) => l['DetailType'] !== 'SubTotalLineDetail');
      const sales = lines.find((l) => l['DetailType'] === 'SalesItemLineDetail');
      if (!sales) return;
      sales['Amount'] = Math.round((Number(sales['Amount']) + 10) * 100) / 100;
      const d = sales['SalesItemLineDetail'] as Record<string, unknown>;
      d['Qty'] = 1;
      d['UnitPrice'] = sales['Amount'];
      body['Line'] = lines;
      delete body['TxnTaxDetail'];
    }
    const after = (await q.sparseUpdate('Invoice', body as never, { requestId: `acct-${r.sys.realmId}-${n}` })) as QboRow;
    if (this.field === 'memo') edit.memo = `Accountant note ${n}`;
    if (this.field === 'dueDate') edit.dueDate = String(after['DueDate']);
    if (this.field === 'amount') edit.totalCents = Math.round(Number(after['TotalAmt']) * 100);
    m.edits.set(target.qboId, edit);
  }
  toString = () => `accountantEdit(${this.which}, ${this.field})`;
}

export class AccountantPayment implements Cmd {
  constructor(
    readonly which: number,
    readonly percent: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const candidates = (await linkedInvoices(r)).filter((l) => l.state === 'linked');
    const q = r.sys.accountant;
    const target = pick(candidates, this.which);
    if (!target) return;
    const cur = (await q.read('Invoice', target.qboId)) as QboRow;
    // What is still open in QBO, less what the practice will still send.
    const practiceOpen = [...m.payments.entries()].filter(([, p]) => p.invoiceNumber === target.key).length;
    const balance = Math.round(Number(cur['Balance']) * 100) - (practiceOpen ? practicePaid(m, target.key) : 0);
    if (balance < 200) return;
    const amountCents = Math.max(100, Math.floor((balance * this.percent) / 100));
    const body = {
      CustomerRef: cur['CustomerRef'],
      TotalAmt: amountCents / 100,
      TxnDate: dayOf(49),
      Line: [{ Amount: amountCents / 100, LinkedTxn: [{ TxnId: cur.Id, TxnType: 'Invoice' }] }],
    };
    const made = (await q.create('Payment', body as never, { requestId: `acctpay-${r.sys.realmId}-${m.next.edit++}` })) as QboRow;
    m.accountantPayments.set(made.Id, { invoiceNumber: target.key, qboInvoiceId: cur.Id, amountCents });
  }
  toString = () => `accountantPayment(${this.which}, ${this.percent}%)`;
}

// ---- held records (connect/held) -------------------------------------------------------------------

type HeldChoice = 'keep-qbo' | 'send-ours' | 'skip';
/** Per real system: what each held action changed in the model, so its undo can put it back. */
const heldUndo = new WeakMap<Real, Map<number, { qboId?: string; edit?: EditFacts; skipped?: string }>>();
/** Per real system: `<QBO Id>:<edit field>` a person kept with keep-qbo (see EditInvoice). */
const heldKept = new WeakMap<Real, Set<string>>();
const editFieldOf: Record<string, keyof EditFacts> = { CustomerMemo: 'memo', DueDate: 'dueDate', Line: 'totalCents' };

function heldDepsOf(r: Real) {
  const ctx = r.sys.app.ctx;
  return { db: ctx.db, clock: r.sys.clock, logger: ctx.logger, client: syncDepsFor(ctx, r.sys.realmId, { processingWindowMs, env: {}, client: clientOptions }).client };
}

/**
 * A bookkeeper resolves a held record: keep QBO's (the accountant's edit stays), send ours (the
 * practice's value replaces the accountant's: that edit no longer has to survive), or skip it.
 * A refusal (nothing held, QBO not reachable) changes nothing.
 */
export class ResolveHeld implements Cmd {
  constructor(
    readonly which: number,
    readonly action: HeldChoice,
  ) {}
  check = (m: Readonly<Model>) => m.connected;
  async run(m: Model, r: Real) {
    const deps = heldDepsOf(r);
    const view = await listHeld(deps, r.sys.realmId, 'model');
    const h = pick(
      view.held.filter((x) => x.actions.includes(this.action)),
      this.which,
    );
    if (!h) return;
    let res: { actionId: number };
    try {
      // As the page does: with QBO's SyncToken as listed (keep-qbo and send-ours require it).
      res = await actOnHeld(deps, { realmId: r.sys.realmId, kind: h.kind, id: h.id, action: this.action, syncToken: h.qbo.syncToken, actor: 'user:model@example.com' });
    } catch (err) {
      if (isUserFacing(err)) return void r.log.push(`  held ${this.action} ${h.kind} ${h.id} refused: ${err.code}`);
      throw err;
    }
    const undo = heldUndo.get(r) ?? new Map();
    heldUndo.set(r, undo);
    if (this.action === 'send-ours' && h.qbo.id) {
      const was = m.edits.get(h.qbo.id);
      undo.set(res.actionId, { qboId: h.qbo.id, ...(was ? { edit: { ...was } } : {}) });
      if (was) {
        for (const f of h.fields) delete was[editFieldOf[f.field] as 'memo' | 'dueDate' | 'totalCents'];
        // The amount: what the practice sent is QBO's total now.
        if (h.fields.some((f) => f.field === 'Line')) delete was.totalCents;
      }
    }
    if (this.action === 'keep-qbo' && h.qbo.id) {
      const kept = heldKept.get(r) ?? new Set<string>();
      heldKept.set(r, kept);
      for (const f of h.fields) if (editFieldOf[f.field]) kept.add(`${h.qbo.id}:${editFieldOf[f.field]}`);
    }
    if (this.action === 'skip' && h.kind === 'invoice') {
      undo.set(res.actionId, { skipped: h.id });
      m.skipped.add(h.id);
    }
  }
  toString = () => `resolveHeld(${this.which}, ${this.action})`;
}

/** The bookkeeper undoes a recent held action (refused once a sync has started since: then nothing changes). */
export class UndoHeld implements Cmd {
  constructor(readonly which: number) {}
  check = (m: Readonly<Model>) => m.connected;
  async run(m: Model, r: Real) {
    const deps = heldDepsOf(r);
    const a = pick(
      (await listActions(deps.db, r.sys.realmId)).filter((x) => x.undoable),
      this.which,
    );
    if (!a) return;
    try {
      await undoHeldAction(deps, { realmId: r.sys.realmId, actionId: a.id, actor: 'user:model@example.com' });
    } catch (err) {
      if (isUserFacing(err)) return void r.log.push(`  undo held action ${a.id} refused: ${err.code}`);
      throw err;
    }
    const u = heldUndo.get(r)?.get(a.id);
    if (u?.qboId && u.edit) m.edits.set(u.qboId, u.edit);
    if (u?.skipped) m.skipped.delete(u.skipped);
  }
  toString = () => `undoHeld(${this.which})`;
}

// ---- syncs, faults, kills, the connection --------------------------------------------------------------

export type Fault = 'none' | 'slow-writes' | 'commit-then-drop' | 'server-errors';

export class Sync implements Cmd {
  constructor(readonly fault: Fault) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const faults = r.sys.emu.control;
    const realmId = r.sys.realmId;
    // Writes slowed past the client's timeout: QBO commits each create after the client gave up on it.
    const timeoutMs = this.fault === 'slow-writes' ? 250 : 30_000;
    if (this.fault === 'slow-writes') faults.armFaults({ realmId, appliesTo: 'writes', latencyMs: 500, jitterMs: 0, rates: {} });
    if (this.fault === 'commit-then-drop') faults.armFaults({ realmId, appliesTo: 'writes', latencyMs: 0, rates: { 'commit-then-drop': 0.3 }, seed: m.steps + 1 });
    if (this.fault === 'server-errors') faults.armFaults({ realmId, appliesTo: 'all', latencyMs: 0, rates: { '500': 0.1, '503': 0.1 }, seed: m.steps + 1 });
    try {
      const deps = syncDepsFor(r.sys.app.ctx, realmId, { processingWindowMs, env: {}, client: { ...clientOptions, timeoutMs } });
      const res = await sync(deps, { realmId, actor: 'model' });
      r.log.push(`  sync(${this.fault}): ${res.status} ${JSON.stringify(pickCounts(res.summary))}${res.message ? ` — ${res.message.slice(0, 300)}` : ''}`);
    } finally {
      faults.clearFaults();
      // Writes QBO is still processing land before anything reads QBO back.
      if (this.fault === 'slow-writes') await new Promise((res) => setTimeout(res, 700));
    }
  }
  toString = () => `sync(${this.fault})`;
}

/**
 * A scheduled sync whose company says "sync the ready rows and hold the rest" (issue 16): rows with
 * preview errors, and the rows that need them, are held in this run's history and not sent; the rest
 * is written as a plain sync would. Whatever earlier state it meets, the invariants must still hold.
 */
export class ScheduledHoldSync implements Cmd {
  check = () => true;
  async run(_m: Model, r: Real) {
    const realmId = r.sys.realmId;
    const deps = syncDepsFor(r.sys.app.ctx, realmId, { processingWindowMs, env: {}, client: clientOptions });
    const res = await sync(deps, { realmId, actor: 'schedule', onPlanErrors: 'hold' });
    r.log.push(`  scheduledHoldSync: ${res.status} ${JSON.stringify(pickCounts(res.summary))}${res.message ? ` — ${res.message.slice(0, 300)}` : ''}`);
  }
  toString = () => 'scheduledHoldSync()';
}

/**
 * What a QBO webhook sets off (issue 16): the company-changes task's engine — change data capture
 * since the company's cursor notes linked records edited in QBO, and an import-only run imports QBO
 * payments when payments are imported — wired as jobs/tasks/company-changes.ts wires it, with the
 * model's short processing window. Running it between any two steps must change no invariant.
 */
export class CompanyChanges implements Cmd {
  check = (m: Readonly<Model>) => m.connected;
  async run(_m: Model, r: Real) {
    const ctx = r.sys.app.ctx;
    const realmId = r.sys.realmId;
    const deps = syncDepsFor(ctx, realmId, { processingWindowMs, env: {}, client: clientOptions });
    try {
      const res = await applyQboChanges(
        {
          db: ctx.db,
          clock: r.sys.clock,
          logger: ctx.logger,
          client: deps.client,
          importPayments: async () => {
            const run = await sync(deps, { realmId, actor: 'QBO webhook', only: 'payments-import' });
            return { runId: run.runId, status: run.status };
          },
        },
        realmId,
      );
      r.log.push(
        `  companyChanges: ${res.outcome}, marked ${res.marked}, cleared ${res.cleared}, new payments ${res.newPayments}${res.importRun ? `, import run ${res.importRun.status}` : ''}`,
      );
    } catch (err) {
      // A refusal (the company's lock, the connection) is what the queue retries later; nothing changed.
      if (!isUserFacing(err)) throw err;
      r.log.push(`  companyChanges: refused — ${(err as Error).message.slice(0, 200)}`);
    }
  }
  toString = () => 'companyChanges()';
}

class Killed extends Error {}

/**
 * A sync killed at a labelled point (src/connect/run/crash-point.ts), in process: from the kill on,
 * the run's database handle refuses every statement and its client every request, so nothing after
 * the point is stored or sent — what a SIGKILL leaves (the lock, a "running" run, pending journal
 * rows). Requests already in flight still reach QBO, as they would. The clock then moves past the
 * lock's lifetime so the next sync may take over.
 */
export class KillSync implements Cmd {
  constructor(
    readonly label: CrashLabel,
    readonly nth: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    let dead = false;
    let seen = 0;
    const die = (label: CrashLabel) => {
      if (dead || label !== this.label) return;
      seen += 1;
      if (seen < this.nth) return;
      dead = true;
      throw new Killed(`killed at ${label}`);
    };
    const guard: KyselyPlugin = {
      transformQuery: (a) => {
        if (dead) throw new Killed('the process is gone');
        return a.node;
      },
      transformResult: async (a) => a.result,
    };
    const ctx = { ...r.sys.app.ctx, db: r.sys.app.ctx.db.withPlugin(guard) };
    const killingFetch: typeof fetch = async (input, init) => {
      if (dead) throw new Killed('the process is gone');
      const res = await fetch(input, init);
      if (init?.method === 'POST' && String(input instanceof Request ? input.url : input).includes('requestid=')) die('after-send-before-response');
      return res;
    };
    const deps = syncDepsFor(ctx, r.sys.realmId, { processingWindowMs, env: {}, client: { ...clientOptions, fetch: killingFetch } });
    deps.crash = (label) => die(label);
    let runId: string | undefined;
    const before = new Set((await r.sys.app.ctx.db.selectFrom('runs').select('id').where('realm_id', '=', r.sys.realmId).execute()).map((x) => x.id));
    try {
      const res = await sync(deps, { realmId: r.sys.realmId, actor: 'model' });
      runId = res.runId;
      r.log.push(`  killSync: not reached; ${res.status} ${JSON.stringify(pickCounts(res.summary))}`);
    } catch (err) {
      if (!(err instanceof Killed) && !dead) throw err;
      r.log.push(`  killSync: killed at ${this.label} #${this.nth}`);
    }
    if (dead) {
      for (const x of await r.sys.app.ctx.db.selectFrom('runs').select('id').where('realm_id', '=', r.sys.realmId).execute()) if (!before.has(x.id)) r.killedRuns.add(x.id);
      // In-flight requests finish at QBO; then the dead holder's lock lapses.
      await new Promise((res) => setTimeout(res, 100));
      r.sys.clock.advance(DEFAULT_LOCK_TTL_MS + 1_000);
    }
    void runId;
  }
  toString = () => `killSync(${this.label} #${this.nth})`;
}

/**
 * A disconnect while a sync runs (issue 19: "Disconnect is allowed mid-sync"): the person disconnects
 * as soon as the run reports its first record. Either the disconnect is refused, or the run stops
 * between batches with every record accounted for — the counts invariant checks the latter.
 */
export class DisconnectMidSync implements Cmd {
  check = (m: Readonly<Model>) => m.connected;
  async run(m: Model, r: Real) {
    let disconnecting: Promise<unknown> | undefined;
    // Batches of one, so there are batches left to send after the disconnect.
    const deps = syncDepsFor(r.sys.app.ctx, r.sys.realmId, { processingWindowMs, env: { QBO_CONNECT_BATCH_SIZE: '1' }, client: clientOptions });
    const res = await sync(deps, {
      realmId: r.sys.realmId,
      actor: 'model',
      onProgress: (p) => {
        if (p.done >= 1 && !disconnecting)
          disconnecting = disconnect(r.sys).then(
            () => 'disconnected',
            (err: unknown) => `refused: ${String(err)}`,
          );
      },
    });
    const outcome = disconnecting ? await disconnecting : 'not reached';
    if (outcome === 'disconnected') m.connected = false;
    r.log.push(`  disconnectMidSync: ${String(outcome)}; sync ${res.status} ${JSON.stringify(pickCounts(res.summary))}${res.message ? ` — ${res.message.slice(0, 200)}` : ''}`);
  }
  toString = () => 'disconnectMidSync';
}

export class Connection implements Cmd {
  constructor(readonly connect: boolean) {}
  check = (m: Readonly<Model>) => m.connected !== this.connect;
  async run(m: Model, r: Real) {
    if (this.connect) await reconnect(r.sys);
    else await disconnect(r.sys);
    m.connected = this.connect;
  }
  toString = () => (this.connect ? 'reconnect' : 'disconnect');
}

// ---- the generator ----------------------------------------------------------------------------------

export const commandKinds = [
  'importInvoice',
  'editInvoice',
  'cancelInvoice',
  'renameContact',
  'renameReusingName',
  'practicePayment',
  'skip',
  'addBack',
  'directionSwitch',
  'exportFrom',
  'memoMapping',
  'accountantMemo',
  'accountantDueDate',
  'accountantAmountEdit',
  'accountantPayment',
  'sync',
  'slowSync',
  'dropSync',
  'errorSync',
  'killSync',
  'disconnect',
  'disconnectMidSync',
  'resolveHeld',
  'undoHeld',
  'scheduledHoldSync',
  'companyChanges',
  // Practice B (practice-b.ts): the same installation's second practice, same record keys, own company.
  'bImportInvoice',
  'bEditInvoice',
  'bCancelInvoice',
  'bSkip',
  'bAddBack',
  'bExportFrom',
  'bSync',
  // Office routing in practice B: two offices, two companies.
  'bSyncSecond',
  'bSetOffices',
  'bMoveProject',
] as const;
export type CommandKind = (typeof commandKinds)[number];

const which = fc.nat({ max: 50 });

export function commandArbitraries(excluded: readonly CommandKind[]): Array<fc.Arbitrary<Cmd>> {
  const all: Record<CommandKind, fc.Arbitrary<Cmd>> = {
    importInvoice: fc
      .tuple(
        which,
        fc.integer({ min: 0, max: 50 }),
        fc.array(
          fc.integer({ min: 1, max: 50_000 }).map((c) => c * 10 + 5),
          { minLength: 1, maxLength: 3 },
        ),
      )
      .map(([c, d, l]) => new ImportInvoice(c, d, l)),
    editInvoice: fc.tuple(which, fc.constantFrom('text' as const, 'dueDate' as const, 'amount' as const)).map(([w, f]) => new EditInvoice(w, f)),
    cancelInvoice: which.map((w) => new CancelInvoice(w)),
    renameContact: which.map((w) => new RenameContact(w, false)),
    renameReusingName: which.map((w) => new RenameContact(w, true)),
    practicePayment: fc.tuple(which, fc.integer({ min: 10, max: 100 })).map(([w, p]) => new PracticePayment(w, p)),
    skip: which.map((w) => new SkipInvoice(w, false)),
    addBack: which.map((w) => new SkipInvoice(w, true)),
    directionSwitch: fc.constantFrom('import', 'export').map((d) => new SetSetting('payments.direction', d)),
    exportFrom: fc.constantFrom('2026-10-01', '2026-10-20', '2026-11-01').map((d) => new SetSetting('general.exportFrom.invoices', d)),
    memoMapping: fc.constantFrom('none', 'invoice-text').map((d) => new SetSetting('invoices.memo', d)),
    accountantMemo: which.map((w) => new AccountantEdit(w, 'memo')),
    accountantDueDate: which.map((w) => new AccountantEdit(w, 'dueDate')),
    accountantAmountEdit: which.map((w) => new AccountantEdit(w, 'amount')),
    accountantPayment: fc.tuple(which, fc.integer({ min: 10, max: 60 })).map(([w, p]) => new AccountantPayment(w, p)),
    sync: fc.constant(new Sync('none')),
    slowSync: fc.constant(new Sync('slow-writes')),
    dropSync: fc.constant(new Sync('commit-then-drop')),
    errorSync: fc.constant(new Sync('server-errors')),
    killSync: fc.tuple(fc.constantFrom(...crashLabels), fc.integer({ min: 1, max: 4 })).map(([l, n]) => new KillSync(l, n)),
    disconnect: fc.constant(new Connection(false)),
    disconnectMidSync: fc.constant(new DisconnectMidSync()),
    resolveHeld: fc.tuple(which, fc.constantFrom('keep-qbo' as const, 'send-ours' as const, 'skip' as const)).map(([w, a]) => new ResolveHeld(w, a)),
    undoHeld: which.map((w) => new UndoHeld(w)),
    scheduledHoldSync: fc.constant(new ScheduledHoldSync()),
    companyChanges: fc.constant(new CompanyChanges()),
    bImportInvoice: fc
      .tuple(
        which,
        fc.integer({ min: 0, max: 50 }),
        fc.array(
          fc.integer({ min: 1, max: 50_000 }).map((c) => c * 10 + 7),
          { minLength: 1, maxLength: 2 },
        ),
      )
      .map(([c, d, l]) => new ImportInvoiceB(c, d, l)),
    bEditInvoice: fc.tuple(which, fc.constantFrom('text' as const, 'amount' as const)).map(([w, f]) => new EditInvoiceB(w, f)),
    bCancelInvoice: which.map((w) => new EditInvoiceB(w, 'cancel')),
    bSkip: which.map((w) => new SkipInvoiceB(w, false)),
    bAddBack: which.map((w) => new SkipInvoiceB(w, true)),
    bExportFrom: fc.constantFrom('2026-10-01', '2026-10-25').map((d) => new SetExportFromB(d)),
    bSync: fc.constant(new SyncB(0)),
    bSyncSecond: fc.constant(new SyncB(1)),
    bSetOffices: fc
      .tuple(fc.constantFrom(0 as const, 1 as const), fc.constantFrom(null, ['N'], ['S'], ['N', 'S'], []))
      .map(([c, o]) => new SetOfficesB(c, o === null ? null : [...o])),
    bMoveProject: which.map((w) => new MoveProjectB(w)),
  };
  const reconnectArb = fc.constant(new Connection(true));
  // Syncs come often: every other kind of step matters only when a sync follows it.
  const weighted: CommandKind[] = [
    ...commandKinds,
    'sync',
    'sync',
    'sync',
    'importInvoice',
    'importInvoice',
    'practicePayment',
    'accountantMemo',
    'accountantPayment',
    'editInvoice',
    'resolveHeld',
    'resolveHeld',
    'bSetOffices',
    'bSyncSecond',
  ];
  // Reconnecting is not a kind of its own: it only undoes a disconnect, and comes soon after one.
  return [...weighted.filter((k) => !excluded.includes(k)).map((k) => all[k]), reconnectArb, reconnectArb, reconnectArb];
}

/** Every sequence starts from a synced practice (three invoices, one per client), so its steps meet synced records; payments go one way or the other. */
export function warmUp(direction: Model['direction']): Cmd[] {
  return [
    new SetSetting('payments.direction', direction),
    new ImportInvoice(0, 20, [100_005, 50_015]),
    new ImportInvoice(1, 25, [200_005]),
    new ImportInvoice(2, 32, [75_005]),
    new Sync('none'),
  ];
}

/**
 * The end of every sequence: connected again, no faults, what the preview refuses skipped, two plain
 * syncs of practice A; B's first company back on the whole ledger, its second on none, one sync
 * of each (B meets no faults). Then every active practice
 * invoice in the export window that is not skipped must be in QBO (`settled` in invariants.ts):
 * nothing may be lost or wedged by what came before.
 */
export class Settle implements Cmd {
  check = () => true;
  async run(m: Model, r: Real) {
    if (!m.connected) await new Connection(true).run(m, r);
    const realmId = r.sys.realmId;
    const deps = syncDepsFor(r.sys.app.ctx, realmId, { processingWindowMs, env: {}, client: clientOptions });
    // As a bookkeeper would: what the preview refuses (say, an invoice changed in QBO) is skipped.
    for (let round = 0; round < 3; round++) {
      const plan = await deps.buildPlan(realmId);
      const errors = plan.groups.flatMap((g) => g.rows.filter((x) => !x.skipped && x.issues.some((i) => i.severity === 'error')));
      if (!errors.length) break;
      for (const row of errors) {
        await skipWithLinked(r.sys.app.ctx.db, { realmId, plan, row: row.key, actor: 'model', clock: r.sys.clock }).catch(() => undefined);
        if (row.record.kind === 'invoice') m.skipped.add(row.record.id);
      }
      r.log.push(`  settle: skipped what the preview refuses: ${errors.map((x) => `${x.key} (${x.issues.map((i) => i.code).join(', ')})`).join('; ')}`);
    }
    await new Sync('none').run(m, r);
    await new Sync('none').run(m, r);
    // Practice B's bookkeeper resolves any overlap: the first company takes the whole ledger again.
    await new SetOfficesB(0, null).run(m, r);
    await new SetOfficesB(1, []).run(m, r);
    await new SyncB(0).run(m, r);
    await new SyncB(1).run(m, r);
    m.settled = true;
  }
  toString = () => 'settle';
}
