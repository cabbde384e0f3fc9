/**
 * The preview over the JSON API: `GET /` builds the plan now (QBO asked in bulk) and answers it as
 * JSON; `POST /skip` with `{ "row": "invoices:INV-1042" }` skips a row with its linked rows (an
 * invoice takes its payments). The company is `?realm=ID`, or the single connected one.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { AppContext } from '../../context.js';
import { qboRefusal } from '../../connect/reasons.js';
import { buildPlan, skipWithLinked } from '../../connect/plan/index.js';
import { qboClientFor } from '../../connect/connection/qbo-client.js';
import { resolveRealm } from '../../connect/realm.js';
import { apiTokenAuth, requireRole, type AuthEnv } from '../auth/api-token.js';
import { refusal } from '../reasons.js';

type Ctx = Context<AuthEnv>;

const skipBody = z.object({ row: z.string().min(1).max(300) }).strict();

export function previewApi(ctx: AppContext): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', apiTokenAuth(ctx));
  const realm = (c: Ctx) => resolveRealm(ctx.db, c.req.query('realm'), '?realm=ID');
  const actor = (c: Ctx) => `user:${c.get('user').email}`;
  // A GET never writes, whoever asks: the settings pre-fill happens on connecting or when asked for (issue 19).
  // QBO could not be asked (not connected, unreachable, refused): a 502 refusal whose message never carries a token.
  const plan = async (realmId: string, who: string) => {
    try {
      return await buildPlan({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, qbo: qboClientFor(ctx, realmId) }, realmId, { actor: who, prefill: false });
    } catch (err) {
      throw qboRefusal(err, 'the preview') ?? err;
    }
  };

  api.get('/', requireRole('viewer'), async (c) => {
    const realmId = await realm(c);
    return c.json(await plan(realmId, actor(c)));
  });

  api.post('/skip', requireRole('bookkeeper'), async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw refusal('request.invalid-json', { example: '{"row": "invoices:INV-1042"}' }, 'body');
    }
    const parsed = skipBody.safeParse(body);
    if (!parsed.success) throw refusal('request.invalid-body', { field: 'row', problem: 'give the row key from the preview, e.g. invoices:INV-1042.' }, 'row');
    const realmId = await realm(c);
    const current = await plan(realmId, actor(c));
    const skipped = await skipWithLinked(ctx.db, { realmId, plan: current, row: parsed.data.row, actor: actor(c), clock: ctx.clock });
    return c.json({ realmId, skipped });
  });

  return api;
}
