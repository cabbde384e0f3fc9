/**
 * The connection to QuickBooks: company, region, state, the refresh token's expiry (with a warning
 * from 14 days before), and — for administrators — Connect, Disconnect and "Log out of QuickBooks".
 * `/connect/callback` is where QuickBooks sends the browser back after consent.
 */
import type { Context } from 'hono';
import type { WebDeps, WebEnv, WebPage } from '../web/env.js';
import { roleAtLeast } from '../web/env.js';
import { CsrfField, Notice, renderPage } from '../web/layout.js';
import { pageRole } from '../web/guards.js';
import { currentUser } from '../web/session.js';
import { practiceOf } from '../practice-scope.js';
import type { ConnectionStatus } from '../../connect/connection/connection.js';
import { isUserFacing, type RefusalStatus } from '../../user-facing-error.js';
import { prefillSettings } from '../../connect/plan/index.js';
import { practiceOfRealm } from '../../connect/realm.js';
import { qboClientFor } from '../../connect/connection/qbo-client.js';

const done: Record<string, string> = {
  connected: 'Connected to QuickBooks.',
  disconnected: 'Disconnected: the tokens were revoked at QuickBooks and forgotten here.',
  'logged-out': 'Logged out of QuickBooks here: the tokens were forgotten. Connect again to sign in to QuickBooks (as the same or another QuickBooks user).',
};

function when(iso: string | undefined): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '—';
}

function StatusView({ status }: { status: ConnectionStatus }) {
  return (
    <dl class="facts">
      <dt>State</dt>
      <dd>{status.state === 'connected' ? 'Connected' : 'Not connected'}</dd>
      {status.company ? (
        <>
          <dt>Company</dt>
          <dd>{status.company}</dd>
        </>
      ) : null}
      {status.region ? (
        <>
          <dt>Region</dt>
          <dd>{status.region}</dd>
        </>
      ) : null}
      {status.realmId ? (
        <>
          <dt>Company id (realm)</dt>
          <dd>{status.realmId}</dd>
        </>
      ) : null}
      {status.state === 'connected' ? (
        <>
          <dt>Connection expires</dt>
          <dd>{when(status.refreshTokenExpiresAt)} unless QBO Connect is used before then (each use extends it)</dd>
          {status.refreshTokenHardExpiresAt ? (
            <>
              <dt>Must reconnect by</dt>
              <dd>{when(status.refreshTokenHardExpiresAt)}</dd>
            </>
          ) : null}
          {status.connectedBy ? (
            <>
              <dt>Connected by</dt>
              <dd>
                {status.connectedBy} on {when(status.connectedAt)}
              </dd>
            </>
          ) : null}
        </>
      ) : null}
    </dl>
  );
}

/**
 * Connecting is the defined moment the settings are pre-filled (audited as PREFILL_ACTOR; issue 19: not
 * on a page view). A company QuickBooks cannot list right now stays connected; the preview offers the
 * pre-fill again to a bookkeeper.
 */
async function prefillOnConnect(deps: WebDeps, realmId: string): Promise<void> {
  try {
    await prefillSettings({ db: deps.ctx.db, clock: deps.ctx.clock, qbo: qboClientFor(deps.ctx, realmId) }, realmId);
  } catch (err) {
    deps.ctx.logger.warn({ realmId, err: err instanceof Error ? err.message : String(err) }, 'connect: settings pre-fill not done');
  }
}

async function show(c: Context<WebEnv>, deps: WebDeps, extra: { error?: string; status?: 200 | 403 | 503 | RefusalStatus } = {}) {
  const me = currentUser(c)!;
  const admin = roleAtLeast(me, 'administrator');
  const csrf = c.get('csrfToken');
  if (!deps.connection) {
    return renderPage(c, {
      title: 'Connection',
      status: 503,
      body: (
        <>
          <h1>Connection</h1>
          <Notice kind="error">QuickBooks is not configured: set QBO_CLIENT_ID, QBO_CLIENT_SECRET and QBO_REDIRECT_URI, or QBO_ENV=emulator, and restart.</Notice>
        </>
      ),
    });
  }
  const status = await deps.connection.connectionStatus();
  const doneKey = c.req.query('done');
  return renderPage(c, {
    title: 'Connection',
    status: extra.status ?? 200,
    body: (
      <>
        <h1>Connection to QuickBooks</h1>
        {doneKey && done[doneKey] ? <Notice kind="ok">{done[doneKey]}</Notice> : null}
        {extra.error ? <Notice kind="error">{extra.error}</Notice> : null}
        {status.warning ? <Notice kind="warn">{status.warning}</Notice> : null}
        <p class="lead">{status.message}</p>
        <StatusView status={status} />
        {status.state === 'connected' ? (
          admin ? (
            <div class="actions">
              <form method="post" action="/connection/disconnect" class="inline">
                <CsrfField token={csrf} />
                {status.realmId ? <input type="hidden" name="realm" value={status.realmId} /> : null}
                <button type="submit" class="danger">
                  Disconnect
                </button>
              </form>
              <form method="post" action="/connection/logout" class="inline">
                <CsrfField token={csrf} />
                {status.realmId ? <input type="hidden" name="realm" value={status.realmId} /> : null}
                <button type="submit" class="link-button">
                  Log out of QuickBooks
                </button>
              </form>
            </div>
          ) : (
            <p>Only an administrator can disconnect.</p>
          )
        ) : admin ? (
          <form method="post" action="/connection/connect">
            <CsrfField token={csrf} />
            <button type="submit" class="primary">
              Connect to QuickBooks
            </button>
          </form>
        ) : (
          <p>Ask an administrator to connect QBO Connect to your QuickBooks company.</p>
        )}
      </>
    ),
  });
}

