/**
 * The sync over the JSON API: POST /api/v1/sync answers 202 with the run id at once; progress and the
 * run's status are polled; a second POST while it runs is refused (409) naming who started it; history
 * lists runs and one run record by record; roles are enforced.
 */
import { Hono } from 'hono';
import { onError } from '../../src/server/http.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJobRunner, type JobRunner } from '../../src/jobs/index.js';
import { syncTaskWith } from '../../src/jobs/tasks/sync.js';
import { createApiToken } from '../../src/accounts/api-tokens.js';
import { createUser } from '../../src/accounts/users.js';
import { qboClientFor } from '../../src/connect/connection/qbo-client.js';
import { noCrash } from '../../src/connect/run/crash-point.js';
import { historyApi, syncApi } from '../../src/server/api/sync.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { companyIds, handPlanner, smallPractice } from './hand-plan.js';

describe.each(dialects)('sync and history API [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);
  let http: Hono;
  let runner: JobRunner | undefined;
  afterAll(async () => {
    await runner?.stop();
  });
  let keeper: string;
  let viewer: string;
  const req = (token: string, init: RequestInit = {}) => ({ ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });

  beforeAll(async () => {
    const ctx = c.app.ctx;
    const client = qboClientFor(ctx, c.realmId);
    const ids = await companyIds(client);
    const bo = await createUser(ctx.db, { email: 'bo@example.com', name: 'Bo', role: 'bookkeeper' });
    const vi = await createUser(ctx.db, { email: 'vi@example.com', name: 'Vi', role: 'viewer' });
    keeper = (await createApiToken(ctx.db, bo.id, 't')).token;
    viewer = (await createApiToken(ctx.db, vi.id, 't')).token;
    const depsFor = () => ({
      db: ctx.db,
      clock: ctx.clock,
      logger: ctx.logger,
      client,
      crash: noCrash,
      batchSize: 2,
      buildPlan: handPlanner(ctx.db, () => smallPractice(ids, 2, 'API')),
    });
    // The sync is a job: this runner runs it with the hand planner (the same task function as production).
    await c.app.jobRunner?.stop();
    runner = await startJobRunner(ctx, { tasks: { sync: syncTaskWith(() => depsFor()) } });
    http = new Hono();
    http.route('/api/v1/sync', syncApi(ctx));
    http.route('/api/v1/history', historyApi(ctx));
    http.onError(onError(ctx.logger));
  });

  it('starts a run, refuses a second one while it runs, reports progress, and lists it in history', async () => {
    expect((await http.request('/api/v1/sync', req(viewer, { method: 'POST' }))).status).toBe(403);
    // Slow answers keep the run going long enough to see it running.
    c.emu.control.armFaults({ latencyMs: 100 });
    const res = await http.request('/api/v1/sync', req(keeper, { method: 'POST' }));
    expect(res.status).toBe(202);
    const { runId, progress } = (await res.json()) as { runId: string; progress: string };
    expect(runId).toMatch(/^run-/);
    const busy = await http.request('/api/v1/sync', req(keeper, { method: 'POST' }));
    expect(busy.status).toBe(409);
    expect(((await busy.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'run.locked',
      message: expect.stringMatching(/(already running: started|already queued: asked for) by bo@example\.com at \d\d:\d\d /),
    });

    let run: { status: string; progress: { done: number; total: number; group: string | null } } | undefined;
    const seen: number[] = [];
    for (let i = 0; i < 200; i++) {
      run = ((await (await http.request(progress, req(viewer))).json()) as { run: typeof run }).run;
      seen.push(run!.progress.done);
      if (run!.status !== 'running' && run!.status !== 'queued') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    c.emu.control.clearFaults();
    expect(run).toMatchObject({ status: 'succeeded', progress: { done: 16, total: 16 } });
    const latest = (await (await http.request('/api/v1/sync/progress', req(viewer))).json()) as { run: { id: string } };
    expect(latest.run.id).toBe(runId);

    const list = (await (await http.request('/api/v1/history', req(viewer))).json()) as { runs: Array<{ id: string; startedBy: string; created: number; durationMs: number }> };
    expect(list.runs[0]).toMatchObject({ id: runId, startedBy: 'user:bo@example.com', created: 16 });
    const one = (await (await http.request(`/api/v1/history/${runId}`, req(viewer))).json()) as { run: { records: Array<{ action: string; qboId: string }>; settings: unknown } };
    expect(one.run.records).toHaveLength(16);
    expect(one.run.records.every((r) => r.action === 'create' && /^\d+$/.test(r.qboId))).toBe(true);
    const missing = await http.request('/api/v1/history/run-nope', req(viewer));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('run.no-such-run');
    expect((await http.request('/api/v1/history')).status).toBe(401);
  }, 60_000);
});
