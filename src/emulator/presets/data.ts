/**
 * What a fresh company of each region holds: a chart of accounts (bank, AR, AP, Undeposited Funds,
 * income, expense, tax liability, equity), tax agencies, rates and codes (US lines carry
 * the TAX/NON pseudo-codes), payment methods, terms and a Services item. Plain data, so the same
 * preset is seeded whichever way the core stores it; references between records use local keys.
 */
import type { Region } from '../core/context.js';

export type { Region };
export const regions: Region[] = ['AU', 'US', 'UK', 'CA'];

export interface AccountSpec {
  key: string;
  Name: string;
  AccountType: string;
  AccountSubType: string;
  AcctNum?: string;
}

export interface TaxRateSpec {
  key: string;
  Name: string;
  Description: string;
  RateValue: number;
  /** The tax agency the rate is paid to (a key of `agencies`). */
  agency?: string;
}

export interface TaxCodeSpec {
  key: string;
  Name: string;
  Description: string;
  /** Rates applied on sales / purchases (keys of taxRates); empty = not applicable on that side. */
  sales: string[];
  purchases: string[];
  Taxable: boolean;
  /** US: a combined code (state + county + city rates), as QBO's sales tax codes are. */
  group?: boolean;
}

export interface PresetData {
  region: Region;
  companyName: string;
  country: string;
  accounts: AccountSpec[];
  /** Tax agencies (TaxAgency rows, read-only in the emulator; TaxService names them by Id). */
  agencies: { key: string; DisplayName: string }[];
  taxRates: TaxRateSpec[];
  taxCodes: TaxCodeSpec[];
  /** Tax code key the Services item and the preferences default to (non-US). */
  defaultSalesTaxCode?: string;
  defaultPurchaseTaxCode?: string;
  paymentMethods: { Name: string; Type: 'CREDIT_CARD' | 'NON_CREDIT_CARD' }[];
  terms: { Name: string; DueDays: number }[];
  item: { Name: string; Description: string; UnitPrice: number; incomeAccount: string; expenseAccount: string };
}

const commonAccounts = (bankName: string, taxLiability: AccountSpec): AccountSpec[] => [
  { key: 'bank', Name: bankName, AccountType: 'Bank', AccountSubType: 'Checking', AcctNum: '1000' },
  { key: 'ar', Name: 'Accounts Receivable (A/R)', AccountType: 'Accounts Receivable', AccountSubType: 'AccountsReceivable', AcctNum: '1100' },
  { key: 'undeposited', Name: 'Undeposited Funds', AccountType: 'Other Current Asset', AccountSubType: 'UndepositedFunds', AcctNum: '1150' },
  { key: 'ap', Name: 'Accounts Payable (A/P)', AccountType: 'Accounts Payable', AccountSubType: 'AccountsPayable', AcctNum: '2000' },
  { key: 'card', Name: 'Credit Card', AccountType: 'Credit Card', AccountSubType: 'CreditCard', AcctNum: '2050' },
  taxLiability,
  { key: 'equity', Name: 'Opening Balance Equity', AccountType: 'Equity', AccountSubType: 'OpeningBalanceEquity', AcctNum: '3000' },
  { key: 'retained', Name: 'Retained Earnings', AccountType: 'Equity', AccountSubType: 'RetainedEarnings', AcctNum: '3100' },
  { key: 'services', Name: 'Services', AccountType: 'Income', AccountSubType: 'ServiceFeeIncome', AcctNum: '4000' },
  { key: 'sales', Name: 'Sales', AccountType: 'Income', AccountSubType: 'SalesOfProductIncome', AcctNum: '4100' },
  { key: 'disbursements', Name: 'Recoverable Disbursements', AccountType: 'Income', AccountSubType: 'OtherPrimaryIncome', AcctNum: '4200' },
  { key: 'cogs', Name: 'Cost of Sales', AccountType: 'Cost of Goods Sold', AccountSubType: 'SuppliesMaterialsCogs', AcctNum: '5000' },
  { key: 'office', Name: 'Office Expenses', AccountType: 'Expense', AccountSubType: 'OfficeGeneralAdministrativeExpenses', AcctNum: '6000' },
  { key: 'professional', Name: 'Legal and Professional Fees', AccountType: 'Expense', AccountSubType: 'LegalProfessionalFees', AcctNum: '6100' },
  { key: 'bankfees', Name: 'Bank Charges', AccountType: 'Expense', AccountSubType: 'BankCharges', AcctNum: '6200' },
];

