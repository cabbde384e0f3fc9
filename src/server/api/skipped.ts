/**
 * Skipped records over the JSON API: `GET /` lists them (within the export window), `POST /` skips
 * `{ kind, id }` or `{ refs: [{ kind, id, date? }, …] }` (a row with its linked rows, or a whole
 * group), `DELETE /{kind}/{id}` adds one back. The company is `?realm=ID`, or the single connected one.
 */
import { Hono, type Context } from 'hono';
import type { AppContext } from '../../context.js';
import { resolveReadRealm, resolveRealm } from '../../connect/realm.js';
import { getSettings } from '../../connect/settings/store.js';
import { listSkipped, parseRef, skipMany, unskip, type RecordRef } from '../../connect/skips.js';
import { apiTokenAuth, requireRole, type AuthEnv } from '../auth/api-token.js';
import { refusal } from '../reasons.js';

type Ctx = Context<AuthEnv>;

export function skippedApi(ctx: AppContext): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', apiTokenAuth(ctx));
  const realm = (c: Ctx) => resolveRealm(ctx.db, c.req.query('realm'), '?realm=ID');
  const actor = (c: Ctx) => `user:${c.get('user').email}`;

  api.get('/', requireRole('viewer'), async (c) => {
    // A read: while disconnected, the company last connected here (skips still need a connected one).
    const realmId = await resolveReadRealm(ctx.db, c.req.query('realm'), '?realm=ID');
    const settings = await getSettings(ctx.db, realmId, ctx.clock);
    return c.json({ realmId, skipped: await listSkipped(ctx.db, realmId, { exportFrom: settings.general.exportFrom }) });
  });

  api.post('/', requireRole('bookkeeper'), async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw refusal('request.invalid-json', { example: '{"kind": "invoice", "id": "INV-1"}' }, 'body');
    }
    const b = (body ?? {}) as { kind?: unknown; id?: unknown; date?: unknown; refs?: unknown };
    let refs: RecordRef[];
    if (Array.isArray(b.refs)) {
      refs = b.refs.map((r: unknown) => {
        const x = (r ?? {}) as { kind?: unknown; id?: unknown; date?: unknown };
        return parseRef(x.kind, x.id, x.date);
      });
    } else {
      refs = [parseRef(b.kind, b.id, b.date)];
    }
    const realmId = await realm(c);
    const added = await skipMany(ctx.db, { realmId, refs, actor: actor(c), clock: ctx.clock });
    return c.json({ realmId, skipped: added });
  });

  api.delete('/:kind/:id', requireRole('bookkeeper'), async (c) => {
    const realmId = await realm(c);
    const { kind, id } = c.req.param();
    await unskip(ctx.db, { realmId, kind, id, actor: actor(c), clock: ctx.clock });
    return c.json({ realmId, restored: { kind, id } });
  });

  return api;
}
