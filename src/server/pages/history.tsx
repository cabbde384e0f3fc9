/**
 * History: the runs of the connected company, newest first (failures in red); a run opens to what
 * happened to each record, each linking to its practice record and to the QuickBooks record
 * (QuickBooks' own page, or the emulator's company dump in the demo).
 */
import type { Context } from 'hono';
import type { WebDeps, WebEnv, WebPage } from '../web/env.js';
import { CsrfField, Notice, renderPage } from '../web/layout.js';
import { roleAtLeast } from '../web/env.js';
import { pageRole } from '../web/guards.js';
import { currentUser } from '../web/session.js';
import { syncDepsFor } from '../../connect/run/deps.js';
import { qboRefusal } from '../../connect/reasons.js';
import { createdBy, previewUndo, undoRun, type UndoPreview } from '../../connect/undo/index.js';
import { getRun, heldOnly, listRuns, undoCountsText } from '../../connect/run/history.js';
import { isUserFacing } from '../../user-facing-error.js';
import { actorOf, DisconnectedNotice, knownRealm, notConnectedPage, practiceHref, qboHref, webRealm, when, who } from './work-common.js';
import { runStatusText } from './sync.js';

const doneText: Record<string, string> = {
  create: 'Created',
  adopt: 'Linked to an existing record',
  update: 'Updated',
  void: 'Voided',
  import: 'Imported',
  none: 'Nothing sent',
  delete: 'Deleted',
  inactivate: 'Made inactive',
  keep: 'Kept active',
};
const resultText: Record<string, string> = {
  done: 'Done',
  failed: 'Failed',
  held: 'Held for review',
  pending: 'Not known yet',
  'not-sent': 'Not sent',
  kept: 'Kept active (still in use)',
};

/** Queued (its job has not started it yet) or running: neither good nor bad yet. */
const unfinished = (status: string) => status === 'running' || status === 'queued';

