/**
 * Which practice a request acts on, and with which role (issue 15: many practices in one installation).
 * Every page and API route that reads or writes a practice's data takes it from `practiceOf(c)`, never
 * from anything else the request says, so this file is where isolation between practices is enforced.
 *
 * - The URL names the practice: pages under `/p/{practice}/…`, the API under `/api/v1/practices/{id}/…`.
 *   Routes are declared without that prefix: `routePath` (the app's Hono `getPath`) strips it, so every
 *   route answers under every practice's prefix and `app.routes` lists each route once.
 * - A URL without the prefix acts on the only practice when the installation has exactly one (so an
 *   upgraded installation, its bookmarks and scripts keep working unchanged); with several, a page asked
 *   for without a prefix is sent to the same page of the person's first practice, and the API answers 404.
 * - The person must be a member of that practice (or a firm owner), and an API token acts only on its
 *   own practice. Anything else answers 404 exactly as a practice that does not exist would — never 403,
 *   so nobody learns that another practice exists.
 * - The role a route checks (`roleAtLeast`, `requireRole`, `pageRole`) is the membership's role in THAT
 *   practice: the request's `user.role` is replaced with it here, once, before any route runs.
 * - The firm overview (`/firm`, `/api/v1/firm`) belongs to no practice: owners only (403 for anyone else).
 * - A page served under `/p/{practice}/` has its links, form actions and redirects rewritten to carry
 *   the prefix (`carryPrefix`), so no page has to remember it and a new page cannot forget it.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getPath } from 'hono/utils/url';
import type { Role, User } from '../accounts/users.js';
import { isOwner, practicesOfPerson, roleIn, type PracticeOfPerson } from '../accounts/memberships.js';
import type { Db } from '../store/db.js';
import { actingAs } from '../connect/acting-practice.js';

const PAGE_PREFIX = '/p/';
const API_PREFIX = '/api/v1/practices/';

/** `{id}` and the rest of `{prefix}{id}/rest`, or undefined when the path does not start so (or names no id). */
function afterPrefix(path: string, prefix: string): { id: string; rest: string | undefined } | undefined {
  if (!path.startsWith(prefix)) return undefined;
  const tail = path.slice(prefix.length);
  const slash = tail.indexOf('/');
  const id = slash === -1 ? tail : tail.slice(0, slash);
  return id ? { id, rest: slash === -1 ? undefined : tail.slice(slash) } : undefined;
}

