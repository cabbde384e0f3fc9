/**
 * The write-ahead journal (ARCHITECTURE §5): a row per write, committed before the request leaves,
 * and resolved in the same transaction that stores the link and the run's per-record result — so
 * after a crash the database says exactly which writes may have reached QBO without being recorded.
 *
 * Every resolution is fenced (lock.ts fenceWrite): its transaction first renews the run's lease on the
 * company lock and is refused with LockLostError when the lock is no longer ours, so a writer that
 * lost the lock records nothing more and sends no further batch. QBO's answer to that last write is
 * then not stored: its journal row stays pending, and the new holder's recovery settles it by looking
 * the write up in QBO (recover.ts: by requestid, marker or name) — the same path as after a crash
 * between sending and recording, so the record is neither lost nor written twice. The refused answer
 * is carried on the error (`unrecorded`) for the log.
 */
import type { Selectable, Transaction } from 'kysely';
import type { Db } from '../../store/db.js';
import type { Database } from '../../store/schema.js';
import { LockLostError } from './context.js';
import { fenceWrite, type Lease } from './lock.js';
import type { WriteOperation } from './request-id.js';

type Executor = Db | Transaction<Database>;

export interface JournalEntry {
  realmId: string;
  runId: string;
  rowKey: string;
  groupKind: string;
  label: string;
  recordKind: string;
  recordKey: string;
  recordVersion: number;
  operation: WriteOperation;
  qboEntity: string;
  requestId: string;
  body: string;
  payloadHash: string;
  expectedTotalCents: number | null;
  baseSyncToken: string | null;
  batchRequestId: string | null;
}

export type JournalRow = Selectable<Database['journal']>;

/**
 * Commits the entries as pending (may have been sent) and returns their ids, in order. Fenced too:
 * a writer that lost the lock journals nothing, so it sends nothing more.
 */
