/**
 * The dead-worker sweeper on PostgreSQL (issue 16, attack finding): graphile-worker locks a job with
 * its worker POOL's id, so the heartbeat must be written for that id — a job running longer than the
 * lapse on a live worker is never unlocked (it runs once), while a job locked by a pool whose
 * heartbeat lapsed, or that died before writing one, is taken over.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { AppContext } from '../../src/context.js';
import { createJobQueue, startJobRunner } from '../../src/jobs/index.js';
import { JOB_RUNNER_APPLICATION } from '../../src/jobs/pg-runner.js';
import type { TaskHandler } from '../../src/jobs/queue.js';
import { createLogger } from '../../src/log.js';
import { openDatabase } from '../../src/store/db.js';
import { clonePostgres, dialects } from '../helpers/db.js';

const LAPSE_MS = 600;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function pgContext(): Promise<AppContext> {
  const clone = await clonePostgres();
  const opened = await openDatabase({ databaseUrl: clone.url });
  cleanups.push(async () => {
    await opened.close();
    await clone.drop();
  });
  const clock = () => new Date();
  const config = { databaseUrl: clone.url, shutdownTimeout: 5, workerLapseMs: LAPSE_MS } as Config;
  return {
    config,
    db: opened.db,
    dialect: 'postgres',
    clock,
    logger: createLogger('silent'),
    version: 'test',
    qbo: undefined as never,
    jobs: createJobQueue(opened.db, 'postgres', clock),
  };
}

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.runIf(dialects.includes('postgres'))('dead-worker sweeper [postgres]', () => {
  // CI: graphile-worker ended its own pool without awaiting it, after removing its error handlers; a
  // test dropping the database in that moment ended a connection with an uncaught exception.
  it('a stopped runner leaves no connection whose end by the server is an uncaught error', async () => {
    const ctx = await pgContext();
    const runner = await startJobRunner(ctx, { concurrency: 2, tasks: {} });
    const uncaught: unknown[] = [];
    const catchIt = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', catchIt);
    try {
      const terminate = () =>
        sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${JOB_RUNNER_APPLICATION} and datname = current_database()`.execute(ctx.db);
      expect((await terminate()).rows.length, 'the runner has connections while it runs').toBeGreaterThan(0);
      // The server ends the runner's connections while it stops (a restart, a dropped test database).
      let stopped = false;
      const stopping = runner.stop().finally(() => (stopped = true));
      while (!stopped) await Promise.all([terminate(), new Promise((r) => setTimeout(r, 2))]);
      await stopping;
      for (let i = 0; i < 20; i++) await terminate();
      await new Promise((r) => setTimeout(r, 300));
      expect(uncaught.map(String)).toEqual([]);
    } finally {
      process.off('uncaughtException', catchIt);
    }
  });

  it('a job running longer than the lapse on a live worker is not unlocked: it runs exactly once', async () => {
    const ctx = await pgContext();
    const attempts: number[] = [];
    let done = 0;
    const notify: TaskHandler = async (_payload, t) => {
      attempts.push(t.attempt);
      await new Promise((r) => setTimeout(r, LAPSE_MS * 5));
      done += 1;
    };
    // Two worker processes' runners: the other one's sweeper must not take the job either.
    for (let i = 0; i < 2; i++) {
      const runner = await startJobRunner(ctx, { tasks: { notify }, env: { QBO_CONNECT_WORKER_POLL_MS: '100' } });
      cleanups.push(() => runner.stop());
    }
    await ctx.jobs!.add('notify', { n: 1 });
    await until('the slow job', () => done >= 1);
    await new Promise((r) => setTimeout(r, LAPSE_MS));
    expect(attempts).toEqual([1]);
    expect(done).toBe(1);
  }, 30_000);

  it('a job locked by a pool whose heartbeat lapsed, or that never wrote one, is taken over', async () => {
    const ctx = await pgContext();
    const ran: number[] = [];
    const notify: TaskHandler = async (payload) => {
      ran.push(Number(payload['n']));
    };
    for (const n of [1, 2]) await ctx.jobs!.add('notify', { n }, { jobKey: `dead-${n}` });
    // Locked by dead pools 10 s ago: one with a lapsed heartbeat row, one that died before its first.
    await sql`update graphile_worker._private_jobs set locked_by = 'pool-lapsed', locked_at = now() - interval '10 seconds' where key = 'dead-1'`.execute(ctx.db);
    await sql`update graphile_worker._private_jobs set locked_by = 'pool-nobeat', locked_at = now() - interval '10 seconds' where key = 'dead-2'`.execute(ctx.db);
    await sql`insert into job_workers (worker_id, process, beat_at) values ('pool-lapsed', 'gone:1', now() - interval '5 seconds')`.execute(ctx.db);
    const runner = await startJobRunner(ctx, { tasks: { notify }, env: { QBO_CONNECT_WORKER_POLL_MS: '100' } });
    cleanups.push(() => runner.stop());
    await until('both dead pools’ jobs', () => ran.length === 2);
    expect(ran.sort()).toEqual([1, 2]);
  }, 30_000);

  it("a delayed job (a webhook's coalescing wait) runs after its delay on the database's clock, whatever this host's clock says", async () => {
    const ctx = await pgContext();
    // The host's clock a day ahead: a run time computed from it would hold the job for a day.
    ctx.clock = () => new Date(Date.now() + 86_400_000);
    const ran: string[] = [];
    const companyChanges: TaskHandler = async (payload) => {
      ran.push(String(payload['realmId']));
    };
    const runner = await startJobRunner(ctx, { tasks: { 'company-changes': companyChanges }, env: { QBO_CONNECT_WORKER_POLL_MS: '100' } });
    cleanups.push(() => runner.stop());
    await ctx.jobs!.add('company-changes', { realmId: '42' }, { queueName: 'company:42', jobKey: 'company-changes:42', jobKeyMode: 'preserve_run_at', delayMs: 300 });
    const { rows } = await sql<{ due: boolean }>`select run_at > now() as due from graphile_worker._private_jobs`.execute(ctx.db);
    expect(rows.map((r) => r.due)).toEqual([true]);
    await until('the delayed job', () => ran.length === 1, 10_000);
    expect(ran).toEqual(['42']);
  }, 30_000);
});
