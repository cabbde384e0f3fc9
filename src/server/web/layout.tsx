/**
 * The page frame every screen shares: skip link, header with the company's connection state, the
 * nav (only what the user's role may open), main landmark, footer. Pages call `renderPage`.
 * No inline scripts or styles (the CSP forbids them): htmx and the CSS come from /static.
 */
import type { Context } from 'hono';
import { html } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ConnectionStatus } from '../../connect/connection/connection.js';
import type { User } from '../../accounts/users.js';
import { roleAtLeast, type NavItem, type WebEnv } from './env.js';
import { currentPractice, practicesOfRequest } from '../practice-scope.js';
import type { PracticeOfPerson } from '../../accounts/memberships.js';

export interface PageOptions {
  title: string;
  body: Child;
  status?: ContentfulStatusCode;
  /** Hide the nav and header state (set-up and sign-in pages). */
  bare?: boolean;
}

/** A form's hidden CSRF field; every POST form in the app includes it. */
export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

function ConnectionBadge({ status }: { status: ConnectionStatus | undefined }) {
  if (!status) return <span class="badge badge-off">QuickBooks: not available</span>;
  if (status.state === 'connected') {
    return (
      <a class={status.warning ? 'badge badge-warn' : 'badge badge-on'} href="/connection">
        <span class="visually-hidden">QuickBooks connection: </span>
        {status.company ?? status.realmId} — connected{status.warning ? ' (expires soon)' : ''}
      </a>
    );
  }
  return (
    <a class="badge badge-off" href="/connection">
      <span class="visually-hidden">QuickBooks connection: </span>
      Not connected
    </a>
  );
}

function Nav({ items, user, path, owner }: { items: NavItem[]; user: User; path: string; owner: boolean }) {
  const visible = items.filter((i) => roleAtLeast(user, i.minRole ?? 'viewer') && (!i.ownerOnly || owner)).sort((a, b) => a.order - b.order);
  return (
    <nav aria-label="Main">
      <ul>
        {visible.map((i) => (
          <li>
            <a href={i.href} aria-current={path === i.href || path.startsWith(`${i.href}/`) ? 'page' : undefined}>
              {i.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** For a person in several practices: which one this page is of, and the way to the others. */
function PracticeSwitcher({ practices, current }: { practices: PracticeOfPerson[]; current: string | undefined }) {
  if (practices.length < 2) return null;
  return (
    <nav aria-label="Practices" class="practice-switcher">
      <ul>
        {practices.map((p) => (
          <li>
            <a href={`/p/${encodeURIComponent(p.id)}/`} aria-current={p.id === current ? 'page' : undefined}>
              {p.name}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export async function renderPage(c: Context<WebEnv>, opts: PageOptions): Promise<Response> {
  const user = c.get('user') as User | undefined;
  const csrfToken = c.get('csrfToken') ?? '';
  let status: ConnectionStatus | undefined;
  const connection = c.get('connection');
  if (user && !opts.bare && connection) {
    try {
      status = await connection.connectionStatus();
    } catch {
      status = undefined; // the header must never break a page; the connection page shows the detail
    }
  }
  // Pages carry a CSRF token and personal data: never cache them.
  c.header('Cache-Control', 'no-store');
  return c.html(
    html`<!doctype html>${(
        <html lang="en">
          <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            {/* htmx must not inject its indicator <style>: the CSP allows only our stylesheet. */}
            <meta name="htmx-config" content='{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false}' />
            <title>{`${opts.title} · QBO Connect`}</title>
            <link rel="stylesheet" href="/static/app.css" />
            <script src="/static/htmx.min.js" defer></script>
          </head>
          <body hx-headers={JSON.stringify({ 'X-CSRF-Token': csrfToken })}>
            <a class="skip-link" href="#main">
              Skip to content
            </a>
            <header class="site-header">
              <a class="brand" href="/">
                QBO Connect
              </a>
              {user && !opts.bare ? (
                <div class="header-right">
                  <PracticeSwitcher practices={practicesOfRequest(c)} current={currentPractice(c)} />
                  <ConnectionBadge status={status} />
                  {/* The seed's top toolbar: Disconnect and "Log out of QuickBooks" wherever you are. */}
                  {status?.state === 'connected' && user.role === 'administrator' ? (
                    <>
                      <form method="post" action="/connection/disconnect" class="inline">
                        <CsrfField token={csrfToken} />
                        <button type="submit" class="link-button">
                          Disconnect
                        </button>
                      </form>
                      <form method="post" action="/connection/logout" class="inline">
                        <CsrfField token={csrfToken} />
                        <button type="submit" class="link-button">
                          Log out of QuickBooks
                        </button>
                      </form>
                    </>
                  ) : null}
                  <span class="who">
                    {user.name} <span class="role">({user.role})</span>
                  </span>
                  <form method="post" action="/signout" class="inline">
                    <CsrfField token={csrfToken} />
                    <button type="submit" class="link-button">
                      Sign out
                    </button>
                  </form>
                </div>
              ) : null}
            </header>
            {user && !opts.bare ? <Nav items={c.get('nav') ?? []} user={user} path={c.req.path} owner={c.get('firmOwner' as never) === true} /> : null}
            <main id="main" tabindex={-1}>
              {opts.body}
            </main>
            <footer class="site-footer">QBO Connect</footer>
          </body>
        </html>
      )}`,
    opts.status ?? 200,
  );
}

/** 403 with a plain sentence: as a page for browsers, as JSON for the API. */
export async function forbiddenPage(c: Context<WebEnv>, message: string): Promise<Response> {
  if (c.req.path.startsWith('/api/')) return c.json({ error: { code: 'auth.forbidden', message } }, 403);
  return renderPage(c, {
    title: 'Not allowed',
    status: 403,
    body: (
      <>
        <h1>Not allowed</h1>
        <p role="alert">{message}</p>
        <p>
          <a href="/">Back to QBO Connect</a>
        </p>
      </>
    ),
  });
}

/** A message box for the result of an action. */
export function Notice({ kind, children }: { kind: 'ok' | 'error' | 'warn'; children: Child }) {
  return (
    <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/** 404 for people (the API answers JSON). */
export function notFoundPage(c: Context<WebEnv>): Promise<Response> {
  return renderPage(c, {
    title: 'Not found',
    status: 404,
    body: (
      <>
        <h1>Not found</h1>
        <p>There is no page at {c.req.path}.</p>
        <p>
          <a href="/">Back to QBO Connect</a>
        </p>
      </>
    ),
  });
}
