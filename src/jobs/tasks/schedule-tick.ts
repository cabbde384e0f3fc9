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
 */
import type { AppContext } from '../../context.js';
import { isUserFacing } from '../../user-facing-error.js';
import { SCHEDULE_ACTOR } from '../../connect/schedule/scheduled-sync.js';
import { claimOccurrence, dueSchedules, recordScheduleOutcome } from '../../connect/schedule/store.js';
import type { TaskHandler } from '../queue.js';
import { enqueueSync } from '../enqueue-sync.js';

/** The queue's door for a sync (jobs/enqueue-sync.ts): a queued run and its job, in one transaction. */
export type EnqueueSync = (ctx: AppContext, req: { realmId: string; actor: string; trigger: 'schedule' }) => Promise<{ runId: string }>;

export interface TickResult {
  enqueued: Array<{ realmId: string; runId: string; dueAt: string }>;
  skippedBusy: string[];
  failed: string[];
}

/** One tick at the app's clock: every company due, each at most once. */
export async function tickSchedules(ctx: AppContext, enqueue: EnqueueSync): Promise<TickResult> {
  const now = ctx.clock();
  const result: TickResult = { enqueued: [], skippedBusy: [], failed: [] };
  for (const due of await dueSchedules(ctx.db, now)) {
    const { claimed, nextDueAt } = await claimOccurrence(ctx.db, due, now);
    if (!claimed) continue;
    const realmId = due.realmId;
    try {
      const { runId } = await enqueue(ctx, { realmId, actor: SCHEDULE_ACTOR, trigger: 'schedule' });
      await recordScheduleOutcome(ctx.db, realmId, { outcome: 'enqueued', runId, at: now });
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
