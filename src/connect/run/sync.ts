/**
 * One sync of one company (ARCHITECTURE §4 step 3): take the company's lock, recover unresolved
 * writes, re-plan, refuse while errors remain, write the groups in order, import payments, and
 * record the run. `startSync` answers with the run id as soon as the run exists (the web app and the
 * API poll its progress); `sync` waits for the end.
 */
import crypto from 'node:crypto';
import { getSettings } from '../settings/store.js';
import type { Settings } from '../settings/model.js';
import { groupOrder, type Plan, type PlanRow } from '../plan/index.js';
import { LockLostError, StopRequestedError, type Progress, type RunDeps, type RunState } from './context.js';
import type { Drain } from './drain.js';
import { actionableRows, GroupExecutor } from './execute.js';
import { getRun, problemsMessage, type RunDetail } from './history.js';
import { acquireSyncLock, DEFAULT_LOCK_TTL_MS, keepAlive, type SyncLock } from './lock.js';
import { sentence } from './reasons.js';
import { importPayments, importRows } from './payments-import.js';
import { markInterruptedRuns, recordUnsettled, resolveByPerson, settleWrites, type PersonVerdict, type RecoverySummary } from './recover.js';
import { recordProblem, unresolvedWrites } from './journal.js';
import { recordHeldRows, rowsToHold, type HeldRow } from './hold-errors.js';
import { withLogContext } from '../../log.js';
import type { RecordResult } from '../../context.js';
import { ConnectionLostError } from '../../qbo/fault.js';
import type { ClosedRun } from '../notify/index.js';

export interface SyncDeps extends RunDeps {
  /** Builds the plan afresh (connect/plan's buildPlan); called at the start of every sync. */
  buildPlan: (realmId: string) => Promise<Plan>;
  lockTtlMs?: number;
  /** QBO requests made so far by this process's client (for the run's record). */
  requestCount?: () => number;
  /** The process's drain (connect/run/drain.ts): refuses a new sync while stopping, and stops a running one between batches. */
  drain?: Drain | undefined;
  /** Told when the run closes (connect/notify notifyRunClosed: failed, held or refused runs); never throws. */
  notify?: ((run: ClosedRun) => Promise<void>) | undefined;
}

export interface SyncOptions {
  realmId: string;
  /** Who started it: "alice@example.com (web)", "cli:alice", an API token's user. */
  actor: string;
  onProgress?: (p: Progress) => void;
  /**
   * Only this group (QBO's change notifications import the payments entered there: connect/changes):
   * the other groups' rows are neither sent nor counted, and their errors do not refuse the run.
   */
  only?: 'payments-import';
  /**
   * What to do when the preview has errors: `refuse` (default: the run is refused, nothing sent) or
   * `hold` (a scheduled sync of a company set to `sync-ready`: the rows with errors and the rows that
   * need them are held in the run's history, the rest is sent — connect/run/hold-errors.ts).
   */
  onPlanErrors?: 'refuse' | 'hold';
}

export interface SyncResult {
  runId: string;
  /** succeeded | failed (some records failed or are held) | refused (plan errors) | interrupted */
  status: string;
  message: string | null;
  /** The plan errors that refused the run, one sentence each. */
  errors: string[];
  summary: RunDetail;
  recovery: RecoverySummary;
}

export interface StartedSync {
  runId: string;
  /** The run's end: resolves once it is closed and its lock released; never waits for a notification. */
  done: Promise<SyncResult>;
  /** Settles once the run's notification (if any) was handed off (queued, or delivered or given up); never rejects. */
  notified: Promise<void>;
}

