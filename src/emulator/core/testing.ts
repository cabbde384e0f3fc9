// A small chart of records for tests of the core and the wire (not a preset: the presets seed the
// full companies). AU/UK/CA companies get a 10 % code and a 0 % code; US gets a rate and a group.

import type { Company } from './company.js';
import { createCore, type Core } from './index.js';
import type { Region } from './context.js';

export interface Basics {
  income: string;
  expense: string;
  bank: string;
  item: string;
  customer: string;
  vendor: string;
  net30: string;
  /** Non-US: the 10 % code; US: the TaxCode group for TxnTaxCodeRef (8 %). */
  taxCode: string;
  /** Non-US: a 0 % code. */
  freeCode?: string;
}

export function seedBasics(c: Company): Basics {
  const id = (o: Record<string, unknown>) => String(o.Id);
  const income = id(c.create('Account', { Name: 'Sales', AccountType: 'Income' }));
  const expense = id(c.create('Account', { Name: 'Office', AccountType: 'Expense' }));
  const bank = id(c.create('Account', { Name: 'Cheque', AccountType: 'Bank' }));
  const net30 = id(c.create('Term', { Name: 'Net 30', DueDays: 30 }));
  const item = id(c.create('Item', { Name: 'Services', Type: 'Service', IncomeAccountRef: { value: income } }));
  const customer = id(c.create('Customer', { DisplayName: 'Acme Pty', BillAddr: { Line1: '1 Main St', City: 'Town' } }));
  const vendor = id(c.create('Vendor', { DisplayName: 'Supplies Co' }));
  if (c.region === 'US') {
    const rate = id(c.insert('TaxRate', { Name: 'State', RateValue: 8 }));
    const taxCode = id(
      c.insert('TaxCode', {
        Name: 'CA',
        Taxable: true,
        TaxGroup: true,
        SalesTaxRateList: { TaxRateDetail: [{ TaxRateRef: { value: rate }, TaxTypeApplicable: 'TaxOnAmount', TaxOrder: 0 }] },
      }),
    );
    return { income, expense, bank, item, customer, vendor, net30, taxCode };
  }
  const r10 = id(c.insert('TaxRate', { Name: 'GST (sales)', RateValue: 10 }));
  const r10p = id(c.insert('TaxRate', { Name: 'GST (purchases)', RateValue: 10 }));
  const r0 = id(c.insert('TaxRate', { Name: 'Free', RateValue: 0 }));
  const detail = (r: string) => ({ TaxRateDetail: [{ TaxRateRef: { value: r }, TaxTypeApplicable: 'TaxOnAmount', TaxOrder: 0 }] });
  const taxCode = id(c.insert('TaxCode', { Name: 'GST', Taxable: true, TaxGroup: false, SalesTaxRateList: detail(r10), PurchaseTaxRateList: detail(r10p) }));
  const freeCode = id(c.insert('TaxCode', { Name: 'FRE', Taxable: false, TaxGroup: false, SalesTaxRateList: detail(r0), PurchaseTaxRateList: detail(r0) }));
  return { income, expense, bank, item, customer, vendor, net30, taxCode, freeCode };
}

export interface TestCompany {
  core: Core;
  company: Company;
  basics: Basics;
  advance(ms: number): void;
  now(): Date;
}

export function testCompany(region: Region = 'US', start = '2026-03-02T12:00:00Z'): TestCompany {
  let now = Date.parse(start);
  const core = createCore({ clock: () => new Date(now), seed: 7 });
  const company = core.createCompany({ name: 'Test Co', region });
  return { core, company, basics: seedBasics(company), advance: (ms) => void (now += ms), now: () => new Date(now) };
}
