/**
 * Recurring jobs: a company's schedule is looked at every minute (`schedule-tick`) and tokens are
 * kept alive daily at 03:00 UTC (`token-keep-alive`); the firm overview's figures are taken hourly (`company-status`). On PostgreSQL they are graphile-worker's cron
 * items (one job per tick across every worker, however many run); on SQLite the in-process runner's
 * own timer adds them. A task not registered (jobs/tasks.ts) has no schedule.
 */
import type { JobTask } from './queue.js';
import type { TaskList } from './tasks.js';

export interface Recurring {
  task: JobTask;
  /** Cron pattern, UTC. */
  cron: string;
  /** Next run strictly after `from` (used by the SQLite runner). */
  next(from: Date): Date;
}

const everyMinute = (from: Date) => new Date(Math.floor(from.getTime() / 60_000) * 60_000 + 60_000);
const hourlyAt7 = (from: Date) => {
  const d = new Date(Math.floor(from.getTime() / 3_600_000) * 3_600_000 + 7 * 60_000);
  return d.getTime() > from.getTime() ? d : new Date(d.getTime() + 3_600_000);
};
const dailyAt3Utc = (from: Date) => {
  const d = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate(), 3, 0, 0));
  return d.getTime() > from.getTime() ? d : new Date(d.getTime() + 86_400_000);
};

export const recurring: Recurring[] = [
  { task: 'schedule-tick', cron: '* * * * *', next: everyMinute },
  { task: 'token-keep-alive', cron: '0 3 * * *', next: dailyAt3Utc },
  // The firm overview's figures, hourly at :07 (off the hour, when schedules' syncs start).
  { task: 'company-status', cron: '7 * * * *', next: hourlyAt7 },
];

export function recurringFor(list: TaskList): Recurring[] {
  return recurring.filter((r) => list[r.task] !== undefined);
}
