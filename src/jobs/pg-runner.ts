/**
 * Jobs on PostgreSQL: graphile-worker (https://worker.graphile.org). Its schema is installed by our
 * migrate step (store/db.ts), so `graphile_worker.add_job` exists before any process adds a job; a
 * job added with a transaction is a row of that transaction (add_job is plain SQL), so it exists
 * exactly when the transaction commits. Workers (`qbo-connect worker`, and `start` unless
 * `--no-worker`) run our task functions (jobs/tasks.ts); a named queue per company (companyQueue)
 * makes graphile-worker run one job of the company at a time across every worker on every host.
 *
 * Crashed workers. graphile-worker leaves a job locked by a worker that died for 4 hours before it
 * is tried again ("Jobs that were locked more than 4 hours will be reattempted", graphile-worker
 * 0.14 release notes, quoted in triggerdotdev/trigger.dev#396), and offers
 * `WorkerUtils.forceUnlockWorkers(workerIds)` / `graphile_worker.force_unlock_workers(text[])`
 * (node_modules/graphile-worker/dist/workerUtils.js) to release the jobs of workers known to be dead
 * — never of a live one. So every worker process records a heartbeat for its
 * worker ids on the database's clock (`job_workers`), and a sweeper in every worker process unlocks
 * the ids whose heartbeat lapsed (QBO_CONNECT_WORKER_LAPSE_MS, default 60 s): a company's job is
 * taken over in about a minute, and never from a live worker (a live one beats every third of that).
 * A sync retried this way is safe: recovery by journal settles the writes the dead one left
 * unanswered before anything is sent (connect/run/recover.ts), see jobs/tasks/sync.ts.
 */
import { EventEmitter } from 'node:events';
import os from 'node:os';
import { sql } from 'kysely';
import { Logger as WorkerLogger, parseCronItems, run, type Runner, type Task, type TaskList as GraphileTaskList, type WorkerEvents } from 'graphile-worker';
import type { AppContext } from '../context.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import type { AddJobOptions, JobQueue, JobTask, TaskContext } from './queue.js';
import type { JobRunner } from './local-runner.js';
import { recurringFor } from './recurring.js';
import type { TaskList } from './tasks.js';

export const DEFAULT_WORKER_LAPSE_MS = 60_000;

export class GraphileJobQueue implements JobQueue {
  constructor(private readonly db: Db) {}

  async add(task: JobTask, payload: Record<string, unknown>, opts: AddJobOptions = {}, trx?: Db): Promise<void> {
    // graphile_worker.add_job (named arguments; its defaults for the rest): on `trx`, the job commits with it.
    await sql`select graphile_worker.add_job(
      ${task},
      ${JSON.stringify(payload)}::json,
      queue_name => ${opts.queueName ?? null}::text,
      run_at => ${opts.runAt ? opts.runAt.toISOString() : null}::timestamptz,
      max_attempts => ${opts.maxAttempts ?? null}::int,
      job_key => ${opts.jobKey ?? null}::text,
      job_key_mode => ${opts.jobKey ? (opts.jobKeyMode ?? 'replace') : 'replace'}::text
    )`.execute(trx ?? this.db);
  }
}

/** graphile-worker's log lines through ours (its debug chatter stays at debug). */
function workerLogger(logger: Logger): WorkerLogger {
  return new WorkerLogger((scope) => (level, message, meta) => {
    const fields = { worker: scope.workerId, task: scope.taskIdentifier, job: scope.jobId, ...(meta && 'error' in meta ? { err: String(meta['error']) } : {}) };
    if (level === 'error') logger.error(fields, message);
    else if (level === 'warning') logger.warn(fields, message);
    else logger.debug(fields, message);
  });
}

export interface PgRunnerOptions {
  tasks: TaskList;
  concurrency?: number;
  /** A worker whose heartbeat is older than this is dead and its jobs are unlocked (default 60 s). */
  lapseMs?: number;
  /** How long a graceful stop lets the running tasks finish before their signal aborts. */
  shutdownMs?: number;
  /** Real ms between polls for jobs scheduled later (graphile-worker's default 2 s; LISTEN/NOTIFY wakes it for new ones). */
  pollInterval?: number;
}

