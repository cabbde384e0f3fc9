import { describe, expect, it } from 'vitest';
import { createEmulatorClock } from '../run/clock.js';
import { createCoreAdapter } from '../wire/core-adapter.js';
import { createControl } from '../control/control.js';
import { seedPreset } from '../presets/seed.js';
import { emulatorOptions } from '../../cli/commands/emulator.js';
import { AST_STATE_RATES, astDestination, stateOf } from './ast.js';
import { createCore, type Fidelity } from './index.js';

type Tax = { TxnTaxCodeRef?: { value: string }; TotalTax: number; TaxLine?: Array<{ Amount: number; TaxLineDetail: { TaxPercent: number; NetAmountTaxable: number } }> };

function usCompany(opts: { ast: boolean; fidelity?: Fidelity }) {
  const core = createCore({ clock: () => new Date(Date.UTC(2026, 2, 2)), seed: 1, fidelity: opts.fidelity ?? 'strict' });
  const port = createCoreAdapter({ clock: createEmulatorClock(), seed: 1, core });
  const company = core.company(seedPreset(port, 'US', undefined, { automatedSalesTax: opts.ast }))!;
  const item = company.list('Item')[0]!;
  const nyc = company.list('TaxCode').find((t) => t.Name === 'NYC')!;
  const line = (amount: number, code: string) => ({
    DetailType: 'SalesItemLineDetail',
    Amount: amount,
    SalesItemLineDetail: { ItemRef: { value: item.Id }, TaxCodeRef: { value: code } },
  });
  return { core, port, company, nyc, line };
}