const terms = [
  { Name: 'Due on receipt', DueDays: 0 },
  { Name: 'Net 15', DueDays: 15 },
  { Name: 'Net 30', DueDays: 30 },
  { Name: 'Net 60', DueDays: 60 },
];

export const presets: Record<Region, PresetData> = {
  AU: {
    region: 'AU',
    companyName: 'Emulated Practice Pty Ltd',
    country: 'AU',
    accounts: commonAccounts('Business Cheque Account', {
      key: 'tax',
      Name: 'GST Payable',
      AccountType: 'Other Current Liability',
      AccountSubType: 'GlobalTaxPayable',
      AcctNum: '2100',
    }),
    agencies: [{ key: 'ato', DisplayName: 'Australian Taxation Office' }],
    taxRates: [
      { key: 'gst-s', Name: 'GST (sales)', Description: 'GST 10% on sales', RateValue: 10 },
      { key: 'gst-p', Name: 'GST (purchases)', Description: 'GST 10% on purchases', RateValue: 10 },
      { key: 'cap-p', Name: 'GST on capital (purchases)', Description: 'GST 10% on capital purchases', RateValue: 10 },
      { key: 'free-s', Name: 'GST free (sales)', Description: 'GST free sales', RateValue: 0 },
      { key: 'free-p', Name: 'GST free (purchases)', Description: 'GST free purchases', RateValue: 0 },
      { key: 'inp-s', Name: 'Input taxed (sales)', Description: 'Input taxed sales', RateValue: 0 },
      { key: 'inp-p', Name: 'Input taxed (purchases)', Description: 'Input taxed purchases', RateValue: 0 },
      { key: 'exp-s', Name: 'Export (sales)', Description: 'GST free exports', RateValue: 0 },
    ],
    taxCodes: [
      { key: 'GST', Name: 'GST', Description: 'GST 10% on sales and purchases', sales: ['gst-s'], purchases: ['gst-p'], Taxable: true },
      { key: 'FRE', Name: 'GST free', Description: 'GST free', sales: ['free-s'], purchases: ['free-p'], Taxable: true },
      { key: 'INP', Name: 'Input taxed', Description: 'Input taxed', sales: ['inp-s'], purchases: ['inp-p'], Taxable: true },
      { key: 'EXP', Name: 'Export', Description: 'GST free export sales', sales: ['exp-s'], purchases: [], Taxable: true },
      { key: 'CAP', Name: 'GST on capital', Description: 'GST 10% on capital purchases', sales: [], purchases: ['cap-p'], Taxable: true },
      { key: 'NT', Name: 'Out of scope', Description: 'Not reportable for GST', sales: [], purchases: [], Taxable: false },
    ],
    defaultSalesTaxCode: 'GST',
    defaultPurchaseTaxCode: 'GST',
    paymentMethods: [
      { Name: 'Cash', Type: 'NON_CREDIT_CARD' },
      { Name: 'Cheque', Type: 'NON_CREDIT_CARD' },
      { Name: 'Direct Debit', Type: 'NON_CREDIT_CARD' },
      { Name: 'EFT', Type: 'NON_CREDIT_CARD' },
      { Name: 'Credit Card', Type: 'CREDIT_CARD' },
    ],
    terms,
    item: { Name: 'Services', Description: 'Professional services', UnitPrice: 0, incomeAccount: 'services', expenseAccount: 'cogs' },
  },
  US: {
    region: 'US',
    companyName: 'Emulated Practice LLC',
    country: 'US',
    accounts: commonAccounts('Checking', { key: 'tax', Name: 'Sales Tax Payable', AccountType: 'Other Current Liability', AccountSubType: 'SalesTaxPayable', AcctNum: '2100' }),
    // Sales tax only (US purchases carry no sales tax): lines say TAX or NON, the document's
    // TxnTaxCodeRef names one of these codes and its rates give TxnTaxDetail. Rates as published
    // for 2025 (CDTFA San Francisco 8.625 %, NY State/NYC 8.875 %, Texas Comptroller Austin 8.25 %).
    agencies: [
      { key: '1', DisplayName: 'California Department of Tax and Fee Administration' },
      { key: '2', DisplayName: 'New York State Department of Taxation and Finance' },
      { key: '3', DisplayName: 'Texas Comptroller of Public Accounts' },
    ],
    taxRates: [
      { key: 'ca', Name: 'California', Description: 'California state rate', RateValue: 7.25, agency: '1' },
      { key: 'sf', Name: 'San Francisco District', Description: 'San Francisco county and district', RateValue: 1.375, agency: '1' },
      { key: 'ny', Name: 'New York State', Description: 'New York state rate', RateValue: 4, agency: '2' },
      { key: 'nyc', Name: 'New York City', Description: 'New York City local rate', RateValue: 4.5, agency: '2' },
      { key: 'mctd', Name: 'MCTD', Description: 'Metropolitan Commuter Transportation District', RateValue: 0.375, agency: '2' },
      { key: 'tx', Name: 'Texas', Description: 'Texas state rate', RateValue: 6.25, agency: '3' },
      { key: 'austin', Name: 'Austin', Description: 'Austin city and transit', RateValue: 2, agency: '3' },
    ],
    taxCodes: [
      { key: 'sf', Name: 'San Francisco', Description: 'San Francisco, CA', sales: ['ca', 'sf'], purchases: [], Taxable: true, group: true },
      { key: 'nyc', Name: 'NYC', Description: 'New York City, NY', sales: ['ny', 'nyc', 'mctd'], purchases: [], Taxable: true, group: true },
      { key: 'austin', Name: 'Austin', Description: 'Austin, TX', sales: ['tx', 'austin'], purchases: [], Taxable: true, group: true },
    ],
    paymentMethods: [
      { Name: 'Cash', Type: 'NON_CREDIT_CARD' },
      { Name: 'Check', Type: 'NON_CREDIT_CARD' },
      { Name: 'ACH', Type: 'NON_CREDIT_CARD' },
      { Name: 'Visa', Type: 'CREDIT_CARD' },
      { Name: 'MasterCard', Type: 'CREDIT_CARD' },
    ],
    terms,
    item: { Name: 'Services', Description: 'Professional services', UnitPrice: 0, incomeAccount: 'services', expenseAccount: 'cogs' },
  },
  UK: {
    region: 'UK',
    companyName: 'Emulated Practice Ltd',
    country: 'GB',
    accounts: commonAccounts('Current Account', { key: 'tax', Name: 'VAT Control', AccountType: 'Other Current Liability', AccountSubType: 'GlobalTaxPayable', AcctNum: '2100' }),
    agencies: [{ key: 'hmrc', DisplayName: 'HM Revenue & Customs' }],
    taxRates: [
      { key: '20-s', Name: '20.0% S (sales)', Description: 'Standard rate sales', RateValue: 20 },
      { key: '20-p', Name: '20.0% S (purchases)', Description: 'Standard rate purchases', RateValue: 20 },
      { key: '5-s', Name: '5.0% R (sales)', Description: 'Reduced rate sales', RateValue: 5 },
      { key: '5-p', Name: '5.0% R (purchases)', Description: 'Reduced rate purchases', RateValue: 5 },
      { key: '0-s', Name: '0.0% Z (sales)', Description: 'Zero rated sales', RateValue: 0 },
      { key: '0-p', Name: '0.0% Z (purchases)', Description: 'Zero rated purchases', RateValue: 0 },
      { key: 'ex-s', Name: 'Exempt (sales)', Description: 'Exempt sales', RateValue: 0 },
      { key: 'ex-p', Name: 'Exempt (purchases)', Description: 'Exempt purchases', RateValue: 0 },
    ],
    taxCodes: [
      { key: 'S', Name: '20.0% S', Description: 'Standard rated 20%', sales: ['20-s'], purchases: ['20-p'], Taxable: true },
      { key: 'R', Name: '5.0% R', Description: 'Reduced rate 5%', sales: ['5-s'], purchases: ['5-p'], Taxable: true },
      { key: 'Z', Name: '0.0% Z', Description: 'Zero rated', sales: ['0-s'], purchases: ['0-p'], Taxable: true },
      { key: 'E', Name: 'Exempt', Description: 'Exempt from VAT', sales: ['ex-s'], purchases: ['ex-p'], Taxable: true },
      { key: 'NO', Name: 'No VAT', Description: 'Outside the scope of VAT', sales: [], purchases: [], Taxable: false },
    ],
    defaultSalesTaxCode: 'S',
    defaultPurchaseTaxCode: 'S',
    paymentMethods: [
      { Name: 'Cash', Type: 'NON_CREDIT_CARD' },
      { Name: 'Cheque', Type: 'NON_CREDIT_CARD' },
      { Name: 'BACS', Type: 'NON_CREDIT_CARD' },
      { Name: 'Direct Debit', Type: 'NON_CREDIT_CARD' },
      { Name: 'Credit Card', Type: 'CREDIT_CARD' },
    ],
    terms,
    item: { Name: 'Services', Description: 'Professional services', UnitPrice: 0, incomeAccount: 'services', expenseAccount: 'cogs' },
  },
  CA: {
    region: 'CA',
    companyName: 'Emulated Practice Inc.',
    country: 'CA',
    accounts: commonAccounts('Chequing', { key: 'tax', Name: 'GST/HST Payable', AccountType: 'Other Current Liability', AccountSubType: 'GlobalTaxPayable', AcctNum: '2100' }),
    agencies: [{ key: 'cra', DisplayName: 'Canada Revenue Agency' }],
    taxRates: [
      { key: 'hst-s', Name: 'HST ON (sales)', Description: 'Ontario HST 13% on sales', RateValue: 13 },
      { key: 'hst-p', Name: 'HST ON (purchases)', Description: 'Ontario HST 13% on purchases', RateValue: 13 },
      { key: 'gst-s', Name: 'GST (sales)', Description: 'GST 5% on sales', RateValue: 5 },
      { key: 'gst-p', Name: 'GST (purchases)', Description: 'GST 5% on purchases', RateValue: 5 },
      { key: 'zero-s', Name: 'Zero-rated (sales)', Description: 'Zero-rated sales', RateValue: 0 },
      { key: 'zero-p', Name: 'Zero-rated (purchases)', Description: 'Zero-rated purchases', RateValue: 0 },
    ],
    taxCodes: [
      { key: 'HST', Name: 'HST ON', Description: 'Ontario HST 13%', sales: ['hst-s'], purchases: ['hst-p'], Taxable: true },
      { key: 'GST', Name: 'GST', Description: 'GST 5%', sales: ['gst-s'], purchases: ['gst-p'], Taxable: true },
      { key: 'Z', Name: 'Zero-rated', Description: 'Zero-rated', sales: ['zero-s'], purchases: ['zero-p'], Taxable: true },
      { key: 'E', Name: 'Exempt', Description: 'Exempt', sales: [], purchases: [], Taxable: false },
    ],
    defaultSalesTaxCode: 'HST',
    defaultPurchaseTaxCode: 'HST',
    paymentMethods: [
      { Name: 'Cash', Type: 'NON_CREDIT_CARD' },
      { Name: 'Cheque', Type: 'NON_CREDIT_CARD' },
      { Name: 'Interac e-Transfer', Type: 'NON_CREDIT_CARD' },
      { Name: 'Visa', Type: 'CREDIT_CARD' },
      { Name: 'MasterCard', Type: 'CREDIT_CARD' },
    ],
    terms,
    item: { Name: 'Services', Description: 'Professional services', UnitPrice: 0, incomeAccount: 'services', expenseAccount: 'cogs' },
  },
};
