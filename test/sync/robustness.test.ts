/**
 * The sync under trouble, over HTTP against the emulator:
 * - faults: 10 % 429, 5 % 500, 2 % commit-then-drop on every request, and an access token that
 *   lasts 2 seconds — the sync completes with nothing duplicated or missing;
 * - lock: two `qbo-connect sync` processes started together — exactly one runs, the other says why;
 * - payment import: payments entered in QBO appear in the practice once, even after three syncs,
 *   and only those applied to invoices the practice has.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { getRun } from '../../src/connect/run/history.js';
import { sync } from '../../src/connect/run/sync.js';
import { getRecord, listRecords } from '../../src/practice/store.js';
import type { RunningEmulator } from '../../src/emulator/run/server.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { readyDemo } from './demo-setup.js';
import { testDate } from '../helpers/test-time.js';

type Row = Record<string, unknown> & { Id: string };
const dump = (emu: RunningEmulator, realmId: string) => (emu.control.dump(realmId) as { entities: Record<string, Row[]> }).entities;
const from = () =>
  testDate(-400 * 86_400_000)
    .toISOString()
    .slice(0, 10);
/** Short waits, so a 429 costs milliseconds here (the waits themselves are tested in src/qbo). */
const fastRetry = { retry: { baseMs: 5, capMs: 50, throttleWaitMs: 20, maxAttempts: 12 }, limits: { intervalMs: 1000 } };

/** Each document marker appears once in QBO, and every link points at an entity that exists. */
function expectOnceEach(emu: RunningEmulator, realmId: string, links: Array<{ qbo_entity: string; qbo_id: string }>) {
  const e = dump(emu, realmId);
  const markers = new Map<string, number>();
  for (const [entity, rows] of Object.entries(e)) {
    for (const r of rows) {
      const m = /qbo-connect:[a-z-]+:\S+/.exec(String(r['PrivateNote'] ?? ''));
      if (m) markers.set(`${entity} ${m[0]}`, (markers.get(`${entity} ${m[0]}`) ?? 0) + 1);
    }
  }
  expect([...markers].filter(([, n]) => n > 1)).toEqual([]);
  for (const l of links)
    expect(
      e[l.qbo_entity]?.some((r) => r.Id === l.qbo_id),
      `${l.qbo_entity} ${l.qbo_id}`,
    ).toBe(true);
  return markers.size;
}

describe.each(dialects)('faults: 429s, 500s, commit-then-drop and a 2-second access token [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect, { tokenLifetimes: { accessSeconds: 2 } });

  it('completes with every record once and nothing missing', async () => {
    const ctx = c.app.ctx;
    // One record per request, so the faults land on many writes.
    const deps = { ...syncDepsFor(ctx, c.realmId, { client: fastRetry }), batchSize: 1 };
    await readyDemo(ctx, deps.client, c.realmId, { size: 'small', direction: 'export', exportFrom: from(), applyCredits: false });
    c.emu.control.resetStats();
    c.emu.control.armFaults({ seed: 7, rates: { '429': 0.1, '500': 0.05, 'commit-then-drop': 0.02 } });
    // Besides the 2-second lifetime, the access token is ended every 300 ms while the sync runs.
    const expiring = setInterval(() => c.emu.control.expireAccessTokens(c.realmId), 300);
    const started = Date.now();
    const result = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    const faulted = Date.now() - started;
    clearInterval(expiring);
    c.emu.control.clearFaults();
    const stats = c.emu.control.stats(c.realmId).companies[0]!;
    // The faults really happened (the seed makes the counts repeatable).
    expect(stats.faults['429'] ?? 0).toBeGreaterThan(0);
    expect(stats.faults['500'] ?? 0).toBeGreaterThan(0);
    expect(stats.faults['commit-then-drop'] ?? 0).toBeGreaterThan(0);
    expect(
      result.status,
      `${result.message}\n${result.summary.records
        .filter((r) => r.status !== 'done')
        .map((r) => r.message)
        .join('\n')}`,
    ).toBe('succeeded');
    const links = await ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).execute();
    const documents = expectOnceEach(c.emu, c.realmId, links);
    expect(documents).toBe(links.filter((l) => ['Invoice', 'CreditMemo', 'Payment', 'Bill'].includes(l.qbo_entity)).length);
    expect(documents).toBeGreaterThan(40);
    // Nothing missing: a sync without faults finds nothing left to send.
    const again = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(again.summary.processed).toBe(0);
    const pending = await ctx.db.selectFrom('journal').select('id').where('status', '=', 'pending').execute();
    expect(pending).toEqual([]);
    console.log(`faults: ${result.summary.processed} records, ${result.summary.requests} requests, ${faulted} ms, faults ${JSON.stringify(stats.faults)}`);
  }, 120_000);
});

