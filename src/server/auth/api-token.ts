/**
 * JSON API authentication: `Authorization: Bearer <API token>`. Without a valid token: 401 with a
 * JSON error; a token of another practice than the URL's: 404 (server/practice-scope.ts). Routes then read
 * the user with `c.get('user')` (its role: the one in this practice) and check roles with `requireRole`.
 */
import { createMiddleware } from 'hono/factory';
import type { AppContext } from '../../context.js';
import { userForApiToken } from '../../accounts/api-tokens.js';
import type { Role, User } from '../../accounts/users.js';
import { admitToken } from '../practice-scope.js';

export type AuthEnv = { Variables: { user: User } };

export function apiTokenAuth(ctx: AppContext) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    // A signed-in browser session (set by the web app's middleware) is accepted as well.
    if (c.get('user')) return next();
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const user = m ? await userForApiToken(ctx.db, m[1]!, ctx.clock()) : undefined;
    if (!user) {
      c.header('WWW-Authenticate', 'Bearer realm="qbo-connect"');
      return c.json(
        {
          error: {
            code: 'auth.missing-token',
            message: m ? 'The API token is unknown or revoked: make a new one under Account → API tokens.' : 'This API needs an API token: send "Authorization: Bearer <token>".',
            field: 'Authorization',
          },
        },
        401,
      );
    }
    // The token acts on its own practice only; anything else is 404, as if it did not exist.
    const refused = await admitToken(c, ctx.db, user);
    if (refused) return refused;
    return next();
  });
}

/** Which roles may do what: administrators everything, bookkeepers preview/sync/skip, viewers read. */
const rank: Record<Role, number> = { viewer: 0, bookkeeper: 1, administrator: 2 };

export function requireRole(min: Role) {
  return createMiddleware<AuthEnv>(async (c, next) => {
    const user = c.get('user');
    if (!user || rank[user.role] < rank[min]) {
      return c.json({ error: { code: 'auth.forbidden', message: `This needs the ${min} role; you are ${user ? `a ${user.role}` : 'not signed in'}.` } }, 403);
    }
    return next();
  });
}
