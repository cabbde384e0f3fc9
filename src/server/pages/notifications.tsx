/**
 * Settings › Notifications: who is told when unattended work needs a person (connect/notify) — the
 * email recipients and the outgoing webhook with its signing secret (never shown back: only whether
 * one is set). Anyone signed in sees it; administrators change it (audited under their name, like
 * every setting) and send a test message.
 */
import type { Context } from 'hono';
import type { WebDeps, WebEnv, WebPage } from '../web/env.js';
import { roleAtLeast } from '../web/env.js';
import { CsrfField, Notice, renderPage } from '../web/layout.js';
import { pageRole } from '../web/guards.js';
import { currentUser } from '../web/session.js';
import { practiceOf } from '../practice-scope.js';
import { isUserFacing, type RefusalStatus } from '../../user-facing-error.js';
import { getNotificationSettings, listNotificationAudit, sendTestNotification, setNotificationSettings } from '../../connect/notify/index.js';
import { actorOf, str, when } from './work-common.js';

type Flash = { kind: 'ok' | 'error'; text: string };

const shownValue = (v: unknown) => (v === null || v === undefined ? 'none' : Array.isArray(v) ? (v.length ? v.join(', ') : '(nobody)') : String(v));

/** What the person typed into a refused form: shown back with the error instead of the stored values. */
type Typed = { emails: string; webhookUrl: string };

async function show(c: Context<WebEnv>, deps: WebDeps, flash?: Flash, status: 200 | RefusalStatus = 200, typed?: Typed) {
  const admin = roleAtLeast(currentUser(c), 'administrator');
  // Only an administrator sees the webhook URL whole: its path is often the receiver's credential.
  const n = await getNotificationSettings(deps.ctx.db, practiceOf(c), { masked: !admin });
  const audit = await listNotificationAudit(deps.ctx.db, { practiceId: practiceOf(c), limit: 20 });
  const csrf = c.get('csrfToken');
  const smtp = !!deps.ctx.config.smtpUrl;
  const saved = c.req.query('saved');
  const notice: Flash | undefined = flash ?? (saved ? { kind: 'ok', text: saved === '0' ? 'Nothing changed.' : 'Saved.' } : undefined);
  return renderPage(c, {
    title: 'Settings: Notifications',
    status,
    body: (
      <>
        <h1>Settings</h1>
        <p>
          <a href="/settings">← Connect settings</a> · <a href="/settings/audit">Changes (audit)</a>
        </p>
        <section aria-labelledby="section-title">
          <h2 id="section-title">Notifications</h2>
          <p>
            Who is told when a sync fails, holds records or is refused, when a scheduled sync is blocked by errors, and when a QuickBooks connection is disconnected or about to
            expire. Each message says what happened, which company, and what to do, with a link here.
          </p>
          {notice ? <Notice kind={notice.kind}>{notice.text}</Notice> : null}
          {!admin ? <Notice kind="warn">Only an administrator can change notifications; you can see them.</Notice> : null}
          {!smtp ? <Notice kind="warn">No SMTP server is configured (QBO_CONNECT_SMTP_URL), so no email is sent; the webhook still is.</Notice> : null}
          <form method="post" action="/settings/notifications" class="setting" id="form-notifications">
            <CsrfField token={csrf} />
            <label for="notify-emails">Email recipients</label>
            <p class="hint" id="notify-emails-help">
              One address per line (at most 20). <span class="current">Now: {shownValue(n.emails)}.</span>
            </p>
            <textarea id="notify-emails" name="emails" rows={3} disabled={!admin} aria-describedby="notify-emails-help">
              {typed ? typed.emails : n.emails.join('\n')}
            </textarea>
            <label for="notify-webhook-url">Webhook URL</label>
            <p class="hint" id="notify-webhook-url-help">
              An https:// address that receives each event as JSON, signed: header X-QBO-Connect-Signature is sha256= and the hex HMAC-SHA256 of the body under the signing secret.
              Empty turns the webhook off. <span class="current">Now: {shownValue(n.webhookUrl)}.</span>
            </p>
            <input
              id="notify-webhook-url"
              name="webhookUrl"
              type="url"
              value={typed ? typed.webhookUrl : (n.webhookUrl ?? '')}
              disabled={!admin}
              aria-describedby="notify-webhook-url-help"
            />
            <label for="notify-webhook-secret">Webhook signing secret</label>
            <p class="hint" id="notify-webhook-secret-help">
              16 to 200 characters, e.g. from `openssl rand -hex 32`; never shown again. Leave empty to keep the current one.{' '}
              <span class="current">Now: {n.webhookSecretSet ? 'set' : 'none'}.</span>
            </p>
            <input id="notify-webhook-secret" name="webhookSecret" type="password" autocomplete="off" value="" disabled={!admin} aria-describedby="notify-webhook-secret-help" />
            {admin ? <button type="submit">Save notifications</button> : null}
          </form>
          {admin ? (
            <form method="post" action="/settings/notifications/test" class="setting">
              <CsrfField token={csrf} />
              <button type="submit">Send a test message</button>
            </form>
          ) : null}
          <h3>Changes</h3>
          {audit.length === 0 ? (
            <p>No change yet.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">Was</th>
                  <th scope="col">Now</th>
                </tr>
              </thead>
              <tbody>
                {audit.map((a) => (
                  <tr>
                    <td>{when(a.changedAt)}</td>
                    <td>{a.actor}</td>
                    <td>{a.field}</td>
                    <td>{shownValue(a.oldValue)}</td>
                    <td>{shownValue(a.newValue)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      </>
    ),
  });
}

/** The form → a change: addresses split on lines, commas or spaces; an empty URL turns the webhook (and its secret) off. */
export function changeFromForm(body: Record<string, unknown>): Record<string, unknown> {
  const emails = str(body.emails)
    .split(/[\s,;]+/)
    .filter(Boolean);
  const url = str(body.webhookUrl).trim();
  const secret = str(body.webhookSecret);
  return { emails, webhookUrl: url || null, ...(secret ? { webhookSecret: secret } : url ? {} : { webhookSecret: null }) };
}

export const notificationsPage: WebPage = {
  mount(app, deps) {
    app.get('/settings/notifications', (c) => show(c, deps));
    app.post('/settings/notifications', pageRole('administrator'), async (c) => {
      const body = await c.req.parseBody();
      try {
        const results = await setNotificationSettings(deps.ctx.db, {
          practiceId: practiceOf(c),
          change: changeFromForm(body),
          actor: actorOf(c),
          clock: deps.ctx.clock,
          cipher: deps.ctx.qbo.cipher,
        });
        return c.redirect(`/settings/notifications?saved=${results.some((r) => r.changed) ? 1 : 0}`, 303);
      } catch (err) {
        if (isUserFacing(err)) return show(c, deps, { kind: 'error', text: err.message }, err.status, { emails: str(body.emails), webhookUrl: str(body.webhookUrl) });
        throw err;
      }
    });
    app.post('/settings/notifications/test', pageRole('administrator'), async (c) => {
      try {
        const r = await sendTestNotification(deps.ctx, actorOf(c));
        const where = [r.email === 'sent' ? 'email' : '', r.webhook === 'sent' ? 'webhook' : ''].filter(Boolean).join(' and ');
        return show(c, deps, { kind: 'ok', text: `Test message sent by ${where}.` });
      } catch (err) {
        if (isUserFacing(err)) return show(c, deps, { kind: 'error', text: err.message }, err.status);
        throw err;
      }
    });
  },
};
