/**
 * An undo's write, settled: the journal row resolved, the record's link removed ("not yet in
 * QuickBooks", so a corrected sync sends it again), the QBO entity remembered as undone, the run's
 * history told — one transaction (ARCHITECTURE §5). And the recovery of undo writes a crash left
 * pending: each is read back; a void, delete or deactivation that landed is finished, one that did
 * not is replayed identically (same body, same requestid) while the record still holds the SyncToken
 * it was based on, and one changed since is left alone and named.
 */
import { QboFault } from '../../qbo/fault.js';
import type { EntityName } from '../../qbo/wire-types.js';
import type { Db } from '../../store/db.js';
import type { RunDeps } from '../run/context.js';
import { recordProblem, type JournalRow } from '../run/journal.js';
import { sentence } from './reasons.js';

type QboRow = Record<string, unknown> & { Id: string; SyncToken?: string };

export type UndoOperation = 'void' | 'delete' | 'inactivate';

/** The journal's group for undo writes; its row key carries the run undone: `undo:<run>:<Entity>:<Id>`. */
export const UNDO_GROUP = 'undo';
export const undoRowKey = (undoneRunId: string, entity: string, id: string) => `undo:${undoneRunId}:${entity}:${id}`;
const undoneRunOf = (rowKey: string) => rowKey.split(':')[1] ?? '';

/** The journal operation of an undo step: making a name inactive is a sparse update. */
export const journalOperation = (op: UndoOperation) => (op === 'inactivate' ? 'update' : op);
const undoOperationOf = (row: JournalRow): UndoOperation => (row.operation === 'update' ? 'inactivate' : (row.operation as UndoOperation));

export interface UndoneWrite {
  journalId: number;
  realmId: string;
  /** The run recording it (the undo, or a later run that recovered it). */
  runId: string;
  undoneRunId: string;
  recordKind: string;
  recordKey: string;
  label: string;
  qboEntity: string;
  qboId: string;
  operation: UndoOperation;
}

/** The history sentence of a finished undo step. */
export function doneMessage(w: Pick<UndoneWrite, 'label' | 'qboEntity' | 'qboId' | 'operation'>): string {
  const ctx = { record: w.label, entity: w.qboEntity, qboId: w.qboId };
  if (w.operation === 'void') return sentence('undo.voided', ctx);
  if (w.operation === 'inactivate') return sentence('undo.inactivated', ctx);
  return sentence(w.qboEntity === 'CreditMemo' ? 'undo.credit-memo-deleted' : 'undo.deleted', ctx);
}

export async function finishUndo(db: Db, w: UndoneWrite, now: Date): Promise<void> {
  const at = now.toISOString();
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('journal').set({ status: 'resolved', resolved_at: at, qbo_id: w.qboId }).where('id', '=', w.journalId).execute();
    await trx
      .deleteFrom('links')
      .where('realm_id', '=', w.realmId)
      .where('record_kind', '=', w.recordKind)
      .where('record_key', '=', w.recordKey)
      .where('qbo_entity', '=', w.qboEntity)
      .where('qbo_id', '=', w.qboId)
      .execute();
    const known = await trx
      .selectFrom('undone_records')
      .select('qbo_id')
      .where('realm_id', '=', w.realmId)
      .where('qbo_entity', '=', w.qboEntity)
      .where('qbo_id', '=', w.qboId)
      .executeTakeFirst();
    if (known) {
      // A name made inactive again after a sync reactivated it: the latest undo is the one remembered.
      await trx
        .updateTable('undone_records')
        .set({ operation: w.operation, undo_run_id: w.runId, undone_run_id: w.undoneRunId, at })
        .where('realm_id', '=', w.realmId)
        .where('qbo_entity', '=', w.qboEntity)
        .where('qbo_id', '=', w.qboId)
        .execute();
    } else {
      await trx
        .insertInto('undone_records')
        .values({
          realm_id: w.realmId,
          qbo_entity: w.qboEntity,
          qbo_id: w.qboId,
          record_kind: w.recordKind,
          record_key: w.recordKey,
          operation: w.operation,
          undo_run_id: w.runId,
          undone_run_id: w.undoneRunId,
          at,
        })
        .execute();
    }
    await trx
      .insertInto('run_records')
      .values({
        run_id: w.runId,
        row_key: undoRowKey(w.undoneRunId, w.qboEntity, w.qboId),
        group_kind: UNDO_GROUP,
        record_kind: w.recordKind,
        record_key: w.recordKey,
        label: w.label,
        action: w.operation,
        qbo_entity: w.qboEntity,
        qbo_id: w.qboId,
        status: 'done',
        code: w.operation === 'void' ? 'undo.voided' : w.operation === 'inactivate' ? 'undo.inactivated' : 'undo.deleted',
        message: doneMessage(w),
        at,
      })
      .execute();
    // Only processed: an undo's results are read from its records in its own words (history.ts undoCountsOf), never as a sync's "updated"/"voided".
    await trx
      .updateTable('runs')
      .set((eb) => ({ processed: eb('processed', '+', 1) }))
      .where('id', '=', w.runId)
      .execute();
  });
}

