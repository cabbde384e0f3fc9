/**
 * Held records: every row the engine will not send until a person decides, read in one go —
 *
 * - *diverged*: a linked record whose same field was changed in QBO and in the practice since the
 *   last sync (the preview's three-way comparison, plan/sent-fields.ts: a row with `fields.conflicts`);
 * - *ambiguous look-up*: a create whose outcome was lost and that recovery found several times in
 *   QBO (journal status `held`, `run.lookup-several`);
 * - *adopt mismatch*: recovery found one QBO record with our marker but another date, party or total
 *   (`run.lookup-mismatch`); any other held write (`run.store-refused`) is listed as *write held*.
 *
 * Each comes with its fields side by side (what we last sent, what QBO has now, what the practice has
 * now) and the actions offered for it. QBO is asked as the preview asks it (in bulk), plus one `IN`
 * query per entity for the QBO records of adopt mismatches.
 */
import type { Logger } from '../../log.js';
import type { Clock } from '../../context.js';
import type { Db } from '../../store/db.js';
import type { CompanyClient } from '../../qbo/client.js';
import type { EntityName } from '../../qbo/wire-types.js';
import { buildPlan, normalizeField, same, shownValue, skipIdOf, skipKindOf, type Json, type Plan, type PlanRow } from '../plan/index.js';
import { heldWrites, type JournalRow } from '../run/journal.js';
import { skippedKeys } from '../skips.js';
import { listActions, type HeldActionEntry } from './store.js';

export const heldActionNames = ['keep-qbo', 'send-ours', 'relink', 'skip'] as const;
export type HeldActionName = (typeof heldActionNames)[number];

export type HeldWhy = 'diverged' | 'ambiguous-lookup' | 'adopt-mismatch' | 'write-held';

export interface HeldField {
  field: string;
  lastSent: Json;
  qboNow: Json;
  practiceNow: Json;
  /** The three values as a person reads them (plan/sent-fields.ts shownValue). */
  shown: { lastSent: string; qboNow: string; practiceNow: string };
}

export interface HeldRecord {
  /** The record as the plan names it (row kind and practice id): what the actions take. */
  kind: string;
  id: string;
  label: string;
  rowKey: string;
  why: HeldWhy;
  reasonCode: string;
  message: string;
  /** The QBO record it is linked to (diverged) or was found as (adopt mismatch). */
  qbo: { entity: string; id?: string; syncToken?: string };
  /** QBO Ids a person may re-link it to (the records an ambiguous look-up found). */
  candidates: string[];
  journalId?: number;
  fields: HeldField[];
  actions: HeldActionName[];
}

export interface HeldDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  client: CompanyClient;
}

export interface HeldView {
  realmId: string;
  held: HeldRecord[];
  /** Recent actions on held records, newest first, each saying whether it can still be undone. */
  recent: HeldActionEntry[];
  qboRequests: number;
}

const heldField = (field: string, lastSent: Json, qboNow: Json, practiceNow: Json): HeldField => ({
  field,
  lastSent,
  qboNow,
  practiceNow,
  shown: { lastSent: shownValue(lastSent), qboNow: shownValue(qboNow), practiceNow: shownValue(practiceNow) },
});

const whyOfCode = (code: string | null): HeldWhy => (code === 'run.lookup-several' ? 'ambiguous-lookup' : code === 'run.lookup-mismatch' ? 'adopt-mismatch' : 'write-held');

const actionsFor: Record<HeldWhy, HeldActionName[]> = {
  diverged: ['keep-qbo', 'send-ours', 'relink', 'skip'],
  // QBO's record is ours with other values: keep QBO's links it as it is.
  'adopt-mismatch': ['keep-qbo', 'relink', 'skip'],
  // Sending again could make one more duplicate: a person says which record is ours.
  'ambiguous-lookup': ['relink', 'skip'],
  'write-held': ['relink', 'skip'],
};

/** The Ids recovery listed in its sentence ("(Ids 130, 131)"): the journal keeps no other record of them. */
function candidatesOf(j: JournalRow): string[] {
  const m = /\(Ids ([^)]*)\)/.exec(j.outcome_message ?? '');
  return m ? m[1]!.split(/,\s*/).filter((s) => /^\d+$/.test(s)) : j.qbo_id ? [j.qbo_id] : [];
}

const refOf = (v: unknown) => (v && typeof v === 'object' ? ((v as { value?: unknown }).value as string | undefined) : undefined);

