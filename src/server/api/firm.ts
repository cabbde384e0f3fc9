/**
 * The firm overview over the JSON API (issue 15): `GET /api/v1/firm?sort=errors&dir=desc` answers the
 * rows the Firm page shows (connect/overview), read from what is stored: no QBO request.
 */
import { Hono } from 'hono';
import type { AppContext } from '../../context.js';
import { firmOverview, overviewSorts, sortOverview, type OverviewSort } from '../../connect/overview/index.js';
import { apiTokenAuth, requireRole, type AuthEnv } from '../auth/api-token.js';
import { refusal } from '../reasons.js';

export function firmApi(ctx: AppContext): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', apiTokenAuth(ctx));
  api.get('/', requireRole('administrator'), async (c) => {
    const sort = c.req.query('sort') ?? 'attention';
    if (!(overviewSorts as readonly string[]).includes(sort))
      throw refusal('request.invalid-query', { field: 'sort', colon: true, problem: `not an order; use one of ${overviewSorts.join(', ')}.` }, 'sort');
    const rows = sortOverview(await firmOverview(ctx.db), sort as OverviewSort, ctx.clock(), c.req.query('dir') === 'desc');
    return c.json({ companies: rows });
  });
  return api;
}
