/**
 * The in-process job runner of the embedded default (SQLite, one process: `qbo-connect start`). It
 * runs the same task functions as graphile-worker does on PostgreSQL (jobs/tasks.ts), with the
 * semantics our callers rely on: a job added inside a transaction exists exactly when it commits
 * (`local_jobs` is a table of the same database); one job at a time per queue (a company's syncs
 * never overlap); a job key coalesces a burst (`replace`, or `preserve_run_at`); `runAt`; retries
 * with exponential backoff (graphile-worker's: exp(min(attempt, 10)) seconds) up to `maxAttempts`;
 * the runner is woken by `add`, and otherwise sleeps until the next job is due (no polling).
 *
 * Why it is not a general queue: SQLite is one process by design (the database file is this
 * process's), so there is no worker on another host to share with and no lock to take between
 * workers — a job still marked running when the process starts was left by an earlier process that
 * died, and is simply unlocked. Priorities, flags, batch jobs and cron backfill are left out; if you
 * need them, you need PostgreSQL and graphile-worker (jobs/pg-runner.ts).
 */
import type { AppContext, Clock } from '../context.js';
import type { Db } from '../store/db.js';
import type { AddJobOptions, JobQueue, JobTask, TaskContext } from './queue.js';
import { recurringFor } from './recurring.js';
import type { TaskList } from './tasks.js';

/** graphile-worker's default. */
export const DEFAULT_MAX_ATTEMPTS = 25;

export class LocalJobQueue implements JobQueue {
  /** Set by the runner: a job was added (the runner looks once the adding transaction has ended). */
  onAdd: (() => void) | undefined;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async add(task: JobTask, payload: Record<string, unknown>, opts: AddJobOptions = {}, trx?: Db): Promise<void> {
    const db = trx ?? this.db;
    const now = this.clock();
    const runAt = (opts.runAt ?? (opts.delayMs ? new Date(now.getTime() + opts.delayMs) : now)).toISOString();
    const fields = {
      task,
      payload: JSON.stringify(payload),
      queue_name: opts.queueName ?? null,
      max_attempts: opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    };
    if (opts.jobKey) {
      // A job's key is cleared when it starts, so a keyed job found here is still waiting: coalesce into it.
      const waiting = await db.selectFrom('local_jobs').select(['id', 'run_at']).where('job_key', '=', opts.jobKey).executeTakeFirst();
      if (waiting) {
        await db
          .updateTable('local_jobs')
          .set({ ...fields, run_at: opts.jobKeyMode === 'preserve_run_at' ? waiting.run_at : runAt, attempts: 0, last_error: null })
          .where('id', '=', waiting.id)
          .execute();
        this.nudge();
        return;
      }
    }
    await db
      .insertInto('local_jobs')
      .values({ ...fields, job_key: opts.jobKey ?? null, run_at: runAt, last_error: null, locked_at: null, created_at: now.toISOString() })
      .execute();
    this.nudge();
  }

  private nudge(): void {
    // better-sqlite3 has one connection: the runner's next query waits until the adding transaction
    // has committed (or rolled back), so it sees exactly the jobs that exist.
    if (this.onAdd) setImmediate(this.onAdd);
  }
}

export interface LocalRunnerOptions {
  tasks: TaskList;
  /** Jobs run at once (of different queues). */
  concurrency?: number;
}

export interface JobRunner {
  /** Stops taking jobs, aborts the running tasks' signal and waits for them to return. */
  stop(): Promise<void>;
  /** Job ids running now (tests, shutdown lines). */
  running(): number;
}