/** Closes a run that will not start (a queued run whose job was refused the lock, or ran out of attempts) with one sentence: never left queued. */
export async function closeQueuedRun(deps: Pick<RunDeps, 'db' | 'clock'>, runId: string, status: 'refused' | 'failed' | 'interrupted', message: string): Promise<boolean> {
  const r = await deps.db
    .updateTable('runs')
    .set({ status, message, finished_at: deps.clock().toISOString() })
    .where('id', '=', runId)
    .where('status', '=', 'queued')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Plan rows with errors that are not skipped: each blocks the sync until fixed or skipped. */
export function blockingErrors(plan: Plan): string[] {
  const out: string[] = [];
  for (const g of plan.groups) {
    for (const r of g.rows) {
      if (r.skipped) continue;
      for (const i of r.issues) if (i.severity === 'error') out.push(i.message);
    }
  }
  return out;
}

function settingsJson(settings: Settings | undefined, plan?: Plan): string {
  return JSON.stringify({ settingsHash: plan?.settingsHash ?? null, settings: settings ?? null });
}

/** A new run's id: its start time (UTC, to the second) and 8 random hex digits. */
export function newRunId(clock: () => Date): string {
  return `run-${clock()
    .toISOString()
    .replace(/[-:.TZ]/g, '')
    .slice(0, 14)}-${crypto.randomBytes(4).toString('hex')}`;
}

/**
 * Records a run: `running` when this process starts it now, `queued` when a job will start it
 * (jobs/enqueue-sync.ts, in the transaction that adds the job; `db` is then that transaction).
 */
export async function insertRun(
  db: RunDeps['db'],
  run: { id: string; realmId: string; actor: string; at: Date; status: 'running' | 'queued'; settings?: Settings | undefined },
): Promise<void> {
  await db
    .insertInto('runs')
    .values({
      id: run.id,
      realm_id: run.realmId,
      started_by: run.actor,
      started_at: run.at.toISOString(),
      finished_at: null,
      status: run.status,
      settings: settingsJson(run.settings),
      processed: 0,
      created: 0,
      adopted: 0,
      updated: 0,
      voided: 0,
      imported: 0,
      failed: 0,
      held: 0,
      message: null,
    })
    .execute();
}

async function openRun(deps: Pick<RunDeps, 'db' | 'clock'>, realmId: string, actor: string, settings: Settings | undefined): Promise<string> {
  const id = newRunId(deps.clock);
  await insertRun(deps.db, { id, realmId, actor, at: deps.clock(), status: 'running', settings });
  return id;
}

async function closeRun(deps: SyncDeps | RunDeps, runId: string, status: string, message: string | null, requestsAtStart: number): Promise<void> {
  const requests = 'requestCount' in deps && deps.requestCount ? deps.requestCount() - requestsAtStart : 0;
  await deps.db.updateTable('runs').set({ status, message, finished_at: deps.clock().toISOString(), requests }).where('id', '=', runId).execute();
}

/**
 * Every line logged from here to the run's end — by the engine, the preview, the QBO client, whoever
 * holds the app's logger — carries the company's id and, once the run exists, its run id (log.ts).
 */
export function startSync(deps: SyncDeps, opts: SyncOptions): Promise<StartedSync> {
  return withLogContext({ realmId: opts.realmId }, () => startSyncOf(deps, opts));
}

async function startSyncOf(deps: SyncDeps, opts: SyncOptions): Promise<StartedSync> {
  deps.drain?.refuseIfDraining();
  const ttl = deps.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
  const lock = await acquireSyncLock(deps.db, { realmId: opts.realmId, holder: opts.actor, clock: deps.clock, ttlMs: ttl });
  let runId: string;
  let settings: Settings | undefined;
  try {
    settings = await getSettings(deps.db, opts.realmId, deps.clock);
    runId = await openRun(deps, opts.realmId, opts.actor, settings);
    await lock.setRunId(runId);
  } catch (err) {
    await lock.release();
    throw err;
  }
  return runUnderLock(deps, opts, lock, runId, settings, ttl);
}

/**
 * Starts a run a job was queued for (jobs/tasks/sync.ts): takes the company's lock (a refusal —
 * `run.locked` — is the caller's to record on the run), then moves the run from `queued` to
 * `running`. A run found `running` is one an earlier attempt of the same job started in a process
 * that died: it is not resumed — a new run is opened and this one is closed `interrupted` by
 * `markInterruptedRuns` at the start of the body (its records keep their history; recovery by
 * journal settles the writes it left unanswered, so nothing is sent twice). Answers null when the
 * run has already ended (the earlier attempt finished it and died before the job completed).
 */
export function startQueuedSync(deps: SyncDeps, opts: SyncOptions & { runId: string }): Promise<StartedSync | null> {
  return withLogContext({ realmId: opts.realmId }, async () => {
    deps.drain?.refuseIfDraining();
    const ttl = deps.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
    const lock = await acquireSyncLock(deps.db, { realmId: opts.realmId, holder: opts.actor, clock: deps.clock, ttlMs: ttl });
    let runId = opts.runId;
    let settings: Settings | undefined;
    try {
      const run = await deps.db.selectFrom('runs').select(['status']).where('id', '=', opts.runId).executeTakeFirst();
      if (!run || (run.status !== 'queued' && run.status !== 'running')) {
        await lock.release();
        return null;
      }
      settings = await getSettings(deps.db, opts.realmId, deps.clock);
      if (run.status === 'queued') {
        await deps.db
          .updateTable('runs')
          .set({ status: 'running', started_at: deps.clock().toISOString(), settings: settingsJson(settings) })
          .where('id', '=', runId)
          .where('status', '=', 'queued')
          .execute();
      } else {
        runId = await openRun(deps, opts.realmId, opts.actor, settings);
      }
      await lock.setRunId(runId);
    } catch (err) {
      await lock.release();
      throw err;
    }
    return runUnderLock(deps, opts, lock, runId, settings, ttl);
  });
}

function runUnderLock(deps: SyncDeps, opts: SyncOptions, lock: SyncLock, runId: string, settings: Settings | undefined, ttl: number): StartedSync {
  let lost = false;
  const stop = keepAlive(lock, ttl, () => {
    lost = true;
    deps.logger.error({ realmId: opts.realmId, runId }, 'sync lock lost (heartbeat lapsed); the run stops');
  });
  // The lease fences every journal resolution (lock.ts fenceWrite), which also marks the lock lost.
  // The run's notification is sent after the lock is released, and `done` does not wait for it: a
  // slow or dead mail server or receiver must never keep the company locked or the run open.
  let closed: ClosedRun | undefined;
  const body = { ...deps, lease: lock, notify: undefined, closed: (r: ClosedRun) => void (closed = r) };
  const done = withLogContext({ runId }, () => runBody(body, opts, lock, runId, settings, () => lost || lock.lost)).finally(async () => {
    stop();
    await lock.release().catch(() => {});
  });
  const notified = done.then(
    () => (closed && deps.notify ? deps.notify(closed).catch(() => {}) : undefined),
    () => undefined,
  );
  // The caller may only want the run id; a rejection is still reported through `done`.
  done.catch(() => {});
  // A shutdown waits for this run to close and release its lock (the `finally` above) before the database closes.
  deps.drain?.track(runId, done);
  return { runId, done, notified };
}

export async function sync(deps: SyncDeps, opts: SyncOptions): Promise<SyncResult> {
  return (await startSync(deps, opts)).done;
}

async function runBody(
  deps: SyncDeps & { closed: (r: ClosedRun) => void },
  opts: SyncOptions,
  lock: SyncLock,
  runId: string,
  settings: Settings | undefined,
  lost: () => boolean,
): Promise<SyncResult> {
  const realmId = opts.realmId;
  const requestsAtStart = deps.requestCount?.() ?? 0;
  let lastWrite = 0;
  let pendingWrite: Promise<unknown> = Promise.resolve();
  const persistProgress = (p: Progress, force = false) => {
    const t = Date.now();
    if (!force && t - lastWrite < 250) return;
    lastWrite = t;
    pendingWrite = pendingWrite
      .then(() => deps.db.updateTable('runs').set({ progress_done: p.done, progress_total: p.total, progress_group: p.group }).where('id', '=', runId).execute())
      .catch(() => {});
  };
  const state: RunState = {
    realmId,
    runId,
    done: 0,
    total: 0,
    qboIds: new Map(),
    notWritten: new Set(),
    lockLost: lost,
    stopRequested: () => deps.drain?.draining ?? false,
    onProgress: (p) => {
      opts.onProgress?.(p);
      persistProgress(p);
    },
  };
  const finish = async (status: string, message: string | null, errors: string[], recovery: RecoverySummary, connectionLost = false): Promise<SyncResult> => {
    persistProgress({ done: state.done, total: state.total, group: 'done' }, true);
    await pendingWrite;
    await closeRun(deps, runId, status, message, requestsAtStart);
    const summary = await getRun(deps.db, runId, { now: deps.clock() });
    deps.metrics?.runFinished({ realmId, status, durationMs: summary.durationMs, records: recordResults(summary) });
    deps.logger.debug({ status, durationMs: summary.durationMs, ...recordResults(summary) }, 'sync run finished');
    deps.closed({
      realmId,
      runId,
      status,
      message,
      failed: summary.failed,
      held: summary.held,
      errors: errors.length,
      ...(heldForErrors ? { heldForErrors } : {}),
      ...(connectionLost ? { connectionLost } : {}),
    });
    return { runId, status, message, errors, summary, recovery };
  };

  /** Rows held because of errors in the preview (a `sync-ready` scheduled run, hold-errors.ts): told apart from held-for-review rows. */
  let heldForErrors = 0;
  let recovery: RecoverySummary = { found: 0, adopted: 0, settled: 0, notSent: 0, held: 0, unknown: 0, interrupted: 0 };
  /** The rows this run counts (its total): each ends in the history, sent or not. */
  const runRows: PlanRow[] = [];
  try {
    recovery.interrupted = await markInterruptedRuns(deps, realmId, runId);
    // Each earlier write is settled on its own. One QBO could not tell us about stays pending and is
    // named in this run's history; its record (and what depends on it) is held below, and the rest
    // of the company is synced — one unanswerable look-up must not stop every later sync.
    const earlier = await unresolvedWrites(deps.db, realmId);
    const { qboIds: _ids, unsettled, ...settled } = await settleWrites(deps, realmId, runId, earlier);
    await recordUnsettled(deps, runId, earlier, unsettled);
    recovery = { ...settled, interrupted: recovery.interrupted };

    const plan = await deps.buildPlan(realmId);
    await deps.db
      .updateTable('runs')
      .set({ settings: settingsJson(settings, plan) })
      .where('id', '=', runId)
      .execute();
    const errors = opts.only ? [] : blockingErrors(plan);
    if (errors.length && opts.onPlanErrors !== 'hold') return await finish('refused', sentence('run.plan-errors', { count: errors.length, list: errors }), errors, recovery);
    const held = errors.length ? rowsToHold(plan) : new Map<string, HeldRow>();
    heldForErrors = held.size;
    const notHeld = (r: PlanRow) => !held.has(r.key);

    const rows = new Map<string, PlanRow>();
    for (const g of plan.groups) for (const r of g.rows) rows.set(r.key, r);
    for (const g of plan.groups) {
      if (opts.only && g.kind !== opts.only) continue;
      const mine = (g.kind === 'payments-import' ? importRows(g.rows) : actionableRows(g.rows)).filter(notHeld);
      state.total += mine.length;
      runRows.push(...mine);
    }
    if (held.size) {
      await recordHeldRows(deps, state, held);
      state.total += held.size;
      state.done += held.size;
    }
    state.onProgress?.({ done: state.done, total: state.total, group: 'start' });

    const executor = new GroupExecutor(deps, state, { rows });
    for (const kind of groupOrder) {
      if (state.stopRequested?.()) throw new StopRequestedError();
      if (lost()) {
        await accountForRest(deps, runId, runRows, new LockLostError().message);
        return await finish('interrupted', new LockLostError().message, [], recovery);
      }
      const group = plan.groups.find((g) => g.kind === kind);
      if (opts.only && kind !== opts.only) continue;
      if (kind === 'payments-import') {
        await importPayments(deps, state, (group?.rows ?? []).filter(notHeld));
        continue;
      }
      if (!group) continue;
      await executor.run(kind, actionableRows(group.rows).filter(notHeld));
      await lock.heartbeat();
    }
    const run = await getRun(deps.db, runId, { now: deps.clock() });
    const problems = run.failed + run.held;
    return await finish(problems ? 'failed' : 'succeeded', problems ? problemsMessage(runId, run.failed, run.held, heldForErrors) : null, [], recovery);
  } catch (err) {
    if (err instanceof StopRequestedError) {
      // Shutting down: the batches in flight were answered and recorded; what was not reached is "not sent", not failed.
      const signal = deps.drain?.state?.signal ?? 'asked to stop';
      const notSent = await accountForRest(deps, runId, runRows, `QBO Connect was shutting down (${signal})`, 'not-sent');
      deps.logger.warn({ realmId, runId, notSent }, 'sync stopped for shutdown');
      return finish('interrupted', sentence('run.shutdown', { detail: signal, count: notSent }), [], recovery);
    }
    const message = err instanceof Error ? err.message : String(err);
    // Every record of the run is counted, also when it stops part-way (a lost lock or connection).
    await accountForRest(deps, runId, runRows, message).catch((e: unknown) =>
      deps.logger.error({ realmId, runId, err: e instanceof Error ? e.message : String(e) }, 'could not record the rows the stopped sync did not reach'),
    );
    if (err instanceof LockLostError) {
      // The answer the fence refused to store: its journal row stays pending; the new holder's recovery settles it.
      if (err.unrecorded) deps.logger.warn({ realmId, runId, ...err.unrecorded }, 'sync lock lost: this write was answered but not recorded; the next sync settles it');
      return finish('interrupted', err.message, [], recovery);
    }
    deps.logger.error({ realmId, runId, err: message }, 'sync stopped');
    return finish('failed', `The sync stopped: ${message}`, [], recovery, connectionEnded(err));
  }
}

/** The run stopped because the QuickBooks connection ended (invalid_grant, revoked): its notice says reconnect. */
function connectionEnded(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) if (e instanceof ConnectionLostError) return true;
  return false;
}

