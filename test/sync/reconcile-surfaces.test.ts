/**
 * The reconciliation report's three surfaces on one small demo company synced once (issue 18): the
 * JSON API (`GET /api/v1/reconciliation`, JSON and CSV, a bad date refused naming the field), the web
 * page (verdict, chart, tables, a difference with its link and what to do, the CSV download), and the
 * real `qbo-connect reconcile` bin spawned (`--json` parses; exit 0 when the books agree, 1 when a
 * difference shows, 2 when refused). The report's figures themselves: test/sync/reconcile.test.ts.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/accounts/api-tokens.js';
import { hashPassword } from '../../src/accounts/passwords.js';
import { createUser } from '../../src/accounts/users.js';
import type { ReconciliationReport } from '../../src/connect/reconcile/index.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { sync } from '../../src/connect/run/sync.js';
import { createHttpApp } from '../../src/server/http.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { signIn, WebClient } from '../helpers/web-client.js';
import { readyDemo } from './demo-setup.js';

interface Ran {
  code: number | null;
  out: string;
  err: string;
}

describe('the reconciliation report over the API, the web page and the CLI [sqlite]', () => {
  const c = withConnectedEmulator('sqlite');
  let http: Hono;
  let viewerToken: string;
  let deps: ReturnType<typeof syncDepsFor>;
  const api = (q = '') => http.request(`/api/v1/reconciliation${q}`, { headers: { authorization: `Bearer ${viewerToken}` } });
  const cli = (args: string[]) =>
    new Promise<Ran>((resolve) => {
      const child = spawn(process.execPath, [path.resolve('bin/qbo-connect.js'), ...args], { env: c.cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.on('exit', (code) => resolve({ code, out, err }));
    });

  beforeAll(async () => {
    const ctx = c.app.ctx;
    deps = syncDepsFor(ctx, c.realmId, { actor: 'tester', client: { limits: { intervalMs: 1000 } } });
    await readyDemo(ctx, deps.client, c.realmId, { size: 'small', direction: 'export', applyCredits: false });
    const result = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(result.status, result.message ?? '').toBe('succeeded');
    const vi = await createUser(ctx.db, { email: 'vi@example.com', name: 'Vi', role: 'viewer', passwordHash: await hashPassword('a long enough password') });
    viewerToken = (await createApiToken(ctx.db, vi.id, 't')).token;
    http = createHttpApp(ctx);
  }, 180_000);

  it('API: the report as JSON and CSV; a bad date or format refused naming the field; no token, 401', async () => {
    const res = await api();
    expect(res.status).toBe(200);
    const r = (await res.json()) as ReconciliationReport;
    expect(r.realmId).toBe(c.realmId);
    expect(r.summary).toMatchObject({ differences: 0, agrees: true });
    expect(r.customers.length).toBeGreaterThan(0);
    expect(r.qboRequests).toBeGreaterThan(0);
    expect(r.qboRequests).toBeLessThanOrEqual(20);
    const csv = await api('?format=csv');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(await csv.text()).toMatch(/^Reconciliation,/);
    const bad = await api('?from=2026-02-30');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; field: string; message: string } }).error).toMatchObject({
      code: 'reconcile.invalid-period',
      field: 'from',
      message: expect.stringContaining('2026-02-30'),
    });
    // Month 13 is an Invalid Date, whose toISOString threw a RangeError (a 500): refused naming the field.
    const month13 = await api('?from=2026-13-01');
    expect(month13.status).toBe(400);
    expect(((await month13.json()) as { error: { field: string } }).error.field).toBe('from');
    // Every month of the period is in the chart's data, an empty one too (here the months after today).
    const later = new Date(Date.parse(`${r.to}T00:00:00Z`) + 70 * 86_400_000).toISOString().slice(0, 10);
    const wide = (await (await api(`?to=${later}`)).json()) as ReconciliationReport;
    expect(wide.months.at(-1)?.month).toBe(later.slice(0, 7));
    expect(wide.months[0]?.month).toBe(wide.from.slice(0, 7));
    for (let i = 1; i < wide.months.length; i++) {
      const [y, m] = wide.months[i - 1]!.month.split('-').map(Number) as [number, number];
      expect(wide.months[i]!.month).toBe(m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`);
    }
    const stranger = await api('?realm=123');
    expect(stranger.status).toBe(404);
    expect(((await stranger.json()) as { error: { code: string; field: string } }).error).toMatchObject({ code: 'realm.unknown', field: 'realm' });
    const upside = await api('?from=2026-05-01&to=2026-04-01');
    expect(upside.status).toBe(400);
    expect((await api('?format=xml')).status).toBe(400);
    expect((await http.request('/api/v1/reconciliation')).status).toBe(401);
  }, 60_000);

  it('web page: agreeing books, then a payment entered only in QBO shown with its link and what to do', async () => {
    const web = new WebClient(http);
    expect((await signIn(web, 'vi@example.com', 'a long enough password')).status).toBe(303);
    let res = await web.get('/reconciliation');
    expect(res.status).toBe(200);
    let html = await res.text();
    expect(html).toContain('>Reconciliation</a>');
    expect(html).toContain('agree for');
    expect(html).toContain('<svg');
    expect(html).toContain('Monthly sales and purchases');
    expect(html).toMatch(/Read from QuickBooks with \d+ requests/);
    expect(html).toContain('href="/reconciliation.csv?from=');

    const ctx = c.app.ctx;
    const customer = (await ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).where('qbo_entity', '=', 'Customer').executeTakeFirstOrThrow()).qbo_id;
    const paid = (await deps.client.create('Payment', { CustomerRef: { value: customer }, TotalAmt: 50.5 } as never, { requestId: 'surfaces-payment' })) as {
      Id: string;
      SyncToken: string;
    };
    res = await web.get('/reconciliation');
    html = await res.text();
    expect(html).toContain('1 difference to look at');
    expect(html).toContain('In QuickBooks only');
    expect(html).toContain(`QuickBooks Payment ${paid.Id}`);
    expect(html).toContain('What to do:');
    expect(html).toContain('-$50.50');
    // The customer's row links to the difference, and shows both figures and the difference.
    expect(html).toContain(`href="#diff-qbo:Payment:${paid.Id}"`);
    expect(html).toContain('differs by -$50.50');
    const csv = await web.get('/reconciliation.csv');
    expect(csv.status).toBe(200);
    expect((await csv.text()).split('\n').filter((l) => l.startsWith(`qbo:Payment:${paid.Id},`))).toHaveLength(1);
    expect((await web.get('/reconciliation?to=someday')).status).toBe(400);
    // Voided in QBO, it moves nothing: the books agree again.
    await deps.client.void('Payment', { Id: paid.Id, SyncToken: paid.SyncToken }, { requestId: 'surfaces-void' });
    expect(((await (await api()).json()) as ReconciliationReport).summary.agrees).toBe(true);
  }, 60_000);

  it('CLI: --json parses (exit 0 when the books agree), a difference exits 1, a bad date 2', async () => {
    await c.app.close();
    // Independent commands run side by side, to keep the file's time (each spawn starts a process).
    const [ok, text] = await Promise.all([cli(['reconcile', '--json']), cli(['reconcile'])]);
    expect(ok.code, ok.err).toBe(0);
    const r = JSON.parse(ok.out) as ReconciliationReport;
    expect(r.summary.agrees).toBe(true);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toContain('The two books agree.');
    // A payment the accountant enters in QBO: stored as QBO's core stores a create.
    const customer = r.customers.find((x) => x.qboId)!.qboId!;
    c.emu.core.insert(c.realmId, 'Payment', { CustomerRef: { value: customer }, TotalAmt: 7.25, TxnDate: r.to });
    const [differs, csv, bad, both] = await Promise.all([
      cli(['reconcile']),
      cli(['reconcile', '--csv']),
      cli(['reconcile', '--to', '2026-02-30']),
      cli(['reconcile', '--json', '--csv']),
    ]);
    expect(differs.code, differs.err).toBe(1);
    expect(differs.out).toContain('1 difference to look at');
    expect(differs.out).toMatch(/qbo-only\s+-7\.25 .*in QuickBooks only/);
    expect(csv.code).toBe(1);
    expect(csv.out).toMatch(/^Reconciliation,/);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('The period end "2026-02-30" is not a date');
    expect(both.code).toBe(2);
    expect(both.err).toContain('--json and --csv');

    // A payment dated before a one-day period moves a customer's open balance at its end, with no
    // document in the period to explain it: not "0 differences" and exit 0 (attack 1), but a row saying
    // so. A month 13 is refused, not a RangeError stack (attack 4).
    const day = new Date(`${r.from}T00:00:00Z`);
    day.setUTCDate(day.getUTCDate() + 1);
    const next = day.toISOString().slice(0, 10);
    expect(next < r.to).toBe(true);
    const other = r.customers.find((x) => x.qboId && x.qboId !== customer)!.qboId!;
    c.emu.core.insert(c.realmId, 'Payment', { CustomerRef: { value: other }, TotalAmt: 3, TxnDate: r.from });
    const [narrow, month13] = await Promise.all([cli(['reconcile', '--from', next, '--to', next]), cli(['reconcile', '--from', '2026-13-01'])]);
    expect(narrow.code, narrow.err).toBe(1);
    expect(narrow.out).not.toContain('0 differences');
    expect(narrow.out).toMatch(/outside-period\s+3\.00 .*outside the period.*widen --from/);
    expect(month13.code).toBe(2);
    expect(month13.err).toContain('The period start "2026-13-01" is not a date');
    expect(month13.err).not.toContain('RangeError');
  }, 120_000);
});
