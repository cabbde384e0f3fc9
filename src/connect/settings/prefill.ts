/**
 * Suggested mappings from what both sides already hold: pure functions over plain data (the QBO
 * lists are read by the caller). A suggestion is made only when exactly one QBO record fits, so a
 * pre-filled value is never a guess between several; the rest stays for a person to choose.
 */
import type { SettingChange } from './store-types.js';

export interface QboTaxCodeInfo {
  id: string;
  name: string;
  description?: string | undefined;
  active?: boolean | undefined;
  /** Sum of the code's sales rates in percent (10 means 10%); null when it has no sales rates. */
  salesRatePercent: number | null;
  /** Sum of the code's purchase rates in percent; null when it has no purchase rates. */
  purchaseRatePercent: number | null;
}
export interface QboPaymentMethodInfo {
  id: string;
  name: string;
  active?: boolean | undefined;
}
export interface QboAccountInfo {
  id: string;
  name: string;
  /** QBO AccountType, e.g. `Income`, `Bank`, `Expense`, `Cost of Goods Sold`. */
  accountType: string;
  accountSubType?: string | undefined;
  /** QBO AcctNum: the account code, when the company numbers its accounts. */
  acctNum?: string | undefined;
  active?: boolean | undefined;
}
export interface PracticeTaxCodeInfo {
  code: string;
  name?: string | undefined;
  ratePercent: number;
  /** Used on sales documents (default true); a purchases-only code gets no sales mapping. */
  forSales?: boolean | undefined;
  /** Used on purchases (default true). */
  forPurchases?: boolean | undefined;
}
export interface PracticeNamedCode {
  code: string;
  name?: string | undefined;
  /** The account code typed onto a cost centre, discipline or expense type in the practice. */
  accountCode?: string | null | undefined;
}

/** Two-letter country of the QBO company (CompanyInfo.Country); `US` switches tax to TAX/NON. */
export type Region = string;

export interface PrefillInput {
  region: Region;
  qboTaxCodes?: QboTaxCodeInfo[];
  qboPaymentMethods?: QboPaymentMethodInfo[];
  qboAccounts?: QboAccountInfo[];
  practiceTaxCodes?: PracticeTaxCodeInfo[];
  practicePaymentTypes?: PracticeNamedCode[];
  costCentres?: PracticeNamedCode[];
  disciplines?: PracticeNamedCode[];
  expenseTypes?: PracticeNamedCode[];
}

/** Lower case without spacing or punctuation: "GST Free" and "gst-free" are one name. */
export function normalName(s: string): string {
  return s.toLowerCase().replace(/[^\p{L}\p{N}%]+/gu, '');
}

function sameRate(a: number, b: number): boolean {
  // Rates are percentages with at most a few decimals; compare at a thousandth of a percent.
  return Math.round(a * 1000) === Math.round(b * 1000);
}

const active = <T extends { active?: boolean | undefined }>(xs: T[]) => xs.filter((x) => x.active !== false);

function only<T>(xs: T[]): T | undefined {
  return xs.length === 1 ? xs[0] : undefined;
}

/** Names that mean the same tax code in a region, whatever each side calls it. */
const taxAliases: Record<string, string[][]> = {
  AU: [
    ['gst', 'gst10%', 'gstonincome', 'gstonexpenses', 'goodsandservicestax'],
    ['fre', 'gstfree', 'taxfree', 'free', 'nogst', 'exempt'],
    ['exp', 'export', 'gstfreeexports', 'exports'],
    ['inp', 'inputtaxed'],
    ['nt', 'nottaxable', 'outofscope', 'notreportable', 'nottaxed'],
    ['cap', 'gstoncapital', 'capitalpurchases'],
  ],
  UK: [
    ['20.0%s', '20%s', 'standard', 'standardrated', 'vat', 'vat20%', 's'],
    ['5.0%r', '5%r', 'reduced', 'reducedrate', 'r'],
    ['0.0%z', '0%z', 'zero', 'zerorated', 'z'],
    ['exempt', 'e', 'vatexempt'],
    ['nott', 'novat', 'outofscope', 'nottaxable'],
  ],
  CA: [
    ['gst', 'g', 'gst5%'],
    ['hst', 'h', 'hston', 'hst13%', 'hst15%'],
    ['exempt', 'e', 'taxexempt'],
    ['zero', 'z', 'zerorated'],
  ],
};
taxAliases.GB = taxAliases.UK!;

function aliasGroup(region: Region, name: string): string[] | undefined {
  const n = normalName(name);
  return taxAliases[region.toUpperCase()]?.map((g) => g.map(normalName)).find((g) => g.includes(n));
}

