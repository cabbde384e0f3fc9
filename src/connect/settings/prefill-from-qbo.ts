/**
 * QBO's lists (as the client returns them) turned into the plain data the pre-fill takes. A tax
 * code's rate is the sum of its component rates (a group such as "GST + PST" adds up), read
 * separately from its sales and purchase rate lists.
 */
import type { Entity } from '../../qbo/wire-types.js';
import type { QboAccountInfo, QboPaymentMethodInfo, QboTaxCodeInfo } from './prefill.js';

type RateList = { TaxRateDetail?: Array<{ TaxRateRef: { value: string } }> | undefined } | undefined;

function sumRates(list: RateList, rates: Map<string, number>): number | null {
  const details = list?.TaxRateDetail ?? [];
  if (details.length === 0) return null;
  let total = 0;
  for (const d of details) {
    const r = rates.get(d.TaxRateRef.value);
    // A rate we cannot read makes the whole code's rate unknown: better no suggestion than a wrong one.
    if (r === undefined) return null;
    total += r;
  }
  // Rates are percentages with few decimals; rounding keeps 5 + 7 from reading as 11.999….
  return Math.round(total * 10_000) / 10_000;
}

export function taxCodeInfoFromQbo(taxCodes: Array<Entity<'TaxCode'>>, taxRates: Array<Entity<'TaxRate'>>): QboTaxCodeInfo[] {
  const rates = new Map<string, number>();
  for (const r of taxRates) if (r.RateValue !== undefined) rates.set(r.Id, r.RateValue);
  return taxCodes.map((c) => ({
    id: c.Id,
    name: c.Name,
    description: c.Description,
    active: c.Active,
    salesRatePercent: sumRates(c.SalesTaxRateList, rates),
    purchaseRatePercent: sumRates(c.PurchaseTaxRateList, rates),
  }));
}

export function accountInfoFromQbo(accounts: Array<Entity<'Account'>>): QboAccountInfo[] {
  return accounts.map((a) => ({ id: a.Id, name: a.Name, accountType: a.AccountType ?? '', accountSubType: a.AccountSubType, acctNum: a.AcctNum, active: a.Active }));
}

export function paymentMethodInfoFromQbo(methods: Array<Entity<'PaymentMethod'>>): QboPaymentMethodInfo[] {
  return methods.map((m) => ({ id: m.Id, name: m.Name, active: m.Active }));
}
