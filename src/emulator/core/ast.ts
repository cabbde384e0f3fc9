// Automated Sales Tax (AST), as the emulator approximates it. QBO's engine works sales tax out from
// the company's address and the transaction's ship-to address, down to county, city and district
// (Intuit, "Manage sales tax for US locales": "The destination address is the shipping address
// provided on the sales transaction. If a shipping address is not provided, the company address is
// considered as the destination address"; Intuit developer blog 2017-12-11 "Using QuickBooks Online
// API for automated sales tax"). The emulator cannot know those jurisdictions: it charges one rate
// per destination state, the state-level rate below, so a document's tax is deterministic and a
// product can be tested against "QBO chose the rate, not you". See src/emulator/README.md.

import { isObj, type Json } from './context.js';

/** State-level sales tax rates, percent, as published for 2025 (Tax Foundation, "State and Local
 *  Sales Tax Rates, 2025", state rate column). Local rates are left out on purpose (see above). */
export const AST_STATE_RATES: Readonly<Record<string, { name: string; rate: number }>> = {
  AL: { name: 'Alabama', rate: 4 },
  AK: { name: 'Alaska', rate: 0 },
  AZ: { name: 'Arizona', rate: 5.6 },
  AR: { name: 'Arkansas', rate: 6.5 },
  CA: { name: 'California', rate: 7.25 },
  CO: { name: 'Colorado', rate: 2.9 },
  CT: { name: 'Connecticut', rate: 6.35 },
  DE: { name: 'Delaware', rate: 0 },
  DC: { name: 'District of Columbia', rate: 6 },
  FL: { name: 'Florida', rate: 6 },
  GA: { name: 'Georgia', rate: 4 },
  HI: { name: 'Hawaii', rate: 4 },
  ID: { name: 'Idaho', rate: 6 },
  IL: { name: 'Illinois', rate: 6.25 },
  IN: { name: 'Indiana', rate: 7 },
  IA: { name: 'Iowa', rate: 6 },
  KS: { name: 'Kansas', rate: 6.5 },
  KY: { name: 'Kentucky', rate: 6 },
  LA: { name: 'Louisiana', rate: 5 },
  ME: { name: 'Maine', rate: 5.5 },
  MD: { name: 'Maryland', rate: 6 },
  MA: { name: 'Massachusetts', rate: 6.25 },
  MI: { name: 'Michigan', rate: 6 },
  MN: { name: 'Minnesota', rate: 6.875 },
  MS: { name: 'Mississippi', rate: 7 },
  MO: { name: 'Missouri', rate: 4.225 },
  MT: { name: 'Montana', rate: 0 },
  NE: { name: 'Nebraska', rate: 5.5 },
  NV: { name: 'Nevada', rate: 6.85 },
  NH: { name: 'New Hampshire', rate: 0 },
  NJ: { name: 'New Jersey', rate: 6.625 },
  NM: { name: 'New Mexico', rate: 4.875 },
  NY: { name: 'New York', rate: 4 },
  NC: { name: 'North Carolina', rate: 4.75 },
  ND: { name: 'North Dakota', rate: 5 },
  OH: { name: 'Ohio', rate: 5.75 },
  OK: { name: 'Oklahoma', rate: 4.5 },
  OR: { name: 'Oregon', rate: 0 },
  PA: { name: 'Pennsylvania', rate: 6 },
  RI: { name: 'Rhode Island', rate: 7 },
  SC: { name: 'South Carolina', rate: 6 },
  SD: { name: 'South Dakota', rate: 4.2 },
  TN: { name: 'Tennessee', rate: 7 },
  TX: { name: 'Texas', rate: 6.25 },
  UT: { name: 'Utah', rate: 6.1 },
  VT: { name: 'Vermont', rate: 6 },
  VA: { name: 'Virginia', rate: 5.3 },
  WA: { name: 'Washington', rate: 6.5 },
  WV: { name: 'West Virginia', rate: 6 },
  WI: { name: 'Wisconsin', rate: 5 },
  WY: { name: 'Wyoming', rate: 4 },
};

const BY_NAME = new Map(Object.entries(AST_STATE_RATES).map(([code, s]) => [s.name.toLowerCase(), code]));

/** The state code of an address (CountrySubDivisionCode as "CA" or "California"), or undefined. */
export function stateOf(addr: unknown): string | undefined {
  if (!isObj(addr) || typeof addr.CountrySubDivisionCode !== 'string') return undefined;
  const raw = addr.CountrySubDivisionCode.trim();
  const code = raw.toUpperCase();
  if (AST_STATE_RATES[code]) return code;
  return BY_NAME.get(raw.toLowerCase());
}

/** Where AST taxes a sale: the document's ship-to, else the customer's ship-to (QBO copies it onto
 *  the document), else the company's address (Intuit: "the company address is considered"). */
export function astDestination(txn: Json, customer: Json | undefined, company: Json | undefined): string | undefined {
  return stateOf(txn.ShipAddr) ?? stateOf(customer?.ShipAddr) ?? stateOf(company?.CompanyAddr) ?? stateOf(company?.LegalAddr);
}

/** The TaxCode and TaxRate AST sets up for a state (TaxCodeConfigType SYSTEM_GENERATED: "the
 *  TaxCode is system defined by Automated Sales Tax engine", Intuit TaxCode reference). */
export function astRecords(state: string): { code: Json; rate: Json } {
  const s = AST_STATE_RATES[state]!;
  return {
    rate: { Name: `${s.name} (AST)`, Description: `${s.name} state rate`, RateValue: s.rate, Active: true, SpecialTaxType: 'NONE', DisplayType: 'ReadOnly' },
    code: {
      Name: `AST ${state}`,
      Description: `Automated Sales Tax, ${s.name}`,
      Active: true,
      Hidden: false,
      Taxable: true,
      TaxGroup: true,
      TaxCodeConfigType: 'SYSTEM_GENERATED',
    },
  };
}
