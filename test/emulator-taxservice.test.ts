// TaxService over HTTP (issue 13): POST /v3/company/{realm}/taxservice/taxcode creates a tax code with
// existing or new rates, answers the TaxService unwrapped, and refuses bad input with QBO's faults.
// The us preset's agencies are TaxAgency 1–3. Injected clock; any date, any TZ.

import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmulatorClock } from '../src/emulator/run/clock.js';
import { createCoreAdapter } from '../src/emulator/wire/core-adapter.js';
import { createCore, type Company } from '../src/emulator/core/index.js';
import { seedPreset } from '../src/emulator/presets/seed.js';
import { createApiApp } from '../src/emulator/wire/testing.js';

type J = Record<string, unknown>;
type Fault = { Fault: { Error: Array<{ code: string; Message: string; Detail: string; element?: string }>; type: string } };

let server: ServerType;
let base: string;
let company: Company;
let auCompany: Company;

beforeAll(async () => {
  const core = createCore({ clock: () => new Date(Date.UTC(2026, 2, 2, 12)), seed: 5 });
  const port = createCoreAdapter({ clock: createEmulatorClock(), seed: 5, core });
  company = core.company(seedPreset(port, 'US'))!;
  auCompany = core.company(seedPreset(port, 'AU'))!;
  const app = createApiApp(core);
  server = await new Promise<ServerType>((resolve) => {
    const s: ServerType = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3/company`;
});
afterAll(
  () =>
    new Promise<void>((r) => {
      server.close(() => r());
      if ('closeAllConnections' in server) server.closeAllConnections();
    }),
);

const post = async (body: unknown, opts: { realm?: string; path?: string; type?: string } = {}) => {
  const res = await fetch(`${base}/${opts.realm ?? company.realmId}/${opts.path ?? 'taxservice/taxcode'}`, {
    method: 'POST',
    headers: { 'content-type': opts.type ?? 'application/json', accept: 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as J };
};
const fault = (r: { body: J }) => (r.body as unknown as Fault).Fault.Error[0]!;

describe('TaxService (us preset)', () => {
  it('creates a code from a new rate and an existing one; the answer is the TaxService, unwrapped; the code then taxes invoices', async () => {
    const ca = company.list('TaxRate').find((r) => r.Name === 'California')!;
    const r = await post({
      TaxCode: 'Oakland',
      TaxRateDetails: [{ TaxRateId: ca.Id }, { TaxRateName: 'Alameda District', RateValue: 3, TaxAgencyId: '1', TaxApplicableOn: 'Sales' }],
    });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['TaxCode', 'TaxCodeId', 'TaxRateDetails']);
    const details = r.body.TaxRateDetails as J[];
    expect(details).toEqual([
      { TaxRateName: 'California', TaxRateId: ca.Id, RateValue: 7.25, TaxAgencyId: '1', TaxApplicableOn: 'Sales' },
      { TaxRateName: 'Alameda District', TaxRateId: expect.any(String), RateValue: 3, TaxAgencyId: '1', TaxApplicableOn: 'Sales' },
    ]);
    const code = company.read('TaxCode', String(r.body.TaxCodeId));
    expect(code).toMatchObject({ Name: 'Oakland', TaxGroup: true, Taxable: true, TaxCodeConfigType: 'USER_DEFINED' });
    expect(company.read('TaxRate', String(details[1]!.TaxRateId))).toMatchObject({ RateValue: 3, AgencyRef: { value: '1' } });
    const item = company.list('Item')[0]!;
    const customer = company.create('Customer', { DisplayName: 'Oakland Client' });
    const inv = company.create('Invoice', {
      CustomerRef: { value: customer.Id },
      Line: [{ DetailType: 'SalesItemLineDetail', Amount: 200, SalesItemLineDetail: { ItemRef: { value: item.Id }, TaxCodeRef: { value: 'TAX' } } }],
      TxnTaxDetail: { TxnTaxCodeRef: { value: code.Id } },
    });
    expect(inv.TotalAmt).toBe(220.5); // 7.25 % + 3 % of 200
    // The new code and rate are found by query, as QBO's TaxCode/TaxRate reads.
    const q = await fetch(`${base}/${company.realmId}/query?query=${encodeURIComponent("select * from TaxCode where Name = 'Oakland'")}`);
    expect(((await q.json()) as { QueryResponse: { TaxCode: J[] } }).QueryResponse.TaxCode).toHaveLength(1);
  });

  it('refuses bad input naming the field, and writes nothing when it does', async () => {
    const before = { codes: company.count('TaxCode'), rates: company.count('TaxRate') };
    const cases: Array<[unknown, string, RegExp]> = [
      [{ TaxRateDetails: [{ TaxRateId: '1' }] }, '2020', /TaxCode/],
      [{ TaxCode: 'Empty' }, '2020', /TaxRateDetails/],
      [{ TaxCode: 'Empty', TaxRateDetails: [] }, '2020', /TaxRateDetails/],
      [{ TaxCode: 'NoRate', TaxRateDetails: [{ TaxRateId: '999' }] }, '2500', /TaxRateId/],
      [{ TaxCode: 'NoAgency', TaxRateDetails: [{ TaxRateName: 'X1', RateValue: 1, TaxAgencyId: '99' }] }, '2500', /TaxAgencyId/],
      [{ TaxCode: 'NoValue', TaxRateDetails: [{ TaxRateName: 'X2', TaxAgencyId: '1' }] }, '2020', /RateValue/],
      [{ TaxCode: 'BadValue', TaxRateDetails: [{ TaxRateName: 'X3', RateValue: 'ten', TaxAgencyId: '1' }] }, '2110', /RateValue/],
      [{ TaxCode: 'Negative', TaxRateDetails: [{ TaxRateName: 'X4', RateValue: -1, TaxAgencyId: '1' }] }, '2110', /RateValue/],
      [{ TaxCode: 'NoName', TaxRateDetails: [{ RateValue: 1, TaxAgencyId: '1' }] }, '2020', /TaxRateName/],
      [{ TaxCode: 'Purchase', TaxRateDetails: [{ TaxRateName: 'X5', RateValue: 1, TaxAgencyId: '1', TaxApplicableOn: 'Purchase' }] }, '2170', /TaxApplicableOn/],
      [{ TaxCode: 'Unknown', Extra: 1, TaxRateDetails: [{ TaxRateId: '1' }] }, '2010', /Extra/],
      [{ TaxCode: 'A:B', TaxRateDetails: [{ TaxRateId: '1' }] }, '2040', /TaxCode/],
      // A second rate fails: the first, valid one is not created either.
      [{ TaxCode: 'Half', TaxRateDetails: [{ TaxRateName: 'Half One', RateValue: 1, TaxAgencyId: '1' }, { TaxRateId: '999' }] }, '2500', /TaxRateId/],
    ];
    for (const [body, code, mentions] of cases) {
      const r = await post(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      const f = fault(r);
      expect(f.code, JSON.stringify(body)).toBe(code);
      expect(`${f.Message} ${f.Detail} ${f.element ?? ''}`, JSON.stringify(body)).toMatch(mentions);
    }
    expect({ codes: company.count('TaxCode'), rates: company.count('TaxRate') }).toEqual(before);
  });

  it('6240 for a code or a new rate whose name exists (case-insensitive), also when a TaxCodeId is sent to "update"', async () => {
    const nyc = company.list('TaxCode').find((t) => t.Name === 'NYC')!;
    expect(fault(await post({ TaxCode: 'nyc', TaxRateDetails: [{ TaxRateId: '1' }] }))).toMatchObject({ code: '6240', Message: 'Duplicate Name Exists Error' });
    expect(fault(await post({ TaxCode: 'NYC', TaxCodeId: nyc.Id, TaxRateDetails: [{ TaxRateId: '1' }] })).code).toBe('6240');
    expect(fault(await post({ TaxCode: 'Fresh', TaxRateDetails: [{ TaxRateName: 'texas', RateValue: 1, TaxAgencyId: '3' }] })).code).toBe('6240');
  });

  it('JSON only (XML is refused); a bare /taxservice is not a resource; TaxCode itself stays read-only', async () => {
    const xml = await post('<TaxService><TaxCode>X</TaxCode></TaxService>', { type: 'application/xml' });
    expect([xml.status, fault(xml).code]).toEqual([400, '500']);
    const bare = await post({ TaxCode: 'X', TaxRateDetails: [{ TaxRateId: '1' }] }, { path: 'taxservice' });
    expect([bare.status, fault(bare).Message]).toEqual([400, 'Unsupported Operation']);
    const direct = await post({ Name: 'Direct' }, { path: 'taxcode' });
    expect(direct.status).toBe(400);
    expect(fault(direct).Message).toBe('Unsupported Operation');
  });

  it('a non-US company creates codes for purchases too, against its own agency', async () => {
    const ato = auCompany.list('TaxAgency')[0]!;
    const r = await post(
      {
        TaxCode: 'WET',
        TaxRateDetails: [
          { TaxRateName: 'WET sales', RateValue: 29, TaxAgencyId: ato.Id },
          { TaxRateName: 'WET purchases', RateValue: 29, TaxAgencyId: ato.Id, TaxApplicableOn: 'Purchase' },
        ],
      },
      { realm: auCompany.realmId },
    );
    expect(r.status).toBe(200);
    const code = auCompany.read('TaxCode', String(r.body.TaxCodeId));
    expect((code.SalesTaxRateList as { TaxRateDetail: unknown[] }).TaxRateDetail).toHaveLength(1);
    expect((code.PurchaseTaxRateList as { TaxRateDetail: unknown[] }).TaxRateDetail).toHaveLength(1);
  });
});
