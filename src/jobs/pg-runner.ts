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
 * — never of a live one. graphile-worker 0.17 locks a job (`locked_by`) with the id of the worker
 * POOL (`pool-…`, node_modules/graphile-worker/dist/main.js: `workerPool.id`, passed to getJob), not
 * with its `worker-…` ids, and force_unlock_workers matches `locked_by`; so every worker process
 * records a heartbeat for its pool id on the database's clock (`job_workers`), written when the pool
 * is created and awaited by every task before it runs (a live process running a job always has a
 * row), and a sweeper in every worker process unlocks the ids whose heartbeat lapsed
 * (QBO_CONNECT_WORKER_LAPSE_MS, default 60 s), or that have no row at all although their lock is
 * older than the lapse (a process that died between locking a job and its first heartbeat): a
 * company's job is taken over in about a minute, and never from a live worker (a live one beats
 * every third of that).
 * A sync retried this way is safe: recovery by journal settles the writes the dead one left
 * unanswered before anything is sent (connect/run/recover.ts), see jobs/tasks/sync.ts.
 */
import { EventEmitter } from 'node:events';
import os from 'node:os';
import { sql } from 'kysely';
import pg from 'pg';
import { Logger as WorkerLogger, parseCronItems, run, type Runner, type Task, type TaskList as GraphileTaskList, type WorkerEvents } from 'graphile-worker';
import type { AppContext } from '../context.js';
import type { Logger } from '../log.js';
import type { Db } from '../store/db.js';
import type { AddJobOptions, JobQueue, JobTask, TaskContext } from './queue.js';
import type { JobRunner } from './local-runner.js';
import { recurringFor } from './recurring.js';
import type { TaskList } from './tasks.js';

export const DEFAULT_WORKER_LAPSE_MS = 60_000;

/** The runner's connections, by name in `pg_stat_activity`, for an operator (and the test that they close). */
export const JOB_RUNNER_APPLICATION = 'qbo-connect job runner';

export class GraphileJobQueue implements JobQueue {
  constructor(private readonly db: Db) {}

  async add(task: JobTask, payload: Record<string, unknown>, opts: AddJobOptions = {}, trx?: Db): Promise<void> {
    // A delay is counted from the database's now(): graphile-worker compares run_at with it, not with this host's clock.
    const runAt = opts.runAt
      ? sql`${opts.runAt.toISOString()}::timestamptz`
      : opts.delayMs
        ? sql`now() + make_interval(secs => ${opts.delayMs / 1000}::double precision)`
        : sql`null::timestamptz`;
    // graphile_worker.add_job (named arguments; its defaults for the rest): on `trx`, the job commits with it.
    await sql`select graphile_worker.add_job(
      ${task},
      ${JSON.stringify(payload)}::json,
      queue_name => ${opts.queueName ?? null}::text,
      run_at => ${runAt},
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
  /** The ids graphile-worker writes in `locked_by`: this process's worker pool ids. */
  const poolIds = new Set<string>();
  let firstBeat: Promise<void> | undefined;
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
        // A live process never runs a job without its heartbeat row (the sweeper treats a lock with no row as dead).
        await firstBeatWritten();
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
  const every = Math.max(200, Math.floor(lapseMs / 3));
  /** Resolves once every pool id has a heartbeat row; retried every beat interval until the database answers. */
  const firstBeatWritten = async (): Promise<void> => {
    for (;;) {
      try {
        firstBeat ??= beat([...poolIds]);
        await firstBeat;
        return;
      } catch (err) {
        firstBeat = undefined;
        if (abort.signal.aborted) throw err;
        logger.warn({ err: String(err) }, 'worker heartbeat failed; the job waits for it');
        await new Promise((r) => setTimeout(r, every));
      }
    }
  };
  const lapse = sql.raw(`interval '${Math.max(1, Math.round(lapseMs))} milliseconds'`);
  /**
   * Unlocks the jobs and queues locked at least the lapse ago by a pool whose heartbeat lapsed, or
   * that has no heartbeat row (its process died before the first one: a live process writes it
   * before running anything). Never this process's own pools.
   */
  const sweep = async () => {
    const { rows } = await sql<{ worker_id: string }>`
      select distinct locked_by as worker_id from (
        select locked_by, locked_at from graphile_worker._private_jobs where locked_by is not null
        union all
        select locked_by, locked_at from graphile_worker._private_job_queues where locked_by is not null
      ) l
      where l.locked_at < now() - ${lapse}
        and not exists (select 1 from job_workers w where w.worker_id = l.locked_by and w.beat_at > now() - ${lapse})`.execute(db);
    const dead = rows.map((r) => r.worker_id).filter((id) => !poolIds.has(id));
    if (dead.length) {
      await sql`select graphile_worker.force_unlock_workers(${dead}::text[])`.execute(db);
      logger.warn({ workers: dead }, 'unlocked the jobs of workers whose heartbeat lapsed (their process ended)');
    }
    await sql`delete from job_workers where beat_at < now() - ${lapse} * 10`.execute(db);
  };

  // Listened to before `run` creates the workers, so each worker's first heartbeat is written at once.
  const events: WorkerEvents = new EventEmitter();
  // 'pool:create' is emitted before the pool's workers ask for a job (graphile-worker main.js).
  events.on('pool:create', ({ workerPool }) => {
    poolIds.add(workerPool.id);
    firstBeat = beat([...poolIds]);
    firstBeat.catch(() => {});
  });
  events.on('pool:release', ({ workerPool }) => {
    poolIds.delete(workerPool.id);
    void sql`delete from job_workers where worker_id = ${workerPool.id}`.execute(db).catch(() => {});
  });
  // The runner's own pool, ended by `stop` and awaited. Given only a connection string, graphile-worker
  // 0.17 removes its pool's error handlers and then calls `pgPool.end()` without awaiting it
  // (node_modules/graphile-worker/dist/lib.js makeNewPool, installErrorHandlers): a connection the
  // server ends in that moment (a restart, or a test dropping its database) was an uncaught
  // exception that failed CI. Our handlers stay for the pool's whole life.
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: concurrency + 2, application_name: JOB_RUNNER_APPLICATION });
  const poolError = (err: Error) => logger.warn({ err: err.message }, 'job runner: a PostgreSQL connection failed; the next query opens a new one');
  pool.on('error', poolError);
  pool.on('connect', (client) => client.on('error', poolError));
  let runner: Runner;
  try {
    runner = await run({
      events,
      pgPool: pool,
      concurrency,
      taskList,
      noHandleSignals: true,
      logger: workerLogger(logger),
      ...(opts.pollInterval !== undefined ? { pollInterval: opts.pollInterval } : {}),
      gracefulShutdownAbortTimeout: opts.shutdownMs ?? 30_000,
      // Recurring jobs: one per tick across every worker (graphile-worker's cron records its last run); no backfill.
      parsedCronItems: parseCronItems(recurringFor(opts.tasks).map((r) => ({ task: r.task, match: r.cron, identifier: `qbo-connect:${r.task}`, options: { backfillPeriod: 0 } }))),
    });
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }

  const heart = setInterval(() => void beat([...poolIds]).catch((err: unknown) => logger.warn({ err: String(err) }, 'worker heartbeat failed')), every);
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
        const ids = [...poolIds];
        if (ids.length) await sql`delete from job_workers where worker_id = any(${ids}::text[])`.execute(db).catch(() => {});
        await pool.end().catch(() => {});
      })();
      return stopping;
    },
  };
}