/** The fields an adopt mismatch is about: what the create sent, what QBO's record has, what the practice would send now. */
function mismatchFields(j: JournalRow, e: Record<string, unknown> | undefined, row: PlanRow | undefined): HeldField[] {
  if (!e) return [];
  const body = JSON.parse(j.body) as Record<string, unknown>;
  const out: HeldField[] = [];
  for (const f of ['TxnDate', 'DocNumber', 'CustomerRef', 'VendorRef']) {
    if (body[f] === undefined && e[f] === undefined) continue;
    const sent = normalizeField(f, body[f]);
    const qbo = normalizeField(f, e[f]);
    if (!same(sent, qbo) || (f === 'CustomerRef' && refOf(body[f]) !== refOf(e[f]))) out.push(heldField(f, sent, qbo, normalizeField(f, row?.payload?.[f])));
  }
  const total = typeof e['TotalAmt'] === 'number' ? normalizeField('TotalAmt', e['TotalAmt']) : null;
  if (j.expected_total_cents !== null && total !== null && Number(j.expected_total_cents) !== total) {
    out.push(heldField('TotalAmt', Number(j.expected_total_cents), total, row?.qboTotalCents ?? null));
  }
  return out;
}

const planRows = (plan: Plan) => plan.groups.flatMap((g) => g.rows);

/** The held records of a plan just built (and the held writes of the journal). */
export async function heldOf(deps: HeldDeps, realmId: string, plan: Plan): Promise<HeldRecord[]> {
  const rows = planRows(plan);
  const out: HeldRecord[] = [];
  for (const r of rows) {
    if (r.skipped || !r.fields?.conflicts.length) continue;
    const issue = r.issues.find((i) => i.code.endsWith('.diverged'));
    out.push({
      kind: r.record.kind,
      id: r.record.id,
      label: r.record.label,
      rowKey: r.key,
      why: 'diverged',
      reasonCode: issue?.code ?? `${r.record.kind}.diverged`,
      message: issue?.message ?? '',
      qbo: { entity: r.qbo.entity, ...(r.qbo.id ? { id: r.qbo.id } : {}), ...(r.qbo.syncToken ? { syncToken: r.qbo.syncToken } : {}) },
      candidates: [],
      fields: r.fields.conflicts.map((c) => heldField(c.field, c.lastSent, c.qboNow, c.practiceNow)),
      actions: actionsFor.diverged,
    });
  }
  const journal = [...(await heldWrites(deps.db, realmId)).values()];
  if (!journal.length) return out;
  const skipped = await skippedKeys(deps.db, realmId);
  const byRecord = new Map(rows.map((r) => [`${r.record.kind}\u0000${r.record.id}`, r]));
  const held = journal.filter((j) => !skipped.has(`${skipKindOf(j.record_kind)}:${skipIdOf(j.record_kind, j.record_key)}`));
  // The QBO records adopt mismatches point at, one IN query per entity.
  const found = new Map<string, Record<string, unknown>>();
  const wanted = new Map<string, string[]>();
  for (const j of held) if (j.qbo_id && whyOfCode(j.outcome_code) === 'adopt-mismatch') wanted.set(j.qbo_entity, [...(wanted.get(j.qbo_entity) ?? []), j.qbo_id]);
  for (const [entity, ids] of wanted) {
    for await (const e of deps.client.queryIn(entity as EntityName, 'Id', ids)) found.set(`${entity}:${e.Id}`, e as Record<string, unknown>);
  }
  for (const j of held) {
    const row = byRecord.get(`${j.record_kind}\u0000${j.record_key}`);
    const why = whyOfCode(j.outcome_code);
    const e = j.qbo_id ? found.get(`${j.qbo_entity}:${j.qbo_id}`) : undefined;
    out.push({
      kind: j.record_kind,
      id: j.record_key,
      label: j.label || `${j.record_kind} ${j.record_key}`,
      rowKey: j.row_key,
      why,
      reasonCode: j.outcome_code ?? 'run.held',
      message: j.outcome_message ?? '',
      qbo: { entity: j.qbo_entity, ...(j.qbo_id ? { id: j.qbo_id } : {}), ...(e?.['SyncToken'] !== undefined ? { syncToken: String(e['SyncToken']) } : {}) },
      candidates: candidatesOf(j),
      journalId: Number(j.id),
      fields: why === 'adopt-mismatch' ? mismatchFields(j, e, row) : [],
      actions: actionsFor[why],
    });
  }
  return out;
}

export async function planFor(deps: HeldDeps, realmId: string, actor: string): Promise<Plan> {
  // A read never writes: no settings pre-fill here (as the preview's GET).
  return buildPlan({ db: deps.db, clock: deps.clock, logger: deps.logger, qbo: deps.client }, realmId, { actor, prefill: false });
}

/** Every held record of the company, and the recent actions on held records. */
export async function listHeld(deps: HeldDeps, realmId: string, actor = 'qbo-connect (held)'): Promise<HeldView> {
  const plan = await planFor(deps, realmId, actor);
  const held = await heldOf(deps, realmId, plan);
  return { realmId, held, recent: await listActions(deps.db, realmId), qboRequests: plan.qboRequests };
}