/** Paths that belong to no practice: assets, probes, sign-in and set-up, Intuit's callbacks. */
const GLOBAL = [/^\/static\//, /^\/healthz$/, /^\/readyz$/, /^\/metrics$/, /^\/webhooks(\/|$)/, /^\/setup$/, /^\/signin$/, /^\/signout$/, /^\/connect\/callback$/];

export function isGlobalPath(path: string): boolean {
  return GLOBAL.some((r) => r.test(path));
}

/** The firm's own pages (every practice at once): the owners' only, under no practice. */
const FIRM = [/^\/firm(\/|$)/, /^\/api\/v1\/firm(\/|$)/];

export function isFirmPath(path: string): boolean {
  return FIRM.some((r) => r.test(path));
}

/** The practice the URL names, and the path the routes know (without the prefix). */
export function splitPracticePath(path: string): { practiceId?: string; api?: boolean; rest: string } {
  const page = afterPrefix(path, PAGE_PREFIX);
  if (page) return { practiceId: page.id, api: false, rest: page.rest ?? '/' };
  const api = afterPrefix(path, API_PREFIX);
  if (api) return { practiceId: api.id, api: true, rest: `/api/v1${api.rest ?? ''}` };
  return { rest: path };
}

/** The app's Hono `getPath`: routes match the path without the practice prefix. */
export function routePath(request: Request): string {
  return splitPracticePath(getPath(request)).rest;
}

/** The path the client asked for, prefix included (c.req.path is the route's, without it). */
export function requestedPath(c: Context): string {
  return getPath(c.req.raw);
}

type Scope = { practiceId: string; role: Role; prefix: string | undefined };

function scopeOf(c: Context): Scope | undefined {
  return c.get('practiceScope' as never) as Scope | undefined;
}

/** 404, the same for a practice that does not exist and one the person may not open. */
async function notFound(c: Context): Promise<Response> {
  const path = requestedPath(c);
  if (c.req.path.startsWith('/api/') || !(c.req.header('accept') ?? '').includes('text/html')) {
    return c.json({ error: { code: 'not-found', message: `Nothing at ${path}.` } }, 404);
  }
  // Imported here: the layout imports this file (for the prefix), and pages import the layout.
  const { renderPage } = await import('./web/layout.js');
  return renderPage(c as never, { title: 'Not found', status: 404, bare: true, body: `There is no page at ${path}.` });
}

/** 403 on the firm's pages for anyone but an owner: the page is no secret (its nav entry shows), the firm's data is. */
async function notAnOwner(c: Context): Promise<Response> {
  const { forbiddenPage } = await import('./web/layout.js');
  return forbiddenPage(c as never, 'This needs the administrator role of an owner of the firm: the firm overview shows every practice. Ask an owner if you need it.');
}

function admit(c: Context, user: User, practiceId: string, role: Role, prefix: string | undefined): void {
  c.set('practiceScope' as never, { practiceId, role, prefix } as never);
  // From here on `user.role` is the role in this practice: every role check reads it.
  c.set('user' as never, { ...user, role } as never);
}

const PREFIXED_ATTR = /(\s(?:href|action|formaction|hx-get|hx-post|hx-put|hx-patch|hx-delete)=")(\/(?!\/)[^"]*)"/g;

