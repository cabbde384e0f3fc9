/**
 * A sync job whose worker died twice (found by test/chaos/workers-kill.test.ts): attempt 1 started
 * the job's run and died; attempt 2 found that run `running`, opened a new run (closing the first
 * `interrupted`) and died inside it too. Attempt 3 must sync the company — not see the job's own run
 * ended, complete the job and leave the second run `running` with its writes unresolved until some
 * later sync. The two dead attempts are written as they leave the database; the third runs the task.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { insertRun, newRunId } from '../../src/connect/run/sync.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { enqueueSync } from '../../src/jobs/enqueue-sync.js';
import { syncTask } from '../../src/jobs/tasks/sync.js';
import { testConfig } from '../helpers/config.js';
import { clonePostgres } from '../helpers/db.js';
import { connectCompany } from '../helpers/emulator-company.js';
import { readyDemo } from '../sync/demo-setup.js';

describe('a sync job retried after its worker died in two attempts [postgres]', () => {
  let emu: RunningEmulator;
  let app: App;
  let realmId: string;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    emu = await startEmulator({ preset: 'au', limits: 'off' });
    // Workers run on PostgreSQL. No job runner in this process: the test runs the task itself, as the third attempt.
    const pg = await clonePostgres();
    drop = pg.drop;
    app = await createApp(testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url, DATABASE_URL: pg.url }));
    realmId = await connectCompany(app, emu);
    const exportFrom = new Date(app.ctx.clock().getTime() - 400 * 86_400_000).toISOString().slice(0, 10);
    await readyDemo(app.ctx, syncDepsFor(app.ctx, realmId, { env: {} }).client, realmId, { size: 'small', direction: 'export', exportFrom, applyCredits: false });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await emu?.close();
    await drop?.();
  });

  it('the third attempt syncs the company and closes the second attempt’s run interrupted', async () => {
    const { db, clock } = app.ctx;
    const { runId } = await enqueueSync(app.ctx, { realmId, actor: 'schedule', trigger: 'schedule' });
    // Attempt 2's new run, left running by its dead process (its lock's lease has lapsed: no lock row)…
    const orphan = newRunId(clock);
    await insertRun(db, { id: orphan, realmId, actor: 'schedule', at: clock(), status: 'running' });
    // …and the job's own run, which attempt 2 closed when it opened that one.
    await db
      .updateTable('runs')
      .set({ status: 'interrupted', finished_at: clock().toISOString(), message: `Run ${runId} stopped before it finished (its process ended).` })
      .where('id', '=', runId)
      .execute();

    await syncTask(
      { runId, realmId, actor: 'schedule', trigger: 'schedule' },
      { ctx: app.ctx, jobs: app.ctx.jobs!, signal: new AbortController().signal, attempt: 3, maxAttempts: 5 },
    );

    const runs = await db.selectFrom('runs').select(['id', 'status', 'created']).where('realm_id', '=', realmId).execute();
    expect(runs.filter((r) => r.status === 'running' || r.status === 'queued')).toEqual([]);
    expect(runs.find((r) => r.id === orphan)?.status).toBe('interrupted');
    const third = runs.filter((r) => r.id !== runId && r.id !== orphan);
    expect(third).toHaveLength(1);
    expect(third[0]!.status).toBe('succeeded');
    expect(third[0]!.created).toBeGreaterThan(50);
  }, 60_000);
});
