/**
 * Undoing a sync, as a run of its own (kind `undo`, in the history like every run): take the
 * company's lock, settle what an earlier run left pending (sync and undo writes alike), preview the
 * undo afresh, and write it in order — payments (so the documents they are applied to are free),
 * credit memos, invoices, bills, then the names nothing uses any more. Each step is read back just
 * before it is sent (our own payment voids move the invoices' SyncTokens), journaled with its
 * deterministic requestid before it leaves, and settled in the transaction that removes the link.
 * What the preview refused is named in the run's history; nothing refused is written.
 */
import crypto from 'node:crypto';
import { OutcomeUnknownError, QboFault } from '../../qbo/fault.js';
import type { EntityName } from '../../qbo/wire-types.js';
import { contentHash } from '../../hash.js';
import { connectionRefusal, notSentAfterRefusal } from '../run/connection-refused.js';
import { LockLostError, type RunDeps } from '../run/context.js';
import { getRun, type RunDetail } from '../run/history.js';
import { generationOf, journalWrites, unresolvedWrites } from '../run/journal.js';
import { acquireSyncLock, DEFAULT_LOCK_TTL_MS, keepAlive } from '../run/lock.js';
import { markInterruptedRuns, recordUnsettled, settleWrites } from '../run/recover.js';
import { requestIdFor } from '../run/request-id.js';
import { changedSince, createdBy, previewUndo, undoableRun, type UndoItem, type UndoPreview } from './preview.js';
import { refusal, sentence } from './reasons.js';
import { finishUndo, journalOperation, sendUndo, settleUndoWrites, UNDO_GROUP, undoProblem, undoRowKey, type UndoneWrite } from './settle.js';

type QboRow = Record<string, unknown> & { Id: string; SyncToken?: string };

export interface UndoDeps extends RunDeps {
  lockTtlMs?: number;
  requestCount?: () => number;
}

export interface UndoOptions {
  realmId: string;
  /** The sync run to take back. */
  runId: string;
  actor: string;
}

export interface UndoResult {
  /** The undo's own run id. */
  undoRunId: string;
  /** succeeded (everything undoable undone) | failed (something refused, failed or unsettled) */
  status: string;
  message: string;
  preview: UndoPreview;
  summary: RunDetail;
}

async function openUndoRun(deps: UndoDeps, realmId: string, undoes: string, actor: string): Promise<string> {
  const id = `undo-${deps
    .clock()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14)}-${crypto.randomBytes(4).toString('hex')}`;
  await deps.db
    .insertInto('runs')
    .values({
      id,
      realm_id: realmId,
      started_by: actor,
      started_at: deps.clock().toISOString(),
      finished_at: null,
      status: 'running',
      settings: JSON.stringify({ undoes }),
      processed: 0,
      created: 0,
      adopted: 0,
      updated: 0,
      voided: 0,
      imported: 0,
      failed: 0,
      held: 0,
      message: null,
      kind: 'undo',
      undoes,
    })
    .execute();
  return id;
}

