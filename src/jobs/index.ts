/**
 * The job queue of a process and its runner, by dialect: graphile-worker on PostgreSQL
 * (jobs/pg-runner.ts), the in-process runner on SQLite (jobs/local-runner.ts). `createApp` builds
 * the queue (every process can add jobs); `qbo-connect worker` and `start` run the runner.
 */
import type { AppContext, Clock } from '../context.js';
import type { Db } from '../store/db.js';
import type { Dialect } from '../store/dialect.js';
import { LocalJobQueue, startLocalRunner, type JobRunner } from './local-runner.js';
import { DEFAULT_WORKER_LAPSE_MS, GraphileJobQueue, startPgRunner } from './pg-runner.js';
import type { JobQueue } from './queue.js';
import { tasks as defaultTasks, type TaskList } from './tasks.js';

export type { JobRunner } from './local-runner.js';

export function createJobQueue(db: Db, dialect: Dialect, clock: Clock): JobQueue {
  return dialect === 'postgres' ? new GraphileJobQueue(db) : new LocalJobQueue(db, clock);
}

export interface RunnerOptions {
  concurrency?: number;
  tasks?: TaskList;
  /** How long a graceful stop lets running tasks finish (QBO_CONNECT_SHUTDOWN_TIMEOUT). */
  shutdownMs?: number;
  env?: NodeJS.ProcessEnv;
}

export async function startJobRunner(ctx: AppContext, opts: RunnerOptions = {}): Promise<JobRunner> {
  const queue = ctx.jobs;
  if (!queue) throw new Error('startJobRunner: the context has no job queue');
  const tasks = opts.tasks ?? defaultTasks;
  if (queue instanceof LocalJobQueue) return startLocalRunner(ctx, queue, { tasks, ...(opts.concurrency ? { concurrency: opts.concurrency } : {}) });
  const env = opts.env ?? process.env;
  // QBO_CONNECT_WORKER_LAPSE_MS (config): how long a silent worker is waited for before its jobs are taken over (tests: seconds).
  const lapse = ctx.config.workerLapseMs ?? DEFAULT_WORKER_LAPSE_MS;
  // QBO_CONNECT_WORKER_POLL_MS, a test knob: how often a worker looks for jobs due later (graphile-worker's default 2 s).
  const poll = env['QBO_CONNECT_WORKER_POLL_MS'] ? Number(env['QBO_CONNECT_WORKER_POLL_MS']) : undefined;
  return startPgRunner(ctx, queue, {
    tasks,
    lapseMs: lapse,
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    ...(opts.shutdownMs !== undefined ? { shutdownMs: opts.shutdownMs } : {}),
    ...(poll !== undefined && Number.isFinite(poll) && poll > 0 ? { pollInterval: poll } : {}),
  });
}
