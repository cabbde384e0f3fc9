/**
 * The audit of held-record actions (table `held_actions`, migration 0010_held_actions): who did what to which
 * record, when, with the fields as they stood and the state it replaced, so it can be undone. An
 * action is final once a sync of the company has started after it: it counts the company's runs when
 * taken (`runsBefore`) and compares later, so an injected clock that stands still cannot blur it.
 */
import type { Selectable, Transaction } from 'kysely';
import type { Db } from '../../store/db.js';
import type { Database } from '../../store/schema.js';
import { isUniqueViolation } from '../../practice/store.js';

type Executor = Db | Transaction<Database>;
export type HeldActionRow = Selectable<Database['held_actions']>;

export interface HeldActionEntry {
  id: number;
  realmId: string;
  kind: string;
  recordId: string;
  label: string;
  action: string;
  detail: Record<string, unknown>;
  actor: string;
  at: string;
  undoneBy: string | null;
  undoneAt: string | null;
  /** False once undone, once a sync has started since, when a newer action on the record stands, or when what it replaced is gone (a re-link's old QBO record now linked to another record). */
  undoable: boolean;
  /** What the action replaced, as a person reads it ("TxnDate: QBO 2026-03-01, practice 2026-03-02"; "was Invoice 130"). */
  was: string;
}

const shownJson = (v: unknown) => (v === null || v === undefined ? '(empty)' : typeof v === 'string' ? v : JSON.stringify(v));

/** What an action replaced, from its audit detail. */
export function wasText(action: string, detail: Record<string, unknown>): string {
  const fields = (detail['fields'] as Array<{ field: string; qboNow: unknown; practiceNow: unknown }> | undefined) ?? [];
  if (action === 'relink' || (action === 'keep-qbo' && detail['to'] !== undefined)) {
    return detail['from'] ? `was linked to ${String(detail['entity'])} ${String(detail['from'])}` : 'was linked to nothing';
  }
  if (action === 'send-ours') {
    const before = (detail['qboBefore'] as Record<string, unknown> | undefined) ?? {};
    const keys = Object.keys(before).filter((k) => k !== 'TxnTaxDetail' && k !== 'Line');
    const shown = keys.map((k) => `${k} ${shownJson(before[k])}`);
    if (before['Line'] !== undefined) shown.push("Line (QuickBooks' lines)");
    return `QuickBooks had ${shown.join(', ') || '(nothing recorded)'}`;
  }
  return fields.map((f) => `${f.field}: QBO ${shownJson(f.qboNow)}, practice ${shownJson(f.practiceNow)}`).join('; ');
}

