/**
 * Who may drive /control over HTTP (issue 12 §5). The surface resets and dumps companies, so a web
 * page must not be able to reach it: the Host must be a loopback name (a DNS-rebinding page arrives
 * with its own name), an Origin, when a browser sends one, must be the emulator's own, and a write
 * must be `application/json` (a cross-site form cannot send that without a CORS preflight, which
 * is never granted) and carry the random control token printed at start (`X-Control-Token`).
 */
import crypto from 'node:crypto';
import type { Context, Next } from 'hono';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export function controlGuard(token: string) {
  const want = Buffer.from(token);
  return async (c: Context, next: Next) => {
    const url = new URL(c.req.url);
    if (!LOOPBACK.has(url.hostname)) return c.json({ error: { message: 'the control surface answers on a loopback host name only (127.0.0.1, localhost, [::1])' } }, 421);
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== url.origin) return c.json({ error: { message: 'the control surface refuses requests from web pages of other origins' } }, 403);
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    if (!/^application\/json\b/i.test(c.req.header('content-type') ?? ''))
      return c.json({ error: { message: 'control writes must be sent as Content-Type: application/json' } }, 415);
    const given = Buffer.from(c.req.header('x-control-token') ?? '');
    if (given.length !== want.length || !crypto.timingSafeEqual(given, want)) {
      return c.json({ error: { message: 'control writes need the X-Control-Token header: the token the emulator printed when it started' } }, 401);
    }
    return next();
  };
}

export function newControlToken(): string {
  return crypto.randomBytes(24).toString('base64url');
}
