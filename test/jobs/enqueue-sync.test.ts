/**
 * A sync queued from a click, the API or a schedule (jobs/enqueue-sync.ts), on both dialects: the run
 * (`queued`) and its job are one transaction; a second sync of the company while one is queued is
 * refused (409 run.locked, naming who started it), also when two are added at the same moment; a
 * queued run whose job cannot take the company's lock (a CLI sync took it meanwhile) is closed
 * `refused` with that sentence, never left queued; a job left running by a process that ended is run
 * again when the SQLite runner starts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import type { AppContext } from '../../src/context.js';
import { noCrash } from '../../src/connect/run/crash-point.js';
import { acquireSyncLock } from '../../src/connect/run/lock.js';
import { enqueueSync } from '../../src/jobs/enqueue-sync.js';
import { createJobQueue, startJobRunner } from '../../src/jobs/index.js';
import { syncTaskWith } from '../../src/jobs/tasks/sync.js';
import { createLogger } from '../../src/log.js';
import { openDatabase } from '../../src/store/db.js';
import type { Dialect } from '../../src/store/dialect.js';
import { isUserFacing } from '../../src/user-facing-error.js';
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
  const config = { databaseUrl: clone?.url, shutdownTimeout: 5, workerLapseMs: 60_000 } as Config;
  return { config, db: opened.db, dialect, clock, logger: createLogger('silent'), version: 'test', qbo: undefined as never, jobs: createJobQueue(opened.db, dialect, clock) };
}

const runsOf = (ctx: AppContext) => ctx.db.selectFrom('runs').select(['id', 'status', 'message', 'started_by']).where('realm_id', '=', '42').execute();

describe.each(dialects)('enqueueSync [%s]', (dialect) => {
  it('queues one run per company: a second, also at the same moment, is refused naming who started the first', async () => {
    const ctx = await contextOn(dialect);
    const results = await Promise.allSettled([
      enqueueSync(ctx, { realmId: '42', actor: 'user:ann@example.com', trigger: 'click' }),
      enqueueSync(ctx, { realmId: '42', actor: 'user:bo@example.com', trigger: 'api' }),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const err: unknown = refused[0]!.reason;
    expect(isUserFacing(err) && err.code).toBe('run.locked');
    expect(isUserFacing(err) && err.status).toBe(409);
    const runs = await runsOf(ctx);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.status).toBe('queued');
    // Queued, not running: it says so (waiting for a worker), not "already running… no sign of life".
    expect((err as Error).message).toContain(`already queued: asked for by ${runs[0]!.started_by.slice(5)}`);
    expect((err as Error).message).toContain('waiting for a worker');
    expect((err as Error).message).not.toContain('sign of life');
    // Another company is not held up.
    await enqueueSync(ctx, { realmId: '43', actor: 'user:ann@example.com' });
  });

  it('refuses while a live sync holds the company lock, and closes a queued run refused when its job finds the lock taken', async () => {
    const ctx = await contextOn(dialect);
    const held = await acquireSyncLock(ctx.db, { realmId: '42', holder: 'cli:carol', clock: ctx.clock });
    await expect(enqueueSync(ctx, { realmId: '42', actor: 'user:ann@example.com' })).rejects.toThrow(/started by the CLI \(carol\)/);
    await held.release();

    const { runId } = await enqueueSync(ctx, { realmId: '42', actor: 'user:ann@example.com' });
    // A CLI sync takes the company before the job starts: the queued run is refused, not left queued.
    const cli = await acquireSyncLock(ctx.db, { realmId: '42', holder: 'cli:carol', clock: ctx.clock });
    cleanups.push(() => cli.release());
    const depsFor = () => ({
      db: ctx.db,
      clock: ctx.clock,
      logger: ctx.logger,
      client: undefined as never,
      crash: noCrash,
      buildPlan: () => Promise.reject(new Error('not reached')),
    });
    const runner = await startJobRunner(ctx, { tasks: { sync: syncTaskWith(depsFor) }, env: { QBO_CONNECT_WORKER_POLL_MS: '200' } });
    cleanups.push(() => runner.stop());
    const t0 = Date.now();
    let run = (await runsOf(ctx)).find((r) => r.id === runId)!;
    while (run.status === 'queued' && Date.now() - t0 < 20_000) {
      await new Promise((r) => setTimeout(r, 50));
      run = (await runsOf(ctx)).find((r) => r.id === runId)!;
    }
    expect(run.status).toBe('refused');
    expect(run.message).toMatch(/already running: started by the CLI \(carol\)/);
  }, 60_000);
});

describe('the SQLite runner at start', () => {
  it('runs again a job an earlier process left running', async () => {
    const ctx = await contextOn('sqlite');
    await ctx.jobs!.add('notify', { n: 1 });
    await ctx.db.updateTable('local_jobs').set({ locked_at: new Date().toISOString(), attempts: 1 }).execute();
    const ran: unknown[] = [];
    const runner = await startJobRunner(ctx, { tasks: { notify: async (p) => void ran.push(p) } });
    cleanups.push(() => runner.stop());
    for (let i = 0; i < 200 && !ran.length; i++) await new Promise((r) => setTimeout(r, 25));
    expect(ran).toEqual([{ n: 1 }]);
  });
});