/** A local URL as seen from a page of this practice: prefixed, unless it belongs to no practice. */
export function withPrefix(url: string, practiceId: string): string {
  if (!url.startsWith('/') || url.startsWith('//')) return url;
  const path = url.split(/[?#]/, 1)[0]!;
  if (isGlobalPath(path) || isFirmPath(path) || splitPracticePath(path).practiceId !== undefined) return url;
  if (url.startsWith('/api/v1/') || url === '/api/v1') return `/api/v1/practices/${practiceId}${url.slice('/api/v1'.length)}`;
  return `/p/${practiceId}${url === '/' ? '/' : url}`;
}

/** Rewrites a prefixed request's answer: Location, HX-Redirect, and the links and forms of an HTML page. */
async function carryPrefix(c: Context, practiceId: string): Promise<void> {
  for (const h of ['location', 'hx-redirect', 'hx-location']) {
    const v = c.res.headers.get(h);
    if (v) c.res.headers.set(h, withPrefix(v, practiceId));
  }
  if (!(c.res.headers.get('content-type') ?? '').startsWith('text/html') || !c.res.body) return;
  const text = await c.res.text();
  const headers = new Headers(c.res.headers);
  headers.delete('content-length');
  c.res = new Response(
    text.replace(PREFIXED_ATTR, (_m, attr: string, url: string) => `${attr}${withPrefix(url, practiceId)}"`),
    { status: c.res.status, statusText: c.res.statusText, headers },
  );
}

async function onlyPractice(db: Db): Promise<string | undefined> {
  const rows = await db.selectFrom('practices').select('id').limit(2).execute();
  return rows.length === 1 ? rows[0]!.id : undefined;
}

/**
 * Resolves the request's practice and the person's role in it; mounted once, after the session is read
 * and before every page and API route (server/web/index.ts). An API request with a token is admitted
 * by `admitToken` once the token is read (server/auth/api-token.ts).
 */
export function practiceScope(db: Db): MiddlewareHandler {
  return async (c, next) => {
    const raw = requestedPath(c);
    // `//host/…` or `/\host`: no page of ours; never echoed into a redirect (a browser reads it as another site).
    if (/^\/[/\\]/.test(raw)) return notFound(c);
    const named = splitPracticePath(raw);
    if (named.practiceId === undefined && isGlobalPath(raw)) return next();
    if (named.practiceId !== undefined && (isGlobalPath(named.rest) || isFirmPath(named.rest))) return notFound(c);
    const user = c.get('user' as never) as User | undefined;
    if (isFirmPath(raw)) {
      // Firm-wide: an owner (as an administrator of the firm), nobody else — 404 as for a page that is not there.
      c.set('firmRequested' as never, true as never);
      if (!user) return next(); // a token: `admitToken` decides
      if (!(await isOwner(db, user.id))) return notAnOwner(c);
      c.set('user' as never, { ...user, role: 'administrator' } as never);
      c.set('myPractices' as never, (await practicesOfPerson(db, user.id)) as never);
      c.set('firmOwner' as never, true as never);
      return next();
    }
    let practiceId = named.practiceId;
    if (practiceId === undefined) {
      practiceId = await onlyPractice(db);
      if (practiceId === undefined) {
        // Several practices and no name: a person's page goes to their first practice; the API must say which.
        const isPage = !c.req.path.startsWith('/api/') && (c.req.method === 'GET' || c.req.method === 'HEAD');
        const first = isPage && user ? (await practicesOfPerson(db, user.id))[0] : undefined;
        if (!first) return notFound(c);
        return c.redirect(withPrefix(raw + (new URL(c.req.url).search || ''), first.id), 303);
      }
    }
    c.set('practiceRequested' as never, practiceId as never);
    const prefix = named.practiceId === undefined ? undefined : named.practiceId;
    if (user) {
      const role = await roleIn(db, user.id, practiceId);
      if (!role) return notFound(c);
      admit(c, user, practiceId, role, prefix);
      if (!c.req.path.startsWith('/api/')) {
        c.set('myPractices' as never, (await practicesOfPerson(db, user.id)) as never);
        // The layout shows the firm's pages in the nav to owners only (they are 403 to anyone else).
        c.set('firmOwner' as never, (await isOwner(db, user.id)) as never);
      }
    }
    // else: an API request whose token is read by the API's own middleware (`admitToken`), or a public page.
    await actingAs(practiceId, () => next());
    if (prefix !== undefined) await carryPrefix(c, prefix);
  };
}

/**
 * Admits an API request made with a token: only on the token's own practice, and only while its person
 * is still a member there (or an owner). Answers the refusal to send, or undefined when admitted.
 */
export async function admitToken(c: Context, db: Db, user: User & { tokenPracticeId: string }): Promise<Response | undefined> {
  if (c.get('firmRequested' as never)) {
    if (!(await isOwner(db, user.id))) return notAnOwner(c);
    const { tokenPracticeId: _p, ...owner } = user;
    c.set('user' as never, { ...owner, role: 'administrator' } as never);
    return undefined;
  }
  // An API mounted without the scope (a router on its own, as its tests mount it) reads an unprefixed URL: the only practice.
  const requested = (c.get('practiceRequested' as never) as string | undefined) ?? (await onlyPractice(db));
  if (requested === undefined || requested !== user.tokenPracticeId) return notFound(c);
  const role = await roleIn(db, user.id, requested);
  if (!role) return notFound(c);
  const named = splitPracticePath(requestedPath(c)).practiceId;
  const { tokenPracticeId: _t, ...person } = user;
  admit(c, person, requested, role, named);
  return undefined;
}

/** The practice this request acts on, as `practiceScope` resolved it. */
export function practiceOf(c: Context): string {
  const id = scopeOf(c)?.practiceId;
  // A route mounted outside the scope is a programming error, never a reason to guess a practice.
  if (!id) throw new Error('practiceOf: no practice was resolved for this request (mount practiceScope before the route)');
  return id;
}

/** The practices the signed-in person may switch to (pages only), for the layout's switcher. */
export function practicesOfRequest(c: Context): PracticeOfPerson[] {
  return (c.get('myPractices' as never) as PracticeOfPerson[] | undefined) ?? [];
}

/** The practice of this request when there is one (the layout shows it; global pages have none). */
export function currentPractice(c: Context): string | undefined {
  return scopeOf(c)?.practiceId;
}
