/**
 * Sync and history over the JSON API:
 * - `POST /api/v1/sync` (bookkeeper) queues a sync (jobs/enqueue-sync.ts: the run, `queued`, and its
 *   job in one transaction) and answers 202 with the run id at once; a worker runs it. 409 with who
 *   started the queued or running one when the company is busy.
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
import { resolveKnownRealm } from './known-realm.js';
import { getRun, latestRun, listRuns } from '../../connect/run/history.js';
import { enqueueSync } from '../../jobs/enqueue-sync.js';
import { apiTokenAuth, requireRole, type AuthEnv } from '../auth/api-token.js';
import { refusal } from '../reasons.js';

type Ctx = Context<AuthEnv>;

export function syncApi(ctx: AppContext): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', apiTokenAuth(ctx));
  const realm = (c: Ctx) => resolveKnownRealm(ctx.db, c.req.query('realm'), '?realm=ID');

  api.post('/', requireRole('bookkeeper'), async (c) => {
    const realmId = await realm(c);
    const actor = `user:${c.get('user').email}`;
    const { runId } = await enqueueSync(ctx, { realmId, actor, trigger: 'api' });
    return c.json({ realmId, runId, status: 'queued', progress: `/api/v1/sync/runs/${runId}` }, 202);
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
