/**
 * A client written from Intuit's documentation alone (node-quickbooks itself is driven in
 * emulator-node-quickbooks.test.ts): plain `fetch` with exactly the requests Intuit's documentation shows — the OAuth 2.0 code flow with Basic auth,
 * then create a customer and an invoice, query, batch, change data capture, and a duplicate name.
 * Nothing here uses the emulator's own helpers or control surface: only its printed base URLs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/emulator/run/server.js';
import { testDate } from './helpers/test-time.js';

const clientId = 'qbo-connect-demo';
const clientSecret = 'qbo-connect-demo-secret';
const redirectUri = 'http://localhost:8000/callback';

let emu: RunningEmulator;
let realmId: string;
let accessToken: string;
let refreshToken: string;

const base = () => `${emu.urls.api}/v3/company/${realmId}`;
const headers = () => ({ Authorization: `Bearer ${accessToken}`, Accept: 'application/json', 'Content-Type': 'application/json' });

beforeAll(async () => {
  emu = await startEmulator({ preset: 'us', autoConsent: true });
  // 1. Send the user to Intuit's authorize URL (oauth-jsclient's authorizeUri).
  const authorize = `${emu.urls.authorize}?${new URLSearchParams({
    client_id: clientId,
    scope: 'com.intuit.quickbooks.accounting openid',
    redirect_uri: redirectUri,
    response_type: 'code',
    state: 'testState',
  })}`;
  const callback = new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location')!);
  expect(callback.searchParams.get('state')).toBe('testState');
  realmId = callback.searchParams.get('realmId')!;
  // 2. Exchange the code (oauth-jsclient's createToken): Basic auth, form body.
  const res = await fetch(emu.urls.token, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
      'User-Agent': 'Intuit-OAuthClient-JS_4.2.0',
    },
    body: `grant_type=authorization_code&code=${encodeURIComponent(callback.searchParams.get('code')!)}&redirect_uri=${encodeURIComponent(redirectUri)}`,
  });
  const token = (await res.json()) as { token_type: string; access_token: string; refresh_token: string; expires_in: number; x_refresh_token_expires_in: number };
  expect(token.token_type).toBe('bearer');
  expect(token.expires_in).toBe(3600);
  accessToken = token.access_token;
  refreshToken = token.refresh_token;
});
afterAll(async () => {
  await emu.close();
});

describe('a client written against Intuit documentation', () => {
  let customerId: string;
  let itemId: string;
  let invoice: { Id: string; SyncToken: string; TotalAmt: number };

  it('creates a customer (Intuit sample body)', async () => {
    const res = await fetch(`${base()}/customer?minorversion=75`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({
        FullyQualifiedName: 'King Groceries',
        PrimaryEmailAddr: { Address: 'jdrew@myemail.com' },
        DisplayName: "King's Groceries",
        Suffix: 'Jr',
        Title: 'Mr',
        MiddleName: 'B',
        Notes: 'Here are other details.',
        FamilyName: 'King',
        PrimaryPhone: { FreeFormNumber: '(555) 555-5555' },
        CompanyName: 'King Groceries',
        BillAddr: { CountrySubDivisionCode: 'CA', City: 'Mountain View', PostalCode: '94042', Line1: '123 Main Street', Country: 'USA' },
        GivenName: 'James',
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('intuit_tid')).toBeTruthy();
    const body = (await res.json()) as { Customer: Record<string, unknown>; time: string };
    expect(body.Customer).toMatchObject({ DisplayName: "King's Groceries", domain: 'QBO', SyncToken: '0', Active: true });
    expect(body.Customer.Id).toMatch(/^\d+$/);
    expect(typeof body.time).toBe('string');
    customerId = body.Customer.Id as string;
  });

  it('finds the Services item by query, with an escaped apostrophe in another query', async () => {
    const res = await fetch(`${base()}/query?query=${encodeURIComponent("select * from Item where Name = 'Services'")}&minorversion=75`, { headers: headers() });
    const body = (await res.json()) as { QueryResponse: { Item: { Id: string }[]; startPosition: number; maxResults: number } };
    expect(body.QueryResponse).toMatchObject({ startPosition: 1, maxResults: 1 });
    itemId = body.QueryResponse.Item[0]!.Id;
    const byName = await fetch(`${base()}/query?query=${encodeURIComponent("select * from Customer where DisplayName = 'King\\'s Groceries'")}`, { headers: headers() });
    expect(((await byName.json()) as { QueryResponse: { Customer: { Id: string }[] } }).QueryResponse.Customer[0]!.Id).toBe(customerId);
  });

  it('creates an invoice (Intuit sample body) with the trailing SubTotal line', async () => {
    const res = await fetch(`${base()}/invoice?minorversion=75`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({
        Line: [{ DetailType: 'SalesItemLineDetail', Amount: 100.0, SalesItemLineDetail: { ItemRef: { name: 'Services', value: itemId } } }],
        CustomerRef: { value: customerId },
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { Invoice: { Id: string; SyncToken: string; TotalAmt: number; Balance: number; DocNumber: string; Line: { DetailType: string }[] } };
    expect(body.Invoice).toMatchObject({ TotalAmt: 100, Balance: 100 });
    expect(body.Invoice.DocNumber).toBeTruthy();
    expect(body.Invoice.Line.at(-1)!.DetailType).toBe('SubTotalLineDetail');
    invoice = body.Invoice;
  });

  it('queries with the POST form (application/text) and count(*)', async () => {
    const res = await fetch(`${base()}/query?minorversion=75`, {
      method: 'POST',
      headers: { ...headers(), 'Content-Type': 'application/text' },
      body: `select count(*) from Invoice where CustomerRef = '${customerId}'`,
    });
    expect(((await res.json()) as { QueryResponse: { totalCount: number } }).QueryResponse.totalCount).toBe(1);
  });

  it('runs a batch with per-item results (Intuit batch sample shape), answering 200', async () => {
    const res = await fetch(`${base()}/batch?minorversion=75`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({
        BatchItemRequest: [
          { bId: 'bid1', operation: 'create', Vendor: { DisplayName: 'Boraski Family Store' } },
          { bId: 'bid2', operation: 'delete', Invoice: { Id: '999999', SyncToken: '0' } },
          { bId: 'bid3', operation: 'update', Customer: { sparse: true, Id: customerId, SyncToken: '0', Notes: 'Updated in a batch' } },
          { bId: 'bid4', Query: "select * from Invoice where TotalAmt > '50.00'" },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { BatchItemResponse: Record<string, unknown>[] };
    const byId = Object.fromEntries(body.BatchItemResponse.map((r) => [r.bId as string, r]));
    expect(byId.bid1!.Vendor).toMatchObject({ DisplayName: 'Boraski Family Store' });
    expect(byId.bid2!.Fault).toMatchObject({ type: 'ValidationFault' });
    expect(byId.bid3!.Customer).toMatchObject({ Notes: 'Updated in a batch', SyncToken: '1' });
    expect((byId.bid4!.QueryResponse as { Invoice: { Id: string }[] }).Invoice.map((i) => i.Id)).toContain(invoice.Id);
  });

  it('reads changes through CDC, deleted rows included', async () => {
    const del = await fetch(`${base()}/invoice?operation=delete&minorversion=75`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ Id: invoice.Id, SyncToken: invoice.SyncToken }),
    });
    expect(((await del.json()) as { Invoice: Record<string, unknown> }).Invoice).toEqual({ domain: 'QBO', status: 'Deleted', Id: invoice.Id });
    const since = testDate(-3600_000).toISOString();
    const res = await fetch(`${base()}/cdc?entities=Customer,Invoice&changedSince=${encodeURIComponent(since)}&minorversion=75`, { headers: headers() });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { CDCResponse: { QueryResponse: Record<string, unknown>[] }[] };
    const parts = body.CDCResponse[0]!.QueryResponse;
    const customers = parts.find((p) => 'Customer' in p)!.Customer as { Id: string }[];
    const invoices = parts.find((p) => 'Invoice' in p)!.Invoice as { Id: string; status?: string }[];
    expect(customers.map((c) => c.Id)).toContain(customerId);
    expect(invoices.find((i) => i.Id === invoice.Id)).toMatchObject({ status: 'Deleted' });
  });

  it('refuses a duplicate name with 6240, across customers and vendors', async () => {
    for (const [entity, name] of [
      ['customer', "King's Groceries"],
      ['vendor', "King's Groceries"],
      ['customer', 'Boraski Family Store'],
    ]) {
      const res = await fetch(`${base()}/${entity}?minorversion=75`, { method: 'POST', headers: headers(), body: JSON.stringify({ DisplayName: name }) });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { Fault: { Error: { code: string; Message: string }[]; type: string } };
      expect(body.Fault.type).toBe('ValidationFault');
      expect(body.Fault.Error[0]).toMatchObject({ code: '6240', Message: 'Duplicate Name Exists Error' });
    }
  });

  it('refreshes the token as oauth-jsclient does and keeps working', async () => {
    const res = await fetch(emu.urls.token, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(refreshToken)}`,
    });
    const token = (await res.json()) as { access_token: string };
    accessToken = token.access_token;
    expect((await fetch(`${base()}/companyinfo/${realmId}`, { headers: headers() })).status).toBe(200);
  });
});
