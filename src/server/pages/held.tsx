/**
 * Held records: every row the engine will not send until a person decides — changed on both sides
 * (diverged), found several times in QuickBooks (ambiguous look-up), or found with other values
 * (adopt mismatch) — each with its fields side by side (last sent, QBO now, practice now) and the
 * actions offered: keep QBO's, send ours, re-link to another QuickBooks record, skip. Recent actions
 * can be undone until the next sync.
 */
import type { Context } from 'hono';
import type { WebDeps, WebEnv, WebPage } from '../web/env.js';
import { roleAtLeast } from '../web/env.js';
import { CsrfField, Notice, renderPage } from '../web/layout.js';
import { pageRole } from '../web/guards.js';
import { currentUser } from '../web/session.js';
import { isUserFacing, type RefusalStatus } from '../../user-facing-error.js';
import { qboClientFor } from '../../connect/connection/qbo-client.js';
import { qboRefusal } from '../../connect/reasons.js';
import { QboUnavailableError } from '../../qbo/fault.js';
import { actOnHeld, listHeld, undoHeldAction, type HeldDeps, type HeldRecord, type HeldView } from '../../connect/held/index.js';
import { actorOf, notConnectedPage, str, webRealm, when, who } from './work-common.js';
import { heldAnchor } from '../../connect/reconcile/index.js';

const whyText: Record<HeldRecord['why'], string> = {
  diverged: 'Changed here and in QuickBooks since the last sync',
  'ambiguous-lookup': 'Found several times in QuickBooks after a lost answer',
  'adopt-mismatch': 'Found in QuickBooks with other values',
  'write-held': 'Written to QuickBooks, but its link could not be stored',
};

const actionText: Record<string, string> = { 'keep-qbo': "Keep QBO's", 'send-ours': 'Send ours', relink: 'Re-link', skip: 'Skip' };