function pickTaxCode(region: Region, practice: PracticeTaxCodeInfo, candidates: Array<{ code: QboTaxCodeInfo; rate: number }>): string | undefined {
  const sameRated = candidates.filter((c) => sameRate(c.rate, practice.ratePercent));
  const names = [practice.code, practice.name].filter((x): x is string => !!x).map(normalName);
  const byName = only(sameRated.filter((c) => names.includes(normalName(c.code.name)) || (c.code.description !== undefined && names.includes(normalName(c.code.description)))));
  if (byName) return byName.code.id;
  const groups = [practice.code, practice.name]
    .filter((x): x is string => !!x)
    .map((n) => aliasGroup(region, n))
    .filter((g) => g !== undefined);
  if (groups.length > 0) {
    const byAlias = only(
      sameRated.filter((c) => groups.some((g) => g.includes(normalName(c.code.name)) || (c.code.description !== undefined && g.includes(normalName(c.code.description))))),
    );
    if (byAlias) return byAlias.code.id;
  }
  return only(sameRated)?.code.id;
}

const usPseudo = new Set(['TAX', 'NON', 'CustomSalesTax']);

/**
 * Practice tax code → QBO tax code, for sales and for purchases, by region, name and rate.
 * US companies: taxed lines carry TAX, untaxed NON, and the transaction carries one tax code
 * whose rate is the practice's usual one (when exactly one QBO code has it).
 */
export function suggestTaxMappings(input: { region: Region; qboTaxCodes: QboTaxCodeInfo[]; practiceTaxCodes: PracticeTaxCodeInfo[] }): {
  sales: Record<string, string>;
  purchases: Record<string, string>;
  transactionTaxCodeId: string | null;
} {
  const sales: Record<string, string> = {};
  const purchases: Record<string, string> = {};
  const codes = active(input.qboTaxCodes);
  if (input.region.toUpperCase() === 'US') {
    for (const p of input.practiceTaxCodes) {
      const v = p.ratePercent > 0 ? 'TAX' : 'NON';
      if (p.forSales !== false) sales[p.code] = v;
      if (p.forPurchases !== false) purchases[p.code] = v;
    }
    const counts = new Map<number, number>();
    for (const p of input.practiceTaxCodes) if (p.ratePercent > 0 && p.forSales !== false) counts.set(p.ratePercent, (counts.get(p.ratePercent) ?? 0) + 1);
    const usual = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    const txn = usual === undefined ? undefined : only(codes.filter((c) => !usPseudo.has(c.id) && c.salesRatePercent !== null && sameRate(c.salesRatePercent, usual)));
    return { sales, purchases, transactionTaxCodeId: txn?.id ?? null };
  }
  const salesCandidates = codes.filter((c) => c.salesRatePercent !== null).map((code) => ({ code, rate: code.salesRatePercent! }));
  const purchaseCandidates = codes.filter((c) => c.purchaseRatePercent !== null).map((code) => ({ code, rate: code.purchaseRatePercent! }));
  for (const p of input.practiceTaxCodes) {
    const s = p.forSales === false ? undefined : pickTaxCode(input.region, p, salesCandidates);
    if (s) sales[p.code] = s;
    const b = p.forPurchases === false ? undefined : pickTaxCode(input.region, p, purchaseCandidates);
    if (b) purchases[p.code] = b;
  }
  return { sales, purchases, transactionTaxCodeId: null };
}

/** Practice payment type → the QBO payment method of the same name (case and spacing ignored). */
export function suggestPaymentMethods(practiceTypes: PracticeNamedCode[], qboMethods: QboPaymentMethodInfo[]): Record<string, string> {
  const out: Record<string, string> = {};
  const methods = active(qboMethods);
  for (const t of practiceTypes) {
    const names = [t.code, t.name].filter((x): x is string => !!x).map(normalName);
    const m = only(methods.filter((q) => names.includes(normalName(q.name))));
    if (m) out[t.code] = m.id;
  }
  return out;
}

const incomeTypes = ['Income', 'Other Income'];
const expenseTypes = ['Expense', 'Cost of Goods Sold', 'Other Expense'];

/**
 * Practice code → QBO account through the account code typed onto the practice's list (matched to
 * QBO's AcctNum), else through the same name. Only accounts of the given types are considered.
 */
export function suggestAccountsByCode(items: PracticeNamedCode[], accounts: QboAccountInfo[], types: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const pool = active(accounts).filter((a) => types.includes(a.accountType));
  for (const item of items) {
    const byNum = item.accountCode ? only(pool.filter((a) => a.acctNum !== undefined && a.acctNum.trim() === item.accountCode!.trim())) : undefined;
    const byName = byNum ?? only(pool.filter((a) => [item.code, item.name].some((n) => n !== undefined && normalName(n) === normalName(a.name))));
    if (byName) out[item.code] = byName.id;
  }
  return out;
}

