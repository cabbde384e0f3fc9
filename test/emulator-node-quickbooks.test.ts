/**
 * "A standard client written by others works unmodified": node-quickbooks (npm, 2.0.50), pointed at
 * the emulator's printed URLs by its own static settings — the same way one points it at Intuit's
 * sandbox — creates a customer and an invoice, queries, batches, reads change data capture,
 * refreshes its token, and gets QBO's 6240 for a duplicate name.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/emulator/run/server.js';
import { testDate } from './helpers/test-time.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the library ships no types
const QuickBooks = require('node-quickbooks') as any;

const clientId = 'qbo-connect-demo';
const clientSecret = 'qbo-connect-demo-secret';
const redirectUri = 'http://localhost:8000/callback';

type Callback<T> = (err: unknown, body: T) => void;
/** node-quickbooks speaks callbacks; this turns one call into a promise that rejects with QBO's body. */
function call<T>(fn: (cb: Callback<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, body) => (err ? reject(err) : resolve(body))));
}

let emu: RunningEmulator;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let qbo: any;

beforeAll(async () => {
  emu = await startEmulator({ preset: 'au', autoConsent: true });
  const authorize = `${emu.urls.authorize}?${new URLSearchParams({
    client_id: clientId,
    scope: 'com.intuit.quickbooks.accounting',
    redirect_uri: redirectUri,
    response_type: 'code',
    state: 'nq-state',
  })}`;
  const callback = new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location')!);
  const res = await fetch(emu.urls.token, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: redirectUri }),
  });
  const token = (await res.json()) as { access_token: string; refresh_token: string };

  // The library's own switches for where QBO lives (it defaults to Intuit's sandbox URLs).
  QuickBooks.V3_ENDPOINT_BASE_URL = `${emu.urls.api}/v3/company/`;
  QuickBooks.TOKEN_URL = emu.urls.token;
  qbo = new QuickBooks(clientId, clientSecret, token.access_token, false, callback.searchParams.get('realmId'), true, false, 75, '2.0', token.refresh_token);
});
afterAll(async () => {
  await emu?.close();
});

describe('node-quickbooks against the emulator, unmodified', () => {
  let customerId: string;

  it('creates a customer and an invoice for it', async () => {
    const customer = await call<{ Id: string; DisplayName: string; SyncToken: string }>((cb) => qbo.createCustomer({ DisplayName: 'Harbour Trust' }, cb));
    expect(customer).toMatchObject({ DisplayName: 'Harbour Trust', SyncToken: '0' });
    customerId = customer.Id;
    const items = await call<{ QueryResponse: { Item?: { Id: string; Name: string }[] } }>((cb) => qbo.findItems({ Name: 'Services' }, cb));
    const taxCodes = await call<{ QueryResponse: { TaxCode?: { Id: string; Name: string }[] } }>((cb) => qbo.findTaxCodes(cb));
    const gst = taxCodes.QueryResponse.TaxCode!.find((t) => t.Name === 'GST')!;
    const invoice = await call<{ Id: string; TotalAmt: number; Balance: number }>((cb) =>
      qbo.createInvoice(
        {
          CustomerRef: { value: customerId },
          GlobalTaxCalculation: 'TaxExcluded',
          Line: [{ Amount: 100, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: items.QueryResponse.Item![0]!.Id }, TaxCodeRef: { value: gst.Id } } }],
        },
        cb,
      ),
    );
    expect(invoice.TotalAmt).toBe(110);
    expect(invoice.Balance).toBe(110);
  });

  it('queries with its criteria helpers', async () => {
    const found = await call<{ QueryResponse: { Customer?: { Id: string }[] } }>((cb) => qbo.findCustomers([{ field: 'DisplayName', value: 'Harbour Trust', operator: '=' }], cb));
    expect(found.QueryResponse.Customer?.map((c) => c.Id)).toEqual([customerId]);
    const counted = await call<{ QueryResponse: { totalCount: number } }>((cb) => qbo.findCustomers({ count: true }, cb));
    expect(counted.QueryResponse.totalCount).toBeGreaterThanOrEqual(1);
  });

  it('sends a batch and reads per-item results', async () => {
    const out = await call<{ BatchItemResponse: { bId: string; Customer?: { DisplayName: string }; Fault?: unknown }[] }>((cb) =>
      qbo.batch(
        [
          { bId: 'b1', operation: 'create', Customer: { DisplayName: 'Batch Client One' } },
          { bId: 'b2', operation: 'create', Customer: { DisplayName: 'Harbour Trust' } },
        ],
        cb,
      ),
    );
    const byId = Object.fromEntries(out.BatchItemResponse.map((r) => [r.bId, r]));
    expect(byId.b1?.Customer?.DisplayName).toBe('Batch Client One');
    expect(JSON.stringify(byId.b2?.Fault)).toContain('6240');
  });

  it('reads change data capture', async () => {
    const since = testDate(-60 * 60 * 1000);
    const cdc = await call<{ CDCResponse: { QueryResponse: { Customer?: { Id: string }[] }[] }[] }>((cb) => qbo.changeDataCapture(['Customer'], since, cb));
    const ids = cdc.CDCResponse[0]!.QueryResponse.flatMap((q) => q.Customer ?? []).map((c) => c.Id);
    expect(ids).toContain(customerId);
  });

  it('gets 6240 for a duplicate name', async () => {
    const err = await call((cb) => qbo.createCustomer({ DisplayName: 'Harbour Trust' }, cb)).then(
      () => undefined,
      (e: unknown) => e,
    );
    // The library hands back axios's error; QBO's Fault body is its response data.
    const body = (err as { response?: { status: number; data: { Fault: { type: string; Error: { code: string }[] } } } }).response;
    expect(body?.status).toBe(400);
    expect(body?.data.Fault.type).toBe('ValidationFault');
    expect(body?.data.Fault.Error[0]?.code).toBe('6240');
  });

  it('refreshes its access token through the emulator', async () => {
    const before = qbo.token as string;
    await call((cb) => qbo.refreshAccessToken(cb));
    expect(qbo.token).not.toBe(before);
    const customer = await call<{ Id: string }>((cb) => qbo.getCustomer(customerId, cb));
    expect(customer.Id).toBe(customerId);
  });
});
