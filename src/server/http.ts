/**
 * The HTTP app: pages, the JSON API and the health checks (health.ts), behind security headers. Parts add their
 * routes here; handlers stay thin and call `connect` / `practice`.
 */
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { bodyLimit } from 'hono/body-limit';
import type { Context, Next } from 'hono';
import type { Logger } from '../log.js';
import { isUserFacing, UserFacingError } from '../user-facing-error.js';
import { VaultError } from '../connect/connection/crypto.js';
import type { AppContext } from '../context.js';
import { practiceApi } from './api/practice.js';
import { settingsApi } from './api/settings.js';
import { companyApi } from './api/company.js';
import { notificationsApi } from './api/notifications.js';
import { scheduleApi } from './api/schedule.js';
import { skippedApi } from './api/skipped.js';
import { heldApi } from './api/held.js';
import { previewApi } from './api/preview.js';
import { reconciliationApi } from './api/reconciliation.js';
import { historyApi, syncApi } from './api/sync.js';
import { undoApi } from './api/undo.js';
import { mountWeb, type WebOptions } from './web/index.js';
import { notFoundPage, Notice, renderPage } from './web/layout.js';
import { connectionApi } from './api/connection.js';
import { endpointsFor } from '../connect/connection/connection.js';
import { hostCheck } from './web/host.js';
import { accessLog } from './access-log.js';
import { isAppMetrics, metricsApi } from './metrics.js';
import { mountHealth, refuseChangesWhileDraining } from './health.js';
import { webhooksApi } from './webhooks.js';
import { practiceScope } from './practice-scope.js';
import { firmApi } from './api/firm.js';

const FORM_LIMIT = 1024 * 1024;
const RECORD_LIMIT = 5 * 1024 * 1024;
/** The one route that takes a large body, and sets its own limit after authentication. */
export const IMPORT_PATH = '/api/v1/practice/import';

