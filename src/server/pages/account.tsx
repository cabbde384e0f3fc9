/** Your account: who you are, change your password, and your API tokens (create — shown once —, list, revoke). */
import type { Context } from 'hono';
import type { WebDeps, WebEnv, WebPage } from '../web/env.js';
import { CsrfField, Notice, renderPage } from '../web/layout.js';
import { currentUser, startSession } from '../web/session.js';
import { hashPassword, passwordProblem, verifyPassword } from '../../accounts/passwords.js';
import { createApiToken, listApiTokens, revokeAllApiTokens, revokeApiToken, TOKEN_LIFETIMES, tokenLifetime, type ApiTokenInfo } from '../../accounts/api-tokens.js';
import { countAttempt, countSuccess } from '../../accounts/rate-limit.js';
import { credentialsFor, setPasswordHash } from '../../accounts/users.js';
import { endSessionsOfUser } from '../../accounts/sessions.js';
import { practiceOf } from '../practice-scope.js';

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/**
 * One token's row. The Revoke form works without JavaScript (a full page comes back); with htmx it
 * posts in place and only this row is swapped (the CSRF token travels in the hx-headers header).
 */
function TokenRow({ t, csrf }: { t: ApiTokenInfo; csrf: string }) {
  return (
    <tr id={`token-${t.id}`}>
      <td>{t.name}</td>
      <td>
        <code>{t.prefix}…</code>
      </td>
      <td>{t.createdAt.slice(0, 16).replace('T', ' ')}</td>
      <td>{t.lastUsedAt ? t.lastUsedAt.slice(0, 16).replace('T', ' ') : 'never'}</td>
      <td>{t.expiresAt ? t.expiresAt.slice(0, 10) : 'never'}</td>
      <td>
        {t.revokedAt ? (
          'revoked'
        ) : t.expired ? (
          'expired'
        ) : (
          <form method="post" action={`/account/tokens/${t.id}/revoke`} class="inline" hx-post={`/account/tokens/${t.id}/revoke`} hx-target={`#token-${t.id}`} hx-swap="outerHTML">
            <CsrfField token={csrf} />
            <button type="submit" class="danger" aria-label={`Revoke token ${t.name}`}>
              Revoke
            </button>
          </form>
        )}
      </td>
    </tr>
  );
}

interface Extra {
  notice?: { kind: 'ok' | 'error'; text: string };
  /** A token just made: shown this once, never again. */
  newToken?: { name: string; token: string };
  status?: 200 | 400 | 404 | 429;
}

async function show(c: Context<WebEnv>, deps: WebDeps, extra: Extra = {}) {
  const me = currentUser(c)!;
  const tokens = await listApiTokens(deps.ctx.db, me.id, deps.ctx.clock());
  const csrf = c.get('csrfToken');
  return renderPage(c, {
    title: 'Account',
    status: extra.status ?? 200,
    body: (
      <>
        <h1>Your account</h1>
        <p>
          {me.name} · {me.email} · {me.role}
        </p>
        {extra.notice ? <Notice kind={extra.notice.kind}>{extra.notice.text}</Notice> : null}

        <section aria-labelledby="tokens-h">
          <h2 id="tokens-h">API tokens</h2>
          <p>
            Scripts use an API token to call the JSON API as you (header <code>Authorization: Bearer …</code>).
          </p>
          {extra.newToken ? (
            <div class="notice notice-ok" role="status">
              <p>New token “{extra.newToken.name}”. Copy it now: it is shown only this once.</p>
              <label for="new-token">Token</label>
              <input id="new-token" class="token" readonly value={extra.newToken.token} />
            </div>
          ) : null}
          {tokens.length ? (
            <table>
              <caption class="visually-hidden">Your API tokens</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Starts with</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Expires</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {tokens.map((t) => (
                  <TokenRow t={t} csrf={csrf} />
                ))}
              </tbody>
            </table>
          ) : (
            <p>You have no API tokens.</p>
          )}
          <form method="post" action="/account/tokens" class="stack">
            <CsrfField token={csrf} />
            <label for="token-name">What the token is for</label>
            <input id="token-name" name="name" required maxlength={100} placeholder="e.g. nightly import script" />
            <label for="token-expires">Expires after</label>
            <select id="token-expires" name="expires">
              {Object.entries(TOKEN_LIFETIMES).map(([value, l]) => (
                <option value={value} selected={value === '90'}>
                  {l.label}
                </option>
              ))}
            </select>
            <button type="submit">Create API token</button>
          </form>
        </section>

        <section aria-labelledby="pw-h">
          <h2 id="pw-h">Change password</h2>
          <form method="post" action="/account/password" class="stack">
            <CsrfField token={csrf} />
            <label for="current">Current password</label>
            <input id="current" name="current" type="password" required autocomplete="current-password" />
            <label for="new">New password (at least 10 characters)</label>
            <input id="new" name="password" type="password" required minlength={10} autocomplete="new-password" />
            <label>
              <input type="checkbox" name="revokeTokens" value="yes" /> Also revoke my API tokens (do this if the old password may be known to someone else)
            </label>
            <button type="submit">Change password</button>
          </form>
        </section>
      </>
    ),
  });
}