describe.each(dialects)('lock: two sync processes started together [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);
  beforeAll(async () => {
    await readyDemo(c.app.ctx, syncDepsFor(c.app.ctx, c.realmId).client, c.realmId, { size: 'small', direction: 'export', applyCredits: false });
    await c.app.close();
  });

  it('exactly one runs; the other says who started the running one and when', async () => {
    // Slow answers keep the first sync running while the second starts.
    c.emu.control.armFaults({ latencyMs: 150 });
    const env = c.cliEnv();
    const run = () =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [path.resolve('bin/qbo-connect.js'), 'sync', '--yes'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (b: Buffer) => (out += b.toString()));
        child.stderr.on('data', (b: Buffer) => (out += b.toString()));
        child.on('exit', (code) => resolve({ code, out }));
      });
    const results = await Promise.all([run(), run()]);
    c.emu.control.clearFaults();
    const ok = results.filter((r) => r.code === 0);
    const refused = results.filter((r) => r.code === 2);
    expect(ok, results.map((r) => r.out).join('\n')).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.out).toMatch(/A sync of this company is already running: started by the CLI \(\S+\) at \d\d:\d\d (today|on \d{1,2} [A-Z][a-z]{2}) \(/);
    expect(refused[0]!.out).not.toMatch(/heartbeat|cli:|\d\dT\d\d/);
    expect(ok[0]!.out).toMatch(/Run run-\S+ succeeded/);

    // The history, and recover with nothing to recover, from the command line.
    const cli = (args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [path.resolve('bin/qbo-connect.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (b: Buffer) => (out += b.toString()));
        child.stderr.on('data', (b: Buffer) => (out += b.toString()));
        child.on('exit', (code) => resolve({ code, out }));
      });
    const recover = await cli(['recover']);
    const history = await cli(['history', '--json']);
    expect(history.code).toBe(0);
    const runs = (JSON.parse(history.out) as { runs: Array<{ id: string; status: string; startedBy: string; created: number; durationMs: number }> }).runs;
    // Newest first: the recovery, then the sync.
    expect(runs.length).toBe(2);
    const done = runs[1]!;
    expect(done.status).toBe('succeeded');
    expect(done.created).toBeGreaterThan(20);
    expect(done.startedBy).toMatch(/^cli:/);
    expect(recover.code).toBe(0);
    expect(recover.out).toMatch(/Recovery \(run run-\S+\): 0 unresolved write/);
    const one = await cli(['history', '--run', done.id]);
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/done\s+create\s+invoice INV-\S+ .*→ Invoice \d+/);
    const none = await cli(['history', '--run', 'run-missing']);
    expect(none.code).toBe(2);
    expect(none.out).toContain('There is no run run-missing');
  }, 120_000);
});

