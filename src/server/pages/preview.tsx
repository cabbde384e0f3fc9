/**
 * Preview: what the next sync would do, built afresh from both sides on every visit (the seed's
 * "real-time check"). Groups with counts, errors, warnings and totals; each row opens to its issues
 * (linked to the record they name), practice-versus-QBO totals and the exact payload. Bookkeepers
 * skip a row (with the rows that need it) or a whole group. "Sync" stays disabled while an error
 * remains, and says why.
 */
import type { Context } from 'hono';
import type { WebDeps, WebEnv, WebPage } from '../web/env.js';
import { roleAtLeast } from '../web/env.js';
import { CsrfField, Notice, renderPage } from '../web/layout.js';
import { pageRole } from '../web/guards.js';
import { currentUser } from '../web/session.js';
import { qboRefusal } from '../../connect/reasons.js';
import { actorName, localWhen } from '../../connect/run/reasons.js';
import { isUserFacing, type RefusalStatus, type UserFacingError } from '../../user-facing-error.js';
import {
  buildPlan,
  prefillPending,
  prefillSettings,
  PREFILL_ACTOR,
  skipGroup,
  skipWithLinked,
  groupOrder,
  shownValue,
  type GroupKind,
  type Plan,
  type PlanGroup,
  type PlanRow,
} from '../../connect/plan/index.js';
import { qboClientFor } from '../../connect/connection/qbo-client.js';
import { blockingErrors } from '../../connect/run/sync.js';
import { latestRun } from '../../connect/run/history.js';
import { toCents } from '../../qbo/money.js';
import { actorOf, money, notConnectedPage, practiceHref, str, webRealm, when, who } from './work-common.js';

export const groupTitles: Record<GroupKind, string> = {
  customers: 'Customers',
  suppliers: 'Suppliers',
  items: 'Job items',
  invoices: 'Invoices',
  'credit-notes': 'Credit notes',
  'payments-export': 'Payments sent to QuickBooks',
  bills: 'Bills',
  'staff-expenses': 'Staff expenses',
  'payments-import': 'Payments imported from QuickBooks',
};

const actionText: Record<string, string> = {
  create: 'Create in QuickBooks',
  adopt: 'Link to the matching QuickBooks record',
  update: 'Update in QuickBooks',
  void: 'Void in QuickBooks',
  import: 'Import into the practice',
  none: 'Nothing to send',
};

/** Rows shown per group; the rest are counted (rows with problems always come first). */
const ROWS_SHOWN = 200;

/**
 * The plan, built now against QuickBooks. It writes nothing: the pre-fill of empty settings happens on
 * connecting or when a bookkeeper asks for it (POST /preview/prefill), audited as PREFILL_ACTOR —
 * never because someone, perhaps a viewer, opened the page (issue 19).
 */
export function planFor(deps: WebDeps, realmId: string, actor: string): Promise<Plan> {
  const { ctx } = deps;
  return buildPlan({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, qbo: qboClientFor(ctx, realmId) }, realmId, { actor, prefill: false });
}

/** Offers the pre-fill when practice codes have no suggestion looked for yet (a bookkeeper runs it). */
function PrefillOffer({ canRun, csrf }: { canRun: boolean; csrf: string }) {
  return (
    <Notice kind="warn">
      Some practice codes (tax codes, payment types, cost centres, disciplines or expense types) have not been matched with QuickBooks yet.{' '}
      {canRun ? (
        <form method="post" action="/preview/prefill" class="inline">
          <CsrfField token={csrf} />
          <button type="submit">Fill in the mappings that match</button>
        </form>
      ) : (
        'A bookkeeper or an administrator can fill in the mappings that match from this page.'
      )}
    </Notice>
  );
}

/** A QBO failure (502) or a refusal a person can act on (reconnect, try later, fix the input), or undefined for a bug. */
export function qboProblem(err: unknown): UserFacingError | undefined {
  return qboRefusal(err) ?? (isUserFacing(err) ? err : undefined);
}