/** Runs of the company that could have acted on the records: all but those refused before writing. */
export async function runCount(db: Executor, realmId: string): Promise<number> {
  const r = await db
    .selectFrom('runs')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('realm_id', '=', realmId)
    .where('status', '!=', 'refused')
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** The first run started after the action, if any ("run abc started 2026-…"). */
export async function runSince(db: Executor, row: HeldActionRow): Promise<string | undefined> {
  const before = Number((JSON.parse(row.detail) as { runsBefore?: number }).runsBefore ?? 0);
  const runs = await db
    .selectFrom('runs')
    .select(['id', 'started_at'])
    .where('realm_id', '=', row.realm_id)
    .where('status', '!=', 'refused')
    .orderBy('started_at')
    .orderBy('id')
    .execute();
  const r = runs[before];
  return r ? `run ${r.id} started ${r.started_at}` : undefined;
}

/** The record's newest action (undone or not): what a person acting now has seen, or not. */
export async function lastAction(db: Executor, realmId: string, kind: string, key: string): Promise<HeldActionRow | undefined> {
  return db
    .selectFrom('held_actions')
    .selectAll()
    .where('realm_id', '=', realmId)
    .where('record_kind', '=', kind)
    .where('record_key', '=', key)
    .orderBy('seq', 'desc')
    .executeTakeFirst();
}

/** A claim (send ours, before its QBO write) older than this was left by a process that died: it no longer blocks. */
const CLAIM_STALE_MS = 10 * 60_000;

/** The action that stands in the way of a new one on the record: one taken since `seenSeq`, or one still under way. */
export async function actionInTheWay(db: Executor, realmId: string, kind: string, key: string, seenSeq: number, now: Date): Promise<HeldActionRow | undefined> {
  const last = await lastAction(db, realmId, kind, key);
  if (!last) return undefined;
  if (Number(last.seq) > seenSeq) return last;
  const pending = (JSON.parse(last.detail) as { pending?: boolean }).pending === true && last.undone_at === null;
  return pending && now.getTime() - Date.parse(last.at) < CLAIM_STALE_MS ? last : undefined;
}

export interface NewAction {
  realmId: string;
  kind: string;
  recordId: string;
  label: string;
  action: string;
  detail: Record<string, unknown>;
  oldLink: unknown;
  oldJournal: unknown;
  actor: string;
  at: Date;
  /** The record's newest action's `seq` when the person looked (0: none): this one is `seenSeq + 1`. */
  seenSeq: number;
}

/** Another action on the record was taken since the person looked (`other`; undefined: at the same moment, read it after the transaction). */
export class ActionInTheWay extends Error {
  constructor(readonly other: HeldActionRow | undefined) {
    super('another action on the held record was taken since');
  }
}

/**
 * Records an action, or throws ActionInTheWay with the action that another person took on the
 * record since `seenSeq` (or that is still under way). Two at the same moment both pass the check;
 * the unique (record, seq) index then refuses the second, which is reported the same way.
 */
export async function recordAction(trx: Executor, a: NewAction): Promise<number> {
  const other = await actionInTheWay(trx, a.realmId, a.kind, a.recordId, a.seenSeq, a.at);
  if (other) throw new ActionInTheWay(other);
  const runsBefore = await runCount(trx, a.realmId);
  const row = await trx
    .insertInto('held_actions')
    .values({
      realm_id: a.realmId,
      record_kind: a.kind,
      record_key: a.recordId,
      label: a.label,
      action: a.action,
      detail: JSON.stringify({ ...a.detail, runsBefore }),
      old_link: a.oldLink === undefined || a.oldLink === null ? null : JSON.stringify(a.oldLink),
      old_journal: a.oldJournal === undefined || a.oldJournal === null ? null : JSON.stringify(a.oldJournal),
      actor: a.actor,
      at: a.at.toISOString(),
      seq: a.seenSeq + 1,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
    .catch((err: unknown) => {
      // PostgreSQL aborts the transaction here: the winner is read by the caller, after it.
      throw isUniqueViolation(err) ? new ActionInTheWay(undefined) : err;
    });
  return Number(row.id);
}

/** Completes a claimed action (send ours, once QBO answered): its detail as taken. */
export async function completeAction(trx: Executor, id: number, detail: Record<string, unknown>): Promise<void> {
  const row = await trx.selectFrom('held_actions').select('detail').where('id', '=', id).executeTakeFirstOrThrow();
  const runsBefore = (JSON.parse(row.detail) as { runsBefore?: number }).runsBefore;
  await trx
    .updateTable('held_actions')
    .set({ detail: JSON.stringify({ ...detail, runsBefore }) })
    .where('id', '=', id)
    .execute();
}

/** Drops a claim whose action did not happen (QBO refused, or changed meanwhile). */
export async function dropClaim(db: Executor, id: number): Promise<void> {
  await db.deleteFrom('held_actions').where('id', '=', id).execute();
}

export async function actionRow(db: Executor, realmId: string, id: number): Promise<HeldActionRow | undefined> {
  return db.selectFrom('held_actions').selectAll().where('realm_id', '=', realmId).where('id', '=', id).executeTakeFirst();
}

/** The newest action on the record that is not undone, if any. */
export async function latestStanding(db: Executor, realmId: string, kind: string, key: string): Promise<HeldActionRow | undefined> {
  return db
    .selectFrom('held_actions')
    .selectAll()
    .where('realm_id', '=', realmId)
    .where('record_kind', '=', kind)
    .where('record_key', '=', key)
    .where('undone_at', 'is', null)
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

/** The company's recent actions on held records, newest first. */
export async function listActions(db: Db, realmId: string, limit = 50): Promise<HeldActionEntry[]> {
  const rows = await db.selectFrom('held_actions').selectAll().where('realm_id', '=', realmId).orderBy('id', 'desc').limit(limit).execute();
  const runs = await runCount(db, realmId);
  // A re-link's old QBO record taken by another practice record since: the undo would be refused.
  const linked = new Map<string, string>();
  const oldLinks = rows
    .filter((r) => r.old_link && (r.action === 'relink' || r.action === 'keep-qbo') && r.undone_at === null)
    .map((r) => JSON.parse(r.old_link!) as { qbo_entity: string; qbo_id: string });
  if (oldLinks.length) {
    const hits = await db
      .selectFrom('links')
      .select(['qbo_entity', 'qbo_id', 'record_kind', 'record_key'])
      .where('realm_id', '=', realmId)
      .where('qbo_id', 'in', [...new Set(oldLinks.map((l) => l.qbo_id))])
      .execute();
    for (const h of hits) linked.set(`${h.qbo_entity}:${h.qbo_id}`, `${h.record_kind}\u0000${h.record_key}`);
  }
  const takenElsewhere = (r: HeldActionRow) => {
    if (!r.old_link || (r.action !== 'relink' && r.action !== 'keep-qbo')) return false;
    const l = JSON.parse(r.old_link) as { qbo_entity: string; qbo_id: string };
    const holder = linked.get(`${l.qbo_entity}:${l.qbo_id}`);
    return holder !== undefined && holder !== `${r.record_kind}\u0000${r.record_key}`;
  };
  const newest = new Map<string, number>();
  for (const r of rows) if (r.undone_at === null && !newest.has(`${r.record_kind}\u0000${r.record_key}`)) newest.set(`${r.record_kind}\u0000${r.record_key}`, Number(r.id));
  return rows.map((r) => {
    const detail = JSON.parse(r.detail) as Record<string, unknown>;
    const final = runs > Number(detail['runsBefore'] ?? 0);
    return {
      id: Number(r.id),
      realmId: r.realm_id,
      kind: r.record_kind,
      recordId: r.record_key,
      label: r.label,
      action: r.action,
      detail,
      actor: r.actor,
      at: r.at,
      undoneBy: r.undone_by,
      undoneAt: r.undone_at,
      undoable: r.undone_at === null && !final && newest.get(`${r.record_kind}\u0000${r.record_key}`) === Number(r.id) && detail['pending'] !== true && !takenElsewhere(r),
      was: wasText(r.action, detail),
    };
  });
}

export async function markUndone(trx: Executor, id: number, actor: string, at: Date): Promise<void> {
  await trx.updateTable('held_actions').set({ undone_by: actor, undone_at: at.toISOString() }).where('id', '=', id).execute();
}
