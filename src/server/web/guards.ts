/**
 * Who may open what. `setupGate`: until the first administrator exists every page leads to /setup.
 * `signedIn`: page requests without a session go to /signin (with the page to return to).
 * `pageRole(min)`: below the role → 403 page naming the role needed.
 */
import { createMiddleware } from 'hono/factory';
import type { Role } from '../../accounts/users.js';
import { countUsers } from '../../accounts/users.js';
import { roleAtLeast, type WebDeps, type WebEnv } from './env.js';
import { forbiddenPage } from './layout.js';
import { currentUser } from './session.js';
import { requestedPath } from '../practice-scope.js';

/** Paths open without a session. */
const PUBLIC = [/^\/static\//, /^\/healthz$/, /^\/setup$/, /^\/signin$/, /^\/api\//, /^\/connect\/callback$/];

export function setupGate(deps: WebDeps) {
  // Once a user exists there is no way back to zero users through the app (the last administrator
  // cannot be disabled), so the answer is remembered and the count is not asked on every request.
  let hasUsers = false;
  return createMiddleware<WebEnv>(async (c, next) => {
    if (!hasUsers) hasUsers = (await countUsers(deps.ctx.db)) > 0;
    const p = c.req.path;
    // The OAuth callback passes too: `qbo-connect connect` may run before anyone has set up the web app.
    if (!hasUsers && p !== '/setup' && p !== '/connect/callback' && !p.startsWith('/static/') && p !== '/healthz' && !p.startsWith('/api/')) {
      return c.redirect('/setup', 303);
    }
    if (hasUsers && p === '/setup') return c.redirect('/', 303);
    return next();
  });
}

/**
 * A local path to come back to after sign-in; anything else becomes `/`. The value is resolved the
 * way a browser would (WHATWG URL: tabs and newlines dropped, `\\` read as `/`) against the public
 * URL, and only a result on the same origin is kept — so `/%09/evil.example`, which a browser turns
 * into `//evil.example`, stays home, and a newline can never reach the Location header.
 */
export function safeNext(next: string | undefined, publicUrl: string): string {
  if (!next || !next.startsWith('/') || next.length > 500) return '/';
  const base = new URL(publicUrl);
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    return '/';
  }
  if (url.origin !== base.origin) return '/';
  const local = url.pathname + url.search + url.hash;
  return local.startsWith('//') ? '/' : local;
}

export function signedIn() {
  return createMiddleware<WebEnv>(async (c, next) => {
    if (currentUser(c) || PUBLIC.some((r) => r.test(c.req.path))) return next();
    if (c.req.method === 'GET' || c.req.method === 'HEAD') {
      // The path as asked for, practice prefix included (c.req.path is the route's, without it).
      const back = requestedPath(c) + (new URL(c.req.url).search || '');
      return c.redirect(back === '/' ? '/signin' : `/signin?next=${encodeURIComponent(back)}`, 303);
    }
    // A form posted after the session ended: send the person to sign in rather than a bare error.
    if (c.req.header('hx-request')) {
      c.header('HX-Redirect', '/signin');
      return c.body(null, 401);
    }
    return c.redirect('/signin', 303);
  });
}

export function pageRole(min: Role) {
  return createMiddleware<WebEnv>(async (c, next) => {
    const user = currentUser(c);
    if (!roleAtLeast(user, min)) {
      return forbiddenPage(c, `This needs the ${min} role; you are signed in as ${user ? `a ${user.role}` : 'nobody'}. Ask an administrator if you need it.`);
    }
    return next();
  });
}
