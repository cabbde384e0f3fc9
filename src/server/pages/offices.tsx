/**
 * Offices: which part of the practice ledger the company takes when a practice keeps several QBO
 * companies (issue 15) — the whole ledger, the documents of chosen offices, or none. Administrators
 * change it (audited as `company.offices`, shown in the settings audit); everyone else sees it.
 * The company is the connected one (else the one last connected here), or `?realm=ID`.
 */
import type { Context } from 'hono';
import type { WebDeps, WebEnv, WebPage } from '../web/env.js';
import { roleAtLeast } from '../web/env.js';
import { CsrfField, Notice, renderPage } from '../web/layout.js';
import { pageRole } from '../web/guards.js';
import { currentUser } from '../web/session.js';
import { isUserFacing, type RefusalStatus } from '../../user-facing-error.js';
import { describeOffices, getCompanyScope, practiceCompanies, practiceOfficeCodes, setCompanyOffices, type CompanyScope } from '../../connect/company-scope.js';
import { refusal } from '../../connect/reasons.js';
import { resolveKnownRealm } from '../api/known-realm.js';
import { practiceOf } from '../practice-scope.js';
import { actorOf, knownRealm, notConnectedPage, str } from './work-common.js';

type Flash = { kind: 'ok' | 'error'; text: string };

/** The company of this request, or undefined when none was ever connected; another practice's company is unknown. */
async function companyOf(c: Context<WebEnv>, deps: WebDeps): Promise<CompanyScope | undefined> {
  const given = c.req.query('realm');
  const realmId = given !== undefined ? await resolveKnownRealm(deps.ctx.db, given, '?realm=ID') : (await knownRealm(deps.ctx))?.realmId;
  if (!realmId) return undefined;
  const scope = await getCompanyScope(deps.ctx.db, realmId);
  if (scope.practiceId !== practiceOf(c)) throw refusal('realm.unknown', { value: realmId, how: '?realm=ID' }, 'realm');
  return scope;
}

async function show(c: Context<WebEnv>, deps: WebDeps, flash?: Flash, status: 200 | RefusalStatus = 200, typed?: { scope: string; offices: string[] }) {
  const s = await companyOf(c, deps);
  if (!s) return notConnectedPage(c, 'Offices');
  const admin = roleAtLeast(currentUser(c), 'administrator');
  const codes = (await practiceOfficeCodes(deps.ctx.db, s.practiceId)).sort();
  const others = (await practiceCompanies(deps.ctx.db, s.practiceId)).filter((x) => x.realmId !== s.realmId);
  const scope = typed?.scope ?? (s.offices === null ? 'all' : s.offices.length === 0 ? 'none' : 'offices');
  const chosen = new Set(typed?.offices ?? s.offices ?? []);
  const action = `/offices${c.req.query('realm') ? `?realm=${encodeURIComponent(s.realmId)}` : ''}`;
  return renderPage(c, {
    title: 'Offices',
    status,
    body: (
      <>
        <h1>Offices</h1>
        {flash ? <Notice kind={flash.kind}>{flash.text}</Notice> : null}
        <p>
          Company {s.realmId}
          {s.companyName ? ` (${s.companyName})` : ''} takes <strong>{describeOffices(s.offices)}</strong>.
        </p>
        {others.length ? (
          <ul>
            {others.map((o) => (
              <li>
                Company {o.realmId}
                {o.companyName ? ` (${o.companyName})` : ''} takes {describeOffices(o.offices)}.
              </li>
            ))}
          </ul>
        ) : null}
        {!admin ? <Notice kind="warn">Only an administrator can change which offices a company takes; you can see it.</Notice> : null}
        <form method="post" action={action} class="setting">
          <CsrfField token={c.get('csrfToken')} />
          <fieldset disabled={!admin}>
            <legend>This company takes</legend>
            <label>
              <input type="radio" name="scope" value="all" checked={scope === 'all'} /> the whole ledger
            </label>
            <label>
              <input type="radio" name="scope" value="offices" checked={scope === 'offices'} /> the documents of these offices:
            </label>
            {codes.map((code) => (
              <label>
                <input type="checkbox" name="office" value={code} checked={chosen.has(code)} /> {code}
              </label>
            ))}
            <label>
              <input type="radio" name="scope" value="none" checked={scope === 'none'} /> no document (a company the practice stopped using)
            </label>
          </fieldset>
          {admin ? <button type="submit">Save the offices</button> : null}
        </form>
        <p class="hint">
          A document goes to the company that takes its project’s office, once; two companies taking the same office stop the preview with an error. A document already synced to a
          company stays there if its project moves. Changes are listed in <a href="/settings/audit?path=company">the settings audit</a>.
        </p>
      </>
    ),
  });
}

export const officesPage: WebPage = {
  nav: { label: 'Offices', href: '/offices', order: 61 },
  mount(app, deps) {
    app.get('/offices', (c) => show(c, deps));
    app.post('/offices', pageRole('administrator'), async (c) => {
      const body = await c.req.parseBody({ all: true });
      const scope = str(body.scope);
      const offices = ([] as unknown[])
        .concat(body.office ?? [])
        .map(str)
        .filter(Boolean);
      try {
        const s = await companyOf(c, deps);
        if (!s) return notConnectedPage(c, 'Offices');
        if (!['all', 'offices', 'none'].includes(scope))
          throw refusal('settings.invalid-value', { path: 'offices', value: scope, allowed: 'the whole ledger (all), chosen offices (offices) or none' }, 'offices');
        if (scope === 'offices' && offices.length === 0)
          throw refusal('settings.invalid-value', { path: 'offices', value: [], allowed: 'at least one office (or the whole ledger, or none)' }, 'offices');
        const wanted = scope === 'all' ? null : scope === 'none' ? [] : offices;
        const r = await setCompanyOffices(deps.ctx.db, { realmId: s.realmId, offices: wanted, actor: actorOf(c), clock: deps.ctx.clock });
        return show(c, deps, { kind: 'ok', text: r.changed ? `Saved: the company takes ${describeOffices(r.newValue)}.` : 'The company already took that; nothing changed.' });
      } catch (err) {
        if (isUserFacing(err)) return show(c, deps, { kind: 'error', text: err.message }, err.status, { scope, offices });
        throw err;
      }
    });
  },
};