function recordResults(run: RunDetail): Record<RecordResult, number> {
  return { created: run.created, adopted: run.adopted, updated: run.updated, voided: run.voided, imported: run.imported, failed: run.failed, held: run.held };
}

/**
 * The rows a stopped run did not reach, each recorded so the run's counts add up to its records: held
 * when a write of it is still pending (its outcome is looked up by the next sync), failed (not sent)
 * otherwise — or, when the process is shutting down (`notReached` 'not-sent'), "not sent" without
 * counting as failed: nothing went wrong with them. Nothing is sent. Returns how many were not sent.
 */
async function accountForRest(deps: RunDeps, runId: string, runRows: PlanRow[], reason: string, notReached: 'failed' | 'not-sent' = 'failed'): Promise<number> {
  if (!runRows.length) return 0;
  let notSent = 0;
  const told = new Set((await deps.db.selectFrom('run_records').select('row_key').where('run_id', '=', runId).execute()).map((r) => r.row_key));
  const pending = new Map(
    (await deps.db.selectFrom('journal').select(['id', 'row_key']).where('run_id', '=', runId).where('status', '=', 'pending').execute()).map((j) => [j.row_key, Number(j.id)]),
  );
  for (const row of runRows) {
    if (told.has(row.key)) continue;
    told.add(row.key);
    const record = row.record.label || `${row.record.kind} ${row.record.id}`;
    const journalId = pending.get(row.key);
    if (journalId === undefined && notReached === 'not-sent') {
      notSent += 1;
      await recordNotSent(deps, runId, row, record, sentence('run.stopped', { record, detail: reason }));
      continue;
    }
    await recordProblem(
      deps.db,
      {
        journalId: null,
        journalStatus: journalId !== undefined ? 'held' : 'failed',
        runId,
        rowKey: row.key,
        groupKind: row.group,
        label: record,
        recordKind: row.record.kind,
        recordKey: row.record.id,
        action: row.action,
        qboEntity: row.qbo.entity,
        qboId: row.qbo.id ?? null,
        code: journalId !== undefined ? 'run.unsettled' : 'run.stopped',
        message: journalId !== undefined ? sentence('run.unsettled', { record, journalId, detail: reason }) : sentence('run.stopped', { record, detail: reason }),
      },
      deps.clock(),
      // Not fenced: no journal row is resolved; this closes the run's own history, also after the lock was lost.
      undefined,
    );
  }
  return notSent;
}

