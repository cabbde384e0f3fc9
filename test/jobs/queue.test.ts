/**
 * The job queue on both paths (issue 16): the in-process runner on SQLite and graphile-worker on
 * PostgreSQL, through the same JobQueue and the same task functions. A job added in a transaction
 * that rolls back does not exist; a job key coalesces adds (replace, preserve_run_at); jobs of one
 * queue run one at a time, in order; a failing task is retried up to its attempts.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { AppContext } from '../../src/context.js';
import { createJobQueue, startJobRunner, type JobRunner } from '../../src/jobs/index.js';
import type { TaskHandler } from '../../src/jobs/queue.js';
import { createLogger } from '../../src/log.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import type { Dialect } from '../../src/store/dialect.js';
import { clonePostgres, dialects } from '../helpers/db.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function contextOn(dialect: Dialect): Promise<AppContext> {
  const clone = dialect === 'postgres' ? await clonePostgres() : undefined;
  const opened = await openDatabase(clone ? { databaseUrl: clone.url } : { sqliteFile: ':memory:' });
  cleanups.push(async () => {
    await opened.close();
    await clone?.drop();
  });
  const clock = () => new Date();
  const config = { databaseUrl: clone?.url, shutdownTimeout: 5 } as Config;
  return { config, db: opened.db, dialect, clock, logger: createLogger('silent'), version: 'test', qbo: undefined as never, jobs: createJobQueue(opened.db, dialect, clock) };
}

async function waitingJobs(db: Db, dialect: Dialect): Promise<Array<{ task: string; payload: Record<string, unknown>; runAt: string }>> {
  if (dialect === 'sqlite') {
    const rows = await db.selectFrom('local_jobs').select(['task', 'payload', 'run_at']).execute();
    return rows.map((r) => ({ task: r.task, payload: JSON.parse(r.payload) as Record<string, unknown>, runAt: new Date(r.run_at).toISOString() }));
  }
  const { rows } = await sql<{ task_identifier: string; payload: Record<string, unknown>; run_at: Date }>`
    select t.identifier as task_identifier, j.payload, j.run_at from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id`.execute(db);
  return rows.map((r) => ({ task: r.task_identifier, payload: r.payload, runAt: r.run_at.toISOString() }));
}

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(dialects)('job queue [%s]', (dialect) => {
  it('a job added in a transaction that rolls back does not exist; one that commits does', async () => {
    const ctx = await contextOn(dialect);
    await expect(
      ctx.db.transaction().execute(async (trx) => {
        await ctx.jobs!.add('notify', { n: 1 }, {}, trx);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await waitingJobs(ctx.db, dialect)).toEqual([]);
    await ctx.db.transaction().execute((trx) => ctx.jobs!.add('notify', { n: 2 }, {}, trx));
    expect((await waitingJobs(ctx.db, dialect)).map((j) => j.payload)).toEqual([{ n: 2 }]);
  });

  it('coalesces adds with one job key: replace takes the newest payload and time, preserve_run_at keeps the first time', async () => {
    const ctx = await contextOn(dialect);
    const t1 = new Date(Date.now() + 3_600_000);
    const t2 = new Date(Date.now() + 7_200_000);
    await ctx.jobs!.add('company-changes', { n: 1 }, { jobKey: 'k', runAt: t1 });
    await ctx.jobs!.add('company-changes', { n: 2 }, { jobKey: 'k', runAt: t2 });
    expect(await waitingJobs(ctx.db, dialect)).toEqual([{ task: 'company-changes', payload: { n: 2 }, runAt: t2.toISOString() }]);
    await ctx.jobs!.add('company-changes', { n: 3 }, { jobKey: 'k', jobKeyMode: 'preserve_run_at', runAt: t1 });
    expect(await waitingJobs(ctx.db, dialect)).toEqual([{ task: 'company-changes', payload: { n: 3 }, runAt: t2.toISOString() }]);
  });

  it('runs the jobs of one queue one at a time, in order, and retries a failing task', async () => {
    const ctx = await contextOn(dialect);
    const ran: number[] = [];
    let inFlight = 0;
    let most = 0;
    let failedOnce = false;
    const notify: TaskHandler = async (payload, t) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 50));
      inFlight -= 1;
      if (payload['fail'] && !failedOnce) {
        failedOnce = true;
        expect(t.attempt).toBe(1);
        throw new Error('first attempt fails');
      }
      ran.push(Number(payload['n']));
    };
    const runner: JobRunner = await startJobRunner(ctx, { tasks: { notify }, concurrency: 4, env: { QBO_CONNECT_WORKER_POLL_MS: '200' } });
    cleanups.push(() => runner.stop());
    for (const n of [1, 2, 3]) await ctx.jobs!.add('notify', { n }, { queueName: 'company:1' });
    await until('three jobs of the queue', () => ran.length === 3);
    expect(ran).toEqual([1, 2, 3]);
    expect(most).toBe(1);
    // exp(1) ≈ 2.7 s backoff before the second attempt (graphile-worker's, and the SQLite runner's).
    await ctx.jobs!.add('notify', { n: 4, fail: true }, { maxAttempts: 2 });
    await until('the retried job', () => ran.includes(4), 30_000);
    expect(failedOnce).toBe(true);
  }, 60_000);
});
