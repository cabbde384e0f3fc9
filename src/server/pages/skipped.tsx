/**
 * Skipped records: what is left out of syncs, who skipped it and when. Bookkeepers add records back
 * one at a time (the row's button) or many at once (tick the boxes, "Add back the ticked records");
 * they then go in the next sync.
 */
import type { Context } from 'hono';
import type { WebDeps, WebEnv, WebPage } from '../web/env.js';
import { roleAtLeast } from '../web/env.js';
import { CsrfField, Notice, renderPage } from '../web/layout.js';
import { pageRole } from '../web/guards.js';
import { currentUser } from '../web/session.js';
import { isUserFacing, type RefusalStatus } from '../../user-facing-error.js';
import { getSettings } from '../../connect/settings/store.js';
import { listSkipped, parseRef, unskipMany, type RecordRef } from '../../connect/skips.js';
import { actorOf, DisconnectedNotice, knownRealm, notConnectedPage, practiceHref, str, when, who } from './work-common.js';

const kindText: Record<string, string> = {
  invoice: 'Invoice',
  'credit-note': 'Credit note',
  payment: 'Payment',
  'imported-payment': 'Payment from QuickBooks',
  bill: 'Bill',
  'staff-expense': 'Staff expense',
  contact: 'Contact',
  staff: 'Staff member',
  'job-item': 'Job item (project)',
};

function reasonText(code: string | null, byEngine: boolean): string {
  if (byEngine) return `Held back by QBO Connect (${code ?? 'no reason recorded'}): fix the record, then add it back`;
  return code ? `Skipped (${code})` : 'Skipped by a person';
}

async function show(c: Context<WebEnv>, deps: WebDeps, notice?: { kind: 'ok' | 'error'; text: string }, status: 200 | RefusalStatus = 200) {
  const known = await knownRealm(deps.ctx);
  if (!known) return notConnectedPage(c, 'Skipped records');
  const realmId = known.realmId;
  const canRestore = roleAtLeast(currentUser(c), 'bookkeeper');
  const settings = await getSettings(deps.ctx.db, realmId, deps.ctx.clock);
  const skipped = await listSkipped(deps.ctx.db, realmId, { exportFrom: settings.general.exportFrom });
  const restored = c.req.query('restored');
  const csrf = c.get('csrfToken');
  return renderPage(c, {
    title: 'Skipped records',
    status,
    body: (
      <>
        <h1>Skipped records</h1>
        {known.connected ? null : <DisconnectedNotice />}
        {notice ? <Notice kind={notice.kind}>{notice.text}</Notice> : null}
        {restored !== undefined && /^\d+$/.test(restored) ? (
          <Notice kind="ok">
            Added {restored} record{restored === '1' ? '' : 's'} back: the next sync sends {restored === '1' ? 'it' : 'them'}. <a href="/preview">See the preview</a>.
          </Notice>
        ) : null}
        <p>These records are left out of every sync until they are added back.</p>
        {skipped.length === 0 ? (
          <p>Nothing is skipped.</p>
        ) : (
          <form method="post" action="/skipped/restore">
            <CsrfField token={csrf} />
            <table>
              <caption class="visually-hidden">Skipped records, newest first</caption>
              <thead>
                <tr>
                  {canRestore ? (
                    <th scope="col">
                      <span class="visually-hidden">Select</span>
                    </th>
                  ) : null}
                  <th scope="col">Record</th>
                  <th scope="col">Why</th>
                  <th scope="col">Skipped by</th>
                  <th scope="col">When</th>
                  {canRestore ? (
                    <th scope="col">
                      <span class="visually-hidden">Actions</span>
                    </th>
                  ) : null}
                </tr>
              </thead>
              <tbody>
                {skipped.map((s) => {
                  const value = `${s.kind}:${s.recordId}`;
                  const name = `${kindText[s.kind] ?? s.kind} ${s.recordId}`;
                  const href = practiceHref(s.kind, s.recordId);
                  const boxId = `skip-${s.id}`;
                  return (
                    <tr>
                      {canRestore ? (
                        <td>
                          <input type="checkbox" id={boxId} name="ref" value={value} aria-label={`Select ${name}`} />
                        </td>
                      ) : null}
                      <td>
                        {href ? <a href={href}>{name}</a> : name}
                        {s.recordDate ? <span class="hint"> · {s.recordDate}</span> : null}
                      </td>
                      <td>{reasonText(s.reasonCode, s.heldByEngine)}</td>
                      <td>{who(s.skippedBy)}</td>
                      <td>{when(s.skippedAt)}</td>
                      {canRestore ? (
                        <td>
                          <button type="submit" name="one" value={value} aria-label={`Add back ${name}`}>
                            Add back
                          </button>
                        </td>
                      ) : null}
                    </tr>
                  );
                })}
              </tbody>
            </table>
            {canRestore ? (
              <button type="submit" class="primary">
                Add back the ticked records
              </button>
            ) : (
              <p>Only a bookkeeper or an administrator can add records back.</p>
            )}
          </form>
        )}
      </>
    ),
  });
}

export const skippedPage: WebPage = {
  nav: { label: 'Skipped records', href: '/skipped', order: 50 },
  mount(app, deps) {
    app.get('/skipped', (c) => show(c, deps));
    app.post('/skipped/restore', pageRole('bookkeeper'), async (c) => {
      const realmId = (await knownRealm(deps.ctx))?.realmId;
      if (!realmId) return notConnectedPage(c, 'Skipped records');
      const body = await c.req.parseBody({ all: true });
      const one = str(body.one);
      const ticked = ([] as unknown[]).concat(body.ref ?? []).map(str);
      const chosen = one ? [one] : ticked.filter(Boolean);
      if (chosen.length === 0) return show(c, deps, { kind: 'error', text: 'No record was ticked: tick the records to add back, then press the button again.' }, 400);
      try {
        const refs: RecordRef[] = chosen.map((v) => {
          const i = v.indexOf(':');
          return parseRef(v.slice(0, i), v.slice(i + 1));
        });
        const restored = await unskipMany(deps.ctx.db, { realmId, refs, actor: actorOf(c), clock: deps.ctx.clock });
        return c.redirect(`/skipped?restored=${restored.length}`, 303);
      } catch (err) {
        if (isUserFacing(err)) return show(c, deps, { kind: 'error', text: err.message }, err.status);
        throw err;
      }
    });
  },
};
