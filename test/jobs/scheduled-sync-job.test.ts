/**
 * A schedule through the real queue, on both dialects (issue 16): the tick enqueues the scheduled
 * sync through enqueueSync (a queued run, actor `schedule`); a click meanwhile is refused 409; an
 * occurrence due while the company is busy is skipped and recorded, never stacked; the sync job runs
 * the scheduled run by the company's setting — blocked: nothing sent, run refused, schedule `refused`;
 * sync-ready: the ready records in the emulator exactly once, the rest held.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notifyRunClosed, setNotificationSettings } from '../../src/connect/notify/index.js';
import { qboClientFor } from '../../src/connect/connection/qbo-client.js';
import { noCrash } from '../../src/connect/run/crash-point.js';
import type { SyncDeps } from '../../src/connect/run/sync.js';
import type { PlanRow } from '../../src/connect/plan/index.js';
import { getSchedule, setSchedule } from '../../src/connect/schedule/store.js';
import { enqueueSync } from '../../src/jobs/enqueue-sync.js';
import { startJobRunner, type JobRunner } from '../../src/jobs/index.js';
import { syncTaskWith } from '../../src/jobs/tasks/sync.js';
import { tickSchedules } from '../../src/jobs/tasks/schedule-tick.js';
import { isUserFacing } from '../../src/user-facing-error.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { companyIds, handPlanner, smallPractice, type CompanyIds } from '../sync/hand-plan.js';

interface Dump {
  entities: Record<string, Array<Record<string, unknown>>>;
}

describe.each(dialects)('a schedule through the queue [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);
  let ids: CompanyIds;
  let rows: PlanRow[] = [];
  let runner: JobRunner | undefined;

  beforeAll(async () => {
    // The app's own runner (default tasks, the real planner) is stopped: this test runs the sync task on its hand-made plan.
    await c.app.jobRunner?.stop();
    ids = await companyIds(qboClientFor(c.app.ctx, c.realmId));
  });
  afterAll(async () => runner?.stop());

  /** Makes the schedule due now (as if its time had come), by the app's clock. */
  const makeDue = () =>
    c.app.ctx.db
      .updateTable('schedules')
      .set({ next_due_at: new Date(c.app.ctx.clock().getTime() - 1000).toISOString() })
      .where('realm_id', '=', c.realmId)
      .execute();
  async function closed(runId: string) {
    for (let i = 0; i < 600; i++) {
      const run = await c.app.ctx.db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
      if (run.status !== 'queued' && run.status !== 'running') return run;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`run ${runId} did not close`);
  }
  /** The notification kinds waiting in the queue ('notify' jobs: this test's runner does not run them). */
  async function notices(): Promise<string[]> {
    const db = c.app.ctx.db;
    const payloads =
      dialect === 'sqlite'
        ? (await db.selectFrom('local_jobs').select('payload').where('task', '=', 'notify').execute()).map((r) => JSON.parse(r.payload) as { event: { kind: string } })
        : (
            await sql<{
              payload: { event: { kind: string } };
            }>`select j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = 'notify'`.execute(db)
          ).rows.map((r) => r.payload);
    return payloads.map((p) => p.event.kind);
  }
  const docs = (e: string, prefix: string) =>
    ((c.emu.control.dump(c.realmId) as Dump).entities[e] ?? []).filter((d) => String(d['DocNumber'] ?? d['DisplayName'] ?? '').includes(prefix));

  it('blocked: queued by the tick, a click meanwhile refused 409, a second occurrence skipped; then refused, nothing sent', async () => {
    const ctx = c.app.ctx;
    rows = smallPractice(ids, 1, 'Q');
    rows[1]!.issues.push({ code: 'invoice.number-too-long', severity: 'error', message: 'Invoice QINV-1: number is longer than 21 characters.', field: 'number' });
    // No runner yet: the queue holds still while the tick and the click meet.
    await setNotificationSettings(ctx.db, {
      change: { webhookUrl: 'http://127.0.0.1:9/hooks', webhookSecret: 'schedule-test-secret-0123456789abcdef' },
      actor: 'test',
      clock: ctx.clock,
      cipher: ctx.qbo.cipher,
    });
    await setSchedule(ctx.db, { realmId: c.realmId, input: { kind: 'hourly', minute: 0 }, actor: 'alice', clock: ctx.clock });
    await makeDue();
    const tick = await tickSchedules(ctx, enqueueSync);
    expect(tick.enqueued.map((e) => e.realmId)).toEqual([c.realmId]);
    const runId = tick.enqueued[0]!.runId;
    expect(await ctx.db.selectFrom('runs').select(['status', 'started_by']).where('id', '=', runId).executeTakeFirst()).toEqual({ status: 'queued', started_by: 'schedule' });
    // A click while the scheduled run is queued: 409, nothing queued behind it.
    const click = await enqueueSync(ctx, { realmId: c.realmId, actor: 'user:ann@example.com', trigger: 'click' }).catch((e: unknown) => e);
    expect(isUserFacing(click) && [click.code, click.status]).toEqual(['run.locked', 409]);
    // The next occurrence comes while it is still queued: skipped and recorded, not stacked.
    await makeDue();
    expect((await tickSchedules(ctx, enqueueSync)).skippedBusy).toEqual([c.realmId]);
    expect((await getSchedule(ctx.db, c.realmId)).last.outcome).toBe('skipped-busy');
    expect(await ctx.db.selectFrom('runs').select('id').where('realm_id', '=', c.realmId).where('status', '=', 'queued').execute()).toHaveLength(1);

    const client = qboClientFor(ctx, c.realmId);
    const depsFor = (): SyncDeps => ({
      db: ctx.db,
      clock: ctx.clock,
      logger: ctx.logger,
      client,
      crash: noCrash,
      buildPlan: handPlanner(ctx.db, () => rows),
      notify: (run) => notifyRunClosed(ctx, run),
    });
    runner = await startJobRunner(ctx, { tasks: { sync: syncTaskWith(depsFor) }, env: { QBO_CONNECT_WORKER_POLL_MS: '200' } });
    const run = await closed(runId);
    expect(run.status).toBe('refused');
    expect(run.message).toContain('QINV-1');
    expect(docs('Customer', 'QC1')).toHaveLength(0);
    for (let i = 0; i < 100 && !(await notices()).length; i++) await new Promise((r) => setTimeout(r, 50));
    // Told once, as a blocked schedule (not also as a refused run).
    expect(await notices()).toEqual(['schedule-blocked']);
    expect(await getSchedule(ctx.db, c.realmId)).toMatchObject({ last: { outcome: 'refused', runId } });
  }, 60_000);

  it('sync-ready: the ready records reach QBO exactly once, the error row and the one that needs it are held', async () => {
    const ctx = c.app.ctx;
    rows = smallPractice(ids, 2, 'R');
    rows[1]!.issues.push({ code: 'invoice.number-too-long', severity: 'error', message: 'Invoice RINV-1: number is longer than 21 characters.', field: 'number' });
    await setSchedule(ctx.db, { realmId: c.realmId, input: { onErrors: 'sync-ready' }, actor: 'alice', clock: ctx.clock });
    await makeDue();
    const tick = await tickSchedules(ctx, enqueueSync);
    expect(tick).toMatchObject({ skippedBusy: [], failed: [] });
    const run = await closed(tick.enqueued[0]!.runId);
    expect(run).toMatchObject({ status: 'failed', created: 14, held: 2, failed: 0 });
    expect(docs('Invoice', 'RINV-').map((d) => d['DocNumber'])).toEqual(['RINV-2']);
    // The task records the outcome just after the run closes.
    for (let i = 0; i < 100 && (await getSchedule(ctx.db, c.realmId)).last.outcome === 'enqueued'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await getSchedule(ctx.db, c.realmId)).toMatchObject({ last: { outcome: 'held' } });
  }, 60_000);
});