export const accountPage: WebPage = {
  nav: { label: 'Account', href: '/account', order: 90 },
  mount(app, deps) {
    app.get('/account', (c) => show(c, deps));

    app.post('/account/tokens', async (c) => {
      const body = await c.req.parseBody();
      const me = currentUser(c)!;
      const lifetime = tokenLifetime(str(body.expires) || 'never');
      if (!lifetime)
        return show(c, deps, {
          status: 400,
          notice: {
            kind: 'error',
            text: `Expires after: choose one of ${Object.values(TOKEN_LIFETIMES)
              .map((l) => l.label)
              .join(', ')}.`,
          },
        });
      // A token acts on the practice whose page made it, and on no other (issue 15).
      const { token, info } = await createApiToken(deps.ctx.db, me.id, str(body.name), deps.ctx.clock(), lifetime.days, practiceOf(c));
      deps.ctx.logger.info({ user: me.email, token: info.prefix, practice: info.practiceId }, 'API token created');
      return show(c, deps, { newToken: { name: info.name, token } });
    });

    app.post('/account/tokens/:id/revoke', async (c) => {
      const me = currentUser(c)!;
      const ok = await revokeApiToken(deps.ctx.db, me.id, c.req.param('id'), deps.ctx.clock());
      if (ok && c.req.header('hx-request') === 'true') {
        const t = (await listApiTokens(deps.ctx.db, me.id, deps.ctx.clock())).find((x) => x.id === c.req.param('id'))!;
        c.header('Cache-Control', 'no-store');
        return c.html(<TokenRow t={t} csrf={c.get('csrfToken')} />);
      }
      return ok
        ? show(c, deps, { notice: { kind: 'ok', text: 'Token revoked: scripts using it are refused from now on.' } })
        : show(c, deps, { status: 404, notice: { kind: 'error', text: 'No such token of yours, or it was already revoked.' } });
    });

    app.post('/account/password', async (c) => {
      const body = await c.req.parseBody();
      const me = currentUser(c)!;
      // The current password is a password guess like any sign-in: the same limits, counted first.
      const wait = countAttempt(deps.limiters, me.email, c.get('clientIp'), deps.ctx.clock().getTime());
      if (wait > 0) {
        c.header('Retry-After', String(Math.ceil(wait / 1000)));
        return show(c, deps, {
          status: 429,
          notice: { kind: 'error', text: `Current password: too many wrong attempts. Try again in ${Math.max(1, Math.ceil(wait / 1000))} seconds.` },
        });
      }
      const creds = await credentialsFor(deps.ctx.db, me.email);
      if (!creds || !(await verifyPassword(str(body.current), creds.passwordHash))) {
        return show(c, deps, { status: 400, notice: { kind: 'error', text: 'Current password: not right. Type the password you signed in with.' } });
      }
      countSuccess(deps.limiters, me.email, c.get('clientIp'));
      const problem = passwordProblem(str(body.password), [me.email, me.name]);
      if (problem) return show(c, deps, { status: 400, notice: { kind: 'error', text: `New password: ${problem}.` } });
      await setPasswordHash(deps.ctx.db, me.id, await hashPassword(str(body.password)));
      // Other browsers signed in with the old password are signed out; this one gets a fresh session.
      await endSessionsOfUser(deps.ctx.db, me.id);
      c.set('session', undefined as never);
      await startSession(c, deps, me);
      const revoked = str(body.revokeTokens) === 'yes' ? await revokeAllApiTokens(deps.ctx.db, me.id, deps.ctx.clock()) : 0;
      const tokensNote = revoked ? ` Your ${revoked} API token${revoked === 1 ? ' was' : 's were'} revoked.` : '';
      return show(c, deps, { notice: { kind: 'ok', text: `Password changed. Other browsers signed in as you were signed out.${tokensNote}` } });
    });
  },
};
