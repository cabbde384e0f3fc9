/**
 * The QBO JSON we send and read (docs/qbo-api.md), as zod schemas. Permissive where we ignore a
 * field (loose objects keep unknown keys), strict where we rely on one: Id, SyncToken, MetaData,
 * amounts and Balance. Amounts stay QBO decimals here; money.ts turns them into cents.
 * The emulator may import these TYPES only (ARCHITECTURE.md §3): two implementations that agree are
 * evidence, one shared validator is not.
 */
import { z } from 'zod';
import { toCents } from './money.js';

function isCentsExact(n: number): boolean {
  try {
    toCents(n);
    return true;
  } catch {
    return false;
  }
}

/** An amount as QBO sends it: a finite decimal with at most two places. */
export const Amount = z.number().refine(isCentsExact, {
  error: 'must be an amount with at most two decimal places',
});
/** Quantities, unit prices and rates: decimals with more places (QBO accepts up to 7). */
export const Decimal = z.number().refine(Number.isFinite, { error: 'must be a number' });

export const Id = z.string().min(1, { error: 'Id must not be empty' });
export const SyncToken = z.string().regex(/^\d+$/, { error: 'SyncToken must be a whole number in a string' });
export const Ref = z.looseObject({ value: z.string().min(1), name: z.string().optional() });
export type Ref = z.infer<typeof Ref>;

export const MetaData = z.looseObject({
  CreateTime: z.string().min(1),
  LastUpdatedTime: z.string().min(1),
});

/** Fields every entity QBO returns carries. */
const entityBase = {
  Id,
  SyncToken,
  MetaData,
  domain: z.string().optional(),
  sparse: z.boolean().optional(),
};

const Email = z.looseObject({ Address: z.string().optional() });
const Phone = z.looseObject({ FreeFormNumber: z.string().optional() });
const Address = z.looseObject({
  Line1: z.string().optional(),
  Line2: z.string().optional(),
  City: z.string().optional(),
  CountrySubDivisionCode: z.string().optional(),
  PostalCode: z.string().optional(),
  Country: z.string().optional(),
});

const nameBase = {
  ...entityBase,
  DisplayName: z.string().optional(),
  CompanyName: z.string().optional(),
  GivenName: z.string().optional(),
  FamilyName: z.string().optional(),
  PrimaryEmailAddr: Email.optional(),
  PrimaryPhone: Phone.optional(),
  Active: z.boolean().optional(),
  PrintOnCheckName: z.string().optional(),
};

export const Customer = z.looseObject({
  ...nameBase,
  Balance: Amount.optional(),
  BillAddr: Address.optional(),
  Notes: z.string().optional(),
  FullyQualifiedName: z.string().optional(),
});
export const Vendor = z.looseObject({ ...nameBase, Balance: Amount.optional(), BillAddr: Address.optional(), AcctNum: z.string().optional() });
export const Employee = z.looseObject({ ...nameBase, EmployeeNumber: z.string().optional() });

export const Item = z.looseObject({
  ...entityBase,
  Name: z.string(),
  Type: z.string().optional(),
  Active: z.boolean().optional(),
  Sku: z.string().optional(),
  UnitPrice: Decimal.optional(),
  IncomeAccountRef: Ref.optional(),
  ExpenseAccountRef: Ref.optional(),
  SalesTaxCodeRef: Ref.optional(),
  PurchaseTaxCodeRef: Ref.optional(),
});

export const Account = z.looseObject({
  ...entityBase,
  Name: z.string(),
  AccountType: z.string().optional(),
  AccountSubType: z.string().optional(),
  Classification: z.string().optional(),
  AcctNum: z.string().optional(),
  Active: z.boolean().optional(),
  CurrentBalance: Amount.optional(),
  FullyQualifiedName: z.string().optional(),
});

const TaxRateDetail = z.looseObject({ TaxRateRef: Ref, TaxTypeApplicable: z.string().optional(), TaxOrder: z.number().optional() });
export const TaxCode = z.looseObject({
  // TaxCode Ids are not always numbers (US pseudo codes TAX/NON), and some presets omit MetaData.
  Id,
  SyncToken: SyncToken.optional(),
  MetaData: MetaData.optional(),
  Name: z.string(),
  Description: z.string().optional(),
  Active: z.boolean().optional(),
  Taxable: z.boolean().optional(),
  TaxGroup: z.boolean().optional(),
  SalesTaxRateList: z.looseObject({ TaxRateDetail: z.array(TaxRateDetail).optional() }).optional(),
  PurchaseTaxRateList: z.looseObject({ TaxRateDetail: z.array(TaxRateDetail).optional() }).optional(),
});

