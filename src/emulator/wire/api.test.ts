import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../core/index.js';
import { seedBasics, type Basics } from '../core/testing.js';
import { createApiApp, startTestServer, type TestServer } from './testing.js';
import { forbiddenResponse, unauthorizedResponse } from './errors.js';

let s: TestServer;
let b: Basics;

beforeAll(async () => {
  s = await startTestServer({ region: 'US' });
  b = seedBasics(s.core.company(s.realmId)!);
});
afterAll(() => s.close());

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Body; headers: Headers }> {
  const res = await fetch(s.base + path, {
    method,
    headers: { accept: 'application/json', ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Body, headers: res.headers };
}
const post = (path: string, body?: unknown, headers?: Record<string, string>) => call('POST', path, body, headers);
const get = (path: string) => call('GET', path);
const invoiceBody = (amount = 100, extra: Body = {}) => ({
  Line: [{ Amount: amount, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: b.item } } }],
  CustomerRef: { value: b.customer },
  ...extra,
});
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/;

describe('entity envelopes', () => {
  it('create answers {"Invoice":{…},"time":"…"} with an intuit_tid header', async () => {
    const r = await post('/invoice?minorversion=75', invoiceBody());
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['Invoice', 'time']);
    expect(r.body.time).toMatch(TIME);
    expect(r.body.Invoice).toMatchObject({ domain: 'QBO', sparse: false, SyncToken: '0', TotalAmt: 100, Balance: 100 });
    expect(r.headers.get('intuit_tid')).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  });

  it('read by id, and 610 / 2030 / unsupported path as ValidationFault with HTTP 400', async () => {
    const created = (await post('/customer', { DisplayName: 'Reader' })).body.Customer;
    const r = await get(`/customer/${created.Id}`);
    expect(r.body.Customer).toEqual(created);
    const missing = await get('/invoice/99999');
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      Fault: { Error: [expect.objectContaining({ code: '610', Message: 'Object Not Found', element: '' })], type: 'ValidationFault' },
      time: expect.stringMatching(TIME),
    });
    expect(missing.headers.get('intuit_tid')).toBeTruthy();
    expect((await get('/customer/1.5')).body.Fault.Error[0]).toEqual({
      Message: 'Invalid ID',
      Detail: 'Id should be a valid number. Supplied value:1.5',
      code: '2030',
      element: 'Id',
    });
    const odd = await get('/customer/1/5');
    expect(odd.status).toBe(400);
    expect(odd.body.Fault.Error[0]).toMatchObject({ code: '500', Message: 'Unsupported Operation' });
  });

  it('full update, sparse update and ?operation=update all move SyncToken', async () => {
    const c = (await post('/customer', { DisplayName: 'Upd', Notes: 'n' })).body.Customer;
    const full = (await post('/customer', { Id: c.Id, SyncToken: c.SyncToken, DisplayName: 'Upd', PrimaryPhone: { FreeFormNumber: '555' } })).body.Customer;
    expect(full).toMatchObject({ SyncToken: '1', PrimaryPhone: { FreeFormNumber: '555' } });
    expect(full).not.toHaveProperty('Notes');
    const sparse = (await post('/customer?operation=update', { Id: c.Id, SyncToken: '1', sparse: true, Notes: 'back' })).body.Customer;
    expect(sparse).toMatchObject({ SyncToken: '2', Notes: 'back', PrimaryPhone: { FreeFormNumber: '555' } });
    const stale = await post('/customer', { Id: c.Id, SyncToken: '1', sparse: true, Notes: 'x' });
    expect(stale.status).toBe(400);
    expect(stale.body.Fault.Error[0]).toMatchObject({ code: '5010', Message: 'Stale Object Error' });
  });

  it('delete answers {"Invoice":{"domain":"QBO","status":"Deleted","Id":…}}', async () => {
    const inv = (await post('/invoice', invoiceBody())).body.Invoice;
    const r = await post('/invoice?operation=delete', { Id: inv.Id, SyncToken: inv.SyncToken });
    expect(r.body).toEqual({ Invoice: { domain: 'QBO', status: 'Deleted', Id: inv.Id }, time: expect.stringMatching(TIME) });
    expect((await get(`/invoice/${inv.Id}`)).body.Fault.Error[0].code).toBe('610');
  });

  it('void: ?operation=void for invoices, ?operation=update&include=void for payments', async () => {
    const inv = (await post('/invoice', invoiceBody(80))).body.Invoice;
    const v = (await post('/invoice?operation=void', { Id: inv.Id, SyncToken: inv.SyncToken })).body.Invoice;
    expect(v).toMatchObject({ SyncToken: '1', TotalAmt: 0, Balance: 0, PrivateNote: 'Voided', DocNumber: inv.DocNumber });
    const pay = (await post('/payment', { CustomerRef: { value: b.customer }, TotalAmt: 25 })).body.Payment;
    const pv = (await post('/payment?operation=update&include=void', { Id: pay.Id, SyncToken: pay.SyncToken, sparse: true })).body.Payment;
    expect(pv).toMatchObject({ TotalAmt: 0, PrivateNote: 'Voided', SyncToken: '1' });
  });

  it('a credit memo cannot be voided: 400 with 500 Unsupported Operation (intuit/QuickBooks-V3-PHP-SDK#133)', async () => {
    const line = invoiceBody(30).Line;
    const cm = (await post('/creditmemo', { CustomerRef: { value: b.customer }, Line: line })).body.CreditMemo;
    const r = await post('/creditmemo?operation=void', { Id: cm.Id, SyncToken: cm.SyncToken });
    expect(r.status).toBe(400);
    expect(r.body.Fault.Error[0]).toMatchObject({ code: '500', Message: 'Unsupported Operation', Detail: 'Operation Void on CreditMemo is not supported.' });
    expect((await get(`/creditmemo/${cm.Id}`)).body.CreditMemo).toMatchObject({ SyncToken: cm.SyncToken, TotalAmt: 30 });
  });

  it('2010 for an unknown property and for a body that is not JSON', async () => {
    const r = await post('/invoice', { BadJson: true });
    expect(r.status).toBe(400);
    expect(r.body.Fault.Error[0]).toMatchObject({ code: '2010', Message: 'Request has invalid or unsupported property' });
    expect((await post('/invoice', '{not json', { 'content-type': 'application/json' })).body.Fault.Error[0].code).toBe('2010');
  });

  it('include=allowduplicatedocnum lets a DocNumber repeat', async () => {
    await post('/invoice', invoiceBody(1, { DocNumber: 'DUP-1' }));
    const dup = await post('/invoice', invoiceBody(1, { DocNumber: 'DUP-1' }));
    expect(dup.body.Fault.Error[0]).toMatchObject({ code: '6140', Message: 'Duplicate Document Number Error' });
    const ok = await post('/invoice?include=allowduplicatedocnum', invoiceBody(1, { DocNumber: 'DUP-1' }));
    expect(ok.body.Invoice.DocNumber).toBe('DUP-1');
  });

  it('6240 for a duplicate DisplayName, without `element` (recorded error/validation.yml)', async () => {
    const r = await post('/vendor', { DisplayName: 'Acme Pty' });
    expect(r.body).toEqual({
      Fault: { Error: [{ Message: 'Duplicate Name Exists Error', Detail: 'The name supplied already exists. : null', code: '6240' }], type: 'ValidationFault' },
      time: expect.any(String),
    });
  });
});

