/**
 * The schedule tick (issue 16): a recurring job, every minute. It finds the companies whose schedule
 * is due by the app's clock, takes each occurrence (only one tick on any host can take it:
 * connect/schedule/store.ts claimOccurrence), moves the schedule on to its next occurrence, and
 * enqueues a scheduled sync — trigger `schedule`, actor `schedule` — through the one door every
 * sync goes through (enqueueSync), which refuses with run.locked (409) while a run of the company is
 * queued or running. Then this occurrence is skipped and recorded (`skipped-busy`), never stacked
 * behind the other run: a click and a schedule never stack, and the next occurrence comes as usual.
 *
 * Occurrences missed while nothing ticked are not made up: the first tick after runs one sync (it
 * catches up on everything) and moves on to the next occurrence after now. An occurrence taken by a
 * tick that then died before enqueueing is lost, not doubled: skipping a scheduled sync is safe,
 * sending twice is what the whole product avoids.
 *
 * A company that is not connected (disconnected, logged out, its token refused) is not enqueued: a
 * run could only fail. Its occurrences are taken and passed over; the first one is recorded as
 * `blocked-not-connected` and tells someone once (a `schedule-blocked` notice saying connect again),
 * the later ones say nothing new, so a disconnected company does not make a failed run and a
 * notice at every scheduled time. Once it is connected again the next occurrence runs as usual.
 */
import type { AppContext } from '../../context.js';
import { isUserFacing } from '../../user-facing-error.js';
import { SCHEDULE_ACTOR } from '../../connect/schedule/scheduled-sync.js';
import { claimOccurrence, dueSchedules, recordScheduleOutcome } from '../../connect/schedule/store.js';
import { notifyScheduleNotConnected } from '../../connect/notify/index.js';
import { lateNote } from '../../connect/schedule/next-due.js';
import type { TaskHandler } from '../queue.js';
import { enqueueSync } from '../enqueue-sync.js';

/** The queue's door for a sync (jobs/enqueue-sync.ts): a queued run and its job, in one transaction. */
export type EnqueueSync = (ctx: AppContext, req: { realmId: string; actor: string; trigger: 'schedule' }) => Promise<{ runId: string }>;

export interface TickResult {
  enqueued: Array<{ realmId: string; runId: string; dueAt: string }>;
  skippedBusy: string[];
  /** Companies passed over because they are not connected. */
  notConnected: string[];
  failed: string[];
}

/** Tells someone, once, that a company's schedule is blocked because it is not connected. */
export type NotifyNotConnected = (e: { realmId: string; status: string; reason: string | null }) => Promise<void>;

const notifyNotConnectedVia =
  (ctx: AppContext): NotifyNotConnected =>
  (e) =>
    notifyScheduleNotConnected(ctx, e);

/** The connection's status, `none` when the company was never connected here. */
async function connectionOf(ctx: AppContext, realmId: string): Promise<{ status: string; reason: string | null }> {
  const row = await ctx.db.selectFrom('connections').select(['status', 'disconnected_reason']).where('realm_id', '=', realmId).executeTakeFirst();
  return { status: row?.status ?? 'none', reason: row?.disconnected_reason ?? null };
}

/** One tick at the app's clock: every company due, each at most once. */
export async function tickSchedules(ctx: AppContext, enqueue: EnqueueSync, notifyNotConnected: NotifyNotConnected = notifyNotConnectedVia(ctx)): Promise<TickResult> {
  const now = ctx.clock();
  const result: TickResult = { enqueued: [], skippedBusy: [], notConnected: [], failed: [] };
  for (const due of await dueSchedules(ctx.db, now)) {
    const { claimed, nextDueAt } = await claimOccurrence(ctx.db, due, now);
    if (!claimed) continue;
    const realmId = due.realmId;
    try {
      const conn = await connectionOf(ctx, realmId);
      if (conn.status !== 'connected') {
        result.notConnected.push(realmId);
        // Once per disconnection: an occurrence after the first one changes nothing and tells no one again.
        if (due.last.outcome === 'blocked-not-connected') continue;
        const message = `Blocked: QuickBooks is not connected${conn.reason ? ` (${conn.reason})` : ''}; scheduled syncs start again once an administrator connects the company.`;
        await recordScheduleOutcome(ctx.db, realmId, { outcome: 'blocked-not-connected', message, at: now });
        ctx.logger.warn({ realmId, dueAt: due.nextDueAt, nextDueAt, status: conn.status }, 'scheduled sync blocked: the company is not connected');
        await notifyNotConnected({ realmId, status: conn.status, reason: conn.reason }).catch((err: unknown) =>
          ctx.logger.warn({ realmId, err: String(err) }, 'schedule-blocked notification failed'),
        );
        continue;
      }
      const { runId } = await enqueue(ctx, { realmId, actor: SCHEDULE_ACTOR, trigger: 'schedule' });
      // Late (the process was down): said on the schedule, and kept with the run's outcome (afterScheduledRun).
      const late = lateNote(due.schedule, new Date(due.nextDueAt!), now, due.timeZone);
      await recordScheduleOutcome(ctx.db, realmId, { outcome: 'enqueued', runId, message: late ?? null, at: now });
      if (late) ctx.logger.warn({ realmId, runId, dueAt: due.nextDueAt }, late);
      result.enqueued.push({ realmId, runId, dueAt: due.nextDueAt! });
      ctx.logger.info({ realmId, runId, dueAt: due.nextDueAt, nextDueAt }, 'scheduled sync enqueued');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (isUserFacing(err) && err.code === 'run.locked') {
        await recordScheduleOutcome(ctx.db, realmId, { outcome: 'skipped-busy', message: `Skipped: ${message}`, at: now });
        result.skippedBusy.push(realmId);
        ctx.logger.info({ realmId, dueAt: due.nextDueAt, nextDueAt }, 'scheduled sync skipped: the company already has a run queued or running');
        continue;
      }
      // One company's trouble (not connected, a refusal) must not stop the others' schedules.
      await recordScheduleOutcome(ctx.db, realmId, { outcome: 'not-enqueued', message, at: now }).catch(() => {});
      result.failed.push(realmId);
      ctx.logger.warn({ realmId, dueAt: due.nextDueAt, err: message }, 'scheduled sync not enqueued');
    }
  }
  return result;
}

/** The task function, given the queue's door (kept injectable so the tick is tested on a recording queue). */
export function scheduleTickTask(enqueue: EnqueueSync): TaskHandler {
  return async (_payload, t) => {
    await tickSchedules(t.ctx, enqueue);
  };
}

/** The task as jobs/tasks.ts lists it: every minute (jobs/recurring.ts). */
export const scheduleTick: TaskHandler = scheduleTickTask(enqueueSync);
