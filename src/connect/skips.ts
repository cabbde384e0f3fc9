/**
 * Skipped records: practice (or QBO) records left out of syncs until someone adds them back. A
 * person skips a row or a whole group; the engine may hold a record back with a reason code. Which
 * rows travel together (an invoice takes its payments) is the plan's knowledge: it passes the
 * whole list of refs to `skipMany`.
 */
import { z } from 'zod';
import type { Clock } from '../context.js';
import type { Db } from '../store/db.js';
import { refusal, type ConnectReason } from './reasons.js';
import { exportFromOfSkipKind, skipKinds, type ExportFromKey, type SkipKind } from './kinds.js';
import { hasForbiddenCharacters } from '../practice/schemas.js';

/** What a person skips: the skip kinds of the table of kinds (connect/kinds.ts). */
export const recordKinds = skipKinds;
export type RecordKind = SkipKind;

export interface RecordRef {
  kind: RecordKind;
  id: string;
  /** The record's own date (YYYY-MM-DD), when known: it keeps the skipped list to the export window. */
  date?: string | null | undefined;
}

export interface SkippedRecord {
  id: number;
  realmId: string;
  kind: RecordKind;
  recordId: string;
  recordDate: string | null;
  reasonCode: string | null;
  heldByEngine: boolean;
  skippedBy: string;
  skippedAt: string;
}

// No control characters: PostgreSQL cannot store NUL (a 500) and SQLite would, so the dialects
// would disagree; the ledger refuses them in keys for the same reason (practice/schemas.ts).
const idSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((s) => !hasForbiddenCharacters(s));
const dateSchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

/** Checks a kind and id typed by a person or sent to the API. */
export function parseRef(kind: unknown, id: unknown, date?: unknown): RecordRef {
  if (typeof kind !== 'string' || !(recordKinds as readonly string[]).includes(kind)) {
    throw refusal('skip.unknown-kind', { value: kind, kinds: [...recordKinds] }, 'kind');
  }
  const parsedId = idSchema.safeParse(id);
  if (!parsedId.success) throw refusal('skip.invalid-id', { value: id }, 'id');
  const parsedDate = date === undefined || date === null ? null : dateSchema.safeParse(date).success ? (date as string) : null;
  return { kind: kind as RecordKind, id: parsedId.data, date: parsedDate };
}

export interface SkipInput {
  realmId: string;
  refs: RecordRef[];
  actor: string;
  clock: Clock;
  reasonCode?: ConnectReason | string | null;
  /** The engine holding records back (not a person's choice). */
  heldByEngine?: boolean;
}

/**
 * Skips many records at once (a row with its linked rows, or a whole group), in one transaction.
 * A record already skipped stays as it was. Returns the refs newly skipped.
 */
export async function skipMany(db: Db, input: SkipInput): Promise<RecordRef[]> {
  const refs = dedupe(input.refs.map((r) => parseRef(r.kind, r.id, r.date)));
  checkActor(input.actor);
  if (refs.length === 0) return [];
  const now = input.clock().toISOString();
  return db.transaction().execute(async (trx) => {
    const open = await openKeys(trx, input.realmId, refs);
    const candidates = refs.filter((r) => !open.has(key(r)));
    const inserted = new Set<string>();
    // Chunks keep each statement under SQLite's bound-parameter limit.
    for (let i = 0; i < candidates.length; i += 500) {
      const rows = await trx
        .insertInto('skips')
        .values(
          candidates.slice(i, i + 500).map((r) => ({
            realm_id: input.realmId,
            record_kind: r.kind,
            record_id: r.id,
            record_date: r.date ?? null,
            reason_code: input.reasonCode ?? null,
            held_by_engine: input.heldByEngine ? 1 : 0,
            skipped_by: input.actor,
            skipped_at: now,
          })),
        )
        // Two people skipping the same record at once: the second finds it skipped.
        .onConflict((oc) => oc.columns(['realm_id', 'record_kind', 'record_id']).where('unskipped_at', 'is', null).doNothing())
        .returning(['record_kind', 'record_id'])
        .execute();
      for (const r of rows) inserted.add(`${r.record_kind}:${r.record_id}`);
    }
    return candidates.filter((r) => inserted.has(key(r)));
  });
}

/** Skips one record; true when it was not skipped before. */
export async function skip(
  db: Db,
  input: { realmId: string; kind: RecordKind | string; id: string; actor: string; clock: Clock; date?: string | null; reasonCode?: string | null; heldByEngine?: boolean },
): Promise<boolean> {
  const ref = parseRef(input.kind, input.id, input.date);
  const added = await skipMany(db, {
    realmId: input.realmId,
    refs: [ref],
    actor: input.actor,
    clock: input.clock,
    reasonCode: input.reasonCode ?? null,
    heldByEngine: input.heldByEngine ?? false,
  });
  return added.length === 1;
}