describe('requestid', () => {
  it('replays the first answer for the same requestid instead of creating again', async () => {
    const first = await post('/customer?requestid=req-123', { DisplayName: 'Once Only' });
    const again = await post('/customer?requestid=req-123', { DisplayName: 'Once Only' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect((await get(`/query?query=${encodeURIComponent("select count(*) from Customer where DisplayName = 'Once Only'")}`)).body.QueryResponse.totalCount).toBe(1);
  });

  it('remembers nothing when the memory size is 0, so a retry creates a duplicate', async () => {
    s.core.setRequestIdMemory(0);
    try {
      const a = (await post('/invoice?requestid=r0', invoiceBody(3, { DocNumber: 'RQ0' }), {})).body.Invoice;
      const again = await post('/invoice?requestid=r0&include=allowduplicatedocnum', invoiceBody(3, { DocNumber: 'RQ0' }));
      expect(again.body.Invoice.Id).not.toBe(a.Id);
    } finally {
      s.core.setRequestIdMemory(10_000);
    }
  });

  it('keeps requestids per company: the same id in another company is a new request', async () => {
    const other = s.core.createCompany({ name: 'Other Co', region: 'US' });
    const here = await post('/customer?requestid=shared-id', { DisplayName: 'Per Company' });
    const res = await fetch(`${s.url}/v3/company/${other.realmId}/customer?requestid=shared-id`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ DisplayName: 'Per Company' }),
    });
    const there = (await res.json()) as Body;
    expect(there.Customer.DisplayName).toBe('Per Company');
    expect(other.count('Customer')).toBe(1);
    expect(here.body.Customer.Id).toBeDefined();
    s.core.removeCompany(other.realmId);
  });

  it('rejects a requestid longer than 50 characters', async () => {
    expect((await post(`/customer?requestid=${'x'.repeat(51)}`, { DisplayName: 'Long Req' })).body.Fault.Error[0].code).toBe('2130');
  });
});

