/**
 * The firm overview (issue 15): every practice and company on one page — connection and when it must
 * be connected again, the last sync and its result, errors waiting in the preview and held records as
 * of the last check — sortable, "needs attention" first by default. It reads only what is stored
 * (connect/overview): 200 companies render without a QBO request. "Check now" queues a fresh check of
 * every connected company (the `company-status` job, which also runs hourly). An owner creates a
 * practice here too.
 */
import type { Context } from 'hono';
import type { WebDeps, WebEnv, WebPage } from '../web/env.js';
import { CsrfField, Notice, renderPage } from '../web/layout.js';
import { pageRole } from '../web/guards.js';
import { attentionOf, firmOverview, overviewSorts, sortOverview, type OverviewRow, type OverviewSort } from '../../connect/overview/index.js';
import { connectedRealms } from '../../connect/realm.js';
import { addCompanyStatusJob } from '../../jobs/tasks/company-status.js';
import { str, when } from './work-common.js';
import { createPractice } from '../../practice/practices.js';
import { isUserFacing, type RefusalStatus } from '../../user-facing-error.js';

const columns: Array<[OverviewSort, string]> = [
  ['practice', 'Practice'],
  ['company', 'QuickBooks company'],
  ['connection', 'Connection'],
  ['reconnect-by', 'Connect again by'],
  ['last-sync', 'Last sync'],
  ['errors', 'Errors waiting'],
  ['held', 'Held records'],
];

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export function parseSort(c: Context<WebEnv>): { sort: OverviewSort; desc: boolean } {
  const given = c.req.query('sort');
  const sort = (overviewSorts as readonly string[]).includes(given ?? '') ? (given as OverviewSort) : 'attention';
  return { sort, desc: c.req.query('dir') === 'desc' };
}

function lastSync(r: OverviewRow) {
  if (!r.lastSync) return r.realmId ? 'never' : '—';
  const s = r.lastSync;
  const result = s.status === 'failed' && s.failed === 0 && s.held > 0 ? `succeeded with ${s.held} held` : s.status;
  return `${when(s.startedAt)}: ${result}`;
}

function Row({ r, now }: { r: OverviewRow; now: Date }) {
  const p = r.preview;
  const attention = attentionOf(r, now);
  return (
    <tr class={attention >= 300 ? 'attention' : undefined}>
      <td>
        {r.practiceName} <span class="hint">({r.practiceId})</span>
      </td>
      <td>{r.realmId ? (r.companyName ?? r.realmId) : <em>no company connected</em>}</td>
      <td>{r.connection === 'none' ? '—' : r.connection}</td>
      <td>{r.reconnectBy ? r.reconnectBy.slice(0, 10) : '—'}</td>
      <td>{r.lastSync ? <a href={`/p/${encodeURIComponent(r.practiceId)}/history/${encodeURIComponent(r.lastSync.runId)}`}>{lastSync(r)}</a> : lastSync(r)}</td>
      <td>{p ? p.problem ? <span title={p.problem}>not checked: {p.problem.slice(0, 80)}</span> : String(p.errors) : r.realmId ? 'not checked yet' : '—'}</td>
      <td>{p ? String(Math.max(p.held, r.lastSync?.held ?? 0)) : r.lastSync ? String(r.lastSync.held) : '—'}</td>
      <td>{p ? when(p.checkedAt) : '—'}</td>
    </tr>
  );
}

async function show(c: Context<WebEnv>, deps: WebDeps, flash?: { kind: 'ok' | 'error'; text: string }, status: 200 | RefusalStatus = 200, typed?: { id: string; name: string }) {
  const now = deps.ctx.clock();
  const { sort, desc } = parseSort(c);
  const rows = sortOverview(await firmOverview(deps.ctx.db), sort, now, desc);
  const href = (key: OverviewSort) => `/firm?sort=${key}${key === sort && !desc ? '&dir=desc' : ''}`;
  return renderPage(c, {
    title: 'Firm overview',
    status,
    body: (
      <>
        <h1>Firm overview</h1>
        {flash ? <Notice kind={flash.kind}>{flash.text}</Notice> : null}
        <p>
          {plural(rows.filter((r) => r.realmId).length, 'company', 'companies')} in {plural(new Set(rows.map((r) => r.practiceId)).size, 'practice', 'practices')}.{' '}
          {sort === 'attention' ? 'Those that need someone first.' : <a href="/firm">Those that need someone first</a>}
        </p>
        <table class="overview">
          <thead>
            <tr>
              {columns.map(([key, label]) => (
                <th>
                  <a href={href(key)}>{label}</a>
                  {key === sort ? (desc ? ' ▼' : ' ▲') : ''}
                </th>
              ))}
              <th>Checked</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <Row r={r} now={now} />
            ))}
          </tbody>
        </table>
        <form method="post" action="/firm/check">
          <CsrfField token={c.get('csrfToken')} />
          <button type="submit">Check every company now</button>
        </form>
        <p class="hint">Errors and held records are as of each company's last check (hourly, or when asked here); a sync's result shows at once.</p>
        <h2>A new practice</h2>
        <form method="post" action="/firm/practices" class="setting">
          <CsrfField token={c.get('csrfToken')} />
          <label for="practice-id">Id (in its addresses: /p/id/…; lower-case letters, digits and "-")</label>
          <input id="practice-id" name="id" type="text" required maxlength={40} value={typed?.id ?? ''} />
          <label for="practice-name">Name</label>
          <input id="practice-name" name="name" type="text" required maxlength={200} value={typed?.name ?? ''} />
          <button type="submit">Create the practice</button>
        </form>
      </>
    ),
  });
}

export const firmPage: WebPage = {
  nav: { label: 'Firm', href: '/firm', order: 5, minRole: 'administrator', ownerOnly: true },
  mount(app, deps) {
    app.get('/firm', pageRole('administrator'), (c) => show(c, deps));
    app.post('/firm/check', pageRole('administrator'), async (c) => {
      const jobs = deps.ctx.jobs;
      if (!jobs) return show(c, deps, { kind: 'error', text: 'This process runs no jobs, so no check was queued; run `qbo-connect firm check`.' });
      const realms = await connectedRealms(deps.ctx.db);
      for (const realm of realms) await addCompanyStatusJob(jobs, realm);
      return show(c, deps, {
        kind: 'ok',
        text: `A check of ${realms.length} connected ${realms.length === 1 ? 'company' : 'companies'} is queued; the figures update as each finishes.`,
      });
    });
    // An owner creates a practice (issue 15); the refusal names the field and keeps what was typed.
    app.post('/firm/practices', pageRole('administrator'), async (c) => {
      const body = await c.req.parseBody();
      const typed = { id: str(body['id']).trim(), name: str(body['name']) };
      try {
        const p = await createPractice(deps.ctx.db, typed, `user:${c.get('user').email}`, deps.ctx.clock());
        return show(c, deps, {
          kind: 'ok',
          text: `Practice "${p.name}" created at /p/${p.id}/: connect its QuickBooks company on its Connection page and add its people on its Users page.`,
        });
      } catch (err) {
        if (isUserFacing(err)) return show(c, deps, { kind: 'error', text: err.message }, err.status, typed);
        throw err;
      }
    });
  },
};
