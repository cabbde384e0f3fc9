/**
 * The job queue's contract (issue 16): unattended work — a sync, the changes QBO told us about, the
 * token keep-alive, a company's schedule, a notification — is a job. On PostgreSQL the jobs are
 * graphile-worker's (its own schema, workers in any process on any host); on SQLite (the embedded
 * single-process default) an in-process runner runs the same task functions. Every caller adds jobs
 * through this interface and every task is one function of `tasks.ts`, so both paths run the same code.
 */
import type { AppContext } from '../context.js';
import type { Db } from '../store/db.js';

/** The tasks the queue knows (each is a file under jobs/tasks/). */
export type JobTask = 'sync' | 'company-changes' | 'token-keep-alive' | 'schedule-tick' | 'notify' | 'company-status';

export interface AddJobOptions {
  /**
   * Jobs of one queue run one at a time, in order, across every worker on every host. A company's
   * sync-like work uses `companyQueue(realmId)`, so one company is served by one job at a time.
   */
  queueName?: string;
  /** At most one pending job per key: adding again replaces its payload and run time (coalescing a burst). */
  jobKey?: string;
  /** `replace` (default with a key): the newest add wins; `preserve_run_at`: the first run time stands (a debounce that cannot be postponed forever). */
  jobKeyMode?: 'replace' | 'preserve_run_at';
  /** Not before this time (the database's clock on PostgreSQL). Default: now. */
  runAt?: Date;
  /**
   * Not before this long from now, measured on the clock that runs the jobs (the database's on
   * PostgreSQL, where a host clock ahead or behind would hold or hurry the job). Ignored with `runAt`.
   */
  delayMs?: number;
  /** Default 25 (graphile-worker's); a sync job is retried only through recovery by journal. */
  maxAttempts?: number;
}

export interface JobQueue {
  /**
   * Adds a job. With `trx` (a transaction), the job exists exactly when that transaction commits:
   * a run row and the job that runs it are one fact (POST /sync answers 202 with the run id).
   */
  add(task: JobTask, payload: Record<string, unknown>, opts?: AddJobOptions, trx?: Db): Promise<void>;
}

/** The queue of one company: its syncs, its change-data-capture and its keep-alive never overlap. */
export function companyQueue(realmId: string): string {
  return `company:${realmId}`;
}

/** What a task function is handed, the same on both runners. */
export interface TaskContext {
  ctx: AppContext;
  jobs: JobQueue;
  /** Aborted when the process begins to stop (SIGTERM): finish the current batch, close out honestly, return. */
  signal: AbortSignal;
  /** 1 on the first try. */
  attempt: number;
  maxAttempts: number;
}

/** A task: throws to be retried (with backoff) until its attempts run out. */
export type TaskHandler = (payload: Record<string, unknown>, t: TaskContext) => Promise<void>;
