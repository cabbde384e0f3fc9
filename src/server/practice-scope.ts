/**
 * Which practice a request acts on (issue 15: many practices in one installation). Every page and API
 * route that reads or writes a practice's data takes it from `practiceOf(c)`, never from anything else
 * the request says, so the one middleware that sets it is where isolation is enforced.
 *
 * This first step resolves every request to the installation's `default` practice (migration
 * 0018_practices made an existing installation that one practice). Resolving it from the URL
 * (`/p/{practice}/…`, `/api/v1/practices/{id}/…`) and the signed-in person's membership replaces
 * `practiceScope` below; the routes keep calling `practiceOf`.
 */
import type { Context, MiddlewareHandler } from 'hono';

export const DEFAULT_PRACTICE_ID = 'default';

/** Sets the request's practice; mounted once, before the pages and the API (server/http.ts). */
export function practiceScope(): MiddlewareHandler {
  return async (c, next) => {
    c.set('practiceId' as never, DEFAULT_PRACTICE_ID as never);
    await next();
  };
}

/** The practice this request acts on, as `practiceScope` resolved it. */
export function practiceOf(c: Context): string {
  const id = c.get('practiceId' as never) as string | undefined;
  // A route mounted outside the scope is a programming error, never a reason to guess a practice.
  if (!id) throw new Error('practiceOf: no practice was resolved for this request (mount practiceScope before the route)');
  return id;
}