describe('Automated Sales Tax (us preset, automatedSalesTax on)', () => {
  it('is shown as Preferences.TaxPrefs.PartnerTaxEnabled, off by default (as in an Intuit sandbox)', () => {
    expect(usCompany({ ast: false }).company.preferences()).toMatchObject({ TaxPrefs: { UsingSalesTax: true, PartnerTaxEnabled: false } });
    expect(usCompany({ ast: true }).company.preferences()).toMatchObject({ TaxPrefs: { UsingSalesTax: true, PartnerTaxEnabled: true } });
  });

  it('taxes by the ship-to state and ignores the TxnTaxCodeRef sent (strict: a sent TotalTax too)', () => {
    const { company, nyc, line } = usCompany({ ast: true });
    const customer = company.create('Customer', { DisplayName: 'Texan', ShipAddr: { City: 'Austin', CountrySubDivisionCode: 'TX' } });
    const inv = company.create('Invoice', {
      CustomerRef: { value: customer.Id },
      Line: [line(100, 'TAX'), line(50, 'NON')],
      TxnTaxDetail: { TxnTaxCodeRef: { value: nyc.Id }, TotalTax: 1 },
    });
    const tax = inv.TxnTaxDetail as Tax;
    const code = company.read('TaxCode', tax.TxnTaxCodeRef!.value);
    expect(code).toMatchObject({ Name: 'AST TX', TaxCodeConfigType: 'SYSTEM_GENERATED', TaxGroup: true });
    // Texas 6.25 % of the 100.00 taxable line, not NYC's 8.875 %, and not the 1.00 sent.
    expect(tax.TotalTax).toBe(6.25);
    expect(tax.TaxLine).toMatchObject([{ Amount: 6.25, TaxLineDetail: { TaxPercent: 6.25, NetAmountTaxable: 100 } }]);
    expect(inv.TotalAmt).toBe(156.25);
    // The document's own ship-to wins over the customer's; a state's code is set up once.
    const ny = company.create('Invoice', { CustomerRef: { value: customer.Id }, ShipAddr: { CountrySubDivisionCode: 'New York' }, Line: [line(200, 'TAX')] });
    expect((ny.TxnTaxDetail as Tax).TotalTax).toBe(8);
    const again = company.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line(10, 'TAX')] });
    expect((again.TxnTaxDetail as Tax).TxnTaxCodeRef).toEqual(tax.TxnTaxCodeRef);
    expect(
      company
        .list('TaxCode')
        .filter((t) => String(t.Name).startsWith('AST '))
        .map((t) => t.Name)
        .sort(),
    ).toEqual(['AST NY', 'AST TX']);
    // An unknown code is still refused.
    expect(() => company.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line(10, 'TAX')], TxnTaxDetail: { TxnTaxCodeRef: { value: '999' } } })).toThrow(
      /TxnTaxCodeRef|Invalid Reference/,
    );
  });

  it('no ship-to anywhere: the company address (San Francisco, CA 7.25 %); states without sales tax charge 0', () => {
    const { company, line } = usCompany({ ast: true });
    const plain = company.create('Customer', { DisplayName: 'No Address' });
    expect((company.create('Invoice', { CustomerRef: { value: plain.Id }, Line: [line(100, 'TAX')] }).TxnTaxDetail as Tax).TotalTax).toBe(7.25);
    const oregon = company.create('Customer', { DisplayName: 'Portland', ShipAddr: { CountrySubDivisionCode: 'OR' } });
    expect(company.create('Invoice', { CustomerRef: { value: oregon.Id }, Line: [line(100, 'TAX')] }).TotalAmt).toBe(100);
  });

  it('generous keeps the 2017 blog reading: a sent TotalTax is honoured', () => {
    const { company, line } = usCompany({ ast: true, fidelity: 'generous' });
    const customer = company.create('Customer', { DisplayName: 'Texan', ShipAddr: { CountrySubDivisionCode: 'TX' } });
    const inv = company.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line(100, 'TAX')], TxnTaxDetail: { TotalTax: 1 } });
    expect(inv.TotalAmt).toBe(101);
  });

  it('off: the TxnTaxCodeRef sent decides, as before', () => {
    const { company, nyc, line } = usCompany({ ast: false });
    const customer = company.create('Customer', { DisplayName: 'Texan', ShipAddr: { CountrySubDivisionCode: 'TX' } });
    expect(company.create('Invoice', { CustomerRef: { value: customer.Id }, Line: [line(100, 'TAX')], TxnTaxDetail: { TxnTaxCodeRef: { value: nyc.Id } } }).TotalAmt).toBe(108.88);
  });

  it('the control surface seeds it for us only, naming the field', () => {
    const { port } = usCompany({ ast: false });
    const control = createControl({
      core: port,
      clock: createEmulatorClock(),
      limiter: undefined as never,
      faults: undefined as never,
      tokens: undefined as never,
      settings: { autoConsent: false },
      webhooks: undefined as never,
      changed: () => {},
      tokenStats: undefined as never,
    });
    expect(() => control.seedCompany({ preset: 'au', automatedSalesTax: true })).toThrow(/automatedSalesTax.*us preset only/s);
    const us = control.seedCompany({ preset: 'us', automatedSalesTax: true });
    expect((control.dump(us.realmId) as { entities: Record<string, Array<Record<string, unknown>>> }).entities.Preferences![0]).toMatchObject({
      TaxPrefs: { PartnerTaxEnabled: true },
    });
  });

  it('`qbo-connect emulator --automated-sales-tax` needs --preset us', () => {
    const flags = { seed: '1', limits: 'off', batchMetering: 'request', timeScale: '1', control: 'off', automatedSalesTax: true };
    expect(emulatorOptions({ ...flags, preset: 'us' }, {})).toMatchObject({ preset: 'us', automatedSalesTax: true });
    expect(() => emulatorOptions({ ...flags, preset: 'au' }, {})).toThrow(/--automated-sales-tax: only with --preset us/);
    expect(() => emulatorOptions(flags, {})).toThrow(/--automated-sales-tax/);
    expect(emulatorOptions({ ...flags, automatedSalesTax: undefined, preset: 'us' }, {}).automatedSalesTax).toBeUndefined();
  });

  it('the rate table and the address rules', () => {
    expect(Object.keys(AST_STATE_RATES)).toHaveLength(51);
    expect(stateOf({ CountrySubDivisionCode: ' ca ' })).toBe('CA');
    expect(stateOf({ CountrySubDivisionCode: 'new york' })).toBe('NY');
    expect(stateOf({ CountrySubDivisionCode: 'NSW' })).toBeUndefined();
    expect(astDestination({ ShipAddr: { CountrySubDivisionCode: 'WA' } }, { ShipAddr: { CountrySubDivisionCode: 'TX' } }, undefined)).toBe('WA');
    // The bill-to address is not a destination (Intuit names the ship-to, then the company).
    expect(astDestination({ BillAddr: { CountrySubDivisionCode: 'WA' } }, { BillAddr: { CountrySubDivisionCode: 'TX' } }, { CompanyAddr: { CountrySubDivisionCode: 'CA' } })).toBe(
      'CA',
    );
  });
});
