/**
 * The company JSON API (issue 15, "Companies"): `GET /offices` (which offices' documents the company
 * takes: `offices` null for the whole ledger, a list of office codes, or [] for none; with the
 * practice's office codes) and `PUT /offices` with `{ "offices": ["SYD", "MEL"] | null | [] }`
 * (administrators; audited under the signed-in user as `company.offices`). The company is `?realm=ID`,
 * or the single connected one, else the one last connected here; a company of another practice is
 * unknown (404). Errors: `{ error: { code, message, field } }` naming `offices` and the unknown code.
 */
import { Hono, type Context } from 'hono';
import type { AppContext } from '../../context.js';
import { describeOffices, getCompanyScope, practiceOfficeCodes, setCompanyOffices } from '../../connect/company-scope.js';
import { resolveReadRealm } from '../../connect/realm.js';
import { refusal as connectRefusal } from '../../connect/reasons.js';
import { refusal } from '../reasons.js';
import { practiceOf } from '../practice-scope.js';
import { resolveKnownRealm } from './known-realm.js';
import { apiTokenAuth, requireRole, type AuthEnv } from '../auth/api-token.js';

type Ctx = Context<AuthEnv>;

export function companyApi(ctx: AppContext): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', apiTokenAuth(ctx));

  /** The company, refused as unknown unless it belongs to the request's practice. */
  const company = async (c: Ctx) => {
    const realmId = await resolveKnownRealm(ctx.db, c.req.query('realm') ?? (await resolveReadRealm(ctx.db, undefined, '?realm=ID')), '?realm=ID');
    const scope = await getCompanyScope(ctx.db, realmId);
    if (scope.practiceId !== practiceOf(c)) throw connectRefusal('realm.unknown', { value: realmId, how: '?realm=ID' }, 'realm');
    return scope;
  };

  api.get('/offices', requireRole('viewer'), async (c) => {
    const s = await company(c);
    return c.json({ ...s, described: describeOffices(s.offices), practiceOffices: (await practiceOfficeCodes(ctx.db, s.practiceId)).sort() });
  });

  // Which documents reach which books: like settings, only administrators change it.
  api.put('/offices', requireRole('administrator'), async (c) => {
    const bad = () =>
      refusal(
        'request.invalid-body',
        { field: 'offices', problem: 'send {"offices": ["SYD", "MEL"]}, {"offices": null} for the whole ledger, or {"offices": []} for none' },
        'offices',
      );
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw bad();
    }
    if (body === null || typeof body !== 'object' || !Object.hasOwn(body, 'offices')) throw bad();
    const s = await company(c);
    const r = await setCompanyOffices(ctx.db, {
      realmId: s.realmId,
      offices: (body as { offices: string[] | null }).offices,
      actor: `user:${c.get('user').email}`,
      clock: ctx.clock,
    });
    return c.json({ ...r, described: describeOffices(r.newValue) });
  });

  return api;
}
