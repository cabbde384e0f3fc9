import { describe, expect, it } from 'vitest';
import { createEmulatorClock } from '../run/clock.js';
import { createCoreAdapter } from '../wire/core-adapter.js';
import { createCore } from '../core/index.js';
import { presets, regions } from './data.js';
import { seedPreset } from './seed.js';

type Row = Record<string, unknown> & { Id: string; Name?: string };

describe('region presets', () => {
  it.each(regions)('%s seeds the lists a sync needs', (region) => {
    const port = createCoreAdapter({ clock: createEmulatorClock({ startMs: Date.UTC(2026, 2, 2) }), seed: 1 });
    const realmId = seedPreset(port, region);
    const dump = port.dump(realmId) as { region: string; entities: Record<string, Row[]> };
    expect(dump.region).toBe(region);
    const subtypes = dump.entities.Account!.map((a) => a.AccountSubType);
    for (const s of ['Checking', 'AccountsReceivable', 'AccountsPayable', 'UndepositedFunds', 'ServiceFeeIncome', 'OfficeGeneralAdministrativeExpenses'])
      expect(subtypes).toContain(s);
    expect(dump.entities.PaymentMethod!.length).toBe(presets[region].paymentMethods.length);
    expect(dump.entities.Term!.map((t) => t.Name)).toContain('Net 30');
    expect(dump.entities.Item!.map((i) => i.Name)).toEqual(['Services']);
    const codes = dump.entities.TaxCode!.map((t) => t.Name);
    if (region === 'US') expect(codes.sort()).toEqual(['Austin', 'NON', 'NYC', 'San Francisco', 'TAX']);
    else expect(codes).toEqual(presets[region].taxCodes.map((t) => t.Name));
  });

  it.each([
    ['AU', 'GST', 10_000, 1_000],
    ['UK', '20.0% S', 10_000, 2_000],
    ['CA', 'HST ON', 10_000, 1_300],
    ['AU', 'GST free', 10_000, 0],
  ] as const)('%s: an invoice for the Services item under %s is taxed as the preset says', (region, codeName, netCents, taxCents) => {
    const core = createCore({ clock: () => new Date(Date.UTC(2026, 2, 2)), seed: 1 });
    const port = createCoreAdapter({ clock: createEmulatorClock(), seed: 1, core });
    const realmId = seedPreset(port, region);
    const company = core.company(realmId)!;
    const code = company.list('TaxCode').find((t) => t.Name === codeName)!;
    const item = company.list('Item')[0]!;
    const customer = company.create('Customer', { DisplayName: 'Preset Test' });
    const invoice = company.create('Invoice', {
      CustomerRef: { value: customer.Id },
      Line: [{ DetailType: 'SalesItemLineDetail', Amount: netCents / 100, SalesItemLineDetail: { ItemRef: { value: item.Id }, TaxCodeRef: { value: code.Id } } }],
    });
    expect(invoice.TotalAmt).toBe((netCents + taxCents) / 100);
  });

  it('US: sales tax codes with rates and agencies; TxnTaxDetail from the TxnTaxCodeRef over the TAX lines', () => {
    const core = createCore({ clock: () => new Date(Date.UTC(2026, 2, 2)), seed: 1 });
    const port = createCoreAdapter({ clock: createEmulatorClock(), seed: 1, core });
    const company = core.company(seedPreset(port, 'US'))!;
    const nyc = company.list('TaxCode').find((t) => t.Name === 'NYC')!;
    expect(nyc).toMatchObject({ TaxGroup: true, Taxable: true });
    const rates = company.list('TaxRate');
    expect(rates.every((r) => typeof (r.AgencyRef as { value?: string } | undefined)?.value === 'string')).toBe(true);
    const item = company.list('Item')[0]!;
    const customer = company.create('Customer', { DisplayName: 'US Tax Test' });
    const line = (amount: number, code: string) => ({
      DetailType: 'SalesItemLineDetail',
      Amount: amount,
      SalesItemLineDetail: { ItemRef: { value: item.Id }, TaxCodeRef: { value: code } },
    });
    const invoice = company.create('Invoice', {
      CustomerRef: { value: customer.Id },
      Line: [line(100, 'TAX'), line(50, 'NON')],
      TxnTaxDetail: { TxnTaxCodeRef: { value: nyc.Id } },
    });
    // 8.875 % of the 100.00 taxable: 4.00 state + 4.50 city + 0.375 → 0.38 MCTD.
    expect((invoice.TxnTaxDetail as { TotalTax: number }).TotalTax).toBe(8.88);
    expect(invoice.TotalAmt).toBe(158.88);
  });
});
