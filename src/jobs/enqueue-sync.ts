/**
 * Starting a sync from the web app, the API or a schedule: the run is recorded `queued` and its
 * `sync` job added in ONE transaction, so the run id answered (202) always has a job that runs it,
 * and a rolled-back request leaves neither. The company's queue (companyQueue) serves one job at a
 * time across every worker; a click while the company is busy is refused before anything is queued
 * ("a click and a schedule never stack"): a run of it is queued, or its lock is held by a live sync.
 */
import { sql } from 'kysely';
import type { AppContext } from '../context.js';
import { DEFAULT_LOCK_TTL_MS, dbTime, holderIsDeadOn } from '../connect/run/lock.js';
import { actorName, localWhen, refusal } from '../connect/run/reasons.js';
import { insertRun, newRunId } from '../connect/run/sync.js';
import type { Db } from '../store/db.js';
import { companyQueue } from './queue.js';

/**
 * A sync job's attempts: a job whose worker died is run again (jobs/tasks/sync.ts), and on PostgreSQL
 * it waits for the dead worker's lock lease to lapse (60 s by the database's clock) by failing and
 * being retried with graphile-worker's backoff (exp(attempt) s: 7, 20, 55, 148 s…): 10 leaves room.
 */
export const SYNC_MAX_ATTEMPTS = 10;

export interface EnqueueSyncInput {
  realmId: string;
  /** Who started it: "user:alice@example.com", "schedule", … (connect/run/reasons.ts actorName). */
  actor: string;
  trigger?: 'click' | 'schedule' | 'api';
}

export async function enqueueSync(ctx: Pick<AppContext, 'db' | 'dialect' | 'clock' | 'jobs' | 'drain'>, input: EnqueueSyncInput): Promise<{ runId: string }> {
  const jobs = ctx.jobs;
  if (!jobs) throw new Error('enqueueSync: this process has no job queue (createApp builds one)');
  ctx.drain?.refuseIfDraining();
  const runId = newRunId(ctx.clock);
  try {
    await ctx.db.transaction().execute(async (trx) => {
      // Two clicks at once on PostgreSQL: the second waits here, then sees the first's queued run.
      if (ctx.dialect === 'postgres') await sql`select pg_advisory_xact_lock(hashtext(${`qbo-connect sync ${input.realmId}`}))`.execute(trx);
      await refuseIfBusy(trx, input.realmId, ctx.clock());
      await insertRun(trx, { id: runId, realmId: input.realmId, actor: input.actor, at: ctx.clock(), status: 'queued' });
      await jobs.add(
        'sync',
        { runId, realmId: input.realmId, actor: input.actor, ...(input.trigger ? { trigger: input.trigger } : {}) },
        { queueName: companyQueue(input.realmId), maxAttempts: SYNC_MAX_ATTEMPTS },
        trx,
      );
    });
  } catch (err) {
    // The unique index runs_one_queued (migration 0013) is the last word when two adds race.
    if (/runs_one_queued|UNIQUE constraint failed: runs\.realm_id/i.test(err instanceof Error ? err.message : '')) await refuseIfBusy(ctx.db, input.realmId, ctx.clock());
    throw err;
  }
  return { runId };
}

async function refuseIfBusy(db: Db, realmId: string, now: Date): Promise<void> {
  const queued = await db.selectFrom('runs').select(['started_by', 'started_at']).where('realm_id', '=', realmId).where('status', '=', 'queued').executeTakeFirst();
  if (queued) {
    throw refusal('run.locked', {
      holder: actorName(queued.started_by),
      startedAt: localWhen(queued.started_at, now),
      queued: true,
    });
  }
  // A live lease by the database's clock (connect/run/lock.ts); on SQLite a holder whose process is gone is not waited for.
  const lock = await db.selectFrom('sync_locks').selectAll().where('realm_id', '=', realmId).where('expires_at', '>', dbTime(db)).executeTakeFirst();
  if (lock && !holderIsDeadOn(db, lock.holder_id)) {
    throw refusal('run.locked', { holder: actorName(lock.holder), startedAt: localWhen(lock.started_at, now), seconds: Math.round(DEFAULT_LOCK_TTL_MS / 1000) });
  }
}