export function createHttpApp(ctx: AppContext, web: WebOptions = {}): Hono {
  const app = new Hono();

  // First, so every answer (a refused host, a 413, a 500) has a request id and an access-log line.
  app.use('*', accessLog(ctx.logger));
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        // The Connect form redirects to QuickBooks' authorize page; browsers apply form-action to that redirect.
        formAction: ["'self'", new URL(endpointsFor(ctx.config).authorizeUrl).origin],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
      },
      referrerPolicy: 'same-origin',
      xFrameOptions: 'DENY',
      // ASVS 3.4.1 asks for at least a year (Hono's default is 180 days); browsers ignore it over http.
      strictTransportSecurity: 'max-age=31536000; includeSubDomains',
    }),
  );
  // JSON answers (the API) carry ledger and company data: no browser or proxy keeps a copy (ASVS 14.3.2).
  app.use('*', async (c, next) => {
    await next();
    if ((c.res.headers.get('content-type') ?? '').includes('application/json') && !c.res.headers.has('cache-control')) c.header('Cache-Control', 'no-store');
  });

  // /healthz and /readyz answer a probe by any address (before the Host check), with no session.
  mountHealth(app, ctx);
  // Prometheus, also before the Host check (a scraper asks by address): only with a token to check
  // (QBO_CONNECT_METRICS_TOKEN, so a rebinding page cannot read it) and an app that counts (startApp).
  if (ctx.config.metricsToken && isAppMetrics(ctx.metrics)) app.route('/metrics', metricsApi(ctx, ctx.metrics, ctx.config.metricsToken));
  else app.get('/metrics', (c) => c.text('Metrics are off: set QBO_CONNECT_METRICS_TOKEN to serve them.\n', 404));

  // Only requests for this product's own host name are answered: a page on another site that makes
  // its name resolve to this server (DNS rebinding) arrives with its own Host and is refused here.
  app.use('*', hostCheck(ctx.config));

  // Every request body has a ceiling, checked before anything reads it: 1 MB for forms and JSON,
  // 5 MB for one practice record. The import route alone may take more (200 MB of JSON), and only
  // after it has checked who is asking (src/server/api/practice.ts), so no anonymous request can
  // make the server hold more than a few MB.
  const tooLarge = (what: string) => (c: Context) =>
    c.req.path.startsWith('/api/')
      ? c.json({ error: { code: 'request.too-large', message: `The request body is over ${what}, so it was refused and nothing was changed.`, field: 'body' } }, 413)
      : renderPage(c as never, { title: 'Too large', bare: true, status: 413, body: `What you sent is over ${what}, so it was refused and nothing was changed.` });
  const formLimit = bodyLimit({ maxSize: FORM_LIMIT, onError: tooLarge('1 MB') });
  const recordLimit = bodyLimit({ maxSize: RECORD_LIMIT, onError: tooLarge('5 MB') });
  app.use('*', (c: Context, next: Next) => {
    const p = c.req.path;
    if (p === IMPORT_PATH && c.req.method === 'POST' && /^application\/json\b/i.test(c.req.header('content-type') ?? '')) return next();
    return p.startsWith('/api/v1/practice/') ? recordLimit(c, next) : formLimit(c, next);
  });

  // A process that is shutting down takes no new work (connect/run/drain.ts).
  app.use('*', refuseChangesWhileDraining(ctx));
  // QBO's change notifications: before sessions, CSRF and sign-in, which Intuit has none of; the
  // intuit-signature over the raw body is their authentication (server/webhooks.ts).
  app.route('/webhooks', webhooksApi(ctx));
  // Which practice each request acts on (server/practice-scope.ts), before every page and API route.
  app.use('*', practiceScope());
  // Pages, sessions, CSRF and sign-in; before the API so API routes see the session user.
  const webDeps = mountWeb(app, ctx, web);
  app.route('/api/v1/connection', connectionApi(ctx, webDeps.connection));
  app.route('/api/v1/practice', practiceApi(ctx));
  app.route('/api/v1/settings', settingsApi(ctx));
  app.route('/api/v1/company', companyApi(ctx));
  app.route('/api/v1/notifications', notificationsApi(ctx));
  app.route('/api/v1/schedule', scheduleApi(ctx));
  app.route('/api/v1/skipped', skippedApi(ctx));
  app.route('/api/v1/held', heldApi(ctx));
  app.route('/api/v1/preview', previewApi(ctx));
  app.route('/api/v1/reconciliation', reconciliationApi(ctx));
  app.route('/api/v1/sync', syncApi(ctx));
  app.route('/api/v1/history', historyApi(ctx));
  app.route('/api/v1/undo', undoApi(ctx));
  app.route('/api/v1/firm', firmApi(ctx));

  app.notFound((c) =>
    !c.req.path.startsWith('/api/') && (c.req.header('accept') ?? '').includes('text/html')
      ? notFoundPage(c as never)
      : c.json({ error: { code: 'not-found', message: `Nothing at ${c.req.path}.` } }, 404),
  );
  app.onError(onError(ctx.logger));
  return app;
}

const wantsPage = (c: Context) => !c.req.path.startsWith('/api/') && (c.req.header('accept') ?? '').includes('text/html');

/**
 * The one answer to an error that leaves any API route or page. A refusal (`UserFacingError`, from
 * any part's reasons module) answers `{ error: { code, message, field } }` with its own status, or a
 * page with its sentence; routers do not map errors themselves. Anything else is a bug: logged,
 * answered 500, never a stack trace.
 */
export function onError(logger: Logger) {
  return (thrown: Error, c: Context): Response | Promise<Response> => {
    // A stored token the key cannot open is the operator's to fix (restart after a key change), not a bug: never a 500 (issue 17).
    const err = thrown instanceof VaultError ? new UserFacingError('connection.key-changed', `${thrown.message}.`, { status: 503 }) : thrown;
    if (isUserFacing(err)) {
      if (wantsPage(c)) return renderPage(c as never, { title: 'Not done', status: err.status, body: Notice({ kind: 'error', children: err.message }) });
      return c.json({ error: err.body() }, err.status);
    }
    logger.error({ err, path: c.req.path }, 'request failed');
    const message = 'Something went wrong on our side; the log has the details.';
    if (wantsPage(c)) {
      return renderPage(c as never, {
        title: 'Something went wrong',
        bare: true,
        status: 500,
        body: `${message} Go back and try again; if it happens again, tell your administrator.`,
      });
    }
    return c.json({ error: { code: 'internal', message } }, 500);
  };
}