export async function journalWrites(db: Db, entries: JournalEntry[], now: Date, lease?: Lease): Promise<number[]> {
  return db.transaction().execute(async (trx) => {
    await fenceWrite(trx, lease);
    const ids: number[] = [];
    for (const e of entries) {
      const r = await trx
        .insertInto('journal')
        .values({
          realm_id: e.realmId,
          run_id: e.runId,
          row_key: e.rowKey,
          group_kind: e.groupKind,
          label: e.label,
          record_kind: e.recordKind,
          record_key: e.recordKey,
          record_version: e.recordVersion,
          operation: e.operation,
          qbo_entity: e.qboEntity,
          request_id: e.requestId,
          body: e.body,
          payload_hash: e.payloadHash,
          expected_total_cents: e.expectedTotalCents,
          base_sync_token: e.baseSyncToken,
          batch_request_id: e.batchRequestId,
          status: 'pending',
          attempts: 1,
          created_at: now.toISOString(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids.push(Number(r.id));
    }
    return ids;
  });
}

/** How many writes of this record, operation and payload were journaled before (the generation). */
export async function generationOf(db: Executor, realmId: string, recordKind: string, recordKey: string, operation: string, payloadHash: string): Promise<number> {
  const r = await db
    .selectFrom('journal')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('realm_id', '=', realmId)
    .where('record_kind', '=', recordKind)
    .where('record_key', '=', recordKey)
    .where('operation', '=', operation)
    .where('payload_hash', '=', payloadHash)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function unresolvedWrites(db: Executor, realmId: string): Promise<JournalRow[]> {
  return (await db.selectFrom('journal').selectAll().where('realm_id', '=', realmId).where('status', '=', 'pending').orderBy('id').execute()) as JournalRow[];
}

/** Journal rows by id, as they stand now (after a look-up settled some of them). */
export async function journalRowsById(db: Executor, ids: readonly number[]): Promise<JournalRow[]> {
  if (!ids.length) return [];
  return (await db
    .selectFrom('journal')
    .selectAll()
    .where('id', 'in', [...ids])
    .execute()) as JournalRow[];
}

/** The body of the last write QBO took for a record (resolved), if any. */
export async function lastSentBody(db: Executor, realmId: string, recordKind: string, recordKey: string): Promise<Record<string, unknown> | undefined> {
  const last = await db
    .selectFrom('journal')
    .select(['body'])
    .where('realm_id', '=', realmId)
    .where('record_kind', '=', recordKind)
    .where('record_key', '=', recordKey)
    .where('status', '=', 'resolved')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return last ? (JSON.parse(last.body) as Record<string, unknown>) : undefined;
}

/** The records this run's history already tells about, by `kind\u0000key` (each is told once). */
export async function recordsTold(db: Executor, runId: string): Promise<Set<string>> {
  const rows = await db.selectFrom('run_records').select(['record_kind', 'record_key']).where('run_id', '=', runId).execute();
  return new Set(rows.map((r) => `${r.record_kind}\u0000${r.record_key}`));
}

/** Writes held for a person, by `kind\u0000key`: the sync does not send these records again. */
export async function heldWrites(db: Executor, realmId: string): Promise<Map<string, JournalRow>> {
  const rows = (await db.selectFrom('journal').selectAll().where('realm_id', '=', realmId).where('status', '=', 'held').execute()) as JournalRow[];
  return new Map(rows.map((r) => [`${r.record_kind}\u0000${r.record_key}`, r]));
}

export interface Resolution {
  journalId: number | null;
  runId: string;
  realmId: string;
  rowKey: string;
  groupKind: string;
  label: string;
  recordKind: string;
  recordKey: string;
  recordVersion: number;
  payloadHash: string;
  /** What the run did to the record, as history shows it. */
  action: 'create' | 'adopt' | 'update' | 'void' | 'import';
  qboEntity: string;
  qboId: string;
  syncToken: string;
  qboTotalCents: number | null;
  linkState: 'linked' | 'voided' | 'diverged';
  code?: string | null;
  message?: string | null;
  /** The run counter this result adds to. */
  counter: 'created' | 'adopted' | 'updated' | 'voided' | 'imported';
}

/** Journal resolved + link stored + run record + run counters, in one transaction. */
export async function resolveWrite(db: Db, r: Resolution, now: Date, lease: Lease | undefined, extra?: (trx: Transaction<Database>) => Promise<void>): Promise<void> {
  const at = now.toISOString();
  await fenced(db, lease, { journalId: r.journalId, qboEntity: r.qboEntity, qboId: r.qboId }, async (trx) => {
    if (r.journalId !== null) {
      await trx.updateTable('journal').set({ status: 'resolved', resolved_at: at, qbo_id: r.qboId }).where('id', '=', r.journalId).execute();
    }
    const existing = await trx
      .selectFrom('links')
      .select('created_at')
      .where('realm_id', '=', r.realmId)
      .where('record_kind', '=', r.recordKind)
      .where('record_key', '=', r.recordKey)
      .executeTakeFirst();
    const link = {
      qbo_entity: r.qboEntity,
      qbo_id: r.qboId,
      sync_token: r.syncToken,
      payload_hash: r.payloadHash,
      record_version: r.recordVersion,
      state: r.linkState,
      qbo_total_cents: r.qboTotalCents,
      updated_at: at,
      last_run_id: r.runId,
      // Our write took QBO's copy as it was: a change QBO told us about before it is settled.
      qbo_changed_at: null,
      qbo_changed_fields: null,
    };
    if (existing) {
      await trx.updateTable('links').set(link).where('realm_id', '=', r.realmId).where('record_kind', '=', r.recordKind).where('record_key', '=', r.recordKey).execute();
    } else {
      await trx
        .insertInto('links')
        .values({ realm_id: r.realmId, record_kind: r.recordKind, record_key: r.recordKey, created_at: at, ...link })
        .execute();
    }
    await trx
      .insertInto('run_records')
      .values({
        run_id: r.runId,
        row_key: r.rowKey,
        group_kind: r.groupKind,
        record_kind: r.recordKind,
        record_key: r.recordKey,
        label: r.label,
        action: r.action,
        qbo_entity: r.qboEntity,
        qbo_id: r.qboId,
        status: 'done',
        code: r.code ?? null,
        message: r.message ?? null,
        at,
      })
      .execute();
    await trx
      .updateTable('runs')
      .set((eb) => ({ processed: eb('processed', '+', 1), [r.counter]: eb(r.counter, '+', 1) }))
      .where('id', '=', r.runId)
      .execute();
    if (extra) await extra(trx);
  });
}

export interface Problem {
  journalId: number | null;
  /** failed: QBO refused it or it was not sent; held: needs a person; pending: outcome still unknown. */
  journalStatus: 'failed' | 'held' | 'pending';
  runId: string;
  rowKey: string;
  groupKind: string;
  label: string;
  recordKind: string;
  recordKey: string;
  action: string;
  qboEntity: string | null;
  qboId: string | null;
  code: string;
  message: string;
}

/** A write (or a row) that did not land: journal outcome + run record + run counter, in one transaction. */
export async function recordProblem(db: Db, p: Problem, now: Date, lease: Lease | undefined, extra?: (trx: Transaction<Database>) => Promise<void>): Promise<void> {
  const at = now.toISOString();
  await fenced(db, lease, { journalId: p.journalId, qboEntity: p.qboEntity, qboId: p.qboId }, async (trx) => {
    if (p.journalId !== null) {
      await trx
        .updateTable('journal')
        .set({ status: p.journalStatus, resolved_at: p.journalStatus === 'pending' ? null : at, outcome_code: p.code, outcome_message: p.message, qbo_id: p.qboId })
        .where('id', '=', p.journalId)
        .execute();
    }
    await trx
      .insertInto('run_records')
      .values({
        run_id: p.runId,
        row_key: p.rowKey,
        group_kind: p.groupKind,
        record_kind: p.recordKind,
        record_key: p.recordKey,
        label: p.label,
        action: p.action,
        qbo_entity: p.qboEntity,
        qbo_id: p.qboId,
        status: p.journalStatus === 'failed' ? 'failed' : 'held',
        code: p.code,
        message: p.message,
        at,
      })
      .execute();
    const counter = p.journalStatus === 'failed' ? 'failed' : 'held';
    await trx
      .updateTable('runs')
      .set((eb) => ({ processed: eb('processed', '+', 1), [counter]: eb(counter, '+', 1) }))
      .where('id', '=', p.runId)
      .execute();
    if (extra) await extra(trx);
  });
}

/** Marks a pending write as not having reached QBO, so the sync may send it again (new requestid). */
export async function markNotSent(db: Db, journalId: number, code: string, message: string, now: Date, lease: Lease | undefined): Promise<void> {
  await fenced(db, lease, { journalId, qboEntity: null, qboId: null }, (trx) =>
    trx.updateTable('journal').set({ status: 'failed', resolved_at: now.toISOString(), outcome_code: code, outcome_message: message }).where('id', '=', journalId).execute(),
  );
}

/** One transaction whose first statement is the fence; a refusal names the answer it did not store. */
async function fenced<T>(db: Db, lease: Lease | undefined, answer: LockLostError['unrecorded'], body: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  try {
    return await db.transaction().execute(async (trx) => {
      await fenceWrite(trx, lease);
      return body(trx);
    });
  } catch (err) {
    if (err instanceof LockLostError && !err.unrecorded) throw new LockLostError(answer);
    throw err;
  }
}
