/**
 * The schedule JSON API (connect/schedule): `GET /` (the company's schedule, its next occurrence and
 * how the last one ended), `PUT /` with `{ kind?, at?, minute?, timeZone?, onErrors? }` or the shape GET
 * returns, `{ schedule: { kind, at | minute }, timeZone, onErrors }` (fields not given keep their value;
 * JSON types and untrimmed values are refused: connect/schedule/model.ts scheduleJsonInput; audited
 * under the signed-in user). The company is `?realm=ID`, or the single
 * connected one, else the one last connected here. Errors: `{ error: { code, message, field } }` naming the field (`schedule.at`, …).
 */
import { Hono, type Context } from 'hono';
import type { AppContext } from '../../context.js';
import { resolveKnownRealm } from './known-realm.js';
import { resolveReadRealm } from '../../connect/realm.js';
import { refusal } from '../reasons.js';
import { describeSchedule, scheduleJsonInput } from '../../connect/schedule/model.js';
import { getSchedule, setSchedule } from '../../connect/schedule/store.js';
import { apiTokenAuth, requireRole, type AuthEnv } from '../auth/api-token.js';

type Ctx = Context<AuthEnv>;

export function scheduleApi(ctx: AppContext): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', apiTokenAuth(ctx));
  // While no company is connected, the one last connected here (as history reads do): a disconnected
  // company's schedule stays readable, and an administrator can still turn it off.
  const realm = async (c: Ctx) => resolveKnownRealm(ctx.db, c.req.query('realm') ?? (await resolveReadRealm(ctx.db, undefined, '?realm=ID')), '?realm=ID');

  api.get('/', requireRole('viewer'), async (c) => {
    const s = await getSchedule(ctx.db, await realm(c));
    return c.json({ ...s, described: describeSchedule(s) });
  });

  // A schedule sends to the books unattended: like settings, only administrators change it.
  api.put('/', requireRole('administrator'), async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw refusal('request.invalid-json', { setting: 'schedule' }, 'schedule');
    }
    const realmId = await realm(c);
    const r = await setSchedule(ctx.db, { realmId, input: scheduleJsonInput(body, realmId), actor: `user:${c.get('user').email}`, clock: ctx.clock });
    return c.json({ ...r.schedule, described: describeSchedule(r.schedule), changes: r.changes });
  });

  return api;
}