/** Adds records back to the next sync (the skip stays in history with who restored it). Returns the refs restored. */
export async function unskipMany(db: Db, input: { realmId: string; refs: RecordRef[]; actor: string; clock: Clock }): Promise<RecordRef[]> {
  const refs = dedupe(input.refs.map((r) => parseRef(r.kind, r.id)));
  checkActor(input.actor);
  const now = input.clock().toISOString();
  return db.transaction().execute(async (trx) => {
    const restored: RecordRef[] = [];
    for (const r of refs) {
      const res = await trx
        .updateTable('skips')
        .set({ unskipped_by: input.actor, unskipped_at: now })
        .where('realm_id', '=', input.realmId)
        .where('record_kind', '=', r.kind)
        .where('record_id', '=', r.id)
        .where('unskipped_at', 'is', null)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) > 0) restored.push(r);
    }
    return restored;
  });
}

/** Adds one record back; refuses (skip.not-skipped) when it was not skipped. */
export async function unskip(db: Db, input: { realmId: string; kind: RecordKind | string; id: string; actor: string; clock: Clock }): Promise<void> {
  const ref = parseRef(input.kind, input.id);
  const restored = await unskipMany(db, { realmId: input.realmId, refs: [ref], actor: input.actor, clock: input.clock });
  if (restored.length === 0) throw refusal('skip.not-skipped', { record: `${ref.kind} ${ref.id}` }, 'id');
}

export interface ListSkippedOptions {
  /**
   * The export-from dates (settings `general.exportFrom`): records dated before their kind's date
   * are left out of the list. Records of unknown date are always listed, so nothing hides unseen.
   */
  exportFrom?: Partial<Record<ExportFromKey, string>> | undefined;
  kind?: RecordKind | undefined;
}

/** The records skipped now, newest first. */
export async function listSkipped(db: Db, realmId: string, opts: ListSkippedOptions = {}): Promise<SkippedRecord[]> {
  let q = db.selectFrom('skips').selectAll().where('realm_id', '=', realmId).where('unskipped_at', 'is', null);
  if (opts.kind) q = q.where('record_kind', '=', opts.kind);
  const rows = await q.orderBy('id', 'desc').execute();
  return rows
    .map((r): SkippedRecord => ({
      id: Number(r.id),
      realmId: r.realm_id,
      kind: r.record_kind as RecordKind,
      recordId: r.record_id,
      recordDate: r.record_date,
      reasonCode: r.reason_code,
      heldByEngine: Number(r.held_by_engine) === 1,
      skippedBy: r.skipped_by,
      skippedAt: r.skipped_at,
    }))
    .filter((s) => {
      const w = exportFromOfSkipKind[s.kind];
      const from = w ? opts.exportFrom?.[w] : undefined;
      return !from || s.recordDate === null || s.recordDate >= from;
    });
}

/** Keys (`kind:id`) of every record skipped now: what the plan leaves out. */
export async function skippedKeys(db: Db, realmId: string): Promise<Set<string>> {
  const rows = await db.selectFrom('skips').select(['record_kind', 'record_id']).where('realm_id', '=', realmId).where('unskipped_at', 'is', null).execute();
  return new Set(rows.map((r) => `${r.record_kind}:${r.record_id}`));
}

function checkActor(actor: string): void {
  if (typeof actor !== 'string' || actor.trim() === '' || actor.length > 200) throw refusal('settings.invalid-actor', { value: actor }, 'actor');
}

export function key(r: { kind: string; id: string }): string {
  return `${r.kind}:${r.id}`;
}

function dedupe(refs: RecordRef[]): RecordRef[] {
  const seen = new Map<string, RecordRef>();
  for (const r of refs) if (!seen.has(key(r))) seen.set(key(r), r);
  return [...seen.values()];
}

type Tx = Parameters<Parameters<ReturnType<Db['transaction']>['execute']>[0]>[0];

async function openKeys(trx: Tx, realmId: string, refs: RecordRef[]): Promise<Set<string>> {
  const out = new Set<string>();
  const ids = [...new Set(refs.map((r) => r.id))];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await trx
      .selectFrom('skips')
      .select(['record_kind', 'record_id'])
      .where('realm_id', '=', realmId)
      .where('unskipped_at', 'is', null)
      .where('record_id', 'in', ids.slice(i, i + 500))
      .execute();
    for (const r of rows) out.add(`${r.record_kind}:${r.record_id}`);
  }
  return out;
}
