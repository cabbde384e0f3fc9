/**
 * Sync: a bookkeeper starts it; the page then shows a progress bar with live counts. The bar is a
 * fragment htmx fetches every second (`hx-trigger="every 1s"`) until the run ends, when the server
 * answers the summary without the trigger, so polling stops; without JavaScript the page refreshes
 * itself by link. A second sync while one runs is refused with who started it and when.
 */
import type { Context } from 'hono';
import type { WebDeps, WebEnv, WebPage } from '../web/env.js';
import { roleAtLeast } from '../web/env.js';
import { CsrfField, Notice, renderPage } from '../web/layout.js';
import { pageRole } from '../web/guards.js';
import { currentUser } from '../web/session.js';
import { getRun, heldForErrorRecords, heldForErrorsOf, heldOnly, latestRun, type RunSummary } from '../../connect/run/history.js';
import { actorName, localWhen } from '../../connect/run/reasons.js';
import { isUserFacing, type RefusalStatus } from '../../user-facing-error.js';
import { enqueueSync } from '../../jobs/enqueue-sync.js';
import { actorOf, notConnectedPage, webRealm, when, who } from './work-common.js';

const statusText: Record<string, string> = {
  queued: 'Waiting to start',
  running: 'Running',
  succeeded: 'Finished',
  failed: 'Finished with problems',
  refused: 'Did not start',
  interrupted: 'Interrupted',
};

/**
 * The status as the web pages say it; given the run, a run with only held rows reads "Finished with N
 * held for review" — or, for rows a scheduled `sync-ready` run held because of their errors, "held
 * because of errors": those wait for a fix in the practice, not for a person's review (issue 16).
 */
export function runStatusText(status: string, run?: { failed: number; held: number; message: string | null }): string {
  if (run && heldOnly({ ...run, status })) return `Finished with ${heldWords(run)}`;
  return statusText[status] ?? status;
}

/** "N held for review", "N held because of errors", or both parts. */
function heldWords(run: { held: number; message: string | null }): string {
  const forErrors = heldForErrorsOf(run);
  const forReview = run.held - forErrors;
  if (!forErrors) return `${run.held} held for review`;
  return forReview ? `${run.held} held: ${forErrors} because of errors, ${forReview} for review` : `${forErrors} held because of errors`;
}

/** The rows held because of their errors, each with its sentence (the record, its error, what to do). */
function HeldForErrors({ rows, count, runId }: { rows: { label: string; message: string | null }[]; count: number; runId: string }) {
  return (
    <section aria-labelledby="held-errors-title">
      <h3 id="held-errors-title">Held because of their errors ({count})</h3>
      <p>
        Not sent: each has an error in the <a href="/preview">preview</a>. Fix it in the practice system, or skip it on the preview; the next sync sends it. These are not decided
        on the Held records page.
      </p>
      <ul>
        {rows.map((r) => (
          <li>{r.message ?? r.label}</li>
        ))}
      </ul>
      {count > rows.length ? (
        <p>
          And {count - rows.length} more: <a href={`/history/${encodeURIComponent(runId)}`}>the run in the history</a> lists them all.
        </p>
      ) : null}
    </section>
  );
}

/** Rows held because of errors listed on the page; the history lists every one. */
const HELD_SHOWN = 20;

/** The progress fragment: polls itself while the run is going. */
export function ProgressView({ run, heldForErrors = [] }: { run: RunSummary; heldForErrors?: { label: string; message: string | null }[] }) {
  const running = run.status === 'running' || run.status === 'queued';
  const { done, total, group } = run.progress;
  const url = `/sync/runs/${encodeURIComponent(run.id)}/progress`;
  if (running) {
    const preparing = total === 0;
    if (run.status === 'queued') {
      return (
        <div id="sync-progress" class="sync-progress" hx-get={url} hx-trigger="every 1s" hx-swap="outerHTML">
          <label for="sync-bar">Waiting to start: the sync is queued and starts as soon as a worker takes it.</label>
          <progress id="sync-bar" />
          <p class="hint">
            Queued by {who(run.startedBy)} at {when(run.startedAt)}. You can leave this page. <a href={`/sync/runs/${encodeURIComponent(run.id)}`}>Refresh</a>
          </p>
        </div>
      );
    }
    return (
      <div id="sync-progress" class="sync-progress" hx-get={url} hx-trigger="every 1s" hx-swap="outerHTML">
        <label for="sync-bar">
          {preparing
            ? 'Checking QuickBooks and preparing the records…'
            : `Sending to QuickBooks: ${done} of ${total} records${group && group !== 'start' ? ` (${group.replace('-', ' ')})` : ''}`}
        </label>
        {preparing ? <progress id="sync-bar" /> : <progress id="sync-bar" max={total} value={done} />}
        <p class="hint">
          Started by {who(run.startedBy)} at {when(run.startedAt)}. You can leave this page; the sync carries on. <a href={`/sync/runs/${encodeURIComponent(run.id)}`}>Refresh</a>
        </p>
      </div>
    );
  }
  const max = Math.max(total, 1);
  const value = run.status === 'succeeded' ? max : Math.min(done, max);
  const held = heldOnly(run);
  const bad = run.status !== 'succeeded' && !held;
  const forErrors = heldForErrorsOf(run);
  const forReview = run.held - forErrors;
  return (
    <div id="sync-progress" class="sync-progress" role="status">
      <label for="sync-bar">
        {runStatusText(run.status, run)}: {done} of {total} records processed
      </label>
      <progress id="sync-bar" max={max} value={value} />
      <div class={`notice ${bad ? 'notice-error' : held ? 'notice-warn' : 'notice-ok'}`}>
        <p>
          {run.status === 'succeeded' ? 'The sync finished. ' : ''}
          {run.created} created, {run.adopted} linked to existing records, {run.updated} updated, {run.voided} voided, {run.imported} imported, <strong>{run.failed} failed</strong>
          , {forErrors ? `${forErrors} held because of their errors${forReview ? `, ${forReview} held for review` : ''}` : `${run.held} held for review`}.
        </p>
        {run.message ? <p>{run.message}</p> : null}
        {forErrors ? <HeldForErrors rows={heldForErrors} count={forErrors} runId={run.id} /> : null}
        {forErrors && forReview ? (
          <p>
            Held for review ({forReview}): changed in QuickBooks too, or a write still to settle; decide on the <a href="/held">Held records</a> page.
          </p>
        ) : null}
        <p>
          <a href={`/history/${encodeURIComponent(run.id)}`}>See this run in the history</a>
        </p>
      </div>
    </div>
  );
}

