/**
 * The audit of held-record actions (table `held_actions`, migration 0010_held_actions): who did what to which
 * record, when, with the fields as they stood and the state it replaced, so it can be undone. An
 * action is final once a sync of the company has started after it: it counts the company's runs when
 * taken (`runsBefore`) and compares later, so an injected clock that stands still cannot blur it.
 */
import type { Selectable, Transaction } from 'kysely';
import type { Db } from '../../store/db.js';
import type { Database } from '../../store/schema.js';

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
  /** False once undone, once a sync has started since, or when a newer action on the record stands. */
  undoable: boolean;
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
}

export async function recordAction(trx: Executor, a: NewAction): Promise<number> {
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
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
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
      undoable: r.undone_at === null && !final && newest.get(`${r.record_kind}\u0000${r.record_key}`) === Number(r.id),
    };
  });
}

export async function markUndone(trx: Executor, id: number, actor: string, at: Date): Promise<void> {
  await trx.updateTable('held_actions').set({ undone_by: actor, undone_at: at.toISOString() }).where('id', '=', id).execute();
}
