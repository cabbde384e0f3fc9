/** Seeds a company from a region preset through the core port; returns the new realmId. */
import type { CorePort } from '../core-port.js';
import { presets, type Region } from './data.js';

export function seedPreset(core: CorePort, region: Region, name?: string): string {
  const p = presets[region];
  const realmId = core.createCompany({ region, name: name ?? p.companyName });
  const account: Record<string, string> = {};
  for (const a of p.accounts) {
    const { key, ...body } = a;
    account[key] = core.insert(realmId, 'Account', { ...body, Active: true }).Id;
  }
  const rate: Record<string, string> = {};
  for (const r of p.taxRates) {
    const { key, agency, ...body } = r;
    rate[key] = core.insert(realmId, 'TaxRate', { ...body, Active: true, SpecialTaxType: 'NONE', DisplayType: 'ReadOnly', ...(agency ? { AgencyRef: { value: agency } } : {}) }).Id;
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
  return realmId;
}
