/**
 * CSRF protection for every state-changing request, two layers:
 * 1. Hono's `csrf` origin check (Origin / Sec-Fetch-Site must be this product) for form posts;
 * 2. a token: the session's CSRF token (or, before sign-in, the pre-session cookie's value) must come
 *    back in the `_csrf` form field or the `X-CSRF-Token` header (htmx sends it via `hx-headers`).
 * Bearer-token API calls without a session cookie carry no ambient authority, so layer 2 skips them.
 */
import type { Context } from 'hono';
import crypto from 'node:crypto';
import { createMiddleware } from 'hono/factory';
import { csrf } from 'hono/csrf';
import { HTTPException } from 'hono/http-exception';
import type { WebDeps, WebEnv } from './env.js';
import { forbiddenPage } from './layout.js';

const SAFE = /^(GET|HEAD|OPTIONS)$/;

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

async function tokenFrom(c: Context): Promise<string | undefined> {
  const header = c.req.header('x-csrf-token');
  if (header) return header;
  const type = c.req.header('content-type') ?? '';
  if (/^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(type)) {
    const body = await c.req.parseBody(); // Hono caches the parsed body for the handler.
    const v = body['_csrf'];
    return typeof v === 'string' ? v : undefined;
  }
  return undefined;
}

export function csrfProtection(deps: WebDeps) {
  const publicOrigin = new URL(deps.ctx.config.publicUrl).origin;
  // Only the configured public origin: the request's own Host is the attacker's to choose (DNS rebinding).
  const originCheck = csrf({ origin: (origin) => origin === publicOrigin });
  return createMiddleware<WebEnv>(async (c, next) => {
    if (SAFE.test(c.req.method)) return next();
    // A script calling the API with its token (no session cookie) and no Content-Type: a browser
    // would also be refused, but the script deserves to be told which header is missing.
    const isApiCall = c.req.path.startsWith('/api/');
    if (isApiCall && !c.get('session') && c.req.header('authorization') && !c.req.header('content-type')) {
      return c.json(
        {
          error: {
            code: 'request.content-type',
            message: 'The request has no Content-Type header: send "Content-Type: application/json" (with a JSON body, or {} when there is none).',
            field: 'Content-Type',
          },
        },
        415,
      );
    }
    let passed = false;
    try {
      await originCheck(c, async () => {
        passed = true;
      });
    } catch (err) {
      if (!(err instanceof HTTPException)) throw err;
    }
    if (!passed) return forbiddenPage(c, 'This form was sent from another site, so it was refused. Open QBO Connect and try again.');

    const hasSession = !!c.get('session');
    const isApi = c.req.path.startsWith('/api/');
    if (isApi && !hasSession) return next();
    const expected = c.get('csrfToken');
    const given = await tokenFrom(c);
    if (!expected || !given || !same(expected, given)) {
      return forbiddenPage(c, 'The form had expired or was not sent by QBO Connect, so nothing was changed. Reload the page and try again.');
    }
    return next();
  });
}