/**
 * A row held as diverged: each field changed on both sides, side by side, as people read it (an
 * address as its lines, an email as the address, a reference by name — not QBO's JSON; issue 19).
 */
export function DivergedFields({ row }: { row: PlanRow }) {
  const conflicts = row.fields?.conflicts ?? [];
  if (!conflicts.length) return null;
  return (
    <table class="diverged">
      <caption>Changed here and in QuickBooks since the last sync: nothing is sent for this record until they agree.</caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Last sent</th>
          <th scope="col">QuickBooks now</th>
          <th scope="col">Practice now</th>
        </tr>
      </thead>
      <tbody>
        {conflicts.map((c) => (
          <tr>
            <th scope="row">{c.field}</th>
            <td>{shownValue(c.lastSent)}</td>
            <td>{shownValue(c.qboNow)}</td>
            <td>{shownValue(c.practiceNow)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The settings tab that fixes an issue, when a setting is the fix (a mapping, an account). */
export function settingsTabFor(code: string): string | undefined {
  if (code.startsWith('tax.')) return 'tax';
  if (code.endsWith('.us-tax-differs') || code === 'payment.exceeds-qbo-balance') return 'tax';
  if (code === 'staff-expense.expense-account-unmapped') return 'staffExpenses';
  if (code === 'bill.expense-account-unmapped') return 'bills';
  if (code.endsWith('.income-account-unmapped') || code === 'invoice.item-unmapped') return 'invoices';
  if (code === 'payment.type-unmapped' || code === 'payment-import.no-payment-type') return 'payments';
  return undefined;
}

function rowAnchor(key: string): string {
  return `row-${key.replace(/[^a-zA-Z0-9_-]+/g, '-')}`;
}

function IssueList({ row }: { row: PlanRow }) {
  if (row.issues.length === 0) return null;
  return (
    <ul class="issues">
      {row.issues.map((i) => {
        const ref = i.record ?? row.record;
        const href = practiceHref(ref.kind, ref.id);
        const tab = settingsTabFor(i.code);
        return (
          <li class={i.severity === 'error' ? 'issue-error' : 'issue-warn'}>
            <strong>{i.severity === 'error' ? 'Error' : 'Warning'}:</strong> {i.message}{' '}
            {href ? (
              <a href={href}>
                Open {ref.kind.replace('-', ' ')} {ref.id.split('|')[0]}
              </a>
            ) : null}
            {tab ? (
              <>
                {href ? ' · ' : ''}
                <a href={`/settings?tab=${tab}`}>Open the settings that fix it</a>
              </>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}

/**
 * What a credit application applies: its payment totals 0.00 (the credit and the invoice cancel out),
 * so the amount shown is its lines' (issue 19: $833.80 applied showed as $0.00).
 */
export function appliedCents(row: PlanRow): number | null {
  if (row.record.kind !== 'credit-application' || !row.payload) return null;
  const first = (row.payload['Line'] as Array<{ Amount?: unknown }> | undefined)?.[0]?.Amount;
  return typeof first === 'number' ? toCents(first) : null;
}

/** Why QBO's total differs from the practice's: per-line rounding only when that is what the row says. */
function totalsNote(row: PlanRow): string {
  if (row.issues.some((i) => i.code.endsWith('.total-differs')))
    return ' — differs from the practice total by per-line tax rounding in QuickBooks; the practice’s tax is sent so QuickBooks keeps its figure';
  if (row.issues.some((i) => i.severity === 'error')) return ' — differs from the practice total: see the errors above (not rounding)';
  return ' — differs from the practice total';
}

function RowView({ row, canSkip, csrf }: { row: PlanRow; canSkip: boolean; csrf: string }) {
  const errors = row.issues.filter((i) => i.severity === 'error').length;
  const warnings = row.issues.length - errors;
  const totalsDiffer = row.practiceTotalCents !== null && row.qboTotalCents !== null && row.practiceTotalCents !== row.qboTotalCents;
  const applied = appliedCents(row);
  return (
    <details
      id={rowAnchor(row.key)}
      open={errors > 0 && !row.skipped}
      class={`plan-row${errors ? ' has-error' : warnings ? ' has-warning' : ''}${row.skipped ? ' is-skipped' : ''}`}
    >
      <summary>
        <span class="row-label">{row.record.label}</span>
        <span class="row-action">{row.skipped ? 'Skipped' : (actionText[row.action] ?? row.action)}</span>
        {applied !== null ? (
          <span class="row-total">{money(applied)} applied</span>
        ) : row.practiceTotalCents !== null ? (
          <span class="row-total">{money(row.practiceTotalCents)}</span>
        ) : null}
        {errors ? (
          <span class="tag tag-error">
            {errors} error{errors === 1 ? '' : 's'}
          </span>
        ) : null}
        {warnings ? (
          <span class="tag tag-warn">
            {warnings} warning{warnings === 1 ? '' : 's'}
          </span>
        ) : null}
      </summary>
      <div class="row-body">
        {row.skipped ? (
          <p>
            Skipped by {who(row.skipped.by)} on {when(row.skipped.at)}
            {row.skipped.reason ? ` (${row.skipped.reason})` : ''}. <a href="/skipped">Add it back on the Skipped page.</a>
          </p>
        ) : null}
        <IssueList row={row} />
        <DivergedFields row={row} />
        <dl class="facts">
          {applied !== null ? (
            <>
              <dt>Credit applied to the invoice</dt>
              <dd>{money(applied)}</dd>
            </>
          ) : null}
          <dt>Practice total</dt>
          <dd>{money(row.practiceTotalCents)}</dd>
          <dt>QuickBooks will compute</dt>
          <dd>
            {money(row.qboTotalCents)}
            {totalsDiffer ? totalsNote(row) : ''}
          </dd>
          <dt>QuickBooks record</dt>
          <dd>
            {row.qbo.entity}
            {row.qbo.id ? ` Id ${row.qbo.id}` : ' (new)'}
          </dd>
          {row.dependsOn.length ? (
            <>
              <dt>Written after</dt>
              <dd>{row.dependsOn.join(', ')}</dd>
            </>
          ) : null}
        </dl>
        {row.payload ? (
          <>
            <p class="hint">What will be sent to QuickBooks:</p>
            <pre class="payload" tabindex={0} aria-label={`Payload for ${row.record.label}`}>
              {JSON.stringify(row.payload, null, 2)}
            </pre>
          </>
        ) : null}
        {canSkip && !row.skipped ? (
          <form method="post" action="/preview/skip" class="inline">
            <CsrfField token={csrf} />
            <input type="hidden" name="row" value={row.key} />
            <button type="submit" aria-label={`Skip this record: ${row.record.label}`}>
              Skip this record
            </button>
          </form>
        ) : null}
      </div>
    </details>
  );
}

function GroupView({ group, canSkip, csrf }: { group: PlanGroup; canSkip: boolean; csrf: string }) {
  const ordered = [...group.rows].sort((a, b) => Number(b.issues.length > 0) - Number(a.issues.length > 0));
  const shown = ordered.slice(0, ROWS_SHOWN);
  const id = `group-${group.kind}`;
  const open = group.rows.filter((r) => !r.skipped).length;
  return (
    <section class="plan-group" aria-labelledby={id}>
      <h2 id={id}>
        {groupTitles[group.kind]} <span class="count">({group.records})</span>
      </h2>
      <p class="group-facts">
        {group.records} record{group.records === 1 ? '' : 's'} to sync · {group.skipped ? `${group.skipped} skipped · ` : ''}
        <span class={group.errors ? 'text-error' : ''}>
          {group.errors} error{group.errors === 1 ? '' : 's'}
        </span>{' '}
        · {group.warnings} warning
        {group.warnings === 1 ? '' : 's'} · total {money(group.totalCents)}
      </p>
      {canSkip && open > 0 ? (
        <form method="post" action="/preview/skip-group" class="inline">
          <CsrfField token={csrf} />
          <input type="hidden" name="group" value={group.kind} />
          <button type="submit" class="danger" aria-label={`Skip the whole group: ${groupTitles[group.kind]}`}>
            Skip the whole group
          </button>
        </form>
      ) : null}
      {shown.map((r) => (
        <RowView row={r} canSkip={canSkip} csrf={csrf} />
      ))}
      {ordered.length > shown.length ? <p>…and {ordered.length - shown.length} more without problems.</p> : null}
    </section>
  );
}

/** Every blocking error in one list at the top, each a link to its row (rows with errors start open). */
function ErrorSummary({ plan }: { plan: Plan }) {
  const rows = plan.groups.flatMap((g) => g.rows).filter((r) => !r.skipped && r.issues.some((i) => i.severity === 'error'));
  if (rows.length === 0) return null;
  return (
    <section class="notice notice-error" aria-labelledby="to-resolve">
      <h2 id="to-resolve">To resolve before the sync</h2>
      <ul>
        {rows.map((r) => (
          <li>
            <a href={`#${rowAnchor(r.key)}`}>{r.record.label}</a>:{' '}
            {r.issues
              .filter((i) => i.severity === 'error')
              .map((i) => i.message)
              .join(' ')}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The Sync button, disabled with the reason while errors remain (the sync would refuse anyway). */
export function SyncButton({ errors, canSync, csrf, running = false }: { errors: number; canSync: boolean; csrf: string; running?: boolean }) {
  if (!canSync) return <p>Only a bookkeeper or an administrator can run the sync.</p>;
  // While a sync runs the button is disabled too (the notice above says who started it and when).
  return (
    <form method="post" action="/sync" class="sync-form">
      <CsrfField token={csrf} />
      <button type="submit" class="primary" disabled={errors > 0 || running} aria-describedby={errors > 0 ? 'sync-blocked' : undefined}>
        Sync
      </button>
      {errors > 0 ? (
        <p id="sync-blocked" class="text-error">
          The sync is disabled: {errors} error{errors === 1 ? ' remains' : 's remain'}. Fix each one (follow its link) or skip its record, then refresh the preview.
        </p>
      ) : null}
    </form>
  );
}

async function show(c: Context<WebEnv>, deps: WebDeps, notice?: { kind: 'ok' | 'error'; text: string }, status: 200 | RefusalStatus = 200) {
  const realmId = await webRealm(deps.ctx);
  if (!realmId) return notConnectedPage(c, 'Preview');
  const me = currentUser(c)!;
  const canSkip = roleAtLeast(me, 'bookkeeper');
  const csrf = c.get('csrfToken');
  let plan: Plan;
  try {
    plan = await planFor(deps, realmId, actorOf(c));
  } catch (err) {
    const problem = qboProblem(err);
    if (!problem) throw err;
    return renderPage(c, {
      title: 'Preview',
      status: problem.status,
      body: (
        <>
          <h1>Preview</h1>
          <Notice kind="error">
            {problem.message} Check the <a href="/connection">connection</a>, then <a href="/preview">try again</a>.
          </Notice>
        </>
      ),
    });
  }
  const errors = blockingErrors(plan).length;
  const skippedCount = plan.groups.reduce((n, g) => n + (g.skipped ?? 0), 0);
  const pending = await prefillPending(deps.ctx.db, realmId);
  const last = await latestRun(deps.ctx.db, realmId, { now: deps.ctx.clock() });
  const running = last?.status === 'running' || last?.status === 'queued' ? last : undefined;
  const groups = groupOrder.map((k) => plan.groups.find((g) => g.kind === k)).filter((g): g is PlanGroup => !!g && g.rows.length > 0);
  const done = c.req.query('skipped');
  return renderPage(c, {
    title: 'Preview',
    status,
    body: (
      <>
        <h1>Preview of the next sync</h1>
        {notice ? <Notice kind={notice.kind}>{notice.text}</Notice> : null}
        {c.req.query('prefilled') !== undefined ? <Notice kind="ok">Filled in the mappings that match; each is in the settings changes as {PREFILL_ACTOR}.</Notice> : null}
        {pending ? <PrefillOffer canRun={canSkip} csrf={csrf} /> : null}
        {done !== undefined && /^\d+$/.test(done) ? (
          <Notice kind="ok">
            Skipped {done} record{done === '1' ? '' : 's'}. They stay out of syncs until added back on the Skipped page.
          </Notice>
        ) : null}
        <p class="lead">
          Checked against QuickBooks at {when(plan.builtAt)}: {plan.groups.reduce((n, g) => n + g.records, 0)} records to sync
          {skippedCount ? ` (and ${skippedCount} skipped)` : ''},{' '}
          <span class={errors ? 'text-error' : ''}>
            {errors} error{errors === 1 ? '' : 's'}
          </span>
          , {plan.warnings} warning
          {plan.warnings === 1 ? '' : 's'}.
        </p>
        {running ? (
          <Notice kind="warn">
            A sync is running now, started by {actorName(running.startedBy)} {localWhen(running.startedAt, deps.ctx.clock())}.{' '}
            <a href={`/sync/runs/${encodeURIComponent(running.id)}`}>Follow its progress</a>; start another when it has finished.
          </Notice>
        ) : null}
        <div class="actions">
          <SyncButton errors={errors} canSync={canSkip} csrf={csrf} running={!!running} />
          <a href="/preview" class="button-link">
            Refresh the preview
          </a>
        </div>
        <ErrorSummary plan={plan} />
        {groups.length === 0 ? <p>Nothing to send: QuickBooks is up to date with the practice.</p> : null}
        {groups.map((g) => (
          <GroupView group={g} canSkip={canSkip} csrf={csrf} />
        ))}
      </>
    ),
  });
}

export const previewPage: WebPage = {
  nav: { label: 'Preview', href: '/preview', order: 20, home: true },
  mount(app, deps) {
    app.get('/preview', (c) => show(c, deps));

    app.post('/preview/prefill', pageRole('bookkeeper'), async (c) => {
      const realmId = await webRealm(deps.ctx);
      if (!realmId) return notConnectedPage(c, 'Preview');
      try {
        await prefillSettings({ db: deps.ctx.db, clock: deps.ctx.clock, qbo: qboClientFor(deps.ctx, realmId) }, realmId);
        return c.redirect('/preview?prefilled=1', 303);
      } catch (err) {
        const problem = qboProblem(err);
        if (problem) return show(c, deps, { kind: 'error', text: problem.message }, problem.status);
        throw err;
      }
    });

    app.post('/preview/skip', pageRole('bookkeeper'), async (c) => {
      const realmId = await webRealm(deps.ctx);
      if (!realmId) return notConnectedPage(c, 'Preview');
      const row = str((await c.req.parseBody()).row);
      try {
        const plan = await planFor(deps, realmId, actorOf(c));
        const added = await skipWithLinked(deps.ctx.db, { realmId, plan, row, actor: actorOf(c), clock: deps.ctx.clock });
        return c.redirect(`/preview?skipped=${added.length}`, 303);
      } catch (err) {
        const problem = qboProblem(err);
        if (problem) return show(c, deps, { kind: 'error', text: problem.message }, problem.status);
        throw err;
      }
    });

    app.post('/preview/skip-group', pageRole('bookkeeper'), async (c) => {
      const realmId = await webRealm(deps.ctx);
      if (!realmId) return notConnectedPage(c, 'Preview');
      const group = str((await c.req.parseBody()).group);
      if (!(groupOrder as readonly string[]).includes(group))
        return show(c, deps, { kind: 'error', text: `There is no group "${group}" in the preview; reload the page and try again.` }, 400);
      try {
        const plan = await planFor(deps, realmId, actorOf(c));
        const added = await skipGroup(deps.ctx.db, { realmId, plan, group: group as GroupKind, actor: actorOf(c), clock: deps.ctx.clock });
        return c.redirect(`/preview?skipped=${added.length}`, 303);
      } catch (err) {
        const problem = qboProblem(err);
        if (problem) return show(c, deps, { kind: 'error', text: problem.message }, problem.status);
        throw err;
      }
    });
  },
};
