/**
 * Browser sessions on the HTTP side: `sessionMiddleware` reads the session cookie and sets
 * `user`, `session` and `csrfToken`; `startSession` / `closeSession` rotate and clear it.
 * The cookie is HttpOnly (no script reads it), SameSite=Lax (sent on top-level navigation, so the
 * OAuth callback from QuickBooks arrives signed in, but not on cross-site form posts) and Secure
 * under HTTPS.
 */
import crypto from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createSession, endSession, pruneSessions, sessionFromCookie, SESSION_MAX_MS } from '../../accounts/sessions.js';
import type { User } from '../../accounts/users.js';
import type { WebDeps, WebEnv } from './env.js';
import { clientAddress } from './client-address.js';

export const SESSION_COOKIE = 'qbc_session';
/** Double-submit CSRF cookie for forms shown before there is a session (set-up, sign-in). */
export const PRE_SESSION_COOKIE = 'qbc_csrf';

export function currentUser(c: Context<WebEnv>): User | undefined {
  return c.get('user') as User | undefined;
}

/** The client's address as rate limits count it: see client-address.ts (trusted proxy, IPv6 /64). */
export function clientIp(c: Context, trustedProxy: string | undefined): string {
  let socket: string;
  try {
    socket = getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
  return clientAddress(socket, c.req.header('x-forwarded-for'), trustedProxy);
}

export function sessionMiddleware(deps: WebDeps) {
  return createMiddleware<WebEnv>(async (c, next) => {
    c.set('clientIp', clientIp(c, deps.ctx.config.trustedProxy));
    const session = await sessionFromCookie(deps.ctx.db, getCookie(c, SESSION_COOKIE), deps.ctx.clock());
    if (session) {
      c.set('session', session);
      c.set('user', session.user);
      c.set('csrfToken', session.csrfToken);
    } else {
      let pre = getCookie(c, PRE_SESSION_COOKIE);
      if (!pre || !/^[A-Za-z0-9_-]{43}$/.test(pre)) {
        pre = crypto.randomBytes(32).toString('base64url');
        setCookie(c, PRE_SESSION_COOKIE, pre, { httpOnly: true, sameSite: 'Strict', secure: deps.secureCookies, path: '/' });
      }
      c.set('csrfToken', pre);
    }
    await next();
  });
}

/** Signs a user in: any session the browser presented ends and a new id is issued (no fixation). */
export async function startSession(c: Context<WebEnv>, deps: WebDeps, user: User): Promise<void> {
  const old = c.get('session') as WebEnv['Variables']['session'] | undefined;
  if (old) await endSession(deps.ctx.db, old.id);
  // Sign-in is rare enough to sweep expired sessions here, so the table never grows without bound.
  await pruneSessions(deps.ctx.db, deps.ctx.clock());
  const { cookieValue, session } = await createSession(deps.ctx.db, user, deps.ctx.clock());
  setCookie(c, SESSION_COOKIE, cookieValue, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: deps.secureCookies,
    path: '/',
    maxAge: Math.floor(SESSION_MAX_MS / 1000),
  });
  deleteCookie(c, PRE_SESSION_COOKIE, { path: '/', secure: deps.secureCookies });
  c.set('session', session);
  c.set('user', user);
  c.set('csrfToken', session.csrfToken);
}

export async function closeSession(c: Context<WebEnv>, deps: WebDeps): Promise<void> {
  const session = c.get('session') as WebEnv['Variables']['session'] | undefined;
  if (session) await endSession(deps.ctx.db, session.id);
  deleteCookie(c, SESSION_COOKIE, { path: '/', secure: deps.secureCookies });
}
