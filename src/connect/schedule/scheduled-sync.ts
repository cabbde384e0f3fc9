/**
 * The engine side of a scheduled sync (issue 16). The sync previews first — its plan is the preview —
 * and then, by the company's `onErrors` setting:
 * - no blocking errors: it syncs, as a click would;
 * - errors and `sync-nothing` (the default): nothing is sent; the run is closed `refused` with the
 *   errors listed (the honest history), the schedule records `refused`, and someone is told;
 * - errors and `sync-ready`: the ready rows are sent; the rows with errors and every row that needs
 *   them are held in the run's history with their error sentence (connect/run/hold-errors.ts), and
 *   the schedule records `held`.
 * A scheduled run is a normal run (its actor says `schedule`), so it takes the company's lock and
 * never stacks with a click: whichever comes second is refused with run.locked (409).
 */
import type { Clock } from '../../context.js';
import type { Db } from '../../store/db.js';
import type { AppContext } from '../../context.js';
import { notifyScheduleBlocked } from '../notify/index.js';
import type { SyncDeps, SyncOptions, SyncResult } from '../run/sync.js';
import { onErrorsOf, recordScheduleOutcome, type ScheduleOutcome } from './store.js';

/** Who a scheduled run is started by, in its history. */
export const SCHEDULE_ACTOR = 'schedule';

/** The sync options a scheduled run of this company takes. */
export async function scheduledSyncOptions(db: Db, realmId: string): Promise<Pick<SyncOptions, 'onPlanErrors'>> {
  return { onPlanErrors: (await onErrorsOf(db, realmId)) === 'sync-ready' ? 'hold' : 'refuse' };
}

/** What a person is told when a scheduled sync was blocked by the preview's errors. */
export interface ScheduleBlocked {
  realmId: string;
  runId: string;
  /** One sentence per error (the preview's). */
  errors: string[];
  message: string;
}

export type NotifyBlocked = (b: ScheduleBlocked) => Promise<void>;

/** The real notifier: a `schedule-blocked` notification to the practice's recipients (connect/notify). */
export function notifyBlockedVia(ctx: Pick<AppContext, 'db' | 'config' | 'logger' | 'clock' | 'qbo' | 'jobs'>): NotifyBlocked {
  return (b) => notifyScheduleBlocked(ctx, { realmId: b.realmId, errors: b.errors });
}

/**
 * The sync deps of a scheduled run: a run refused by preview errors is told once, as
 * `schedule-blocked` (afterScheduledRun), not also as `run-refused` by the run's own close.
 */
export function scheduledDeps<D extends Pick<SyncDeps, 'notify'>>(deps: D): D {
  const notify = deps.notify;
  if (!notify) return deps;
  return { ...deps, notify: (run) => (run.status === 'refused' && run.errors > 0 ? Promise.resolve() : notify(run)) };
}

/** The schedule's word for how a run ended. */
export function outcomeOf(result: Pick<SyncResult, 'status' | 'summary'>): ScheduleOutcome {
  if (result.status === 'refused') return 'refused';
  if (result.status === 'failed' && result.summary.held > 0 && result.summary.failed === 0) return 'held';
  if (result.status === 'succeeded' || result.status === 'failed' || result.status === 'interrupted') return result.status;
  return 'failed';
}

/**
 * After a scheduled run: its outcome on the schedule, and the notification when it was blocked. A
 * notification that cannot be sent is logged by the notifier and never turns the run's outcome into
 * an error (the run's history already holds the errors).
 */
export async function afterScheduledRun(
  deps: { db: Db; clock: Clock; notifyBlocked?: NotifyBlocked | undefined; onNotifyError?: (err: unknown) => void },
  realmId: string,
  result: Pick<SyncResult, 'runId' | 'status' | 'message' | 'errors' | 'summary'>,
): Promise<ScheduleOutcome> {
  const outcome = outcomeOf(result);
  // A late occurrence's note (jobs/tasks/schedule-tick.ts) stays in front of how its run ended.
  const row = await deps.db.selectFrom('schedules').select(['last_run_id', 'last_message']).where('realm_id', '=', realmId).executeTakeFirst();
  const late = row?.last_run_id === result.runId && row.last_message?.startsWith('Late: ') ? row.last_message : undefined;
  const message = late ? `${late}${result.message ? ` ${result.message}` : ''}` : result.message;
  await recordScheduleOutcome(deps.db, realmId, { outcome, runId: result.runId, message, at: deps.clock() });
  if (outcome === 'refused' && deps.notifyBlocked) {
    try {
      await deps.notifyBlocked({ realmId, runId: result.runId, errors: result.errors, message: result.message ?? '' });
    } catch (err) {
      deps.onNotifyError?.(err);
    }
  }
  return outcome;
}
