/**
 * The `sync` task: runs a run that POST /sync, the web app's button or a schedule queued
 * (jobs/enqueue-sync.ts). It takes the company's lock, moves the run from `queued` to `running` and
 * runs the engine (connect/run/sync.ts startQueuedSync), waiting for the run to close. A stop signal
 * reaches it through the process's drain (ctx.drain): the run finishes its batch and closes
 * `interrupted`, naming what was not sent, and the job completes.
 *
 * A run never stays `queued`: when the lock is refused (a CLI sync of the company started meanwhile)
 * the run closes `refused` with that sentence; when the task's last attempt fails before the run
 * starts, it closes `failed` with the reason. A retry after a worker died (PostgreSQL: the job is
 * unlocked by jobs/pg-runner.ts's sweeper) finds its run `running`: a new run is opened and the old
 * one closed `interrupted` (startQueuedSync explains why it is not resumed).
 */
import type { AppContext } from '../../context.js';
import { syncDepsFor } from '../../connect/run/deps.js';
import { closeQueuedRun, startQueuedSync, startSync, type StartedSync, type SyncDeps } from '../../connect/run/sync.js';
import { isUserFacing } from '../../user-facing-error.js';
import { afterScheduledRun, notifyBlockedVia, scheduledDeps, scheduledSyncOptions } from '../../connect/schedule/scheduled-sync.js';
import type { TaskHandler } from '../queue.js';

export interface SyncJobPayload {
  runId: string;
  realmId: string;
  actor: string;
  trigger?: 'click' | 'schedule' | 'api';
}

export function syncPayload(payload: Record<string, unknown>): SyncJobPayload {
  const { runId, realmId, actor, trigger } = payload;
  if (typeof runId !== 'string' || typeof realmId !== 'string' || typeof actor !== 'string') {
    throw new Error(`sync job: the payload needs runId, realmId and actor as text (got ${JSON.stringify(Object.keys(payload))})`);
  }
  return { runId, realmId, actor, ...(trigger === 'click' || trigger === 'schedule' || trigger === 'api' ? { trigger } : {}) };
}

/** QBO_CONNECT_LOCK_TTL_MS, a test knob: a shorter lock lease, so a test's killed worker is taken over in seconds. */
function defaultDeps(ctx: AppContext, realmId: string, actor: string): SyncDeps {
  const ttl = Number(process.env['QBO_CONNECT_LOCK_TTL_MS']);
  return syncDepsFor(ctx, realmId, { actor, ...(Number.isInteger(ttl) && ttl >= 1000 ? { lockTtlMs: ttl } : {}) });
}

/** The task, wired by `depsFor` (default connect/run/deps.ts; tests give their own planner). */
export function syncTaskWith(depsFor: (ctx: AppContext, realmId: string, actor: string) => SyncDeps = defaultDeps): TaskHandler {
  return (payload, t) => runSyncJob(payload, t, depsFor);
}

export const syncTask: TaskHandler = syncTaskWith();

async function runSyncJob(payload: Record<string, unknown>, t: Parameters<TaskHandler>[1], depsFor: (ctx: AppContext, realmId: string, actor: string) => SyncDeps): Promise<void> {
  const { runId, realmId, actor, trigger } = syncPayload(payload);
  const { ctx } = t;
  // A scheduled run previews first and, by the company's setting, refuses or holds on errors (connect/schedule).
  const scheduled = trigger === 'schedule';
  const deps = scheduled ? scheduledDeps(depsFor(ctx, realmId, actor)) : depsFor(ctx, realmId, actor);
  const onErrors = scheduled ? await scheduledSyncOptions(ctx.db, realmId) : {};
  let started: StartedSync | null;
  try {
    started = await startQueuedSync(deps, { runId, realmId, actor, ...onErrors });
    // The job's run has ended. `interrupted` means the company is not synced yet: an earlier attempt
    // of this job opened a new run for it (startQueuedSync closes the old one then) and its process
    // died inside that new run — or died after closing it on a stop. Returning here completed the job
    // and left that new run `running`, its writes unresolved, until some later sync (found by
    // test/chaos/workers-kill.test.ts: a worker killed twice in one job). So this attempt syncs the
    // company in a run of its own: the orphan is closed `interrupted` and recovery by journal settles
    // its writes before anything is sent.
    if (!started && (await runStatus(ctx, runId)) === 'interrupted') started = await startSync(deps, { realmId, actor, ...onErrors });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // A click and another sync never stack: the queued run is refused with who holds the company.
    // (A run an earlier attempt left `running` is not queued: this attempt is retried until the dead holder's lease lapses.)
    if (isUserFacing(err) && err.code === 'run.locked' && (await closeQueuedRun(ctx, runId, 'refused', message))) {
      ctx.logger.info({ realmId, runId }, 'queued sync refused: the company is locked');
      // A refused run tells someone, as one the engine closes does (connect/notify).
      await deps.notify?.({ realmId, runId, status: 'refused', message, failed: 0, held: 0, errors: 0 });
      return;
    }
    if (t.attempt >= t.maxAttempts) await closeQueuedRun(ctx, runId, 'failed', `The sync could not start: ${message}`).catch(() => false);
    throw err;
  }
  if (!started) {
    ctx.logger.info({ realmId, runId }, 'sync job: its run has already ended');
    return;
  }
  const result = await started.done;
  ctx.logger.info({ realmId, runId: result.runId, status: result.status }, 'sync finished');
  // The lock is free already; the job ends once the run's notice is handed off (with a queue, one insert).
  await started.notified;
  if (scheduled) {
    const notifyBlocked = notifyBlockedVia(ctx);
    await afterScheduledRun(
      { db: ctx.db, clock: ctx.clock, notifyBlocked, onNotifyError: (e) => ctx.logger.warn({ realmId, err: String(e) }, 'schedule-blocked notification failed') },
      realmId,
      result,
    );
  }
}

async function runStatus(ctx: AppContext, runId: string): Promise<string | undefined> {
  return (await ctx.db.selectFrom('runs').select('status').where('id', '=', runId).executeTakeFirst())?.status;
}
