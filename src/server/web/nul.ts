/**
 * A NUL character cannot be stored in PostgreSQL text at all, and no name or number holds one:
 * refuse it in the path, the query and form fields, once, naming where it was. Mounted after the
 * session and CSRF checks, so an anonymous request's form body is never read here before them.
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { renderPage } from './layout.js';

export function refuseNulInForms() {
  return createMiddleware(async (c: Context, next) => {
    let field: string | undefined;
    const url = new URL(c.req.url);
    if (/%00/.test(url.pathname)) field = 'path';
    for (const [k, v] of url.searchParams) if (!field && (k.includes('\u0000') || v.includes('\u0000'))) field = k.replaceAll('\u0000', '');
    if (!field && /^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(c.req.header('content-type') ?? '')) {
      const form = await c.req.parseBody({ all: true }); // cached for the handler
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
}
