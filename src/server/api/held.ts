/**
 * Held records over the JSON API: `GET /` lists every held record (fields side by side, the actions
 * offered) and the recent actions; `POST /actions` takes one: `{ "action": "keep-qbo" | "send-ours" |
 * "relink" | "skip", "kind": "invoice", "id": "INV-1042", "qboId"?: "130", "syncToken"?: "3" }` (syncToken: QBO's as
 * listed, required for keep-qbo and send-ours, refused with 409 when QBO changed since); `POST /actions/{id}/undo`
 * undoes one until the next sync. The company is `?realm=ID`, or the single connected one.
 */
import { Hono, type Context } from 'hono';
import type { AppContext } from '../../context.js';
import { qboRefusal } from '../../connect/reasons.js';
import { qboClientFor } from '../../connect/connection/qbo-client.js';
import { resolveRealm } from '../../connect/realm.js';
import { actOnHeld, listHeld, undoHeldAction, type HeldDeps } from '../../connect/held/index.js';
import { apiTokenAuth, requireRole, type AuthEnv } from '../auth/api-token.js';
import { refusal } from '../reasons.js';

type Ctx = Context<AuthEnv>;

/** The fields of `POST /actions`: syncToken is QBO's SyncToken as the listing showed it (keep-qbo, send-ours). */
const actionFields = ['action', 'kind', 'id', 'qboId', 'syncToken'] as const;

export function heldApi(ctx: AppContext): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', apiTokenAuth(ctx));
  const realm = (c: Ctx) => resolveRealm(ctx.db, c.req.query('realm'), '?realm=ID');
  const actor = (c: Ctx) => `user:${c.get('user').email}`;
  const deps = (realmId: string): HeldDeps => ({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, client: qboClientFor(ctx, realmId) });
  // QBO could not be asked (not connected, unreachable, refused): a 502 refusal that never carries a token.
  const asking = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      throw qboRefusal(err, what) ?? err;
    }
  };
  const jsonBody = async (c: Ctx, example: string): Promise<Record<string, unknown>> => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw refusal('request.invalid-json', { example }, 'body');
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw refusal('request.invalid-body', { field: 'body', problem: `send an object, e.g. ${example}` }, 'body');
    return body as Record<string, unknown>;
  };

  api.get('/', requireRole('viewer'), async (c) => {
    const realmId = await realm(c);
    return c.json(await asking('the held records', () => listHeld(deps(realmId), realmId, actor(c))));
  });

  api.post('/actions', requireRole('bookkeeper'), async (c) => {
    const b = await jsonBody(c, '{"action": "keep-qbo", "kind": "invoice", "id": "INV-1042", "syncToken": "3"}');
    // As every body here (the preview's skip is a strict schema): a field we do not know is refused, not ignored.
    const unknown = Object.keys(b).find((k) => !(actionFields as readonly string[]).includes(k));
    if (unknown !== undefined) throw refusal('request.invalid-body', { field: unknown, problem: `not a field of a held-record action; give ${actionFields.join(', ')}.` }, unknown);
    const realmId = await realm(c);
    const result = await asking('the held record', () =>
      actOnHeld(deps(realmId), { realmId, kind: b['kind'], id: b['id'], action: b['action'], qboId: b['qboId'], syncToken: b['syncToken'], actor: actor(c) }),
    );
    return c.json({ realmId, ...result });
  });

  api.post('/actions/:id/undo', requireRole('bookkeeper'), async (c) => {
    const realmId = await realm(c);
    const result = await asking('the undo', () => undoHeldAction(deps(realmId), { realmId, actionId: c.req.param('id'), actor: actor(c) }));
    return c.json({ realmId, ...result });
  });

  return api;
}
