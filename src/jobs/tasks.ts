/**
 * The task list: each task's function, the same on both runners (graphile-worker on PostgreSQL,
 * the in-process runner on SQLite). A task not listed here is not run: its jobs wait in the queue,
 * and its recurring schedule (jobs/recurring.ts) is skipped.
 */
import type { JobTask, TaskHandler } from './queue.js';
import { companyChanges } from './tasks/company-changes.js';
import { notifyTask } from './tasks/notify.js';
import { tokenKeepAlive } from './tasks/token-keep-alive.js';
import { syncTask } from './tasks/sync.js';
import { scheduleTick } from './tasks/schedule-tick.js';
import { companyStatus } from './tasks/company-status.js';

export type TaskList = Partial<Record<JobTask, TaskHandler>>;

export const tasks: TaskList = {
  sync: syncTask,
  'company-changes': companyChanges,
  notify: notifyTask,
  'token-keep-alive': tokenKeepAlive,
  'schedule-tick': scheduleTick,
  'company-status': companyStatus,
};