function HeldCard(props: { h: HeldRecord; csrf: string; canAct: boolean }) {
  const { h, csrf, canAct } = props;
  return (
    <section class="held" id={heldAnchor(h.kind, h.id)} aria-label={h.label}>
      <h2>{h.label}</h2>
      <p>
        {whyText[h.why]} ({h.reasonCode}). {h.qbo.id ? `QuickBooks ${h.qbo.entity} ${h.qbo.id}.` : null}
      </p>
      {h.fields.length ? (
        <table>
          <caption class="visually-hidden">Fields of {h.label} side by side</caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Last sent</th>
              <th scope="col">QBO now</th>
              <th scope="col">Practice now</th>
            </tr>
          </thead>
          <tbody>
            {h.fields.map((f) => (
              <tr>
                <th scope="row">{f.field}</th>
                <td>{f.shown.lastSent}</td>
                <td>{f.shown.qboNow}</td>
                <td>{f.shown.practiceNow}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>{h.message}</p>
      )}
      {h.candidates.length ? (
        <p>
          QuickBooks {h.qbo.entity} Ids to choose from: {h.candidates.join(', ')}
        </p>
      ) : null}
      {canAct ? (
        <form method="post" action="/held/act">
          <CsrfField token={csrf} />
          <input type="hidden" name="kind" value={h.kind} />
          <input type="hidden" name="id" value={h.id} />
          {/* What the person saw: an edit made in QuickBooks since is refused, not overwritten (connect/held checkShown). */}
          {h.qbo.syncToken !== undefined ? <input type="hidden" name="syncToken" value={h.qbo.syncToken} /> : null}
          {h.actions.includes('relink') ? (
            <label>
              QuickBooks Id to re-link to <input type="text" name="qboId" inputmode="numeric" size={8} />
            </label>
          ) : null}
          {h.actions.map((a) => (
            <button type="submit" name="action" value={a} aria-label={`${actionText[a] ?? a}: ${h.label}`}>
              {actionText[a] ?? a}
            </button>
          ))}
        </form>
      ) : null}
    </section>
  );
}

/**
 * The page, after `notice`. `askQbo: false` when the action just failed because QuickBooks did not
 * answer: asking again for the list would only make the person wait a second time for the same answer.
 */
async function show(c: Context<WebEnv>, deps: WebDeps, notice?: { kind: 'ok' | 'error'; text: string }, status: 200 | RefusalStatus = 200, askQbo = true) {
  const realmId = await webRealm(deps.ctx);
  if (!realmId) return notConnectedPage(c, 'Held records');
  const canAct = roleAtLeast(currentUser(c), 'bookkeeper');
  const csrf = c.get('csrfToken');
  let view: HeldView | undefined;
  let failed: string | undefined;
  if (askQbo) {
    try {
      view = await listHeld(heldDeps(deps, realmId), realmId, actorOf(c));
    } catch (err) {
      const r = qboRefusal(err, 'the held records');
      if (!r) throw err;
      failed = r.message;
    }
  }
  return renderPage(c, {
    title: 'Held records',
    status,
    body: (
      <>
        <h1>Held records</h1>
        {notice ? <Notice kind={notice.kind}>{notice.text}</Notice> : null}
        {failed ? <Notice kind="error">{failed}</Notice> : null}
        {askQbo ? null : (
          <p>
            The held records are listed once QuickBooks answers: <a href="/held">show them again</a>.
          </p>
        )}
        <p>These records are not sent until someone decides which side is right. Each action is recorded with who took it, and can be undone until the next sync.</p>
        {view && view.held.length === 0 ? <p>Nothing is held.</p> : null}
        {view?.held.map((h) => (
          <HeldCard h={h} csrf={csrf} canAct={canAct} />
        ))}
        {!canAct && view?.held.length ? <p>Only a bookkeeper or an administrator can resolve held records.</p> : null}
        {view?.recent.length ? (
          <>
            <h2>Recent actions</h2>
            <form method="post" action="/held/undo">
              <CsrfField token={csrf} />
              <table>
                <caption class="visually-hidden">Recent actions on held records, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Record</th>
                    <th scope="col">Action</th>
                    <th scope="col">By</th>
                    <th scope="col">When</th>
                    <th scope="col">Before it</th>
                    <th scope="col">Undo</th>
                  </tr>
                </thead>
                <tbody>
                  {view.recent.map((a) => (
                    <tr>
                      <td>{a.label}</td>
                      <td>{actionText[a.action] ?? a.action}</td>
                      <td>{who(a.actor)}</td>
                      <td>{when(a.at)}</td>
                      <td>{a.was}</td>
                      <td>
                        {a.undoneAt ? (
                          `Undone by ${who(a.undoneBy ?? '?')}`
                        ) : a.undoable && canAct ? (
                          <button type="submit" name="actionId" value={String(a.id)} aria-label={`Undo ${actionText[a.action] ?? a.action} on ${a.label}`}>
                            Undo
                          </button>
                        ) : a.undoable ? (
                          'Can be undone'
                        ) : (
                          'Cannot be undone'
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </form>
          </>
        ) : null}
      </>
    ),
  });
}

const heldDeps = (deps: WebDeps, realmId: string): HeldDeps => ({ db: deps.ctx.db, clock: deps.ctx.clock, logger: deps.ctx.logger, client: qboClientFor(deps.ctx, realmId) });

export const heldPage: WebPage = {
  nav: { label: 'Held records', href: '/held', order: 45 },
  mount(app, deps) {
    app.get('/held', (c) => show(c, deps));
    const act = async (c: Context<WebEnv>, f: (realmId: string, body: Record<string, unknown>) => Promise<{ message: string }>) => {
      const realmId = await webRealm(deps.ctx);
      if (!realmId) return notConnectedPage(c, 'Held records');
      const body = (await c.req.parseBody()) as Record<string, unknown>;
      try {
        const r = await f(realmId, body);
        return show(c, deps, { kind: 'ok', text: r.message });
      } catch (err) {
        if (isUserFacing(err)) return show(c, deps, { kind: 'error', text: err.message }, err.status);
        const refused = qboRefusal(err, 'the held record');
        if (!refused) throw err;
        // No answer from QuickBooks (qbo/client.ts: unreachable, or retries spent with no write left
        // uncertain): nothing was done and the record stays held — connect/held/actions.ts changes
        // what is stored only after QBO answered. The list would be asked of the same silent QBO.
        if (err instanceof QboUnavailableError)
          return show(c, deps, { kind: 'error', text: `${refused.message} Nothing was changed: the record is still held.` }, refused.status, false);
        return show(c, deps, { kind: 'error', text: refused.message }, refused.status);
      }
    };
    app.post('/held/act', pageRole('bookkeeper'), (c) =>
      act(c, (realmId, b) =>
        actOnHeld(heldDeps(deps, realmId), {
          realmId,
          kind: str(b['kind']),
          id: str(b['id']),
          action: str(b['action']),
          qboId: str(b['qboId']),
          syncToken: str(b['syncToken']),
          actor: actorOf(c),
        }),
      ),
    );
    app.post('/held/undo', pageRole('bookkeeper'), (c) =>
      act(c, (realmId, b) => undoHeldAction(heldDeps(deps, realmId), { realmId, actionId: str(b['actionId']), actor: actorOf(c) })),
    );
  },
};