export const connectionPage: WebPage = {
  nav: { label: 'Connection', href: '/connection', order: 10 },
  mount(app, deps) {
    app.get('/', async (c) => {
      const status = deps.connection ? await deps.connection.connectionStatus().catch(() => undefined) : undefined;
      if (!status || status.state !== 'connected') return c.redirect('/connection', 303);
      const home = (c.get('nav') ?? []).filter((n) => n.home && roleAtLeast(currentUser(c), n.minRole ?? 'viewer')).sort((a, b) => b.order - a.order)[0];
      return c.redirect(home?.href ?? '/connection', 303);
    });

    app.get('/connection', (c) => show(c, deps));

    app.post('/connection/connect', pageRole('administrator'), async (c) => {
      if (!deps.connection) return show(c, deps);
      const me = currentUser(c)!;
      try {
        const { url } = await deps.connection.beginConnect({ sessionId: c.get('session').id, actor: me.email, practiceId: practiceOf(c) });
        return c.redirect(url, 303);
      } catch (err) {
        if (isUserFacing(err)) return show(c, deps, { error: err.message, status: err.status });
        throw err;
      }
    });

    // Public path (see guards): a person coming back from QuickBooks whose product session ended
    // still sees why it failed; the state check binds the answer to the session that asked.
    app.get('/connect/callback', async (c) => {
      if (!deps.connection) return c.redirect('/connection', 303);
      const q = c.req.query();
      const session = c.get('session') as WebEnv['Variables']['session'] | undefined;
      try {
        const status = await deps.connection.completeConnect({
          code: q.code,
          state: q.state,
          realmId: q.realmId,
          error: q.error,
          sessionId: session?.id,
          actor: session?.user.email ?? 'qbo-connect connect (command line)',
        });
        if (status.state === 'connected' && q.realmId) await prefillOnConnect(deps, q.realmId);
        if (!session) {
          return renderPage(c, { title: 'Connected', bare: true, body: <Notice kind="ok">Connected to QuickBooks. You can close this window.</Notice> });
        }
        // Back to the Connection page of the practice the company was connected to (the callback is
        // under none); with one practice, its pages keep their un-prefixed addresses (server/practice-scope.ts).
        const several = (await deps.ctx.db.selectFrom('practices').select('id').limit(2).execute()).length > 1;
        const practice = several && status.state === 'connected' && q.realmId ? await practiceOfRealm(deps.ctx.db, q.realmId).catch(() => undefined) : undefined;
        return c.redirect(practice ? `/p/${encodeURIComponent(practice)}/connection?done=connected` : '/connection?done=connected', 303);
      } catch (err) {
        if (!isUserFacing(err)) throw err;
        if (!session) return renderPage(c, { title: 'Not connected', bare: true, status: err.status, body: <Notice kind="error">{err.message}</Notice> });
        // The callback belongs to no practice: the refusal alone, never a company's connection (issue 15, attack finding).
        return renderPage(c, {
          title: 'Not connected',
          status: err.status,
          body: (
            <>
              <h1>Not connected</h1>
              <Notice kind="error">{err.message}</Notice>
              <p>
                <a href="/connection">Back to the connection page</a>
              </p>
            </>
          ),
        });
      }
    });

    app.post('/connection/disconnect', pageRole('administrator'), async (c) => {
      if (!deps.connection) return show(c, deps);
      try {
        // The company the page showed (a practice may have several); one outside the practice is not connected here.
        const realm = (await c.req.parseBody())['realm'];
        await deps.connection.disconnect(typeof realm === 'string' && realm ? realm : undefined, currentUser(c)!.email, { revoke: true });
      } catch (err) {
        if (isUserFacing(err)) return show(c, deps, { error: err.message, status: err.status });
        throw err;
      }
      return c.redirect('/connection?done=disconnected', 303);
    });

    // "Log out of QuickBooks". QBO Connect cannot end a person's session on intuit.com (that is a
    // cookie in their browser for Intuit's site), so here it means: forget this product's link to
    // QuickBooks without revoking it at Intuit. The tokens are deleted, so nothing can use the old
    // grant; the next Connect goes through QuickBooks' sign-in again, where another QuickBooks user
    // may sign in. It also works when Intuit cannot be reached (Disconnect needs the revoke call).
    app.post('/connection/logout', pageRole('administrator'), async (c) => {
      if (!deps.connection) return show(c, deps);
      try {
        // The company the page showed (a practice may have several); one outside the practice is not connected here.
        const realm = (await c.req.parseBody())['realm'];
        await deps.connection.disconnect(typeof realm === 'string' && realm ? realm : undefined, currentUser(c)!.email, { revoke: false });
      } catch (err) {
        // Not connected (a second tab, or a stale page): say so rather than answer 500.
        if (isUserFacing(err)) return show(c, deps, { error: err.message, status: err.status });
        throw err;
      }
      return c.redirect('/connection?done=logged-out', 303);
    });
  },
};