/** A row a shutdown stopped before: in the run's history as "not sent" (no journal row, no failed or held count). */
async function recordNotSent(deps: RunDeps, runId: string, row: PlanRow, label: string, message: string): Promise<void> {
  await deps.db
    .insertInto('run_records')
    .values({
      run_id: runId,
      row_key: row.key,
      group_kind: row.group,
      record_kind: row.record.kind,
      record_key: row.record.id,
      label,
      action: row.action,
      qbo_entity: row.qbo.entity,
      qbo_id: row.qbo.id ?? null,
      status: 'not-sent',
      code: 'run.stopped',
      message,
      at: deps.clock().toISOString(),
    })
    .execute();
}

/** `qbo-connect recover`: settle unresolved writes now, under the company's lock, as a run of its own. */
export async function recoverCompany(
  deps: SyncDeps | RunDeps,
  opts: { realmId: string; actor: string; lockTtlMs?: number; resolve?: Omit<PersonVerdict, 'actor'> },
): Promise<RecoverySummary & { runId: string; resolved: string | null; unsettled: Array<{ journalId: number; record: string; reason: string }> }> {
  return withLogContext({ realmId: opts.realmId }, () => recoverCompanyOf(deps, opts));
}

async function recoverCompanyOf(
  deps: SyncDeps | RunDeps,
  opts: { realmId: string; actor: string; lockTtlMs?: number; resolve?: Omit<PersonVerdict, 'actor'> },
): Promise<RecoverySummary & { runId: string; resolved: string | null; unsettled: Array<{ journalId: number; record: string; reason: string }> }> {
  const ttl = opts.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
  const lock = await acquireSyncLock(deps.db, { realmId: opts.realmId, holder: opts.actor, clock: deps.clock, ttlMs: ttl });
  // Look-ups may wait out QBO's processing window: renew the lease meanwhile; each settlement is fenced by it.
  const stop = keepAlive(lock, ttl, () => {});
  deps = { ...deps, lease: lock };
  try {
    const settings = await getSettings(deps.db, opts.realmId, deps.clock).catch(() => undefined);
    const runId = await openRun(deps, opts.realmId, opts.actor, settings);
    await lock.setRunId(runId);
    return await withLogContext({ runId }, async () => {
      const interrupted = await markInterruptedRuns(deps, opts.realmId, runId);
      let resolved: string | null = null;
      if (opts.resolve) {
        try {
          resolved = await resolveByPerson(deps, opts.realmId, runId, { ...opts.resolve, actor: opts.actor });
        } catch (err) {
          await closeRun(deps, runId, 'failed', err instanceof Error ? err.message : String(err), 0);
          throw err;
        }
      }
      const earlier = await unresolvedWrites(deps.db, opts.realmId);
      const { qboIds: _ids, unsettled, ...s } = await settleWrites(deps, opts.realmId, runId, earlier);
      await recordUnsettled(deps, runId, earlier, unsettled);
      const status = s.held || s.unknown ? 'failed' : 'succeeded';
      const message = `Recovery: ${s.found} unresolved write(s); ${s.adopted} found in QuickBooks and linked, ${s.settled} updates/voids settled, ${s.notSent} not in QuickBooks (the next sync sends them), ${s.held} held for review, ${s.unknown} still unknown.`;
      await closeRun(deps, runId, status, resolved ? `${resolved} ${message}` : message, 0);
      const unsettledList = earlier
        .filter((r) => unsettled.has(r.id))
        .map((r) => ({ journalId: r.id, record: r.label || `${r.record_kind} ${r.record_key}`, reason: unsettled.get(r.id)! }));
      return { ...s, interrupted, runId, resolved, unsettled: unsettledList };
    });
  } finally {
    stop();
    await lock.release();
  }
}
