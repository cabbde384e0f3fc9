import { describe, expect, it } from 'vitest';
import {
  normalName,
  prefillSuggestions,
  suggestAccountsByCode,
  suggestFixedAccounts,
  suggestPaymentMethods,
  suggestTaxMappings,
  type QboAccountInfo,
  type QboTaxCodeInfo,
} from './prefill.js';
import { presets, regions } from '../../emulator/presets/data.js';

const auCodes: QboTaxCodeInfo[] = [
  { id: '10', name: 'GST', salesRatePercent: 10, purchaseRatePercent: 10 },
  { id: '11', name: 'FRE', description: 'GST free', salesRatePercent: 0, purchaseRatePercent: 0 },
  { id: '12', name: 'EXP', description: 'GST-free exports', salesRatePercent: 0, purchaseRatePercent: null },
  { id: '13', name: 'INP', description: 'Input taxed', salesRatePercent: 0, purchaseRatePercent: 0 },
  { id: '14', name: 'CAP', description: 'GST on capital', salesRatePercent: null, purchaseRatePercent: 10 },
  { id: '15', name: 'OLD', salesRatePercent: 12.5, purchaseRatePercent: 12.5, active: false },
];

describe('tax code pre-fill', () => {
  it('maps AU practice codes by name, alias and rate, separately for sales and purchases', () => {
    const r = suggestTaxMappings({
      region: 'AU',
      qboTaxCodes: auCodes,
      practiceTaxCodes: [
        { code: 'GST', name: 'Goods and Services Tax', ratePercent: 10 },
        { code: 'TF', name: 'Tax Free', ratePercent: 0 },
        { code: 'EXPORT', ratePercent: 0 },
      ],
    });
    // GST: the name matches, and purchases have two 10% codes (GST, CAP) — the name decides.
    expect(r.sales.GST).toBe('10');
    expect(r.purchases.GST).toBe('10');
    // "Tax Free" is the region's alias of GST-free (FRE), among several 0% codes.
    expect(r.sales.TF).toBe('11');
    expect(r.purchases.TF).toBe('11');
    // Exports exist for sales only; on purchases several 0% codes fit and none by name: left to a person.
    expect(r.sales.EXPORT).toBe('12');
    expect(r.purchases.EXPORT).toBeUndefined();
    expect(r.transactionTaxCodeId).toBeNull();
  });

  it('never suggests an inactive code or one whose rate differs', () => {
    const r = suggestTaxMappings({
      region: 'AU',
      qboTaxCodes: auCodes,
      practiceTaxCodes: [
        { code: 'OLD', ratePercent: 12.5 },
        { code: 'GST', ratePercent: 15 },
      ],
    });
    expect(r.sales).toEqual({});
    expect(r.purchases).toEqual({});
  });

  it('picks the only code with the rate when no name fits', () => {
    const r = suggestTaxMappings({
      region: 'NZ',
      qboTaxCodes: [{ id: '5', name: 'S', salesRatePercent: 15, purchaseRatePercent: 15 }],
      practiceTaxCodes: [{ code: 'Standard', ratePercent: 15 }],
    });
    expect(r.sales.Standard).toBe('5');
  });

  it('maps US codes to TAX/NON and suggests the transaction tax code of the usual rate', () => {
    const r = suggestTaxMappings({
      region: 'US',
      qboTaxCodes: [
        { id: 'TAX', name: 'TAX', salesRatePercent: null, purchaseRatePercent: null },
        { id: 'NON', name: 'NON', salesRatePercent: null, purchaseRatePercent: null },
        { id: '2', name: 'California', salesRatePercent: 8, purchaseRatePercent: null },
        { id: '3', name: 'Tucson', salesRatePercent: 8.1, purchaseRatePercent: null },
      ],
      practiceTaxCodes: [
        { code: 'ST', ratePercent: 8 },
        { code: 'ST2', ratePercent: 8 },
        { code: 'EX', ratePercent: 0 },
      ],
    });
    expect(r.sales).toEqual({ ST: 'TAX', ST2: 'TAX', EX: 'NON' });
    expect(r.purchases).toEqual({ ST: 'TAX', ST2: 'TAX', EX: 'NON' });
    expect(r.transactionTaxCodeId).toBe('2');
  });
});

describe('payment method pre-fill', () => {
  it('pre-selects the QBO method of the same name, ignoring case and spacing', () => {
    const m = suggestPaymentMethods(
      [{ code: 'EFT' }, { code: 'CHQ', name: 'Cheque' }, { code: 'CC', name: 'Credit Card' }, { code: 'BPAY' }],
      [
        { id: '1', name: 'eft' },
        { id: '2', name: 'Cheque' },
        { id: '3', name: 'CreditCard' },
        { id: '4', name: 'BPAY', active: false },
      ],
    );
    expect(m).toEqual({ EFT: '1', CHQ: '2', CC: '3' });
  });
});

const accounts: QboAccountInfo[] = [
  { id: '79', name: 'Fees', accountType: 'Income', accountSubType: 'ServiceFeeIncome', acctNum: '200' },
  { id: '80', name: 'Interiors income', accountType: 'Income', accountSubType: 'SalesOfProductIncome', acctNum: '220' },
  { id: '35', name: 'Cheque account', accountType: 'Bank', accountSubType: 'Checking' },
  { id: '60', name: 'Subcontractors', accountType: 'Cost of Goods Sold' },
  { id: '61', name: 'Printing', accountType: 'Expense', acctNum: '410' },
  { id: '62', name: 'Travel', accountType: 'Expense' },
  { id: '63', name: 'Old travel', accountType: 'Expense', active: false },
];