describe('query endpoint', () => {
  it('GET and POST (application/text) answer QueryResponse with startPosition and maxResults = rows', async () => {
    const q = "select * from Customer where DisplayName IN ('Acme Pty', 'Reader') orderby DisplayName";
    const g = await get(`/query?query=${encodeURIComponent(q)}&minorversion=75`);
    expect(g.status).toBe(200);
    expect(g.body.QueryResponse).toMatchObject({ startPosition: 1, maxResults: 2 });
    expect(g.body.QueryResponse.Customer.map((c: Body) => c.DisplayName)).toEqual(['Acme Pty', 'Reader']);
    const p = await post('/query', q, { 'content-type': 'application/text' });
    expect(p.body.QueryResponse).toEqual(g.body.QueryResponse);
  });

  it('POST /query also takes the SELECT in the query parameter', async () => {
    const r = await post(`/query?query=${encodeURIComponent('select count(*) from Vendor')}`, '', { 'content-type': 'application/text' });
    expect(r.body.QueryResponse.totalCount).toBeGreaterThan(0);
  });

  it('deactivation over HTTP: sparse Active false, the name shows (deleted), default queries hide it', async () => {
    const v = (await post('/vendor', { DisplayName: 'Soon Gone' })).body.Vendor;
    const off = (await post('/vendor', { Id: v.Id, SyncToken: v.SyncToken, sparse: true, Active: false })).body.Vendor;
    expect(off).toMatchObject({ Active: false, DisplayName: 'Soon Gone (deleted)', SyncToken: '1' });
    const q = (sql: string) => get(`/query?query=${encodeURIComponent(sql)}`);
    expect((await q("select count(*) from Vendor where DisplayName LIKE 'Soon Gone%'")).body.QueryResponse.totalCount).toBe(0);
    expect((await q("select count(*) from Vendor where DisplayName LIKE 'Soon Gone%' and Active IN (true, false)")).body.QueryResponse.totalCount).toBe(1);
  });

  it('count answers totalCount only; no match answers {}', async () => {
    expect((await get(`/query?query=${encodeURIComponent('SELECT COUNT(*) FROM Vendor')}`)).body.QueryResponse).toEqual({ totalCount: 1 });
    const none = await get(`/query?query=${encodeURIComponent("select * from Invoice where DocNumber = 'nope'")}`);
    expect(none.body).toEqual({ QueryResponse: {}, time: expect.stringMatching(TIME) });
  });

  it('4000 and 4001 faults with HTTP 400', async () => {
    const or = await get(`/query?query=${encodeURIComponent("select * from Customer where Id = '1' OR Id = '2'")}`);
    expect(or.status).toBe(400);
    expect(or.body.Fault).toMatchObject({ type: 'ValidationFault', Error: [{ code: '4000', Message: 'Error parsing query' }] });
    const big = await get(`/query?query=${encodeURIComponent('select * from Customer maxresults 1001')}`);
    expect(big.body.Fault.Error[0]).toMatchObject({ code: '4001', Detail: 'QueryValidationError: value 1001 is too large. Max allowed value is 1000' });
  });
});

