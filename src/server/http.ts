/**
 * The HTTP app: pages, the JSON API and the health check, behind security headers. Parts add their
 * routes here; handlers stay thin and call `connect` / `practice`.
 */
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { bodyLimit } from 'hono/body-limit';
import type { Context, Next } from 'hono';
import type { AppContext } from '../app.js';
import { practiceApi } from './api/practice.js';
import { settingsApi } from './api/settings.js';
import { skippedApi } from './api/skipped.js';
import { previewApi } from './api/preview.js';
import { historyApi, syncApi } from './api/sync.js';
import { mountWeb, type WebOptions } from './web/index.js';
import { notFoundPage, renderPage } from './web/layout.js';
import { connectionApi } from './api/connection.js';
import { endpointsFor } from '../connect/connection.js';

export function createHttpApp(ctx: AppContext, web: WebOptions = {}): Hono {
  const app = new Hono();

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

  // Every request body has a ceiling, checked before anything reads it (CSRF parses forms early):
  // 1 MB for forms and JSON, 200 MB for import documents. The practice API sets its own per-route limits.
  const tooLarge = (what: string) => (c: Context) =>
    c.req.path.startsWith('/api/')
      ? c.json({ error: { code: 'request.too-large', message: `The request body is over ${what}, so it was refused and nothing was changed.`, field: 'body' } }, 413)
      : renderPage(c as never, { title: 'Too large', bare: true, status: 413, body: `What you sent is over ${what}, so it was refused and nothing was changed.` });
  const formLimit = bodyLimit({ maxSize: 1024 * 1024, onError: tooLarge('1 MB') });
  const importLimit = bodyLimit({ maxSize: 200 * 1024 * 1024, onError: tooLarge('200 MB') });
  app.use('*', (c: Context, next: Next) =>
    c.req.path.startsWith('/api/v1/practice/') ? next() : c.req.path.endsWith('/import') ? importLimit(c, next) : formLimit(c, next),
  );

  // A NUL character cannot be stored in PostgreSQL text at all, and no name or number holds one:
  // refuse it in the path, the query and form fields here, once, naming where it was.
  app.use('*', async (c, next) => {
    let field: string | undefined;
    const url = new URL(c.req.url);
    if (/%00/.test(url.pathname)) field = 'path';
    for (const [k, v] of url.searchParams) if (!field && (k.includes('\u0000') || v.includes('\u0000'))) field = k.replaceAll('\u0000', '');
    if (!field && /^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(c.req.header('content-type') ?? '')) {
      const form = await c.req.parseBody({ all: true }); // cached for CSRF and the handler
      for (const [k, v] of Object.entries(form)) {
        const values = Array.isArray(v) ? v : [v];
        if (!field && (k.includes('\u0000') || values.some((x) => typeof x === 'string' && x.includes('\u0000')))) field = k.replaceAll('\u0000', '');
      }
    }
    if (field === undefined) return next();
    const message = `${field || 'a field'} contains a NUL character (\\u0000), which nothing here can hold: remove it and send again.`;
    return c.req.path.startsWith('/api/')
      ? c.json({ error: { code: 'request.invalid-character', message, field: field || 'query' } }, 400)
      : renderPage(c as never, { title: 'Not accepted', bare: true, status: 400, body: message });
  });

  app.get('/healthz', (c) => c.json({ status: 'ok', version: ctx.version, database: ctx.dialect }));
  // Pages, sessions, CSRF and sign-in; before the API so API routes see the session user.
  const webDeps = mountWeb(app, ctx, web);
  app.route('/api/v1/connection', connectionApi(ctx, webDeps.connection));
  app.route('/api/v1/practice', practiceApi(ctx));
  app.route('/api/v1/settings', settingsApi(ctx));
  app.route('/api/v1/skipped', skippedApi(ctx));
  app.route('/api/v1/preview', previewApi(ctx));
  app.route('/api/v1/sync', syncApi(ctx));
  app.route('/api/v1/history', historyApi(ctx));

  app.notFound((c) =>
    !c.req.path.startsWith('/api/') && (c.req.header('accept') ?? '').includes('text/html')
      ? notFoundPage(c as never)
      : c.json({ error: { code: 'not-found', message: `Nothing at ${c.req.path}.` } }, 404));
  app.onError((err, c) => {
    // Never a stack trace to the client; the log has the detail.
    ctx.logger.error({ err, path: c.req.path }, 'request failed');
    return c.json({ error: { code: 'internal', message: 'Something went wrong on our side; the log has the details.' } }, 500);
  });
  return app;
}
