/**
 * The reconciliation report over the JSON API: `GET /?from=YYYY-MM-DD&to=YYYY-MM-DD` reads both books
 * now (QBO asked in bulk, the request count in the answer) and answers the report;
 * `GET /?format=csv` answers it as CSV. The company is `?realm=ID`, or the single connected one.
 */
import { Hono } from 'hono';
import type { AppContext } from '../../context.js';
import { qboRefusal } from '../../connect/reasons.js';
import { qboClientFor } from '../../connect/connection/qbo-client.js';
import { reconcile, reportCsv } from '../../connect/reconcile/index.js';
import { apiTokenAuth, requireRole, type AuthEnv } from '../auth/api-token.js';
import { refusal } from '../reasons.js';
import { resolveKnownRealm } from './known-realm.js';

export function reconciliationApi(ctx: AppContext): Hono<AuthEnv> {
  const api = new Hono<AuthEnv>();
  api.use('*', apiTokenAuth(ctx));
  api.get('/', requireRole('viewer'), async (c) => {
    const format = c.req.query('format') ?? 'json';
    if (format !== 'json' && format !== 'csv') throw refusal('request.invalid-query', { field: 'format', colon: true, problem: 'give format=json or format=csv.' }, 'format');
    // A realm never connected here is a 404 naming it, not a 502 from asking QBO about it.
    const realmId = await resolveKnownRealm(ctx.db, c.req.query('realm'), '?realm=ID');
    let report;
    try {
      report = await reconcile({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, qbo: qboClientFor(ctx, realmId) }, realmId, {
        from: c.req.query('from'),
        to: c.req.query('to'),
      });
    } catch (err) {
      throw qboRefusal(err, 'the reconciliation report') ?? err;
    }
    if (format === 'csv') {
      return c.body(reportCsv(report), 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="reconciliation-${report.from}-${report.to}.csv"`,
      });
    }
    return c.json(report);
  });
  return api;
}