describe.each(dialects)('payment import: payments entered in QBO appear in the practice once [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);

  it('imports each payment applied to a synced invoice once, over three syncs, and nothing else', async () => {
    const ctx = c.app.ctx;
    const deps = syncDepsFor(ctx, c.realmId, { client: fastRetry });
    await readyDemo(ctx, deps.client, c.realmId, { size: 'small', direction: 'import', applyCredits: false });
    const first = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(first.status, first.message ?? '').toBe('succeeded');
    const invoiceLinks = await ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).where('record_kind', '=', 'invoice').execute();
    expect(invoiceLinks.length).toBeGreaterThanOrEqual(2);
    const inQbo = dump(c.emu, c.realmId)['Invoice']!;
    const open = invoiceLinks.map((l) => inQbo.find((i) => i.Id === l.qbo_id)!).filter((i) => Number(i['Balance']) > 1);
    expect(open.length).toBeGreaterThanOrEqual(2);
    const [a, b] = open as [Row, Row];
    const bank = dump(c.emu, c.realmId)['Account']!.find((x) => x['AccountType'] === 'Bank')!.Id;
    // A bookkeeper records two payments in QBO: one pays part of invoice a, one pays b in full.
    const pay = (inv: Row, amount: number, ref: string) =>
      deps.client.create(
        'Payment',
        {
          CustomerRef: inv['CustomerRef'],
          TotalAmt: amount,
          TxnDate: String(inv['TxnDate']),
          PaymentRefNum: ref,
          DepositToAccountRef: { value: bank },
          Line: [{ Amount: amount, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }],
        } as never,
        { requestId: `test-pay-${ref}` },
      );
    const p1 = await pay(a, 1, 'QBO-PART');
    const p2 = await pay(b, Number(b['Balance']), 'QBO-FULL');
    // And one for an invoice the practice does not have.
    const stranger = await deps.client.create('Customer', { DisplayName: 'Walk-in Client' }, { requestId: 'test-walkin' });
    const item = dump(c.emu, c.realmId)['Item']!.find((i) => i['Name'] === 'Services')!.Id;
    const gst = dump(c.emu, c.realmId)['TaxCode']!.find((t) => t['Name'] === 'GST')!.Id;
    const foreign = await deps.client.create(
      'Invoice',
      {
        CustomerRef: { value: stranger.Id },
        TxnDate: String(a['TxnDate']),
        Line: [{ DetailType: 'SalesItemLineDetail', Amount: 10, SalesItemLineDetail: { ItemRef: { value: item }, Qty: 1, UnitPrice: 10, TaxCodeRef: { value: gst } } }],
      },
      { requestId: 'test-foreign-inv' },
    );
    await deps.client.create(
      'Payment',
      { CustomerRef: { value: stranger.Id }, TotalAmt: 11, TxnDate: String(a['TxnDate']), Line: [{ Amount: 11, LinkedTxn: [{ TxnId: foreign.Id, TxnType: 'Invoice' }] }] } as never,
      { requestId: 'test-foreign-pay' },
    );

    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await sync(deps, { realmId: c.realmId, actor: 'tester' }));
    expect(runs.map((r) => r.summary.imported)).toEqual([2, 0, 0]);
    const payments = (await listRecords(ctx.db, 'default', 'payment', { limit: 1000 })).items.filter((p) => p.key.startsWith('QBO-'));
    expect(payments.map((p) => p.key).sort()).toEqual([`QBO-${p1.Id}`, `QBO-${p2.Id}`].sort());
    const part = await getRecord(ctx.db, 'default', 'payment', `QBO-${p1.Id}`);
    const aNumber = invoiceLinks.find((l) => l.qbo_id === a.Id)!.record_key;
    expect(part!.record).toMatchObject({ amountCents: 100, allocations: [{ invoiceNumber: aNumber, amountCents: 100 }] });
    const history = await getRun(ctx.db, runs[0]!.runId);
    expect(
      history.records
        .filter((r) => r.action === 'import')
        .map((r) => r.qboId)
        .sort(),
    ).toEqual([p1.Id, p2.Id].sort());
  }, 120_000);
});