describe('batch', () => {
  it('runs items in order with per-item results and faults, HTTP 200', async () => {
    const inv = (await post('/invoice', invoiceBody(10))).body.Invoice;
    const r = await post('/batch', {
      BatchItemRequest: [
        { bId: 'bid1', operation: 'create', Vendor: { DisplayName: 'Boraski Family Store' } },
        { bId: 'bid2', operation: 'delete', Invoice: { Id: '99999', SyncToken: '0' } },
        { bId: 'bid3', operation: 'update', Invoice: { Id: inv.Id, SyncToken: '7', sparse: true, PrivateNote: 'late' } },
        { bId: 'bid4', Query: "select * from Invoice where TotalAmt > '5.00' maxresults 2" },
        { bId: 'bid5', operation: 'update', optionsData: 'void', Invoice: { Id: inv.Id, SyncToken: inv.SyncToken } },
      ],
    });
    expect(r.status).toBe(200);
    const items = r.body.BatchItemResponse as Body[];
    expect(items.map((i) => i.bId)).toEqual(['bid1', 'bid2', 'bid3', 'bid4', 'bid5']);
    expect(items[0]!.Vendor).toMatchObject({ DisplayName: 'Boraski Family Store', Vendor1099: false, Balance: 0 });
    expect(items[1]).toEqual({ bId: 'bid2', Fault: { type: 'ValidationFault', Error: [expect.objectContaining({ code: '610', Message: 'Object Not Found' })] } });
    expect(items[2]!.Fault.Error[0].code).toBe('5010');
    expect(items[3]!.QueryResponse).toMatchObject({ startPosition: 1, maxResults: 2 });
    expect(items[4]!.Invoice).toMatchObject({ TotalAmt: 0, PrivateNote: 'Voided' });
    expect(r.body.time).toMatch(TIME);
  });

  it('items cannot see records created earlier in the same batch (2500)', async () => {
    const r = await post('/batch', {
      BatchItemRequest: [{ bId: 'c', operation: 'create', Customer: { DisplayName: 'Batch Born' } }],
    });
    const born = r.body.BatchItemResponse[0].Customer;
    expect(born.DisplayName).toBe('Batch Born');
    // People share one Id sequence, so the next customer's Id is known: referencing it from the same batch fails.
    const r2 = await post('/batch', {
      BatchItemRequest: [
        { bId: 'c2', operation: 'create', Customer: { DisplayName: 'Batch Born 2' } },
        { bId: 'i2', operation: 'create', Invoice: { ...invoiceBody(5), CustomerRef: { value: String(Number(born.Id) + 1) } } },
      ],
    });
    expect(r2.body.BatchItemResponse[1].Fault.Error[0]).toMatchObject({ code: '2500', element: 'CustomerRef' });
  });

  it('answers CDCQuery items with a CDCResponse', async () => {
    const since = new Date(Date.parse('2026-03-02T11:00:00Z')).toISOString();
    const r = await post('/batch', { BatchItemRequest: [{ bId: 'cdc', CDCQuery: { Entities: 'Vendor', ChangedSince: since } }] });
    const item = r.body.BatchItemResponse[0];
    expect(item.bId).toBe('cdc');
    expect(item.CDCResponse[0].QueryResponse[0].Vendor.length).toBeGreaterThan(0);
  });

  it('refuses more than 30 items (1040) and an empty batch', async () => {
    const many = Array.from({ length: 31 }, (_, i) => ({ bId: `q${i}`, Query: 'select count(*) from Customer' }));
    const r = await post('/batch', { BatchItemRequest: many });
    expect(r.status).toBe(400);
    expect(r.body.Fault.Error[0]).toMatchObject({ code: '1040', Message: 'Batch size exceeds allowed limit' });
    const ok = await post('/batch', { BatchItemRequest: many.slice(0, 30) });
    expect(ok.body.BatchItemResponse).toHaveLength(30);
    expect((await post('/batch', { BatchItemRequest: [] })).body.Fault.Error[0]).toMatchObject({ Message: 'MalformedRequest', Detail: 'Batch Request is Empty' });
  });
});

describe('CDC', () => {
  it('answers CDCResponse[0].QueryResponse[] per entity, deleted rows with status Deleted', async () => {
    s.advance(60_000);
    const since = new Date(Date.parse('2026-03-02T12:00:00Z') + 30_000).toISOString();
    const inv = (await post('/invoice', invoiceBody(9))).body.Invoice;
    const gone = (await post('/invoice', invoiceBody(8))).body.Invoice;
    await post('/invoice?operation=delete', { Id: gone.Id, SyncToken: '0' });
    const r = await get(`/cdc?entities=Invoice,Customer&changedSince=${encodeURIComponent(since)}&minorversion=75`);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['CDCResponse', 'time']);
    const [invoices, customers] = r.body.CDCResponse[0].QueryResponse as Body[];
    expect(invoices!.startPosition).toBe(1);
    expect(invoices!.maxResults).toBe(invoices!.Invoice.length);
    expect(invoices!.Invoice.find((x: Body) => x.Id === inv.Id)).toMatchObject({ TotalAmt: 9 });
    expect(invoices!.Invoice.find((x: Body) => x.Id === gone.Id)).toMatchObject({ status: 'Deleted', domain: 'QBO' });
    expect(customers).toEqual({});
  });

  it('faults for a missing parameter; accepts changedSince more than 30 days back (recorded cdc/basic.yml)', async () => {
    expect((await get('/cdc?entities=Invoice')).body.Fault.Error[0]).toMatchObject({ code: '2020', element: 'changedSince' });
    const old = await get(`/cdc?entities=Invoice&changedSince=2020-01-01T00:00:00-07:00`);
    expect(old.status).toBe(200);
  });
});