/** Undoes the run now (after the person saw the preview and confirmed). */
export async function undoRun(deps: UndoDeps, opts: UndoOptions): Promise<UndoResult> {
  const ttl = deps.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
  const lock = await acquireSyncLock(deps.db, { realmId: opts.realmId, holder: opts.actor, clock: deps.clock, ttlMs: ttl });
  let lost = false;
  const stop = keepAlive(lock, ttl, () => {
    lost = true;
  });
  // Settling earlier writes (recover.ts) is fenced by the lease; undo's own steps check `lost`.
  deps = { ...deps, lease: lock };
  const requestsAtStart = deps.requestCount?.() ?? 0;
  let undoRunId: string | undefined;
  try {
    // Refused before a run is opened: a wrong run id leaves no trace in the history.
    await undoableRun(deps.db, opts.realmId, opts.runId);
    // Everything undone already (or nothing created): refused, nothing recorded (as the preview says).
    if (!(await createdBy(deps.db, opts.realmId, opts.runId)).length) throw refusal('undo.nothing-to-undo', { runId: opts.runId }, 'run');
    undoRunId = await openUndoRun(deps, opts.realmId, opts.runId, opts.actor);
    await lock.setRunId(undoRunId);
    await markInterruptedRuns(deps, opts.realmId, undoRunId);
    const earlier = await unresolvedWrites(deps.db, opts.realmId);
    const { unsettled } = await settleWrites(deps, opts.realmId, undoRunId, earlier);
    await recordUnsettled(deps, undoRunId, earlier, unsettled);

    const preview = await previewUndo(deps, opts.realmId, opts.runId);
    if (deps.scope) deps.scope.group = UNDO_GROUP;
    for (const item of preview.items) {
      if (lost) throw new LockLostError();
      if (item.action === 'keep') {
        await keptActive(deps, writeOf(opts, undoRunId, item), item);
        continue;
      }
      if (item.action === 'refuse') {
        await undoProblem(deps.db, { ...writeOf(opts, undoRunId, item), journalId: null }, 'failed', item.code ?? 'undo.refused', item.message, deps.clock());
        continue;
      }
      await undoOne(deps, opts, undoRunId, item);
      await lock.heartbeat();
    }
    const run = await getRun(deps.db, undoRunId, { now: deps.clock() });
    const u = run.undo!;
    const status = u.refused > 0 || u.toSettle > 0 ? 'failed' : 'succeeded';
    const message = `Undo of run ${opts.runId}: ${u.voided} voided, ${u.deleted} deleted, ${u.madeInactive} made inactive, ${u.keptActive} kept active (still in use), ${u.refused} refused (could not be undone)${u.toSettle ? `, ${u.toSettle} still to settle` : ''}.`;
    await close(deps, undoRunId, status, message, requestsAtStart);
    return { undoRunId, status, message, preview, summary: await getRun(deps.db, undoRunId, { now: deps.clock() }) };
  } catch (err) {
    if (undoRunId) {
      const message = err instanceof Error ? err.message : String(err);
      await close(deps, undoRunId, err instanceof LockLostError ? 'interrupted' : 'failed', `The undo stopped: ${message}`, requestsAtStart).catch(() => {});
    }
    throw err;
  } finally {
    stop();
    await lock.release().catch(() => {});
  }
}

async function close(deps: UndoDeps, runId: string, status: string, message: string, requestsAtStart: number): Promise<void> {
  const requests = deps.requestCount ? deps.requestCount() - requestsAtStart : 0;
  await deps.db.updateTable('runs').set({ status, message, finished_at: deps.clock().toISOString(), requests }).where('id', '=', runId).execute();
}

/** A name the undo leaves active because something still uses it: recorded as kept, never counted as held. */
async function keptActive(deps: UndoDeps, w: Omit<UndoneWrite, 'journalId'>, item: UndoItem): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('run_records')
      .values({
        run_id: w.runId,
        row_key: undoRowKey(w.undoneRunId, w.qboEntity, w.qboId),
        group_kind: UNDO_GROUP,
        record_kind: w.recordKind,
        record_key: w.recordKey,
        label: w.label,
        action: 'keep',
        qbo_entity: w.qboEntity,
        qbo_id: w.qboId,
        status: 'kept',
        code: item.code ?? 'undo.name-in-use',
        message: item.message,
        at: deps.clock().toISOString(),
      })
      .execute();
    await trx
      .updateTable('runs')
      .set((eb) => ({ processed: eb('processed', '+', 1) }))
      .where('id', '=', w.runId)
      .execute();
  });
}

function writeOf(opts: UndoOptions, undoRunId: string, item: UndoItem): Omit<UndoneWrite, 'journalId'> {
  return {
    realmId: opts.realmId,
    runId: undoRunId,
    undoneRunId: opts.runId,
    recordKind: item.recordKind,
    recordKey: item.recordKey,
    label: item.label,
    qboEntity: item.qboEntity,
    qboId: item.qboId,
    operation: item.action as UndoneWrite['operation'],
  };
}

