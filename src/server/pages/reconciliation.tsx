/**
 * Reconciliation: do the practice and QBO agree for a period? The verdict and the QBO request count,
 * a chart of both books' monthly sales and purchases (inline SVG, server-rendered), every difference
 * with its record and what to do, then per customer, per supplier and staff member, and per tax code
 * both figures side by side. `/reconciliation.csv` downloads the same report.
 */
import type { Context } from 'hono';
import type { WebDeps, WebEnv, WebPage } from '../web/env.js';
import { Notice, renderPage } from '../web/layout.js';
import { qboClientFor } from '../../connect/connection/qbo-client.js';
import { reconcile, reportCsv, type MonthTotals, type Pair, type ReconciliationReport } from '../../connect/reconcile/index.js';
import { money, notConnectedPage, qboHref, webRealm } from './work-common.js';
import { qboProblem } from './preview.js';

const kindText: Record<string, string> = {
  'practice-only': 'In the practice only',
  'qbo-only': 'In QuickBooks only',
  'looks-like-ours': 'Looks like ours, not linked',
  total: 'Totals differ',
  'payment-applied': 'Payment applied differently',
  date: 'Dated differently',
  'changed-in-qbo': 'Changed in QuickBooks',
  'changed-in-practice': 'Changed in the practice',
  diverged: 'Held (changed on both sides)',
  'deleted-in-qbo': 'Deleted in QuickBooks',
  'voided-in-qbo': 'Voided in QuickBooks',
  'outside-period': 'Explained outside the period',
  'tax-code': 'Tax code differs',
};

/** One measure of both books in one cell: the figure when they agree, both and the difference when not. */
function Cells({ p }: { p: Pair }) {
  if (!p.difference) return <td class="num">{money(p.practice)}</td>;
  return (
    <td class="num text-error">
      practice {money(p.practice)}
      <br />
      QuickBooks {money(p.qbo)}
      <br />
      <strong>differs by {money(p.difference)}</strong>
    </td>
  );
}

function PairHeads({ label }: { label: string }) {
  return (
    <th scope="col" class="num">
      {label}
    </th>
  );
}

/** Monthly sales and purchases of both books as grouped bars; a table under it says the same in words. */
function MonthChart({ months }: { months: MonthTotals[] }) {
  if (!months.length) return null;
  const width = 720;
  const height = 220;
  const pad = 30;
  const max = Math.max(1, ...months.flatMap((m) => [m.sales.practice, m.sales.qbo, m.purchases.practice, m.purchases.qbo].map(Math.abs)));
  const slot = (width - pad) / months.length;
  const bar = Math.min(24, Math.max(1, slot / 5));
  const y = (c: number) => height - pad - (Math.abs(c) / max) * (height - 2 * pad);
  const series: Array<[keyof MonthTotals & ('sales' | 'purchases'), 'practice' | 'qbo', string]> = [
    ['sales', 'practice', '#1f6feb'],
    ['sales', 'qbo', '#8ab4f8'],
    ['purchases', 'practice', '#b35900'],
    ['purchases', 'qbo', '#f0b27a'],
  ];
  return (
    <figure>
      <svg role="img" aria-labelledby="chart-title" viewBox={`0 0 ${width} ${height}`} width="100%" xmlns="http://www.w3.org/2000/svg">
        <title id="chart-title">Monthly sales and purchases, practice and QuickBooks</title>
        <line x1={pad} y1={height - pad} x2={width} y2={height - pad} stroke="#888" />
        {months.map((m, i) => (
          <g>
            {series.map(([what, side, color], j) => {
              const v = m[what][side];
              const top = y(v);
              return (
                <rect x={pad + i * slot + j * bar} y={top} width={bar - 1} height={height - pad - top} fill={color}>
                  <title>{`${m.month} ${what} (${side === 'qbo' ? 'QuickBooks' : 'practice'}): ${money(v)}`}</title>
                </rect>
              );
            })}
            <text x={pad + i * slot} y={height - 10} font-size="10">
              {m.month.slice(2)}
            </text>
          </g>
        ))}
      </svg>
      <figcaption>
        {series.map(([what, side, color]) => (
          <>
            <svg width="12" height="12" aria-hidden="true">
              <rect width="12" height="12" fill={color} />
            </svg>{' '}
            {`${what} in ${side === 'qbo' ? 'QuickBooks' : 'the practice'}`}
            {'  '}
          </>
        ))}
        <br />
        Bars per month: sales in the practice, sales in QuickBooks, purchases in the practice, purchases in QuickBooks.
        {months.some((m) => m.sales.difference || m.purchases.difference)
          ? ` Months that differ: ${months
              .filter((m) => m.sales.difference || m.purchases.difference)
              .map((m) => m.month)
              .join(', ')}.`
          : ' Every month agrees.'}
      </figcaption>
    </figure>
  );
}