describe('CompanyInfo and Preferences', () => {
  it('reads /companyinfo/{realm} and /preferences; a preferences update closes the books', async () => {
    const info = await get(`/companyinfo/${s.realmId}`);
    expect(info.body.CompanyInfo).toMatchObject({ CompanyName: 'Test Company', Country: 'US', Id: '1' });
    const prefs = (await get('/preferences')).body.Preferences;
    expect(prefs.SalesFormsPrefs.CustomTxnNumbers).toBe(false);
    const up = await post('/preferences', { Id: '1', SyncToken: prefs.SyncToken, sparse: true, AccountingInfoPrefs: { BookCloseDate: '2026-01-31' } });
    expect(up.body.Preferences.AccountingInfoPrefs).toMatchObject({ BookCloseDate: '2026-01-31' });
    const closed = await post('/invoice', invoiceBody(5, { TxnDate: '2026-01-10' }));
    expect(closed.body.Fault.Error[0]).toMatchObject({ code: '6210' });
    await post('/preferences', { Id: '1', SyncToken: up.body.Preferences.SyncToken, sparse: true, AccountingInfoPrefs: { BookCloseDate: '2000-01-01' } });
  });
});

describe('internal errors', () => {
  it('answer 500 with a SystemFault (code 10000) and intuit_tid', async () => {
    const company = s.core.company(s.realmId)!;
    const original = company.read.bind(company);
    company.read = () => {
      throw new Error('boom');
    };
    try {
      const r = await get('/customer/1');
      expect(r.status).toBe(500);
      expect(r.body.Fault).toMatchObject({ type: 'SystemFault', Error: [{ code: '10000', Detail: 'System Failure Error: boom' }] });
      expect(r.headers.get('intuit_tid')).toBeTruthy();
    } finally {
      company.read = original;
    }
  });
});

describe('authorization', () => {
  it('sends what authorize returns (401 lower-case envelope, 403), with intuit_tid; unknown realms get 403', async () => {
    const core = createCore({ clock: () => new Date('2026-03-02T00:00:00Z'), seed: 2 });
    const realm = core.createCompany({ name: 'Auth Co', region: 'UK' }).realmId;
    const app = createApiApp(core, (req) => {
      const auth = req.headers.get('authorization');
      if (!auth) return unauthorizedResponse('Token expired: AB0…', 1_700_000_000_000);
      if (auth.endsWith('other-realm')) return forbiddenResponse(1_700_000_000_000);
      return undefined;
    });
    const server = await new Promise<ServerType>((resolve) => {
      const x: ServerType = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(x));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3/company`;
    try {
      const r401 = await fetch(`${url}/${realm}/customer/1`);
      expect(r401.status).toBe(401);
      expect(r401.headers.get('www-authenticate')).toBe('Bearer realm="Intuit", error="invalid_token"');
      expect(r401.headers.get('intuit_tid')).toBeTruthy();
      expect(await r401.json()).toEqual({
        warnings: null,
        intuitObject: null,
        fault: {
          error: [{ message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401', detail: 'Token expired: AB0…', code: '3200', element: null }],
          type: 'AUTHENTICATION',
        },
        report: null,
        queryResponse: null,
        batchItemResponse: [],
        attachableResponse: [],
        syncErrorResponse: null,
        requestId: null,
        time: 1_700_000_000_000,
        status: null,
        cdcresponse: [],
      });
      const r403 = await fetch(`${url}/${realm}/customer/1`, { headers: { authorization: 'Bearer other-realm' } });
      expect(r403.status).toBe(403);
      expect(((await r403.json()) as Body).fault).toEqual({
        error: [{ message: 'message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403', detail: null, code: '3100', element: null }],
        type: 'SERVICE',
      });
      const unknown = await fetch(`${url}/12345/customer/1`, { headers: { authorization: 'Bearer ok' } });
      expect(unknown.status).toBe(403);
      const ok = await fetch(`${url}/${realm}/companyinfo/${realm}`, { headers: { authorization: 'Bearer ok' } });
      expect(((await ok.json()) as Body).CompanyInfo.Country).toBe('GB');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