export async function startLocalRunner(ctx: AppContext, queue: LocalJobQueue, opts: LocalRunnerOptions): Promise<JobRunner> {
  const { db, clock, logger } = ctx;
  const concurrency = Math.max(1, opts.concurrency ?? 4);
  const abort = new AbortController();
  // A job still locked was running in a process that ended (SQLite: one process at a time).
  const left = await db.updateTable('local_jobs').set({ locked_at: null }).where('locked_at', 'is not', null).executeTakeFirst();
  if (Number(left.numUpdatedRows)) logger.warn({ jobs: Number(left.numUpdatedRows) }, 'jobs left running by an earlier process are queued again');

  const active = new Map<number, { queue: string | null; done: Promise<void> }>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let looking: Promise<void> | undefined;
  let again = false;

  const wake = () => {
    if (stopped) return;
    if (looking) {
      again = true;
      return;
    }
    looking = look(db)
      .catch((err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, 'job runner: could not read the queue'))
      .finally(() => {
        looking = undefined;
        if (again) {
          again = false;
          wake();
        }
      });
  };
  queue.onAdd = wake;

  async function look(db: Db): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const now = clock().toISOString();
    const known = Object.keys(opts.tasks);
    if (!known.length) return;
    const busy = new Set([...active.values()].map((a) => a.queue).filter((q): q is string => q !== null));
    const candidates = await db
      .selectFrom('local_jobs')
      .selectAll()
      .where('locked_at', 'is', null)
      .where('task', 'in', known)
      .whereRef('attempts', '<', 'max_attempts')
      .orderBy('run_at')
      .orderBy('id')
      .execute();
    let next: string | undefined;
    const seen = new Set<string>();
    for (const job of candidates) {
      if (stopped || active.size >= concurrency) break;
      // One at a time per queue, in order: only the queue's first waiting job may start.
      if (job.queue_name !== null) {
        if (busy.has(job.queue_name) || seen.has(job.queue_name)) continue;
        seen.add(job.queue_name);
      }
      if (job.run_at > now) {
        next ??= job.run_at;
        continue;
      }
      const r = await db
        .updateTable('local_jobs')
        .set({ locked_at: now, attempts: job.attempts + 1, job_key: null })
        .where('id', '=', job.id)
        .where('locked_at', 'is', null)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) continue;
      if (job.queue_name !== null) busy.add(job.queue_name);
      const done = runOne({ ...job, attempts: job.attempts + 1 }).finally(() => {
        active.delete(job.id);
        wake();
      });
      active.set(job.id, { queue: job.queue_name, done });
    }
    if (next && !stopped) {
      // Real time to wait, read off the injected clock's distance (it runs at real speed).
      const ms = Math.max(10, Date.parse(next) - clock().getTime());
      timer = setTimeout(wake, Math.min(ms, 2 ** 31 - 1));
      timer.unref();
    }
  }

  async function runOne(job: { id: number; task: string; payload: string; attempts: number; max_attempts: number }): Promise<void> {
    const handler = opts.tasks[job.task as JobTask]!;
    const t: TaskContext = { ctx, jobs: queue, signal: abort.signal, attempt: job.attempts, maxAttempts: job.max_attempts };
    try {
      await handler(JSON.parse(job.payload) as Record<string, unknown>, t);
      await db.deleteFrom('local_jobs').where('id', '=', job.id).execute();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const last = job.attempts >= job.max_attempts;
      const delayMs = Math.round(Math.exp(Math.min(job.attempts, 10)) * 1000);
      logger[last ? 'error' : 'warn']({ job: job.id, task: job.task, attempt: job.attempts, err: message }, last ? 'job failed for good' : 'job failed; it is retried');
      await db
        .updateTable('local_jobs')
        .set({ locked_at: null, last_error: message, run_at: new Date(clock().getTime() + delayMs).toISOString() })
        .where('id', '=', job.id)
        .execute()
        .catch(() => {});
    }
  }

  // Recurring jobs on the runner's own timer, keyed so a restart or a slow tick never doubles one.
  const timers = new Map<JobTask, NodeJS.Timeout>();
  for (const r of recurringFor(opts.tasks)) {
    const schedule = () => {
      const at = r.next(clock());
      const t = setTimeout(
        () => {
          void queue.add(r.task, { at: at.toISOString() }, { jobKey: `recurring:${r.task}`, runAt: at }).catch(() => {});
          schedule();
        },
        Math.max(0, at.getTime() - clock().getTime()),
      );
      t.unref();
      timers.set(r.task, t);
    };
    schedule();
  }

  wake();
  return {
    running: () => active.size,
    async stop() {
      stopped = true;
      queue.onAdd = undefined;
      if (timer) clearTimeout(timer);
      for (const t of timers.values()) clearTimeout(t);
      abort.abort();
      await looking;
      await Promise.all([...active.values()].map((a) => a.done));
    },
  };
}