export const TaxRate = z.looseObject({
  Id,
  SyncToken: SyncToken.optional(),
  MetaData: MetaData.optional(),
  Name: z.string(),
  RateValue: Decimal.optional(),
  Active: z.boolean().optional(),
  AgencyRef: Ref.optional(),
});

export const PaymentMethod = z.looseObject({ ...entityBase, Name: z.string(), Type: z.string().optional(), Active: z.boolean().optional() });

export const LinkedTxn = z.looseObject({ TxnId: z.string(), TxnType: z.string(), TxnLineId: z.string().optional() });

export const Line = z.looseObject({
  Id: z.string().optional(),
  LineNum: z.number().optional(),
  Description: z.string().optional(),
  // Description-only and subtotal lines may come back without an Amount.
  Amount: Amount.optional(),
  DetailType: z.string(),
  LinkedTxn: z.array(LinkedTxn).optional(),
  SalesItemLineDetail: z
    .looseObject({ ItemRef: Ref.optional(), Qty: Decimal.optional(), UnitPrice: Decimal.optional(), TaxCodeRef: Ref.optional(), ServiceDate: z.string().optional() })
    .optional(),
  ItemBasedExpenseLineDetail: z
    .looseObject({ ItemRef: Ref.optional(), Qty: Decimal.optional(), UnitPrice: Decimal.optional(), TaxCodeRef: Ref.optional(), CustomerRef: Ref.optional() })
    .optional(),
  AccountBasedExpenseLineDetail: z.looseObject({ AccountRef: Ref, TaxCodeRef: Ref.optional(), CustomerRef: Ref.optional(), BillableStatus: z.string().optional() }).optional(),
  DiscountLineDetail: z.looseObject({ PercentBased: z.boolean().optional(), DiscountPercent: Decimal.optional() }).optional(),
});

const TaxLine = z.looseObject({
  Amount: Amount,
  DetailType: z.string().optional(),
  TaxLineDetail: z.looseObject({ TaxRateRef: Ref, PercentBased: z.boolean().optional(), TaxPercent: Decimal.optional(), NetAmountTaxable: Amount.optional() }).optional(),
});
export const TxnTaxDetail = z.looseObject({ TxnTaxCodeRef: Ref.optional(), TotalTax: Amount.optional(), TaxLine: z.array(TaxLine).optional() });

const txnBase = {
  ...entityBase,
  DocNumber: z.string().optional(),
  TxnDate: z.string().optional(),
  PrivateNote: z.string().optional(),
  CurrencyRef: Ref.optional(),
  ExchangeRate: Decimal.optional(),
  LinkedTxn: z.array(LinkedTxn).optional(),
  TotalAmt: Amount.optional(),
  GlobalTaxCalculation: z.string().optional(),
  TxnTaxDetail: TxnTaxDetail.optional(),
};

const salesBase = {
  ...txnBase,
  CustomerRef: Ref,
  Line: z.array(Line),
  DueDate: z.string().optional(),
  Balance: Amount.optional(),
  CustomerMemo: z.looseObject({ value: z.string() }).optional(),
  BillEmail: Email.optional(),
  SalesTermRef: Ref.optional(),
  ApplyTaxAfterDiscount: z.boolean().optional(),
};

export const Invoice = z.looseObject(salesBase);
export const CreditMemo = z.looseObject({ ...salesBase, RemainingCredit: Amount.optional() });

export const Payment = z.looseObject({
  ...txnBase,
  CustomerRef: Ref,
  TotalAmt: Amount,
  UnappliedAmt: Amount.optional(),
  PaymentMethodRef: Ref.optional(),
  DepositToAccountRef: Ref.optional(),
  PaymentRefNum: z.string().optional(),
  Line: z.array(z.looseObject({ Amount, LinkedTxn: z.array(LinkedTxn).optional() })).optional(),
});

