/**
 * Undo a sync over the JSON API (issue 18):
 * - `GET /api/v1/undo/{runId}` (bookkeeper): the preview — what will be voided, deleted, made
 *   inactive, kept, or cannot be undone and why; writes nothing.
 * - `POST /api/v1/undo/{runId}` (bookkeeper): the undo, as a run of its own; answers 200 with the
 *   undo's run (its records name each step and each refusal). 409 while another run holds the company.
 * The company is `?realm=ID`, or the single connected one.
 */
import { Hono, type Context } from 'hono';
import type { AppContext } from '../../context.js';
import { syncDepsFor } from '../../connect/run/deps.js';
import { previewUndo, undoRun, type UndoDeps } from '../../connect/undo/index.js';
import { apiTokenAuth, requireRole, type AuthEnv } from '../auth/api-token.js';
import { resolveKnownRealm } from './known-realm.js';
import { qboRefusal } from '../../connect/reasons.js';

type Ctx = Context<AuthEnv>;

export interface UndoApiOptions {
  depsFor?: (realmId: string, actor: string) => UndoDeps;
}

export function undoApi(ctx: AppContext, opts: UndoApiOptions = {}): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', apiTokenAuth(ctx));
  const realm = (c: Ctx) => resolveKnownRealm(ctx.db, c.req.query('realm'), '?realm=ID');
  const depsFor = opts.depsFor ?? ((realmId: string, actor: string) => syncDepsFor(ctx, realmId, { actor }));

  api.get('/:runId', requireRole('bookkeeper'), async (c) => {
    const realmId = await realm(c);
    // QuickBooks not answering is a refusal to say (502), not a 500, as the preview's API does.
    const preview = await previewUndo(depsFor(realmId, `user:${c.get('user').email}`), realmId, c.req.param('runId')).catch((err: unknown) => {
      throw qboRefusal(err, 'the undo preview') ?? err;
    });
    return c.json({ preview });
  });

  api.post('/:runId', requireRole('bookkeeper'), async (c) => {
    const realmId = await realm(c);
    const actor = `user:${c.get('user').email}`;
    // The undo's run, if one was opened, records where it stopped (undo/run.ts).
    const r = await undoRun(depsFor(realmId, actor), { realmId, runId: c.req.param('runId'), actor }).catch((err: unknown) => {
      throw qboRefusal(err, 'the undo') ?? err;
    });
    const { records, settings: _settings, ...run } = r.summary;
    return c.json({ realmId, undoRunId: r.undoRunId, status: r.status, message: r.message, run, records });
  });
  return api;
}
