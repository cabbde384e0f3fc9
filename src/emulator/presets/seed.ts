/** Seeds a company from a region preset through the core port; returns the new realmId. */
import type { CorePort } from '../wire/core-port.js';
import { presets, type Region } from './data.js';

export interface SeedOptions {
  /** US only: Automated Sales Tax on (Preferences.TaxPrefs.PartnerTaxEnabled), so sales documents are
   *  taxed by destination state whatever TxnTaxCodeRef they name (core/ast.ts). Default off, as in an
   *  Intuit sandbox ("Sandbox companies currently do not support the automated sales tax engine"). */
  automatedSalesTax?: boolean;
}

export function seedPreset(core: CorePort, region: Region, name?: string, opts: SeedOptions = {}): string {
  const p = presets[region];
  if (opts.automatedSalesTax && region !== 'US')
    throw new RangeError(`automated sales tax is for the us preset only, not ${region.toLowerCase()} (Intuit: "AST is currently applicable for US locale only")`);
  const realmId = core.createCompany({ region, name: name ?? p.companyName });
  const account: Record<string, string> = {};
  for (const a of p.accounts) {
    const { key, ...body } = a;
    account[key] = core.insert(realmId, 'Account', { ...body, Active: true }).Id;
  }
  const agency: Record<string, string> = {};
  for (const a of p.agencies) {
    agency[a.key] = core.insert(realmId, 'TaxAgency', { DisplayName: a.DisplayName, TaxTrackedOnSales: true, TaxTrackedOnPurchases: region !== 'US' }).Id;
  }
  const rate: Record<string, string> = {};
  for (const r of p.taxRates) {
    const { key, agency: a, ...body } = r;
    rate[key] = core.insert(realmId, 'TaxRate', { ...body, Active: true, SpecialTaxType: 'NONE', DisplayType: 'ReadOnly', ...(a ? { AgencyRef: { value: agency[a]! } } : {}) }).Id;
  }
  const rateList = (keys: string[]) => ({
    TaxRateDetail: keys.map((k, i) => ({ TaxRateRef: { value: rate[k]! }, TaxTypeApplicable: 'TaxOnAmount', TaxOrder: i })),
  });
  const code: Record<string, string> = {};
  for (const t of p.taxCodes) {
    code[t.key] = core.insert(realmId, 'TaxCode', {
      Name: t.Name,
      Description: t.Description,
      Active: true,
      Hidden: false,
      Taxable: t.Taxable,
      TaxGroup: t.group === true,
      SalesTaxRateList: rateList(t.sales),
      PurchaseTaxRateList: rateList(t.purchases),
      TaxCodeConfigType: 'SYSTEM_GENERATED',
    }).Id;
  }
  for (const m of p.paymentMethods) core.insert(realmId, 'PaymentMethod', { ...m, Active: true });
  for (const t of p.terms) core.insert(realmId, 'Term', { ...t, Active: true, Type: 'STANDARD' });
  const item: Record<string, unknown> = {
    Name: p.item.Name,
    Description: p.item.Description,
    Active: true,
    Type: 'Service',
    UnitPrice: p.item.UnitPrice,
    IncomeAccountRef: { value: account[p.item.incomeAccount]!, name: p.accounts.find((a) => a.key === p.item.incomeAccount)!.Name },
    ExpenseAccountRef: { value: account[p.item.expenseAccount]!, name: p.accounts.find((a) => a.key === p.item.expenseAccount)!.Name },
    Taxable: region === 'US',
  };
  if (p.defaultSalesTaxCode) item.SalesTaxCodeRef = { value: code[p.defaultSalesTaxCode]! };
  if (p.defaultPurchaseTaxCode) item.PurchaseTaxCodeRef = { value: code[p.defaultPurchaseTaxCode]! };
  core.insert(realmId, 'Item', item);
  if (opts.automatedSalesTax) core.setPreferences(realmId, { TaxPrefs: { PartnerTaxEnabled: true } });
  return realmId;
}