export const Bill = z.looseObject({
  ...txnBase,
  VendorRef: Ref,
  Line: z.array(Line),
  DueDate: z.string().optional(),
  Balance: Amount.optional(),
  APAccountRef: Ref.optional(),
  SalesTermRef: Ref.optional(),
});

export const CompanyInfo = z.looseObject({
  Id,
  SyncToken: SyncToken.optional(),
  MetaData: MetaData.optional(),
  CompanyName: z.string(),
  LegalName: z.string().optional(),
  Country: z.string().optional(),
  CompanyAddr: Address.optional(),
  FiscalYearStartMonth: z.string().optional(),
  SupportedLanguages: z.string().optional(),
});

export const Preferences = z.looseObject({
  Id: Id.optional(),
  SyncToken: SyncToken.optional(),
  MetaData: MetaData.optional(),
  // No closing date: QBO omits BookCloseDate; a null (seen from older emulators) reads as none too.
  AccountingInfoPrefs: z.looseObject({ BookCloseDate: z.string().nullish() }).optional(),
  SalesFormsPrefs: z.looseObject({ CustomTxnNumbers: z.boolean().optional(), DefaultTerms: Ref.optional() }).optional(),
  TaxPrefs: z.looseObject({ UsingSalesTax: z.boolean().optional(), PartnerTaxEnabled: z.boolean().optional() }).optional(),
  CurrencyPrefs: z.looseObject({ MultiCurrencyEnabled: z.boolean().optional(), HomeCurrency: Ref.optional() }).optional(),
  VendorAndPurchasesPrefs: z.looseObject({}).optional(),
});

export const FaultError = z.looseObject({
  Message: z.string().optional(),
  Detail: z.string().optional(),
  code: z.string(),
  element: z.string().nullable().optional(),
});
export const Fault = z.looseObject({ Error: z.array(FaultError), type: z.string().optional() });

/** The entities this client reads and writes, by their QBO names. */
export const entitySchemas = {
  Customer,
  Vendor,
  Employee,
  Item,
  Account,
  TaxCode,
  TaxRate,
  PaymentMethod,
  Invoice,
  CreditMemo,
  Payment,
  Bill,
} as const;

export type EntityName = keyof typeof entitySchemas;
export type Entity<E extends EntityName> = z.infer<(typeof entitySchemas)[E]>;
export const entityNames = Object.keys(entitySchemas) as EntityName[];

/** A create body: what QBO assigns (Id, SyncToken, MetaData) is left out. */
export type EntityInput<E extends EntityName> = Omit<Partial<Entity<E>>, 'Id' | 'SyncToken' | 'MetaData'> & Record<string, unknown>;
/** An update body: Id and SyncToken are required. */
export type EntityUpdate<E extends EntityName> = EntityInput<E> & { Id: string; SyncToken: string };

/** Transactions delete; name lists only deactivate (docs/qbo-api.md §operations). */
export const transactionEntities: readonly EntityName[] = ['Invoice', 'CreditMemo', 'Payment', 'Bill'];
export const nameListEntities: readonly EntityName[] = ['Customer', 'Vendor', 'Employee', 'Item', 'Account', 'TaxCode', 'TaxRate', 'PaymentMethod'];
/** Voided with `operation=update&include=void` + sparse, not `operation=void` (docs/qbo-api.md §void). */
export const voidByUpdate: readonly string[] = ['Payment', 'SalesReceipt', 'BillPayment'];

export const QueryResponse = z.looseObject({
  startPosition: z.number().optional(),
  maxResults: z.number().optional(),
  totalCount: z.number().optional(),
});
export type QueryResponse = z.infer<typeof QueryResponse> & Record<string, unknown>;

export const BatchItemResponse = z.looseObject({
  bId: z.string(),
  Fault: Fault.optional(),
  QueryResponse: QueryResponse.optional(),
});
export const BatchResponse = z.looseObject({ BatchItemResponse: z.array(BatchItemResponse), time: z.string().optional() });

export const CDCResponse = z.looseObject({
  CDCResponse: z.array(z.looseObject({ QueryResponse: z.array(z.record(z.string(), z.unknown())).optional() })),
  time: z.string(),
});

export const DeletedEntity = z.looseObject({ Id, status: z.string(), domain: z.string().optional() });
