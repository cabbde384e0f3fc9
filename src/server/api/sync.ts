/**
 * Sync and history over the JSON API:
 * - `POST /api/v1/sync` (bookkeeper) starts a sync and answers 202 with the run id at once; the run
 *   goes on in this process. 409 with who started the running one when the company is busy.
 * - `GET /api/v1/sync/progress` (viewer): the company's newest run with its progress
 *   `{ done, total, group }`, for the web app's progress bar; `GET /api/v1/sync/runs/{id}` one run.
 * - `GET /api/v1/history` (viewer) the runs, newest first; `GET /api/v1/history/{id}` one run with
 *   every record (action, QBO Id, the error sentence when it failed).
 * The company is `?realm=ID`, or the single connected one; history, when none is connected, falls back
 * to the company last connected here (connect/realm.ts resolveReadRealm).
 */
import { Hono, type Context } from 'hono';
import type { AppContext } from '../../context.js';
import { resolveReadRealm } from '../../connect/realm.js';
import { syncDepsFor } from '../../connect/run/deps.js';
import { resolveKnownRealm } from './known-realm.js';
import { getRun, latestRun, listRuns } from '../../connect/run/history.js';
import { startSync, type SyncDeps } from '../../connect/run/sync.js';
import { apiTokenAuth, requireRole, type AuthEnv } from '../auth/api-token.js';
import { refusal } from '../reasons.js';

type Ctx = Context<AuthEnv>;

export interface SyncApiOptions {
  /** How a run is wired (tests give their own planner); default: connect/run/deps.ts. */
  depsFor?: (realmId: string, actor: string) => SyncDeps;
}

export function syncApi(ctx: AppContext, opts: SyncApiOptions = {}): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', apiTokenAuth(ctx));
  const realm = (c: Ctx) => resolveKnownRealm(ctx.db, c.req.query('realm'), '?realm=ID');
  const depsFor = opts.depsFor ?? ((realmId: string, actor: string) => syncDepsFor(ctx, realmId, { actor }));

  api.post('/', requireRole('bookkeeper'), async (c) => {
    const realmId = await realm(c);
    const actor = `user:${c.get('user').email}`;
    const started = await startSync(depsFor(realmId, actor), { realmId, actor });
    started.done.then(
      (r) => ctx.logger.info({ realmId, runId: r.runId, status: r.status }, 'sync finished'),
      (err: unknown) => ctx.logger.error({ realmId, runId: started.runId, err: err instanceof Error ? err.message : String(err) }, 'sync failed'),
    );
    return c.json({ realmId, runId: started.runId, status: 'running', progress: `/api/v1/sync/runs/${started.runId}` }, 202);
  });

  api.get('/progress', requireRole('viewer'), async (c) => {
    const realmId = await realm(c);
    const run = await latestRun(ctx.db, realmId, { now: ctx.clock() });
    return c.json({ realmId, run: run ?? null });
  });

  api.get('/runs/:id', requireRole('viewer'), async (c) => {
    const { records: _records, settings: _settings, ...run } = await getRun(ctx.db, c.req.param('id'), { now: ctx.clock() });
    return c.json({ run });
  });
  return api;
}

export function historyApi(ctx: AppContext): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', apiTokenAuth(ctx));
  api.get('/', requireRole('viewer'), async (c) => {
    const realmId = await resolveReadRealm(ctx.db, c.req.query('realm'), '?realm=ID');
    const limit = Number(c.req.query('limit') ?? '50');
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw refusal('history.invalid-limit', { value: c.req.query('limit') }, 'limit');
    return c.json({ realmId, runs: await listRuns(ctx.db, { realmId, limit, now: ctx.clock() }) });
  });
  api.get('/:id', requireRole('viewer'), async (c) => c.json({ run: await getRun(ctx.db, c.req.param('id'), { now: ctx.clock() }) }));
  return api;
}
