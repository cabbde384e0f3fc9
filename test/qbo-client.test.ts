/**
 * The QBO client against the emulator over real HTTP: every operation on an AU and a US company;
 * 429 storms and 5xx bursts under the limiter; commit-then-drop with requestid replay and the
 * outcome-unknown error; an access token expiring mid-run; tokens kept out of logs, errors and the
 * raw database file.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/run/server.js';
import { ConnectionStore } from '../src/connect/connection/store.js';
import { createTokenCipher, loadOrCreateKey } from '../src/connect/connection/crypto.js';
import { endpointsFromConfig, type QboEndpoints } from '../src/qbo/endpoints.js';
import { createQboClient, type CompanyClient, type QboClient, type QboClientOptions } from '../src/qbo/client.js';
import { OutcomeUnknownError, QboFault } from '../src/qbo/fault.js';
import { fromCents, toCents } from '../src/qbo/money.js';
import { testConfig } from './helpers/config.js';
import { capturingLogger, connectCompany, tokenSpyFetch } from './helpers/qbo.js';
import { testDate } from './helpers/test-time.js';

const fastRetry = { baseMs: 10, capMs: 100, throttleWaitMs: 50, maxAttempts: 8 };

describe('QBO client against the emulator', () => {
  let emu: RunningEmulator;
  let app: App;
  let store: ConnectionStore;
  let endpoints: QboEndpoints;
  const clientLog = capturingLogger();
  const emuLog = capturingLogger();
  const realms: Record<'AU' | 'US', string> = { AU: '', US: '' };
  const errors: unknown[] = [];
  const runId = crypto.randomBytes(3).toString('hex');
  const issued = new Set<string>();
  const spy = tokenSpyFetch(issued);

  beforeAll(async () => {
    emu = await startEmulator({ preset: 'au', logger: emuLog.logger });
    const us = emu.control.seedCompany({ preset: 'us', name: 'Redwood Books LLC' });
    app = await createApp(testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url }));
    endpoints = endpointsFromConfig(app.ctx.config);
    store = new ConnectionStore({ db: app.ctx.db, cipher: createTokenCipher(loadOrCreateKey(app.ctx.config)) });
    realms.AU = await connectCompany(endpoints, store, emu.control.companies()[0]!.realmId, spy);
    realms.US = await connectCompany(endpoints, store, us.realmId, spy);
  });
  afterAll(async () => {
    await app?.close();
    await emu?.close();
  });

  function client(over: Partial<QboClientOptions> = {}): QboClient {
    return createQboClient({ endpoints, store, logger: clientLog.logger, retry: fastRetry, timeoutMs: 5000, fetch: spy, ...over });
  }
  const rid = (what: string) => `t-${runId}-${what}`.slice(0, 50);
  const tokenRequests = () => emuLog.lines.filter((l) => l.includes('"path":"/oauth2/v1/tokens/bearer"') && l.includes('"method":"POST"')).length;

  for (const region of ['AU', 'US'] as const) {
    describe(`every operation on the ${region} company`, () => {
      let co: CompanyClient;
      beforeAll(() => {
        co = client().company(realms[region]);
      });

      it('reads company info, preferences and the lists a sync needs', async () => {
        const info = await co.companyInfo();
        expect(info.Country === region || info.Country === (region === 'US' ? 'US' : 'AU')).toBe(true);
        const prefs = await co.preferences();
        expect(prefs).toBeTypeOf('object');
        const accounts = [];
        for await (const a of co.query('Account')) accounts.push(a);
        expect(accounts.some((a) => a.AccountType === 'Income')).toBe(true);
        const taxCodes = [];
        for await (const t of co.query('TaxCode')) taxCodes.push(t);
        expect(taxCodes.length).toBeGreaterThan(0);
        const rates = [];
        for await (const t of co.query('TaxRate')) rates.push(t);
        // US companies use the TAX/NON pseudo codes; non-US ones carry real rates.
        if (region === 'AU') expect(rates.length).toBeGreaterThan(0);
        const methods = [];
        for await (const m of co.query('PaymentMethod')) methods.push(m);
        expect(methods.length).toBeGreaterThan(0);
      });

      it('creates, reads, updates (full and sparse), voids, deletes, deactivates, queries, batches and follows CDC', async () => {
        const since = testDate(-60_000);
        const income = (await first(co.query('Account', (q) => q.where('AccountType', '=', 'Income'))))!;
        const expense = (await first(co.query('Account', (q) => q.where('AccountType', '=', 'Expense'))))!;
        const item = (await first(co.query('Item', (q) => q.where('Name', '=', 'Services'))))!;
        const gst = region === 'AU' ? (await first(co.query('TaxCode', (q) => q.where('Name', '=', 'GST'))))! : undefined;
        const lineTax = gst ? { TaxCodeRef: { value: gst.Id } } : {};

        const name = `O'Keefe & Sons \\ ${region} ${runId}`;
        const customer = await co.create('Customer', { DisplayName: name, PrimaryEmailAddr: { Address: 'ok@example.com' } }, { requestId: rid(`${region}-cust`) });
        expect(customer.DisplayName).toBe(name);
        const vendor = await co.create('Vendor', { DisplayName: `Supplier ${region} ${runId}` }, { requestId: rid(`${region}-vend`) });
        const employee = await co.create(
          'Employee',
          { GivenName: 'Ada', FamilyName: `Lovelace${runId}`, DisplayName: `Ada ${region} ${runId}` },
          { requestId: rid(`${region}-emp`) },
        );
        expect(employee.Id).toBeTruthy();
        const newItem = await co.create(
          'Item',
          { Name: `Consulting ${region} ${runId}`, Type: 'Service', IncomeAccountRef: { value: income.Id } },
          { requestId: rid(`${region}-item`) },
        );
        expect(newItem.Name).toContain('Consulting');

        const amount = toCents('1234.56');
        const invoiceBody = {
          CustomerRef: { value: customer.Id },
          TxnDate: testDate().toISOString().slice(0, 10),
          Line: [
            {
              DetailType: 'SalesItemLineDetail',
              Amount: fromCents(amount),
              SalesItemLineDetail: { ItemRef: { value: item.Id }, Qty: 1, UnitPrice: fromCents(amount), ...lineTax },
            },
          ],
        };
        const invoice = await co.create('Invoice', invoiceBody, { requestId: rid(`${region}-inv1`) });
        expect(toCents(invoice.Line.find((l) => l.DetailType === 'SalesItemLineDetail')!.Amount!)).toBe(amount);
        expect(invoice.TotalAmt).toBeDefined();
        const read = await co.read('Invoice', invoice.Id);
        expect(read.SyncToken).toBe(invoice.SyncToken);

        const sparse = await co.sparseUpdate(
          'Invoice',
          { Id: invoice.Id, SyncToken: invoice.SyncToken, PrivateNote: 'synced by QBO Connect' },
          { requestId: rid(`${region}-inv1-sp`) },
        );
        expect(sparse.PrivateNote).toBe('synced by QBO Connect');
        expect(Number(sparse.SyncToken)).toBeGreaterThan(Number(invoice.SyncToken));
        const full = await co.update('Invoice', { ...invoiceBody, Id: invoice.Id, SyncToken: sparse.SyncToken, PrivateNote: 'full' }, { requestId: rid(`${region}-inv1-full`) });
        expect(full.PrivateNote).toBe('full');

        // A stale SyncToken on a sparse update is re-read and retried once.
        const stale = await co.sparseUpdate('Invoice', { Id: invoice.Id, SyncToken: invoice.SyncToken, PrivateNote: 'after re-read' }, { requestId: rid(`${region}-inv1-stale`) });
        expect(stale.PrivateNote).toBe('after re-read');
        // …but not on a full update, which would overwrite someone else's change.
        const fullStale = await co
          .update('Invoice', { ...invoiceBody, Id: invoice.Id, SyncToken: invoice.SyncToken }, { requestId: rid(`${region}-inv1-fs`) })
          .catch((e: unknown) => e);
        expect(fullStale).toBeInstanceOf(QboFault);
        expect((fullStale as QboFault).code).toBe('5010');

        const payment = await co.create(
          'Payment',
          { CustomerRef: { value: customer.Id }, TotalAmt: 100, Line: [{ Amount: 100, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }] },
          { requestId: rid(`${region}-pay`) },
        );
        expect(toCents(payment.TotalAmt)).toBe(10000);
        const afterPay = await co.read('Invoice', invoice.Id);
        expect(toCents(afterPay.Balance!)).toBe(toCents(afterPay.TotalAmt!) - 10000);

        const credit = await co.create(
          'CreditMemo',
          { ...invoiceBody, Line: [{ ...invoiceBody.Line[0]!, Amount: 10, SalesItemLineDetail: { ...invoiceBody.Line[0]!.SalesItemLineDetail, UnitPrice: 10 } }] },
          { requestId: rid(`${region}-cm`) },
        );
        expect(credit.Id).toBeTruthy();
        const bill = await co.create(
          'Bill',
          {
            VendorRef: { value: vendor.Id },
            Line: [{ DetailType: 'AccountBasedExpenseLineDetail', Amount: 55.5, AccountBasedExpenseLineDetail: { AccountRef: { value: expense.Id }, ...lineTax } }],
          },
          { requestId: rid(`${region}-bill`) },
        );
        expect(toCents(bill.Line[0]!.Amount!)).toBe(5550);

        const toVoid = await co.create('Invoice', invoiceBody, { requestId: rid(`${region}-inv2`) });
        const voided = await co.void('Invoice', { Id: toVoid.Id, SyncToken: toVoid.SyncToken }, { requestId: rid(`${region}-inv2-void`) });
        expect(toCents(voided.TotalAmt ?? 0)).toBe(0);
        const deleted = await co.delete('Bill', { Id: bill.Id, SyncToken: bill.SyncToken }, { requestId: rid(`${region}-bill-del`) });
        expect(deleted).toEqual({ Id: bill.Id, status: 'Deleted' });
        const inactive = await co.deactivate('Vendor', { Id: vendor.Id, SyncToken: vendor.SyncToken }, { requestId: rid(`${region}-vend-off`) });
        expect(inactive.Active).toBe(false);

        // Query: exact match on a name with a quote and a backslash, paging, count, chunked IN.
        const found = [];
        for await (const c of co.query('Customer', (q) => q.where('DisplayName', '=', name))) found.push(c);
        expect(found.map((c) => c.Id)).toEqual([customer.Id]);
        const many = await Promise.all(
          Array.from({ length: 5 }, (_, i) => co.create('Customer', { DisplayName: `Paged ${region} ${runId} ${i}` }, { requestId: rid(`${region}-pg-${i}`) })),
        );
        const paged = [];
        for await (const c of co.query('Customer', (q) => q.where('DisplayName', 'LIKE', `Paged ${region} ${runId}%`).orderBy('Id'), { pageSize: 2 })) paged.push(c.Id);
        expect(paged).toEqual(many.map((c) => c.Id).sort((a, b) => Number(a) - Number(b)));
        expect(await co.count('Customer', (q) => q.where('DisplayName', 'LIKE', `Paged ${region} ${runId}%`))).toBe(5);
        const names = [...many.map((c) => c.DisplayName!), ...Array.from({ length: 40 }, (_, i) => `absent ${i}`)];
        const inRows = [];
        for await (const c of co.queryIn('Customer', 'DisplayName', names, undefined, { maxValues: 7 })) inRows.push(c.Id);
        expect(inRows.sort()).toEqual(many.map((c) => c.Id).sort());
        // A long IN list goes by POST and still answers.
        const longNames = [...Array.from({ length: 400 }, (_, i) => `nobody-${i}-${'x'.repeat(20)}`), name];
        const longRows = [];
        for await (const c of co.queryIn('Customer', 'DisplayName', longNames)) longRows.push(c.Id);
        expect(longRows).toEqual([customer.Id]);

        // Batch: creates, a query and a failing item, each with its own result.
        const results = await co.batch(
          [
            { bId: 'b1', operation: 'create', entity: 'Customer', body: { DisplayName: `Batch ${region} ${runId} 1` } },
            { bId: 'b2', operation: 'create', entity: 'Customer', body: { DisplayName: name } },
            { bId: 'b3', query: `SELECT * FROM Customer WHERE Id = '${customer.Id}'` },
            { bId: 'b4', operation: 'delete', entity: 'Invoice', body: { Id: '99999999', SyncToken: '0' } },
          ],
          { requestId: rid(`${region}-batch`).slice(0, 36) },
        );
        expect(results.map((r) => [r.bId, r.ok])).toEqual([
          ['b1', true],
          ['b2', false],
          ['b3', true],
          ['b4', false],
        ]);
        expect(results[1]!.ok === false && results[1]!.fault.code).toBe('6240');

        const cdc = await co.cdc(['Customer', 'Invoice', 'Bill'], since);
        expect(cdc.time).toBeTruthy();
        expect(cdc.changes.Customer!.some((c) => c.Id === customer.Id)).toBe(true);
        expect(cdc.changes.Invoice!.some((c) => c.Id === invoice.Id)).toBe(true);
        expect(cdc.changes.Bill!.some((c) => c.Id === bill.Id && c.status === 'Deleted')).toBe(true);
        expect(cdc.anyTruncated).toBe(false);
      });

      it('surfaces business faults as QboFault with code, element and intuit_tid, without retrying', async () => {
        const err = await co.create('Customer', { DisplayName: 'bad:name' }, { requestId: rid(`${region}-bad`) }).catch((e: unknown) => e);
        errors.push(err);
        expect(err).toBeInstanceOf(QboFault);
        expect((err as QboFault).code).toBe('2040');
        expect((err as QboFault).intuitTid).toMatch(/^1-/);
        const missing = await co.read('Invoice', '987654321').catch((e: unknown) => e);
        errors.push(missing);
        expect((missing as QboFault).code).toBe('610');
      });
    });
  }

  it('gets through a 429 storm (half the calls) and 5xx bursts without breaking the limits', async () => {
    const limits = { requestsPerMinute: 40, concurrency: 3, batchesPerMinute: 40, intervalMs: 1000 };
    emu.control.setLimits({ perMinute: 10_000, concurrent: 3 });
    emu.control.resetStats();
    let inFlight = 0;
    let maxInFlight = 0;
    const starts: number[] = [];
    const counting: typeof fetch = async (input, init) => {
      const f = spy;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      // Only API calls pass the limiter; token requests are the refresh lock's business.
      if (String(input).includes('/v3/company/')) starts.push(Date.now());
      try {
        return await f(input, init);
      } finally {
        inFlight--;
      }
    };
    const co = client({ fetch: counting, limits }).company(realms.AU);
    try {
      emu.control.armFaults({ seed: 7, rates: { '429': 0.5 }, realmId: realms.AU });
      const reads = await Promise.all(Array.from({ length: 24 }, () => co.companyInfo()));
      expect(reads).toHaveLength(24);
      // A burst of three 5xx first, then 5xx at random on 40% of the calls.
      emu.control.armFaults({ seed: 8, next: ['500', '503', '500'], rates: { '429': 0, '500': 0.2, '503': 0.2 }, realmId: realms.AU });
      const writes = await Promise.all(Array.from({ length: 8 }, (_, i) => co.create('Customer', { DisplayName: `Storm ${runId} ${i}` }, { requestId: rid(`storm-${i}`) })));
      expect(new Set(writes.map((w) => w.Id)).size).toBe(8);
    } finally {
      emu.control.clearFaults();
      emu.control.setLimits({ perMinute: 500, concurrent: 10 });
    }
    const stats = emu.control.stats(realms.AU).companies.find((c) => c.realmId === realms.AU)!;
    expect(stats.sent429).toBeGreaterThan(0);
    expect(stats.throttled.concurrency).toBe(0);
    expect(stats.maxInFlight).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    // Every rolling second held at most the configured 40 starts. The stamps are taken after the
    // limiter lets a request go, so event-loop lag can only make two starts look closer than they
    // were: the window is shortened by that slack rather than ever lengthened.
    const sorted = starts.sort((a, b) => a - b);
    let lo = 0;
    for (let hi = 0; hi < sorted.length; hi++) {
      while (sorted[hi]! - sorted[lo]! >= 900) lo++;
      expect(hi - lo + 1).toBeLessThanOrEqual(40);
    }
    // Exactly one customer per write, even though some attempts failed with 5xx.
    expect(
      await client()
        .company(realms.AU)
        .count('Customer', (q) => q.where('DisplayName', 'LIKE', `Storm ${runId}%`)),
    ).toBe(8);
  });

  it('waits at least what Retry-After says', async () => {
    const waits: number[] = [];
    const co = client({ sleep: async (ms) => void waits.push(ms) }).company(realms.AU);
    emu.control.armFaults({ next: ['429'], retryAfterSeconds: 2, realmId: realms.AU });
    try {
      await co.companyInfo();
    } finally {
      emu.control.clearFaults();
    }
    expect(waits).toHaveLength(1);
    expect(waits[0]!).toBeGreaterThanOrEqual(2000);
  });

  it('commit-then-drop on a create, retried with the same requestid, leaves exactly one entity', async () => {
    const co = client().company(realms.US);
    const name = `Dropped ${runId}`;
    emu.control.armFaults({ next: ['commit-then-drop'], appliesTo: 'writes', realmId: realms.US });
    try {
      const created = await co.create('Customer', { DisplayName: name }, { requestId: rid('drop-1') });
      expect(created.DisplayName).toBe(name);
    } finally {
      emu.control.clearFaults();
    }
    expect(await co.count('Customer', (q) => q.where('DisplayName', '=', name))).toBe(1);
  });

  it('a write whose outcome stays unknown ends as outcome-unknown with its requestid, and a later replay adopts it', async () => {
    const co = client({ retry: { ...fastRetry, maxAttempts: 3 } }).company(realms.US);
    const name = `Unknown ${runId}`;
    const requestId = rid('unknown-1');
    emu.control.armFaults({ rates: { 'commit-then-drop': 1 }, appliesTo: 'writes', realmId: realms.US });
    let err: unknown;
    try {
      err = await co.create('Customer', { DisplayName: name }, { requestId }).catch((e: unknown) => e);
    } finally {
      emu.control.clearFaults();
    }
    errors.push(err);
    expect(err).toBeInstanceOf(OutcomeUnknownError);
    expect(err).toMatchObject({ kind: 'outcome-unknown', requestId, realmId: realms.US, attempts: 3 });
    // The engine's recovery: replay the identical request; QBO answers with the original entity.
    const replayed = await co.create('Customer', { DisplayName: name }, { requestId });
    expect(await co.count('Customer', (q) => q.where('DisplayName', '=', name))).toBe(1);
    expect(replayed.DisplayName).toBe(name);
  });

  it('a hung request times out and is retried; a read that never answers is unavailable, not a fault', async () => {
    const co = client({ timeoutMs: 300, retry: { ...fastRetry, maxAttempts: 2 } }).company(realms.AU);
    emu.control.armFaults({ next: ['hang'], appliesTo: 'reads', realmId: realms.AU });
    try {
      expect((await co.companyInfo()).CompanyName).toBeTruthy();
      emu.control.armFaults({ next: ['hang', 'hang'], appliesTo: 'reads', realmId: realms.AU });
      const err = await co.companyInfo().catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'unavailable' });
    } finally {
      emu.control.clearFaults();
    }
  });

  it('an access token expiring mid-run costs one refresh and the run goes on', async () => {
    const co = client().company(realms.AU);
    const before = await store.load(realms.AU);
    const requestsBefore = tokenRequests();
    const got: string[] = [];
    for (let i = 0; i < 6; i++) {
      if (i === 3) emu.control.expireAccessTokens(realms.AU);
      got.push((await co.companyInfo()).CompanyName);
    }
    // And several calls at once after another expiry still share one refresh.
    emu.control.expireAccessTokens(realms.AU);
    await Promise.all(Array.from({ length: 5 }, () => co.companyInfo()));
    expect(got).toHaveLength(6);
    expect(tokenRequests() - requestsBefore).toBe(2);
    const after = await store.load(realms.AU);
    expect(after!.accessToken).not.toBe(before!.accessToken);
    expect((await store.get(realms.AU))!.status).toBe('connected');
  });

  it('never puts a token in a log line, an error message or the raw database file', async () => {
    // Every token the token endpoint handed out during the run: first grants and each refresh.
    const tokens = issued;
    expect(tokens.size).toBeGreaterThanOrEqual(8);
    const logText = clientLog.lines.join('\n');
    expect(clientLog.lines.length).toBeGreaterThan(10);
    const errorText = errors.map((e) => `${String(e)} ${JSON.stringify(e)}`).join('\n');
    expect(errors.length).toBeGreaterThan(0);
    await app.ctx.db.selectFrom('connections').select('realm_id').execute();
    const dir = app.ctx.config.dataDir;
    const dbBytes = fs
      .readdirSync(dir)
      .filter((f) => f.startsWith('qbo-connect.db'))
      .map((f) => fs.readFileSync(path.join(dir, f)).toString('latin1'))
      .join('');
    expect(dbBytes.length).toBeGreaterThan(0);
    for (const t of tokens) {
      expect(logText.includes(t)).toBe(false);
      expect(errorText.includes(t)).toBe(false);
      expect(dbBytes.includes(t)).toBe(false);
    }
  });
});

async function first<T>(it: AsyncIterable<T>): Promise<T | undefined> {
  for await (const x of it) return x;
  return undefined;
}