export async function startPgRunner(ctx: AppContext, queue: JobQueue, opts: PgRunnerOptions): Promise<JobRunner> {
  const { config, db, logger } = ctx;
  if (!config.databaseUrl) throw new Error('startPgRunner: PostgreSQL only');
  const lapseMs = opts.lapseMs ?? DEFAULT_WORKER_LAPSE_MS;
  const concurrency = Math.max(1, opts.concurrency ?? 1);
  const me = `${os.hostname()}:${process.pid}`;
  const workerIds = new Set<string>();
  const abort = new AbortController();
  let active = 0;

  const taskList: GraphileTaskList = {};
  for (const [name, handler] of Object.entries(opts.tasks)) {
    if (!handler) continue;
    const task: Task = async (payload, helpers) => {
      const t: TaskContext = {
        ctx,
        jobs: queue,
        signal: AbortSignal.any([abort.signal, helpers.abortSignal]),
        attempt: helpers.job.attempts,
        maxAttempts: helpers.job.max_attempts,
      };
      active += 1;
      try {
        await handler((payload ?? {}) as Record<string, unknown>, t);
      } finally {
        active -= 1;
      }
    };
    taskList[name] = task;
  }

  const beat = async (ids: string[]) => {
    if (!ids.length) return;
    for (const id of ids) {
      await sql`insert into job_workers (worker_id, process, beat_at) values (${id}, ${me}, now())
                on conflict (worker_id) do update set beat_at = now()`.execute(db);
    }
  };
  const lapse = sql.raw(`interval '${Math.max(1, Math.round(lapseMs))} milliseconds'`);
  /** Unlocks the jobs and queues of workers with no heartbeat within the lapse (and locked at least that long). */
  const sweep = async () => {
    const { rows } = await sql<{ worker_id: string }>`
      select distinct locked_by as worker_id from (
        select locked_by, locked_at from graphile_worker._private_jobs where locked_by is not null
        union all
        select locked_by, locked_at from graphile_worker._private_job_queues where locked_by is not null
      ) l
      where l.locked_at < now() - ${lapse}
        and not exists (select 1 from job_workers w where w.worker_id = l.locked_by and w.beat_at > now() - ${lapse})`.execute(db);
    const dead = rows.map((r) => r.worker_id).filter((id) => !workerIds.has(id));
    if (dead.length) {
      await sql`select graphile_worker.force_unlock_workers(${dead}::text[])`.execute(db);
      logger.warn({ workers: dead }, 'unlocked the jobs of workers whose heartbeat lapsed (their process ended)');
    }
    await sql`delete from job_workers where beat_at < now() - ${lapse} * 10`.execute(db);
  };

  // Listened to before `run` creates the workers, so each worker's first heartbeat is written at once.
  const events: WorkerEvents = new EventEmitter();
  events.on('worker:create', ({ worker }) => {
    workerIds.add(worker.workerId);
    void beat([worker.workerId]).catch(() => {});
  });
  events.on('worker:stop', ({ worker }) => {
    workerIds.delete(worker.workerId);
    void sql`delete from job_workers where worker_id = ${worker.workerId}`.execute(db).catch(() => {});
  });
  const runner: Runner = await run({
    events,
    connectionString: config.databaseUrl,
    maxPoolSize: concurrency + 2,
    concurrency,
    taskList,
    noHandleSignals: true,
    logger: workerLogger(logger),
    ...(opts.pollInterval !== undefined ? { pollInterval: opts.pollInterval } : {}),
    gracefulShutdownAbortTimeout: opts.shutdownMs ?? 30_000,
    // Recurring jobs: one per tick across every worker (graphile-worker's cron records its last run); no backfill.
    parsedCronItems: parseCronItems(recurringFor(opts.tasks).map((r) => ({ task: r.task, match: r.cron, identifier: `qbo-connect:${r.task}`, options: { backfillPeriod: 0 } }))),
  });

  const every = Math.max(200, Math.floor(lapseMs / 3));
  const heart = setInterval(() => void beat([...workerIds]).catch((err: unknown) => logger.warn({ err: String(err) }, 'worker heartbeat failed')), every);
  const sweeper = setInterval(() => void sweep().catch((err: unknown) => logger.warn({ err: String(err) }, 'worker sweep failed')), every);
  heart.unref();
  sweeper.unref();
  void sweep().catch(() => {});

  let stopping: Promise<void> | undefined;
  return {
    running: () => active,
    stop() {
      stopping ??= (async () => {
        abort.abort();
        clearInterval(sweeper);
        await runner.stop();
        clearInterval(heart);
        const ids = [...workerIds];
        if (ids.length) await sql`delete from job_workers where worker_id = any(${ids}::text[])`.execute(db).catch(() => {});
      })();
      return stopping;
    },
  };
}