function firstSingle(pool: QboAccountInfo[], tests: Array<(a: QboAccountInfo) => boolean>): string | null {
  for (const t of tests) {
    const hit = only(pool.filter(t));
    if (hit) return hit.id;
  }
  return null;
}

/** The fixed accounts: income, deposit (bank), bills' and staff expenses' expense accounts. */
export function suggestFixedAccounts(accounts: QboAccountInfo[]): {
  fixedIncomeAccountId: string | null;
  depositAccountId: string | null;
  billsExpenseAccountId: string | null;
  staffExpensesAccountId: string | null;
} {
  const pool = active(accounts);
  const income = pool.filter((a) => a.accountType === 'Income');
  const bank = pool.filter((a) => a.accountType === 'Bank');
  const expense = pool.filter((a) => expenseTypes.includes(a.accountType));
  return {
    fixedIncomeAccountId: firstSingle(income, [
      (a) => a.accountSubType === 'ServiceFeeIncome',
      (a) => /^(services?|fees?|professional ?fees|fee income|sales)$/i.test(a.name.trim()),
      () => true,
    ]),
    depositAccountId: firstSingle(bank, [() => true, (a) => a.accountSubType === 'Checking']),
    billsExpenseAccountId: firstSingle(expense, [(a) => a.accountType === 'Cost of Goods Sold', (a) => /subcontract|sub-contract|consultant/i.test(a.name)]),
    // Staff claims (travel, cash) go to travel or staff-expense accounts, else to the office and general
    // administrative account most charts have exactly one of (issue 19: none of these tests fitted a
    // new company, so every first preview was blocked on this setting).
    staffExpensesAccountId: firstSingle(expense, [
      (a) => /travel/i.test(a.name),
      (a) => /staff|employee|reimburs/i.test(a.name),
      (a) => /^general expenses?$/i.test(a.name.trim()),
      (a) => a.accountType === 'Expense' && a.accountSubType === 'OfficeGeneralAdministrativeExpenses',
      (a) => a.accountType === 'Expense' && /^(office|general|administrative)\b.*expenses?$/i.test(a.name.trim()),
    ]),
  };
}

/** Every suggestion as setting changes (path and value); the store applies those still unset. */
export function prefillSuggestions(input: PrefillInput): SettingChange[] {
  const out: SettingChange[] = [];
  const put = (prefix: string, m: Record<string, string>) => {
    for (const [k, v] of Object.entries(m)) out.push({ path: `${prefix}.${k}`, value: v });
  };
  if (input.qboTaxCodes && input.practiceTaxCodes) {
    const t = suggestTaxMappings({ region: input.region, qboTaxCodes: input.qboTaxCodes, practiceTaxCodes: input.practiceTaxCodes });
    put('tax.sales', t.sales);
    put('tax.purchases', t.purchases);
    if (t.transactionTaxCodeId) out.push({ path: 'tax.transactionTaxCodeId', value: t.transactionTaxCodeId });
  }
  if (input.qboPaymentMethods && input.practicePaymentTypes) {
    put('payments.methodByPaymentType', suggestPaymentMethods(input.practicePaymentTypes, input.qboPaymentMethods));
  }
  if (input.qboAccounts) {
    const a = suggestFixedAccounts(input.qboAccounts);
    if (a.fixedIncomeAccountId) out.push({ path: 'invoices.fixedIncomeAccountId', value: a.fixedIncomeAccountId });
    if (a.depositAccountId) out.push({ path: 'payments.depositAccountId', value: a.depositAccountId });
    if (a.billsExpenseAccountId) out.push({ path: 'bills.fixedExpenseAccountId', value: a.billsExpenseAccountId });
    if (a.staffExpensesAccountId) out.push({ path: 'staffExpenses.fixedExpenseAccountId', value: a.staffExpensesAccountId });
    if (input.costCentres) put('invoices.incomeAccountByCostCentre', suggestAccountsByCode(input.costCentres, input.qboAccounts, incomeTypes));
    if (input.disciplines) put('invoices.incomeAccountByDiscipline', suggestAccountsByCode(input.disciplines, input.qboAccounts, incomeTypes));
    if (input.expenseTypes) {
      const m = suggestAccountsByCode(input.expenseTypes, input.qboAccounts, expenseTypes);
      put('bills.expenseAccountByExpenseType', m);
      put('staffExpenses.expenseAccountByExpenseType', m);
    }
  }
  return out;
}