/** A step that did not happen (QBO refused it, or the record moved on): named in the run's history. */
export async function undoProblem(
  db: Db,
  w: Omit<UndoneWrite, 'journalId'> & { journalId: number | null },
  status: 'failed' | 'held' | 'pending',
  code: string,
  message: string,
  now: Date,
): Promise<void> {
  await recordProblem(
    db,
    {
      journalId: w.journalId,
      journalStatus: status,
      runId: w.runId,
      rowKey: undoRowKey(w.undoneRunId, w.qboEntity, w.qboId),
      groupKind: UNDO_GROUP,
      label: w.label,
      recordKind: w.recordKind,
      recordKey: w.recordKey,
      action: w.operation,
      qboEntity: w.qboEntity,
      qboId: w.qboId,
      code,
      message,
    },
    now,
    // Undo's own writes are not fenced yet (issue 16 fenced the sync's resolutions first).
    undefined,
  );
}

/** Sends one undo step (the identical request on a replay). */
export async function sendUndo(deps: Pick<RunDeps, 'client'>, op: UndoOperation, entity: EntityName, ref: { Id: string; SyncToken: string }, requestId: string): Promise<QboRow> {
  if (op === 'void') return (await deps.client.void(entity, ref, { requestId })) as QboRow;
  if (op === 'delete') return (await deps.client.delete(entity, ref, { requestId })) as unknown as QboRow;
  return (await deps.client.deactivate(entity, ref, { requestId })) as QboRow;
}

/** QBO's answer when the record is gone (Object Not Found). */
const notFound = (err: unknown) => err instanceof QboFault && err.code === '610';

/** A void that landed: QBO keeps the document with amounts of zero and "Voided" in its note (docs/qbo-api.md §void). */
const looksVoided = (r: QboRow) => r['TotalAmt'] === 0 && typeof r['PrivateNote'] === 'string' && (r['PrivateNote'] as string).startsWith('Voided');

export interface UndoSettlement {
  settled: number;
  failed: number;
  unsettled: Map<number, string>;
}

/** Settles pending undo writes (journal group `undo`) into `runId`'s history; see the header. */
export async function settleUndoWrites(deps: Pick<RunDeps, 'db' | 'client' | 'clock' | 'logger'>, runId: string, rows: JournalRow[]): Promise<UndoSettlement> {
  const out: UndoSettlement = { settled: 0, failed: 0, unsettled: new Map() };
  for (const row of rows) {
    const body = JSON.parse(row.body) as Record<string, unknown>;
    const entity = row.qbo_entity as EntityName;
    const id = String(body['Id']);
    const w: UndoneWrite = {
      journalId: row.id,
      realmId: row.realm_id,
      runId,
      undoneRunId: undoneRunOf(row.row_key),
      recordKind: row.record_kind,
      recordKey: row.record_key,
      label: row.label || `${row.record_kind} ${row.record_key}`,
      qboEntity: row.qbo_entity,
      qboId: id,
      operation: undoOperationOf(row),
    };
    const ref = { Id: id, SyncToken: String(body['SyncToken']) };
    try {
      let current: QboRow | undefined;
      try {
        current = (await deps.client.read(entity, id)) as QboRow;
      } catch (err) {
        if (!notFound(err)) throw err;
      }
      const landed =
        current === undefined ? w.operation === 'delete' : w.operation === 'void' ? looksVoided(current) : w.operation === 'inactivate' ? current['Active'] === false : false;
      if (!landed) {
        if (!current || String(current.SyncToken) !== row.base_sync_token) {
          const detail = current ? `SyncToken ${String(current.SyncToken)}, the undo was based on ${row.base_sync_token ?? '?'}` : 'not found';
          await undoProblem(
            deps.db,
            w,
            'failed',
            'undo.changed-in-qbo',
            sentence(current ? 'undo.changed-in-qbo' : 'undo.gone-from-qbo', { record: w.label, entity: w.qboEntity, qboId: id, detail }),
            deps.clock(),
          );
          out.failed += 1;
          continue;
        }
        await sendUndo(deps, w.operation, entity, ref, row.request_id);
      }
      await finishUndo(deps.db, w, deps.clock());
      out.settled += 1;
    } catch (err) {
      if (err instanceof QboFault) {
        await undoProblem(
          deps.db,
          w,
          'failed',
          'undo.qbo-refused',
          sentence('undo.qbo-refused', { record: w.label, entity: w.qboEntity, qboId: id, detail: err.errors[0]?.message ?? err.message }),
          deps.clock(),
        );
        out.failed += 1;
        continue;
      }
      const why = err instanceof Error ? err.message : String(err);
      deps.logger.warn({ journalId: row.id, err: why }, 'undo recovery: the write could not be checked; it stays pending');
      out.unsettled.set(row.id, why);
    }
  }
  return out;
}
