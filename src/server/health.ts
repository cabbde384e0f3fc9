/**
 * Health for load balancers, supervisors and container checks (issue 17), open without a session or
 * token and before the Host check (a probe asks by the machine's address, not the public name):
 * - `GET /healthz`: alive — the process answers; it touches nothing else (no database).
 * - `GET /readyz`: ready for traffic — the database answers a real query, every migration this
 *   release knows has run, and the process is not shutting down. 503 otherwise, the body naming
 *   what is not ready; never a secret (no URL, no token).
 * And, while the process drains, every change (POST, PUT, PATCH, DELETE: a sync, an import, a form)
 * is refused with 503 and the reason, so nothing new starts in a process that is stopping.
 */
import type { Context, Hono, Next } from 'hono';
import type { AppContext } from '../context.js';
import { databaseReadiness } from '../store/readiness.js';

/** Seconds a client is told to wait before trying again while this process drains (another instance, or this one restarted). */
const RETRY_AFTER_SECONDS = '30';

export function mountHealth(app: Hono, ctx: AppContext): void {
  app.get('/healthz', (c) => c.json({ status: 'ok', version: ctx.version, database: ctx.dialect }));

  app.get('/readyz', async (c) => {
    const database = await databaseReadiness(ctx.db);
    const draining = ctx.drain?.state;
    const problems = [...(database.problem ? [database.problem] : []), ...(draining ? [`shutting down (${draining.signal} at ${draining.since})`] : [])];
    const ready = problems.length === 0;
    if (!ready) c.header('Retry-After', RETRY_AFTER_SECONDS);
    return c.json(
      {
        status: ready ? 'ready' : 'not-ready',
        version: ctx.version,
        database: {
          dialect: ctx.dialect,
          reachable: database.reachable,
          migrationsCurrent: database.reachable && database.pending.length === 0,
          pending: database.pending,
          newer: database.newer,
        },
        draining: draining ?? false,
        problems,
      },
      ready ? 200 : 503,
    );
  });
}

/** While draining, a change is refused (503, `run.draining`) before any route sees it; reads go on. */
export function refuseChangesWhileDraining(ctx: AppContext) {
  return async (c: Context, next: Next) => {
    if (ctx.drain?.draining && !['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)) {
      c.header('Retry-After', RETRY_AFTER_SECONDS);
      ctx.drain.refuseIfDraining();
    }
    return next();
  };
}
