/**
 * What the web app's routes share: the Hono environment (the signed-in user and session, set by
 * `sessionMiddleware`), the dependencies pages receive, and the shape of a page module.
 */
import type { Hono } from 'hono';
import type { AppContext } from '../../context.js';
import type { Role, User } from '../../accounts/users.js';
import type { Session } from '../../accounts/sessions.js';
import type { SignInLimiters } from '../../accounts/rate-limit.js';
import type { ConnectionService } from '../../connect/connection/connection.js';

export type WebEnv = {
  Variables: {
    /** The signed-in user; unset for anonymous requests (read it with `currentUser(c)`). */
    user: User;
    session: Session;
    /** The CSRF token forms on this page must carry (the session's, or the pre-session cookie's). */
    csrfToken: string;
    /** Where the request came from, for rate limits; never trusted for anything else. */
    clientIp: string;
    /** Every page's nav entry, for the layout (filtered by role when rendered). */
    nav: NavItem[];
    /** For the header's connection state. */
    connection: ConnectionService | undefined;
  };
};

export interface WebDeps {
  ctx: AppContext;
  /** The connect engine's connection flow; absent only when the QBO client is not configured. */
  connection: ConnectionService | undefined;
  limiters: SignInLimiters;
  /** First-run set-up needs this one-time code (printed on the console at start); none: not asked. */
  setupCode?: string | undefined;
  /** Cookies carry `Secure` when the product is reached over HTTPS. */
  secureCookies: boolean;
}

export interface NavItem {
  label: string;
  href: string;
  /** The lowest role that sees the item; every signed-in user when unset. */
  minRole?: Role;
  /** Only the firm's owners see it (the firm's own pages, under no practice). */
  ownerOnly?: true;
  /** Position in the nav: lower first. Connection 10, Preview 20, Sync 30, History 40, Held records 45, Skipped 50, Settings 60, Practice 70, Users 80, Account 90. */
  order: number;
  /** `/` opens this page once a company is connected (the highest-ordered one wins; else Connection). */
  home?: boolean;
}

/**
 * One page (or group of routes) of the web app. Adding a page is one file exporting a WebPage
 * and one line in `src/server/pages/index.ts`.
 */
export interface WebPage {
  nav?: NavItem;
  mount(app: Hono<WebEnv>, deps: WebDeps): void;
}

const rank: Record<Role, number> = { viewer: 0, bookkeeper: 1, administrator: 2 };

/**
 * Whether the request's person may do what needs `min`. `user.role` here is the role in the practice the
 * request acts on (its membership's, set by server/practice-scope.ts), never the person's `users.role`.
 */
export function roleAtLeast(user: User | undefined, min: Role): boolean {
  return !!user && rank[user.role] >= rank[min];
}
