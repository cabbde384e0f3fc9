/**
 * The task list: each task's function, the same on both runners (graphile-worker on PostgreSQL,
 * the in-process runner on SQLite). A task not listed here is not run: its jobs wait in the queue,
 * and its recurring schedule (jobs/recurring.ts) is skipped. Parts still to come register here:
 * 'notify' (notifications), 'schedule-tick' and 'token-keep-alive' (schedules).
 */
import type { JobTask, TaskHandler } from './queue.js';
import { companyChanges } from './tasks/company-changes.js';
import { syncTask } from './tasks/sync.js';

export type TaskList = Partial<Record<JobTask, TaskHandler>>;

export const tasks: TaskList = {
  sync: syncTask,
  'company-changes': companyChanges,
};