function seconds(ms: number | null): string {
  if (ms === null) return 'not finished';
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

async function list(c: Context<WebEnv>, deps: WebDeps) {
  const known = await knownRealm(deps.ctx);
  if (!known) return notConnectedPage(c, 'History');
  const runs = await listRuns(deps.ctx.db, { realmId: known.realmId, limit: 200, now: deps.ctx.clock() });
  return renderPage(c, {
    title: 'History',
    body: (
      <>
        <h1>History of syncs</h1>
        {known.connected ? null : <DisconnectedNotice />}
        {runs.length === 0 ? (
          <p>
            No sync has run yet. Start one from the <a href="/preview">preview</a>.
          </p>
        ) : (
          <table>
            <caption class="visually-hidden">Syncs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">By</th>
                <th scope="col">Result</th>
                <th scope="col" class="num">
                  Created
                </th>
                <th scope="col" class="num">
                  Linked
                </th>
                <th scope="col" class="num">
                  Updated
                </th>
                <th scope="col" class="num">
                  Failed
                </th>
                <th scope="col">Took</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => {
                const bad = r.status !== 'succeeded' && !unfinished(r.status) && !heldOnly(r);
                return (
                  <tr class={bad ? 'row-failed' : ''}>
                    <td>
                      <a href={`/history/${encodeURIComponent(r.id)}`}>{when(r.startedAt)}</a>
                      {r.undo ? <div>Undo of a sync: {undoCountsText(r.undo)}</div> : null}
                    </td>
                    <td>{who(r.startedBy)}</td>
                    <td class={bad ? 'text-error' : ''}>{runStatusText(r.status, r)}</td>
                    <td class="num">{r.undo ? '—' : r.created}</td>
                    <td class="num">{r.undo ? '—' : r.adopted}</td>
                    <td class="num">{r.undo ? '—' : r.updated}</td>
                    <td class={`num${r.failed ? ' text-error' : ''}`}>{r.failed}</td>
                    <td>{seconds(r.durationMs)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </>
    ),
  });
}

async function one(c: Context<WebEnv>, deps: WebDeps) {
  let run;
  try {
    run = await getRun(deps.ctx.db, c.req.param('id') ?? '', { now: deps.ctx.clock() });
  } catch (err) {
    if (isUserFacing(err)) return renderPage(c, { title: 'History', status: err.status, body: <Notice kind="error">{err.message}</Notice> });
    throw err;
  }
  const bad = run.status !== 'succeeded' && !unfinished(run.status) && !heldOnly(run);
  // Hidden once everything the sync created is undone (or was never linked): the preview would say "nothing to undo".
  const canUndo =
    run.kind !== 'undo' &&
    !unfinished(run.status) &&
    run.created > 0 &&
    roleAtLeast(currentUser(c), 'bookkeeper') &&
    (await createdBy(deps.ctx.db, run.realmId, run.id)).length > 0;
  const title = run.kind === 'undo' ? `Undo of ${when(run.startedAt)}` : `Sync of ${when(run.startedAt)}`;
  return renderPage(c, {
    title,
    body: (
      <>
        <p>
          <a href="/history">← All syncs</a>
        </p>
        <h1>{title}</h1>
        {run.kind === 'undo' && run.undoes ? (
          <p>
            This run took back <a href={`/history/${encodeURIComponent(run.undoes)}`}>the sync {run.undoes}</a>.
          </p>
        ) : null}
        {canUndo ? (
          <p>
            <a class="button" href={`/history/${encodeURIComponent(run.id)}/undo`}>
              Undo this sync…
            </a>{' '}
            (shows what would be voided, deleted or made inactive first; nothing changes until you confirm)
          </p>
        ) : null}
        <Notice kind={bad ? 'error' : unfinished(run.status) || heldOnly(run) ? 'warn' : 'ok'}>
          {runStatusText(run.status, run)}. {run.message ?? ''}
        </Notice>
        <dl class="facts">
          <dt>Started by</dt>
          <dd>{who(run.startedBy)}</dd>
          <dt>Started</dt>
          <dd>{when(run.startedAt)}</dd>
          <dt>Finished</dt>
          <dd>{when(run.finishedAt)}</dd>
          <dt>Records</dt>
          <dd>
            {run.undo
              ? undoCountsText(run.undo)
              : `${run.created} created, ${run.adopted} linked, ${run.updated} updated, ${run.voided} voided, ${run.imported} imported, ${run.failed} failed, ${run.held} held`}
          </dd>
          <dt>Requests to QuickBooks</dt>
          <dd>{run.requests}</dd>
        </dl>
        {run.settings ? (
          <details class="plan-row">
            <summary>Settings in force for this run</summary>
            <pre class="payload" tabindex={0} aria-label="Settings in force for this run">
              {JSON.stringify(run.settings, null, 2)}
            </pre>
          </details>
        ) : null}
        {unfinished(run.status) ? (
          <p>
            <a href={`/sync/runs/${encodeURIComponent(run.id)}`}>Follow its progress</a>
          </p>
        ) : null}
        <h2>Records</h2>
        {run.records.length === 0 ? (
          <p>No record was written in this run.</p>
        ) : (
          <table>
            <caption class="visually-hidden">What happened to each record</caption>
            <thead>
              <tr>
                <th scope="col">Record</th>
                <th scope="col">What was done</th>
                <th scope="col">Result</th>
                <th scope="col">In QuickBooks</th>
              </tr>
            </thead>
            <tbody>
              {run.records.map((r) => {
                const failed = r.status !== 'ok' && r.status !== 'done' && r.status !== 'succeeded';
                const p = practiceHref(r.recordKind, r.recordKey);
                const q = qboHref(deps.ctx, run.realmId, r.qboEntity, r.qboId);
                return (
                  <tr class={failed ? 'row-failed' : ''}>
                    <td>{p ? <a href={p}>{r.label}</a> : r.label}</td>
                    <td>{doneText[r.action] ?? r.action}</td>
                    <td class={failed ? 'text-error' : ''}>
                      {resultText[r.status] ?? r.status}
                      {r.message ? <div>{r.message}</div> : null}
                    </td>
                    <td>
                      {q ? (
                        <a href={q} rel="noopener" target="_blank">
                          {r.qboEntity} {r.qboId}
                          <span class="visually-hidden"> (opens QuickBooks in a new tab)</span>
                        </a>
                      ) : (
                        '—'
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </>
    ),
  });
}

const undoHeading: Record<string, string> = {
  void: 'Will be voided',
  delete: 'Will be deleted (QuickBooks cannot void these)',
  inactivate: 'Will be made inactive',
  keep: 'Stay active (still in use)',
  refuse: 'Cannot be undone',
};

/** The undo's preview, and the button that confirms it (issue 18). */
async function undoPreviewPage(c: Context<WebEnv>, deps: WebDeps, error?: { message: string; status: number }) {
  const realmId = await webRealm(deps.ctx);
  if (!realmId) return notConnectedPage(c, 'History');
  const runId = c.req.param('id') ?? '';
  let preview: UndoPreview;
  try {
    preview = await previewUndo(syncDepsFor(deps.ctx, realmId, { actor: actorOf(c) }), realmId, runId);
  } catch (err) {
    // QuickBooks not answering is said (502), not a 500: the preview reads QBO now.
    const refused = isUserFacing(err) ? err : qboRefusal(err, 'the undo preview');
    if (refused) return renderPage(c, { title: 'Undo a sync', status: refused.status, body: <Notice kind="error">{refused.message}</Notice> });
    throw err;
  }
  const writes = preview.counts.void + preview.counts.delete + preview.counts.inactivate;
  return renderPage(c, {
    title: 'Undo a sync',
    ...(error ? { status: error.status as never } : {}),
    body: (
      <>
        <p>
          <a href={`/history/${encodeURIComponent(runId)}`}>← The sync</a>
        </p>
        <h1>Undo the sync of {when(preview.runStartedAt)}</h1>
        {error ? <Notice kind="error">{error.message}</Notice> : null}
        {preview.bookCloseDate ? <p>QuickBooks' books are closed up to {preview.bookCloseDate}; nothing dated on or before it can be undone.</p> : null}
        {preview.items.length === 0 ? <p>Nothing this sync created is still linked: there is nothing to undo.</p> : null}
        {(['void', 'delete', 'inactivate', 'keep', 'refuse'] as const).map((action) => {
          const items = preview.items.filter((i) => i.action === action);
          if (!items.length) return null;
          return (
            <section aria-labelledby={`undo-${action}`}>
              <h2 id={`undo-${action}`}>
                {undoHeading[action]} ({items.length})
              </h2>
              <ul>
                {items.map((i) => (
                  <li class={action === 'refuse' ? 'text-error' : ''}>{i.message}</li>
                ))}
              </ul>
            </section>
          );
        })}
        {writes ? (
          <form method="post" action={`/history/${encodeURIComponent(runId)}/undo`}>
            <CsrfField token={c.get('csrfToken')} />
            <button type="submit" class="primary">
              Undo: {writes} change{writes === 1 ? '' : 's'} in QuickBooks
            </button>
          </form>
        ) : null}
      </>
    ),
  });
}

export const historyPage: WebPage = {
  nav: { label: 'History', href: '/history', order: 40 },
  mount(app, deps) {
    app.get('/history', (c) => list(c, deps));
    app.get('/history/:id', (c) => one(c, deps));
    app.get('/history/:id/undo', pageRole('bookkeeper'), (c) => undoPreviewPage(c, deps));
    app.post('/history/:id/undo', pageRole('bookkeeper'), async (c) => {
      const realmId = await webRealm(deps.ctx);
      if (!realmId) return notConnectedPage(c, 'History');
      const actor = actorOf(c);
      try {
        const r = await undoRun(syncDepsFor(deps.ctx, realmId, { actor }), { realmId, runId: c.req.param('id') ?? '', actor });
        return c.redirect(`/history/${encodeURIComponent(r.undoRunId)}`, 303);
      } catch (err) {
        if (isUserFacing(err)) return undoPreviewPage(c, deps, { message: err.message, status: err.status });
        // The undo's run, if one was opened, records where it stopped; the preview would ask the same silent QBO.
        const refused = qboRefusal(err, 'the undo');
        if (refused)
          return renderPage(c, {
            title: 'Undo a sync',
            status: refused.status,
            body: <Notice kind="error">{refused.message} History lists the undo's run and what it did before it stopped.</Notice>,
          });
        throw err;
      }
    });
  },
};
