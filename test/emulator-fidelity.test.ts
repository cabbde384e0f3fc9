// Strict and generous fidelity (issue 13): requestid, filterable fields, the CDC cap, and the option
// on startEmulator / `qbo-connect emulator`. Runs on an injected clock; any date, any TZ.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { createCore, type Company, type Core, type Fidelity } from '../src/emulator/core/index.js';
import { seedBasics, type Basics } from '../src/emulator/core/testing.js';
import { createApiApp } from '../src/emulator/wire/testing.js';
import { STRICT_FILTERABLE } from '../src/emulator/core/fidelity.js';
import { ENTITIES } from '../src/emulator/core/entities.js';
import { emulatorOptions } from '../src/cli/commands/emulator.js';

type J = Record<string, unknown>;

interface Served {
  core: Core;
  company: Company;
  b: Basics;
  app: ReturnType<typeof createApiApp>;
  base: string;
  advance(ms: number): void;
  close(): Promise<void>;
}

async function serveCore(fidelity: Fidelity, retentionMs?: number): Promise<Served> {
  let now = Date.parse('2026-03-02T12:00:00Z');
  const core = createCore({ clock: () => new Date(now), seed: 3, fidelity, requestIdRetentionMs: retentionMs });
  const company = core.createCompany({ name: `${fidelity} Co`, region: 'AU' });
  const b = seedBasics(company);
  const app = createApiApp(core);
  const server = await new Promise<ServerType>((resolve) => {
    const s: ServerType = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  return {
    core,
    company,
    b,
    app,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3/company/${company.realmId}`,
    advance: (ms) => void (now += ms),
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}

const invoice = (b: Basics, amount: number) => ({
  CustomerRef: { value: b.customer },
  Line: [{ Amount: amount, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: b.item }, TaxCodeRef: { value: b.taxCode } } }],
});

async function post(s: Served, path: string, body: unknown): Promise<{ status: number; json: J }> {
  const res = await fetch(s.base + path, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as J };
}
async function query(s: Served, q: string): Promise<{ status: number; json: J }> {
  const res = await fetch(`${s.base}/query?query=${encodeURIComponent(q)}`, { headers: { accept: 'application/json' } });
  return { status: res.status, json: (await res.json()) as J };
}
const faultCode = (j: J) => (j.Fault as { Error: J[] } | undefined)?.Error[0]?.code as string | undefined;

describe('strict fidelity', () => {
  let s: Served;
  beforeAll(async () => (s = await serveCore('strict', 30_000)));
  afterAll(() => s.close());

  it('replays an identical request sent again after the first was answered', async () => {
    const first = await post(s, '/invoice?requestid=seq-1', invoice(s.b, 10));
    const again = await post(s, '/invoice?requestid=seq-1&minorversion=75', invoice(s.b, 10));
    expect(first.status).toBe(200);
    expect(again.json.Invoice).toEqual(first.json.Invoice);
    expect(s.company.list('Invoice').filter((i) => i.TotalAmt === 11)).toHaveLength(1);
  });

  it('answers a different body under a used requestid with fault 600, creating nothing', async () => {
    await post(s, '/invoice?requestid=reuse-1', invoice(s.b, 20));
    const before = s.company.count('Invoice');
    const other = await post(s, '/invoice?requestid=reuse-1', invoice(s.b, 21));
    expect(other.status).toBe(400);
    expect(other.json.Fault).toMatchObject({ type: 'ValidationFault', Error: [{ code: '600', Message: 'Duplicate RequestId detected' }] });
    expect(s.company.count('Invoice')).toBe(before);
  });

  it('forgets a requestid after the retention time: the same request then creates again', async () => {
    const first = await post(s, '/invoice?requestid=late-1', invoice(s.b, 30));
    s.advance(30_001);
    const late = await post(s, '/invoice?requestid=late-1', invoice(s.b, 30));
    expect((late.json.Invoice as J).Id).not.toBe((first.json.Invoice as J).Id);
  });

  it('executes each of six concurrent duplicates (QBO documents no in-flight dedupe)', async () => {
    const before = s.company.count('Invoice');
    // In process, so all six are in flight together whatever the machine's load.
    const answers = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const res = await s.app.request(`/v3/company/${s.company.realmId}/invoice?requestid=burst-1`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(invoice(s.b, 40)),
        });
        return { status: res.status, json: (await res.json()) as J };
      }),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const ids = new Set(answers.map((a) => (a.json.Invoice as J).Id));
    expect(ids.size).toBe(6);
    expect(s.company.count('Invoice') - before).toBe(ids.size);
  });

  it('refuses Payment WHERE PaymentRefNum (no Intuit source marks it filterable) with 4001', async () => {
    const r = await query(s, "select * from Payment where PaymentRefNum IN ('A1')");
    expect(r.status).toBe(400);
    expect((r.json.Fault as { Error: J[] }).Error[0]).toMatchObject({ code: '4001', Detail: "QueryValidationError: property 'PaymentRefNum' is not queryable" });
    expect(faultCode((await query(s, "select * from Payment where DocNumber = '1'")).json)).toBe('4001');
    expect((await query(s, "select * from Payment where TxnDate >= '2026-01-01'")).status).toBe(200);
    expect((await query(s, "select * from Customer where DisplayName = 'Acme Pty'")).status).toBe(200);
    expect((await query(s, 'select * from Customer where Active IN (true, false)')).status).toBe(200);
  });

  it('cites a source for every strict filterable field, for every entity', () => {
    for (const entity of Object.keys(ENTITIES)) {
      const fields = STRICT_FILTERABLE[entity as keyof typeof ENTITIES];
      expect(fields, entity).toBeDefined();
      for (const [field, source] of Object.entries(fields!)) expect(source, `${entity}.${field}`).toMatch(/^(XSD|META|REF|VCR) /);
    }
  });

  it('caps the whole CDC answer at 1,000 objects across entities, oldest first', () => {
    const since = new Date(Date.parse('2026-03-02T12:00:00Z'));
    for (let i = 0; i < 700; i++) s.company.create('Customer', { DisplayName: `Cdc C ${i}` });
    s.advance(1000);
    for (let i = 0; i < 700; i++) s.company.create('Vendor', { DisplayName: `Cdc V ${i}` });
    const r = s.company.cdc(['Customer', 'Vendor'], since);
    const total = r.reduce((n, e) => n + e.rows.length, 0);
    expect(total).toBe(1000);
    expect(r[0]!.rows.length).toBeGreaterThanOrEqual(700);
  });
});

describe('tax-inclusive lines', () => {
  const body = (b: Basics) => ({
    CustomerRef: { value: b.customer },
    GlobalTaxCalculation: 'TaxInclusive',
    Line: [{ Amount: 110, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: b.item }, Qty: 2, UnitPrice: 55, TaxCodeRef: { value: b.taxCode } } }],
  });
  it('strict answers the net line Amount and SubTotal and a back-computed UnitPrice; generous echoes the gross', () => {
    for (const fidelity of ['strict', 'generous'] as const) {
      const core = createCore({ clock: () => new Date('2026-03-02T12:00:00Z'), seed: 1, fidelity });
      const c = core.createCompany({ name: 'Inc', region: 'AU' });
      const inv = c.create('Invoice', body(seedBasics(c)));
      const [line, sub] = inv.Line as J[];
      const detail = line!.SalesItemLineDetail as J;
      expect(inv.TotalAmt).toBe(110);
      expect((inv.TxnTaxDetail as J).TotalTax).toBe(10);
      expect(detail.TaxInclusiveAmt).toBe(110);
      if (fidelity === 'strict') expect([line!.Amount, detail.UnitPrice, sub!.Amount]).toEqual([100, 50, 100]);
      else expect([line!.Amount, detail.UnitPrice, sub!.Amount]).toEqual([110, 55, 110]);
    }
  });
});

describe('payment lines', () => {
  it('carry LineEx (txnId, txnOpenBalance, txnReferenceNumber) in strict mode only', () => {
    for (const fidelity of ['strict', 'generous'] as const) {
      const core = createCore({ clock: () => new Date('2026-03-02T12:00:00Z'), seed: 1, fidelity });
      const c = core.createCompany({ name: 'Pay', region: 'AU' });
      const b = seedBasics(c);
      const inv = c.create('Invoice', invoice(b, 100));
      const pay = c.create('Payment', { CustomerRef: { value: b.customer }, TotalAmt: 40, Line: [{ Amount: 40, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }] });
      const lineEx = (pay.Line as J[])[0]!.LineEx as { any: { value: { Name: string; Value: string } }[] } | undefined;
      if (fidelity === 'generous') expect(lineEx).toBeUndefined();
      else
        expect(lineEx!.any.map((a) => [a.value.Name, a.value.Value])).toEqual([
          ['txnId', inv.Id],
          ['txnOpenBalance', '110.00'],
          ['txnReferenceNumber', inv.DocNumber],
        ]);
    }
  });
});

describe('generous fidelity (the emulator before issue 13)', () => {
  let s: Served;
  beforeAll(async () => (s = await serveCore('generous')));
  afterAll(() => s.close());

  it('replays the first answer for any request under a used requestid, and accepts PaymentRefNum', async () => {
    const first = await post(s, '/invoice?requestid=g-1', invoice(s.b, 10));
    const other = await post(s, '/invoice?requestid=g-1', invoice(s.b, 99));
    expect(other.json.Invoice).toEqual(first.json.Invoice);
    expect((await query(s, "select * from Payment where PaymentRefNum IN ('A1')")).status).toBe(200);
  });

  it('returns up to 1,000 rows per entity in CDC', () => {
    const since = new Date(Date.parse('2026-03-02T12:00:00Z'));
    for (let i = 0; i < 700; i++) s.company.create('Customer', { DisplayName: `G C ${i}` });
    for (let i = 0; i < 700; i++) s.company.create('Vendor', { DisplayName: `G V ${i}` });
    const r = s.company.cdc(['Customer', 'Vendor'], since);
    expect(r.reduce((n, e) => n + e.rows.length, 0)).toBeGreaterThan(1000);
  });
});

describe('choosing the mode', () => {
  it('qbo-connect emulator takes --fidelity and --requestid-retention, and names a bad value', () => {
    const base = { seed: '1', limits: 'real', batchMetering: 'request', timeScale: '1', control: 'off' };
    expect(emulatorOptions({ ...base, fidelity: 'STRICT', requestidRetention: '5' }, {})).toMatchObject({ fidelity: 'strict', requestIdRetentionSeconds: 5 });
    expect(() => emulatorOptions({ ...base, fidelity: 'kind' }, {})).toThrow(/--fidelity=kind: must be one of strict, generous/);
  });
});