/** One step: read back, check, journal, send, settle. */
async function undoOne(deps: UndoDeps, opts: UndoOptions, undoRunId: string, item: UndoItem): Promise<void> {
  const w = writeOf(opts, undoRunId, item);
  const entity = item.qboEntity as EntityName;
  const now = () => deps.clock();
  // Read back: the preview's copy is older than our own payment voids, and someone may have edited it since.
  const current = (await deps.client.read(entity, item.qboId)) as QboRow;
  const link = await deps.db
    .selectFrom('links')
    .selectAll()
    .where('realm_id', '=', opts.realmId)
    .where('record_kind', '=', item.recordKind)
    .where('record_key', '=', item.recordKey)
    .executeTakeFirst();
  const sent = await deps.db
    .selectFrom('journal')
    .select('body')
    .where('realm_id', '=', opts.realmId)
    .where('run_id', '=', opts.runId)
    .where('operation', '=', 'create')
    .where('record_kind', '=', item.recordKind)
    .where('record_key', '=', item.recordKey)
    .where('status', '=', 'resolved')
    .executeTakeFirst();
  const moved = link ? changedSince(link, current, sent ? (JSON.parse(sent.body) as Record<string, unknown>) : {}) : 'its link was removed';
  const applied =
    Array.isArray(current['LinkedTxn']) && !['Customer', 'Vendor', 'Item'].includes(item.qboEntity) ? (current['LinkedTxn'] as Array<{ TxnId: string; TxnType: string }>) : [];
  // Payments are undone first, so by now only what is not ours is still applied.
  const foreign = item.qboEntity === 'Payment' ? [] : applied;
  if (moved || foreign.length) {
    const detail = moved ?? `${foreign.map((t) => `${t.TxnType} ${t.TxnId}`).join(', ')} applied to it`;
    await undoProblem(
      deps.db,
      { ...w, journalId: null },
      'failed',
      moved ? 'undo.changed-in-qbo' : 'undo.applied-in-qbo',
      moved
        ? sentence('undo.changed-in-qbo', { record: item.label, entity: item.qboEntity, qboId: item.qboId, detail })
        : sentence('undo.applied-in-qbo', { record: item.label, entity: item.qboEntity, qboId: item.qboId, other: detail }),
      now(),
    );
    return;
  }
  const ref = { Id: item.qboId, SyncToken: String(current.SyncToken) };
  const op = journalOperation(item.action as UndoneWrite['operation']);
  // Stable across restarts: the same step of the same undo of the same run keeps its requestid.
  const payloadHash = contentHash({ undo: opts.runId, entity: item.qboEntity, id: item.qboId, op });
  const generation = await generationOf(deps.db, opts.realmId, item.recordKind, item.recordKey, op, payloadHash);
  const requestId = requestIdFor({ realmId: opts.realmId, recordKind: item.recordKind, recordKey: item.recordKey, payloadHash, operation: op, generation });
  deps.crash('before-journal', UNDO_GROUP);
  const [journalId] = await journalWrites(
    deps.db,
    [
      {
        realmId: opts.realmId,
        runId: undoRunId,
        rowKey: undoRowKey(opts.runId, item.qboEntity, item.qboId),
        groupKind: UNDO_GROUP,
        label: item.label,
        recordKind: item.recordKind,
        recordKey: item.recordKey,
        recordVersion: 0,
        operation: op,
        qboEntity: item.qboEntity,
        requestId,
        body: JSON.stringify(ref),
        payloadHash,
        expectedTotalCents: null,
        baseSyncToken: ref.SyncToken,
        batchRequestId: null,
      },
    ],
    now(),
    deps.lease,
  );
  deps.crash('after-journal-before-send', UNDO_GROUP);
  try {
    await sendUndo(deps, w.operation, entity, ref, requestId);
    deps.crash('after-response-before-commit', UNDO_GROUP);
    await finishUndo(deps.db, { ...w, journalId: journalId! }, now());
  } catch (err) {
    const refused = connectionRefusal(err, opts.realmId);
    if (refused) throw await notSentAfterRefusal(deps.db, [journalId!], refused, now(), deps.lease);
    if (err instanceof QboFault) {
      await undoProblem(
        deps.db,
        { ...w, journalId: journalId! },
        'failed',
        'undo.qbo-refused',
        sentence('undo.qbo-refused', { record: item.label, entity: item.qboEntity, qboId: item.qboId, detail: err.errors[0]?.message ?? err.message }),
        now(),
      );
      return;
    }
    if (!(err instanceof OutcomeUnknownError)) deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'undo: no answer; the write is looked up');
    const rows = (await deps.db.selectFrom('journal').selectAll().where('id', '=', journalId!).execute()) as Parameters<typeof settleUndoWrites>[2];
    const s = await settleUndoWrites(deps, undoRunId, rows);
    for (const [, why] of s.unsettled) {
      await undoProblem(
        deps.db,
        { ...w, journalId: journalId! },
        'pending',
        'undo.unsettled',
        sentence('undo.unsettled', { record: item.label, entity: item.qboEntity, qboId: item.qboId, detail: why }),
        now(),
      );
    }
  }
}