describe('account pre-fill', () => {
  it('suggests the fixed accounts only where exactly one fits', () => {
    expect(suggestFixedAccounts(accounts)).toEqual({
      fixedIncomeAccountId: '79',
      depositAccountId: '35',
      billsExpenseAccountId: '60',
      staffExpensesAccountId: '62',
    });
    const twoBanks = [...accounts, { id: '36', name: 'Savings', accountType: 'Bank', accountSubType: 'Savings' }];
    expect(suggestFixedAccounts(twoBanks).depositAccountId).toBe('35');
    const twoCheques = [...twoBanks, { id: '37', name: 'Cheque 2', accountType: 'Bank', accountSubType: 'Checking' }];
    expect(suggestFixedAccounts(twoCheques).depositAccountId).toBeNull();
    expect(suggestFixedAccounts([])).toEqual({ fixedIncomeAccountId: null, depositAccountId: null, billsExpenseAccountId: null, staffExpensesAccountId: null });
  });

  it('maps cost centres, disciplines and expense types through the account code, else the name', () => {
    expect(
      suggestAccountsByCode([{ code: 'ARCH', accountCode: '200' }, { code: 'INT', accountCode: '220' }, { code: 'LAND', accountCode: '999' }, { code: 'Fees' }], accounts, [
        'Income',
      ]),
    ).toEqual({ ARCH: '79', INT: '80', Fees: '79' });
    // An expense type never lands on an income account.
    expect(
      suggestAccountsByCode(
        [
          { code: 'PRINT', accountCode: '410' },
          { code: 'X', accountCode: '200' },
        ],
        accounts,
        ['Expense'],
      ),
    ).toEqual({ PRINT: '61' });
  });
});

describe('all suggestions as setting changes', () => {
  it('names each setting path', () => {
    const changes = prefillSuggestions({
      region: 'AU',
      qboTaxCodes: auCodes,
      practiceTaxCodes: [{ code: 'GST', ratePercent: 10 }],
      qboPaymentMethods: [{ id: '1', name: 'EFT' }],
      practicePaymentTypes: [{ code: 'EFT' }],
      qboAccounts: accounts,
      costCentres: [{ code: 'ARCH', accountCode: '200' }],
      disciplines: [{ code: 'INT', accountCode: '220' }],
      expenseTypes: [{ code: 'PRINT', accountCode: '410' }],
    });
    expect(Object.fromEntries(changes.map((c) => [c.path, c.value]))).toEqual({
      'tax.sales.GST': '10',
      'tax.purchases.GST': '10',
      'payments.methodByPaymentType.EFT': '1',
      'invoices.fixedIncomeAccountId': '79',
      'payments.depositAccountId': '35',
      'bills.fixedExpenseAccountId': '60',
      'staffExpenses.fixedExpenseAccountId': '62',
      'invoices.incomeAccountByCostCentre.ARCH': '79',
      'invoices.incomeAccountByDiscipline.INT': '80',
      'bills.expenseAccountByExpenseType.PRINT': '61',
      'staffExpenses.expenseAccountByExpenseType.PRINT': '61',
    });
  });

  it('normalises names for comparison only', () => {
    expect(normalName(' GST-Free ')).toBe('gstfree');
    expect(normalName('20.0% S')).toBe('200%s');
  });
});

describe('regional aliases', () => {
  it('knows UK names such as "20.0% S" for the standard rate', () => {
    const r = suggestTaxMappings({
      region: 'UK',
      qboTaxCodes: [
        { id: '3', name: '20.0% S', salesRatePercent: 20, purchaseRatePercent: 20 },
        { id: '4', name: '20.0% ECS', salesRatePercent: 20, purchaseRatePercent: 20 },
      ],
      practiceTaxCodes: [{ code: 'VAT', name: 'Standard rated', ratePercent: 20 }],
    });
    expect(r.sales.VAT).toBe('3');
  });
});

describe('practice tax codes used on one side only', () => {
  it('get a mapping on that side only', () => {
    const r = suggestTaxMappings({
      region: 'AU',
      qboTaxCodes: auCodes,
      practiceTaxCodes: [
        { code: 'CAP', name: 'Capital purchases', ratePercent: 10, forSales: false, forPurchases: true },
        { code: 'EXPORT', ratePercent: 0, forSales: true, forPurchases: false },
      ],
    });
    expect(r.sales).toEqual({ EXPORT: '12' });
    expect(r.purchases).toEqual({ CAP: '14' });
  });
});

describe("every region's new company: each fixed account pre-filled (issue 19)", () => {
  it.each(regions)('%s preset: income, deposit, bills and staff expenses each find exactly one account', (region) => {
    const accounts = presets[region].accounts.map((a, i) => ({
      id: String(i + 1),
      name: a.Name,
      accountType: a.AccountType,
      accountSubType: a.AccountSubType,
      acctNum: a.AcctNum,
    }));
    const s = suggestFixedAccounts(accounts);
    for (const [k, v] of Object.entries(s)) expect(v, `${region} ${k}`).not.toBeNull();
    // Staff claims book to the office and general administrative account, never the cost of sales.
    expect(accounts.find((a) => a.id === s.staffExpensesAccountId)?.name).toBe('Office Expenses');
    const paths = prefillSuggestions({ region, qboAccounts: accounts }).map((c) => c.path);
    expect(paths).toContain('staffExpenses.fixedExpenseAccountId');
  });

  it('two office accounts: nothing is guessed', () => {
    const two = [
      { id: '1', name: 'Office Expenses', accountType: 'Expense', accountSubType: 'OfficeGeneralAdministrativeExpenses' },
      { id: '2', name: 'Office Running Expenses', accountType: 'Expense', accountSubType: 'OfficeGeneralAdministrativeExpenses' },
    ];
    expect(suggestFixedAccounts(two).staffExpensesAccountId).toBeNull();
  });
});