async function show(c: Context<WebEnv>, deps: WebDeps, opts: { runId?: string; error?: string; status?: 200 | RefusalStatus } = {}) {
  const realmId = await webRealm(deps.ctx);
  if (!realmId) return notConnectedPage(c, 'Sync');
  const canSync = roleAtLeast(currentUser(c), 'bookkeeper');
  let run: RunSummary | undefined;
  if (opts.runId) {
    try {
      run = await getRun(deps.ctx.db, opts.runId, { now: deps.ctx.clock() });
    } catch (err) {
      if (isUserFacing(err)) return renderPage(c, { title: 'Sync', status: err.status, body: <Notice kind="error">{err.message}</Notice> });
      throw err;
    }
  } else {
    run = await latestRun(deps.ctx.db, realmId, { now: deps.ctx.clock() });
  }
  // The company's running sync, whichever run this page shows: the button waits for it.
  const latest = run && !opts.runId ? run : await latestRun(deps.ctx.db, realmId, { now: deps.ctx.clock() });
  const busy = latest?.status === 'running' || latest?.status === 'queued' ? latest : undefined;
  const csrf = c.get('csrfToken');
  const heldRows = run && heldForErrorsOf(run) ? await heldForErrorRecords(deps.ctx.db, run.id, HELD_SHOWN) : [];
  return renderPage(c, {
    title: 'Sync',
    status: opts.status ?? 200,
    body: (
      <>
        <h1>Sync to QuickBooks</h1>
        {opts.error ? <Notice kind="error">{opts.error}</Notice> : null}
        <p>
          The sync sends what the <a href="/preview">preview</a> shows. Check the preview first: the sync does not start while an error remains.
        </p>
        {canSync ? (
          <form method="post" action="/sync">
            <CsrfField token={csrf} />
            <button type="submit" class="primary" disabled={!!busy} aria-describedby={busy ? 'sync-busy' : undefined}>
              Start the sync
            </button>
            {busy ? (
              <p id="sync-busy">
                A sync is {busy.status === 'queued' ? 'queued' : 'running'} now, started by {actorName(busy.startedBy)} {localWhen(busy.startedAt, deps.ctx.clock())}; you can start
                another when it has finished.
              </p>
            ) : null}
          </form>
        ) : null}
        {!canSync ? <p>Only a bookkeeper or an administrator can run the sync.</p> : null}
        {run ? (
          <section aria-labelledby="run-title">
            <h2 id="run-title">{opts.runId ? 'This sync' : 'The last sync'}</h2>
            <ProgressView run={run} heldForErrors={heldRows} />
          </section>
        ) : (
          <p>No sync has run yet.</p>
        )}
      </>
    ),
  });
}

export const syncPage: WebPage = {
  nav: { label: 'Sync', href: '/sync', order: 30 },
  mount(app, deps) {
    app.get('/sync', (c) => show(c, deps));
    app.get('/sync/runs/:id', (c) => show(c, deps, { runId: c.req.param('id') }));
    app.get('/sync/runs/:id/progress', async (c) => {
      try {
        const run = await getRun(deps.ctx.db, c.req.param('id'), { now: deps.ctx.clock() });
        const heldRows = heldForErrorsOf(run) ? await heldForErrorRecords(deps.ctx.db, run.id, HELD_SHOWN) : [];
        return c.html(<ProgressView run={run} heldForErrors={heldRows} />);
      } catch (err) {
        if (isUserFacing(err)) return c.html(<Notice kind="error">{err.message}</Notice>, err.status);
        throw err;
      }
    });

    app.post('/sync', pageRole('bookkeeper'), async (c) => {
      const realmId = await webRealm(deps.ctx);
      if (!realmId) return notConnectedPage(c, 'Sync');
      const actor = actorOf(c);
      try {
        const { runId } = await enqueueSync(deps.ctx, { realmId, actor, trigger: 'click' });
        return c.redirect(`/sync/runs/${encodeURIComponent(runId)}`, 303);
      } catch (err) {
        // "Already running: started by … at …" — the person sees who holds the company.
        if (isUserFacing(err)) return show(c, deps, { error: err.message, status: err.status });
        throw err;
      }
    });
  },
};
