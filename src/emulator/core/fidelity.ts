// The emulator's two fidelity modes. `strict` keeps only what Intuit documents and, where Intuit
// documents nothing, takes the reading least kind to the client; `generous` is the emulator as it
// was before issue 13 (kept for comparison). See src/emulator/README.md "Fidelity".

import type { EntityName } from './entities.js';

export type Fidelity = 'strict' | 'generous';
export const FIDELITIES: readonly Fidelity[] = ['strict', 'generous'];

/** How long (emulated ms) a strict company remembers an answered requestid. Intuit documents no
 *  retention (docs/qbo-api.md §requestid), so strict keeps it short: a prompt retry is safe, a late one is not. */
export const DEFAULT_REQUESTID_RETENTION_MS = 60_000;

/** The whole CDC answer's cap in strict mode: Intuit documents at most 1,000 objects per CDC response
 *  (developer.intuit.com "Change data capture"; blogs.intuit.com 2023-08-24 "stay in sync with CDC";
 *  docs/qbo-api.md §cdc), not 1,000 per entity. */
export const CDC_MAX_OBJECTS = 1000;

export function parseFidelity(raw: string | undefined, what: string): Fidelity | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const v = raw.trim().toLowerCase();
  if (v === 'strict' || v === 'generous') return v;
  throw new Error(`${what}=${raw}: must be strict or generous`);
}

// Sources for the filterable fields below:
//   XSD  = intuit/QuickBooks-V3-Java-SDK ipp-v3-java-data/src/main/xsd/Finance.xsd (79b5a3c), the
//          element's <documentation> says "Filterable: …" (type named after the colon);
//   META = the same XSD, IntuitEntity.Id and ModificationMetaData "Filterable: ALL";
//   REF  = docs/qbo-api.md §filterable (Intuit API reference and recorded queries);
//   VCR  = a recorded sandbox query in test/fixtures/qbo-recorded.
// A field not listed here is refused in strict mode with 4001 "property 'X' is not queryable".
const META = { Id: 'META IntuitEntity.Id', 'MetaData.CreateTime': 'META ModificationMetaData', 'MetaData.LastUpdatedTime': 'META ModificationMetaData' };
const TXN = { ...META, TxnDate: 'XSD Transaction.TxnDate', DocNumber: 'XSD Transaction.DocNumber' };
const SALES = {
  ...TXN,
  CustomerRef: 'XSD SalesTransaction.CustomerRef',
  DueDate: 'XSD SalesTransaction.DueDate',
  TotalAmt: 'XSD SalesTransaction.TotalAmt',
  Balance: 'XSD SalesTransaction.Balance',
};
const BY_VENDOR = { ...TXN, VendorRef: 'XSD PurchaseByVendor.VendorRef', TotalAmt: 'XSD PurchaseByVendor.TotalAmt' };
const NAMES = {
  ...META,
  GivenName: 'XSD NameBase.GivenName',
  MiddleName: 'XSD NameBase.MiddleName',
  FamilyName: 'XSD NameBase.FamilyName',
  DisplayName: 'XSD NameBase.DisplayName; VCR get/display_name',
  Active: 'XSD NameBase.Active; VCR all/alt_select',
};

export const STRICT_FILTERABLE: Record<EntityName, Record<string, string>> = {
  Account: {
    ...META,
    Name: 'XSD Account.Name',
    Active: 'XSD Account.Active',
    Classification: 'XSD Account.Classification',
    AccountType: 'XSD Account.AccountType',
    AccountSubType: 'REF §filterable',
  },
  TaxCode: { ...META, Name: 'XSD TaxCode.Name', Active: 'XSD TaxCode.Active', Hidden: 'XSD TaxCode.Hidden' },
  TaxRate: { ...META, Name: 'XSD TaxRate.Name', Active: 'XSD TaxRate.Active', RateValue: 'XSD TaxRate.RateValue' },
  TaxAgency: { ...META }, // no Intuit source marks a TaxAgency field filterable
  Term: { ...META, Name: 'XSD Term.Name', Active: 'XSD Term.Active' },
  PaymentMethod: { ...META, Active: 'XSD PaymentMethod.Active' },
  Class: { ...META, Active: 'XSD Class.Active' },
  Department: { ...META },
  Customer: { ...NAMES, Balance: 'XSD Customer.Balance', BalanceWithJobs: 'XSD Customer.BalanceWithJobs', CompanyName: 'REF §filterable', FullyQualifiedName: 'REF §filterable' },
  // Not Balance, though the XSD marks it: users get "not queryable" for it (docs/qbo-api.md §filterable, quickbooks-ruby#403).
  Vendor: { ...NAMES, CompanyName: 'REF §filterable', FullyQualifiedName: 'REF §filterable' },
  Employee: { ...NAMES },
  Item: {
    ...META,
    Name: 'XSD Item.Name',
    Sku: 'XSD Item.Sku',
    Description: 'XSD Item.Description',
    Active: 'XSD Item.Active',
    UnitPrice: 'XSD Item.UnitPrice',
    Type: 'XSD Item.Type',
  },
  Invoice: SALES,
  CreditMemo: SALES,
  SalesReceipt: SALES,
  Estimate: SALES,
  // Not DocNumber (docs/qbo-api.md §filterable: "Filter support not provided for Payment") and not PaymentRefNum (no source marks it).
  Payment: { ...META, TxnDate: 'XSD Transaction.TxnDate', CustomerRef: 'XSD Payment.CustomerRef', TotalAmt: 'XSD Payment.TotalAmt' },
  Bill: { ...BY_VENDOR, Balance: 'XSD Bill.Balance' },
  BillPayment: { ...TXN, PayType: 'XSD BillPayment.PayType', TotalAmt: 'XSD BillPayment.TotalAmt' },
  VendorCredit: { ...BY_VENDOR, Balance: 'XSD VendorCredit.Balance' },
  Purchase: { ...TXN, PaymentType: 'XSD Purchase.PaymentType', Credit: 'XSD Purchase.Credit', TotalAmt: 'XSD Purchase.TotalAmt' },
  Attachable: { ...META },
  CompanyInfo: { ...META },
  Preferences: { ...META },
};