function Report({ r, deps }: { r: ReconciliationReport; deps: WebDeps }) {
  const intentional = new Set(r.differences.filter((d) => d.intentional).map((d) => d.id));
  /** A customer's or supplier's differences: one link to the first to act on (left-out ones only counted). */
  const DiffLink = ({ ids }: { ids: string[] }) => {
    const acting = ids.filter((id) => !intentional.has(id));
    if (!ids.length) return null;
    return acting.length ? (
      <>
        {' '}
        <a href={`#diff-${acting[0]}`} class="badge badge-warn">
          {acting.length} difference{acting.length === 1 ? '' : 's'}
        </a>
      </>
    ) : (
      <span class="hint"> · {ids.length} left out on purpose</span>
    );
  };
  const diffs = r.differences.filter((d) => !d.intentional);
  const left = r.differences.filter((d) => d.intentional);
  const differing = r.customers.filter((c) => c.invoiced.difference || c.credited.difference || c.received.difference || c.openBalance.difference || c.differences.length);
  const query = `from=${r.from}&to=${r.to}`;
  const Diffs = ({ list }: { list: typeof diffs }) => (
    <table>
      <thead>
        <tr>
          <th scope="col">What</th>
          <th scope="col">Record</th>
          <th scope="col">Practice</th>
          <th scope="col">QuickBooks</th>
          <th scope="col">Difference</th>
          <th scope="col">Why, and what to do</th>
        </tr>
      </thead>
      <tbody>
        {list.map((d) => {
          const qbo = d.qbo ? qboHref(deps.ctx, r.realmId, d.qbo.entity, d.qbo.id) : undefined;
          return (
            <tr id={`diff-${d.id}`}>
              <td>{kindText[d.kind] ?? d.kind}</td>
              <td>
                {d.record ? <a href={d.record.href}>{`${d.record.kind} ${d.record.key}`}</a> : null}
                {d.record && d.qbo ? <br /> : null}
                {d.qbo ? qbo ? <a href={qbo}>{`QuickBooks ${d.qbo.entity} ${d.qbo.id}`}</a> : `QuickBooks ${d.qbo.entity} ${d.qbo.id}` : null}
              </td>
              <td class="num">{money(d.practiceCents)}</td>
              <td class="num">{money(d.qboCents)}</td>
              <td class="num">{money(d.amountCents)}</td>
              <td>
                {d.explanation}
                <br />
                <strong>What to do:</strong> {d.action}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
  return (
    <>
      <form method="get" action="/reconciliation" class="filters" aria-label="Period">
        <label>
          From <input type="date" name="from" value={r.from} />
        </label>{' '}
        <label>
          To <input type="date" name="to" value={r.to} />
        </label>{' '}
        <button type="submit">Show</button> <a href={`/reconciliation.csv?${query}`}>Download as CSV</a>
      </form>
      {r.summary.agrees ? (
        <Notice kind="ok">The practice and QuickBooks agree for {`${r.from} to ${r.to}`}.</Notice>
      ) : (
        <Notice kind="error">
          {r.summary.differences} difference{r.summary.differences === 1 ? '' : 's'} to look at
          {r.summary.leftOut ? `; ${r.summary.leftOut} record${r.summary.leftOut === 1 ? '' : 's'} left out on purpose` : ''}.
        </Notice>
      )}
      <p class="hint">
        Read from QuickBooks with {r.qboRequests} requests in {(r.elapsedMs / 1000).toFixed(1)} s, at {r.generatedAt.slice(0, 16).replace('T', ' ')} UTC.
      </p>
      <h2>Monthly totals</h2>
      <MonthChart months={r.months} />
      <h2>Differences</h2>
      {diffs.length ? <Diffs list={diffs} /> : <p>None: every document is in both books with the same figures.</p>}
      {left.length ? (
        <details>
          <summary>Left out on purpose ({left.length})</summary>
          <Diffs list={left} />
        </details>
      ) : null}
      <h2>Customers</h2>
      <p>
        {r.customers.length} customers, {differing.length} differ. One figure where both books agree; both and the difference where not. Open balance at {r.to}: QuickBooks'
        CustomerBalance report.
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">Customer</th>
            <PairHeads label="Invoiced" />
            <PairHeads label="Credited" />
            <PairHeads label="Received" />
            <PairHeads label="Open balance" />
            <th scope="col" class="num">
              Overdue in QuickBooks
            </th>
          </tr>
        </thead>
        <tbody>
          {r.customers.map((c) => (
            <tr>
              <th scope="row">
                {c.code.startsWith('qbo:') ? c.name : <a href={`/practice/contact/${encodeURIComponent(c.code)}`}>{c.name}</a>}
                <DiffLink ids={c.differences} />
              </th>
              <Cells p={c.invoiced} />
              <Cells p={c.credited} />
              <Cells p={c.received} />
              <Cells p={c.openBalance} />
              <td class="num">{money(c.overdueInQbo)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Suppliers and staff</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Supplier or staff member</th>
            <PairHeads label="Billed" />
            <th scope="col" class="num">
              Open in QuickBooks
            </th>
          </tr>
        </thead>
        <tbody>
          {r.suppliers.map((s) => (
            <tr>
              <th scope="row">
                {s.code.startsWith('qbo:') ? s.name : <a href={`/practice/${s.kind === 'staff' ? 'staff' : 'contact'}/${encodeURIComponent(s.code)}`}>{s.name}</a>}
                {s.kind === 'staff' ? <span class="hint"> · staff</span> : null}
                <DiffLink ids={s.differences} />
              </th>
              <Cells p={s.billed} />
              <td class="num">{money(s.openInQbo)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Tax codes</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">QuickBooks tax code</th>
            <th scope="col">Side</th>
            <th scope="col">Practice codes</th>
            <PairHeads label="Taxable" />
            <PairHeads label="Tax" />
          </tr>
        </thead>
        <tbody>
          {r.tax.map((t) => (
            <tr>
              <th scope="row">{t.qboCodeName}</th>
              <td>{t.side}</td>
              <td>{t.practiceCodes.join(', ') || '—'}</td>
              <Cells p={t.taxable} />
              <Cells p={t.tax} />
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

async function load(c: Context<WebEnv>, deps: WebDeps): Promise<{ realmId: string; report?: ReconciliationReport; error?: Response }> {
  const realmId = (await webRealm(deps.ctx))!;
  try {
    const report = await reconcile({ db: deps.ctx.db, clock: deps.ctx.clock, qbo: qboClientFor(deps.ctx, realmId) }, realmId, {
      from: c.req.query('from') || undefined,
      to: c.req.query('to') || undefined,
    });
    return { realmId, report };
  } catch (err) {
    const problem = qboProblem(err);
    if (!problem) throw err;
    const error = await renderPage(c, {
      title: 'Reconciliation',
      status: problem.status,
      body: (
        <>
          <h1>Reconciliation</h1>
          <Notice kind="error">
            {problem.message} <a href="/reconciliation">Show the whole period</a>, or check the <a href="/connection">connection</a>.
          </Notice>
        </>
      ),
    });
    return { realmId, error };
  }
}

export const reconciliationPage: WebPage = {
  nav: { label: 'Reconciliation', href: '/reconciliation', order: 47 },
  mount(app, deps) {
    app.get('/reconciliation', async (c) => {
      if (!(await webRealm(deps.ctx))) return notConnectedPage(c, 'Reconciliation');
      const { report, error } = await load(c, deps);
      if (error) return error;
      return renderPage(c, {
        title: 'Reconciliation',
        body: (
          <>
            <h1>Reconciliation</h1>
            <p>
              The practice and {report!.companyName} in QuickBooks, side by side, for {report!.from} to {report!.to}.
            </p>
            <Report r={report!} deps={deps} />
          </>
        ),
      });
    });
    app.get('/reconciliation.csv', async (c) => {
      if (!(await webRealm(deps.ctx))) return notConnectedPage(c, 'Reconciliation');
      const { report, error } = await load(c, deps);
      if (error) return error;
      return c.body(reportCsv(report!), 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="reconciliation-${report!.from}-${report!.to}.csv"`,
      });
    });
  },
};
