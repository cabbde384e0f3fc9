/**
 * buildPlan: the preview (ARCHITECTURE §4 step 2), as a pipeline of named steps with data between
 * them. It reads the practice documents in the export window, leaves out what is already synced and
 * unchanged, checks QBO in bulk, maps the rest to the exact QBO payloads the settings call for (with
 * the names and items they need, and credit notes applied to their invoices), predicts QBO's totals,
 * and returns the plan as data. It writes nothing, except the one-time pre-fill of settings from what
 * both sides hold (audited like any other change).
 */
import type { Clock } from '../../context.js';
import type { CompanyClient } from '../../qbo/client.js';
import type { QboLogger } from '../../qbo/log.js';
import type { Db } from '../../store/db.js';
import { skipIdOf, skipKindOf } from '../kinds.js';
import { getSettings } from '../settings/store.js';
import { listSkipped } from '../skips.js';
import { finish } from './assemble.js';
import { rowKey, type MapContext } from './context.js';
import { limitApplications, unappliedCredits } from './credit-applications.js';
import { documentRows } from './document-rows.js';
import { loadDocuments } from './documents.js';
import { importRows, type SkipLookup } from './imports.js';
import { invoiceRefs } from './invoice-refs.js';
import { linksOfKinds } from '../links.js';
import { practiceOfRealm } from '../realm.js';
import { flagUnusableNames, NameRefs } from './name-refs.js';
import { itemRows, nameRows } from './name-rows.js';
import { checkPaymentsAgainstQboTotals } from './payment-balance.js';
import { loadPracticeLists, prefillOnce } from './practice-lists.js';
import { checkQbo, practiceInvoiceTotal } from './qbo-check.js';
import { QboSnapshot } from './qbo-snapshot.js';
import type { Plan, PlanRow } from './types.js';
import { nameUpdateRows } from './updates.js';

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

/** The pre-fill on its own (on connecting, or a bookkeeper's "fill in"): QBO's lists and the practice's. */
export async function prefillSettings(deps: Pick<PlanDeps, 'db' | 'clock' | 'qbo'>, realmId: string): Promise<void> {
  const lists = await new QboSnapshot(deps.qbo).lists();
  await prefillOnce(deps, realmId, lists, await loadPracticeLists(deps.db, await practiceOfRealm(deps.db, realmId)));
}

export async function buildPlan(deps: PlanDeps, realmId: string, opts: BuildPlanOptions = {}): Promise<Plan> {
  const { db } = deps;
  const snap = new QboSnapshot(deps.qbo);

  // 0. What both sides hold as lists, the settings in force (pre-filled once), and the skipped records.
  const lists = await snap.lists();
  const practice = await loadPracticeLists(db, await practiceOfRealm(db, realmId));
  if (opts.prefill !== false) await prefillOnce(deps, realmId, lists, practice);
  const settings = await getSettings(db, realmId, deps.clock);
  // Names an undo made inactive (connect/undo): wanted again, they are made active, not made twice.
  const undone = await db
    .selectFrom('undone_records')
    .select(['qbo_entity', 'qbo_id', 'record_kind', 'record_key'])
    .where('realm_id', '=', realmId)
    .where('operation', '=', 'inactivate')
    .execute();
  const reactivatable = new Set(undone.map((u) => `${u.qbo_entity}:${u.qbo_id}`));
  const undoneNames = new Map(undone.map((u) => [`${u.record_kind}\u0000${u.record_key}`, { entity: u.qbo_entity, qboId: u.qbo_id }]));
  const ctx: MapContext = { realmId, settings, lists, us: lists.region === 'US', practice, reactivatable, undoneNames };
  const skipOf = await skipLookup(db, realmId);

  // 1. The practice documents in the window, classified by what their links say.
  //    A practice with several companies: only the documents of this company's offices (office-routing.ts).
  const { items, routed } = await loadDocuments(db, realmId, settings, practice.projects);
  const names = new NameRefs(practice, await linksOfKinds(db, realmId, ['contact', 'supplier', 'staff', 'project']), settings.invoices.incomeAccount !== 'fixed');

  // 2. QBO, in bulk: numbers of new documents, changes since the last sync, current copies.
  const view = await checkQbo(deps, ctx, snap, items, names.links, skipOf);
  const invoiceRef = invoiceRefs(view, skipOf);

  // 3. Sales, payments and purchases mapped to rows (new credit notes with their applications);
  //    then the names and items they need, linked names changed here, and payments to import.
  const docs = documentRows(ctx, items, view, names, invoiceRef, skipOf);
  const rows: PlanRow[] = [...docs.rows, ...routed];
  const linkedName = names.linkedName();
  rows.push(...(await nameRows(ctx, snap, names.needs, linkedName)));
  rows.push(...(await nameUpdateRows(db, ctx, snap, names.links)));
  rows.push(...(await itemRows(ctx, snap, names.needs.items, linkedName)));
  if (settings.payments.direction === 'import') rows.push(...(await importRows(db, realmId, snap, settings.general.exportFrom.payments, practice, settings, skipOf)));
  await flagUnusableNames(names, rows, view.current, view.cdcBlind, snap);

  // 4. Credit applications: those that never landed, and none applying more than an invoice has left.
  const applications = new Map(docs.applications);
  if (settings.invoices.applyCreditToInvoice) {
    for (const a of await unappliedCredits(db, realmId, snap, items, skipOf, invoiceRef, rows)) {
      applications.set(a.row.key, a.application);
      rows.push(a.row);
    }
  }
  // A payment never applies more to an invoice than QBO's predicted total leaves (payment-balance.ts).
  checkPaymentsAgainstQboTotals(rows, view.invoiceLinks);
  // An invoice of this plan totals in QBO what its row predicts (the practice's total, but for US sales tax).
  const invoiceTotal = (n: string) => rows.find((x) => x.key === rowKey('invoices', n) && x.action === 'create')?.qboTotalCents ?? practiceInvoiceTotal(view, n);
  const kept = limitApplications(rows, applications, docs.paid, invoiceTotal);

  // 5. Assemble: references to adopted rows filled in, skips applied, groups with counts and totals.
  return finish(realmId, deps.clock, settings, kept, snap.requests, skipOf);
}

/** Skipped records by the kind and id a plan row's record is skipped under (connect/kinds.ts). */
async function skipLookup(db: Db, realmId: string): Promise<SkipLookup> {
  const skips = new Map((await listSkipped(db, realmId)).map((s) => [`${s.kind}:${s.recordId}`, s]));
  return (recordKind, id) => skips.get(`${skipKindOf(recordKind)}:${skipIdOf(recordKind, id)}`);
}
