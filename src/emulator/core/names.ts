// Builders for name-list entities (Customer, Vendor, Employee, Item, Account, Term, Class,
// Department, PaymentMethod, TaxCode, TaxRate): defaults QBO fills in, length and colon rules,
// required fields, and the hierarchy fields (ParentRef, Level, FullyQualifiedName).

import { CURRENCIES, ENTITIES, type EntityName } from './entities.js';
import { faults } from './faults.js';
import { isObj, refValue, type BuildContext, type Json } from './context.js';

const LIMITS: Record<string, number> = {
  DisplayName: 500,
  Title: 16,
  GivenName: 100,
  MiddleName: 100,
  FamilyName: 100,
  Suffix: 16,
  CompanyName: 100,
  PrintOnCheckName: 110,
  Notes: 4000,
  AcctNum: 100,
  EmployeeNumber: 100,
  Name: 100,
  Description: 4000,
  Sku: 100,
};
const NAME_LIMIT: Partial<Record<EntityName, number>> = { Term: 31, PaymentMethod: 31, TaxCode: 10, Account: 100 };

export function checkLength(obj: Json, field: string, max: number): void {
  const v = obj[field];
  if (typeof v === 'string' && v.length > max) throw faults.invalidLength(field, max, v.length);
}

function noColon(obj: Json, field: string): void {
  const v = obj[field];
  if (typeof v === 'string' && v.includes(':')) throw faults.invalidChars(field);
}

function str(obj: Json, field: string): string | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw faults.invalidEnum(field, v);
  return v.trim() === '' ? undefined : v;
}

const CLASSIFICATION: Record<string, string> = {
  Bank: 'Asset',
  'Accounts Receivable': 'Asset',
  'Other Current Asset': 'Asset',
  'Fixed Asset': 'Asset',
  'Other Asset': 'Asset',
  'Accounts Payable': 'Liability',
  'Credit Card': 'Liability',
  'Other Current Liability': 'Liability',
  'Long Term Liability': 'Liability',
  Equity: 'Equity',
  Income: 'Revenue',
  'Other Income': 'Revenue',
  'Cost of Goods Sold': 'Expense',
  Expense: 'Expense',
  'Other Expense': 'Expense',
};
const DEFAULT_SUBTYPE: Record<string, string> = {
  Bank: 'Checking',
  'Accounts Receivable': 'AccountsReceivable',
  'Other Current Asset': 'OtherCurrentAssets',
  'Fixed Asset': 'OtherFixedAssets',
  'Other Asset': 'OtherLongTermAssets',
  'Accounts Payable': 'AccountsPayable',
  'Credit Card': 'CreditCard',
  'Other Current Liability': 'OtherCurrentLiabilities',
  'Long Term Liability': 'OtherLongTermLiabilities',
  Equity: 'OpeningBalanceEquity',
  Income: 'SalesOfProductIncome',
  'Other Income': 'OtherMiscellaneousIncome',
  'Cost of Goods Sold': 'SuppliesMaterialsCogs',
  Expense: 'OtherMiscellaneousServiceCost',
  'Other Expense': 'OtherMiscellaneousExpense',
};
const SUBTYPE_TO_TYPE: Record<string, string> = {
  Checking: 'Bank',
  Savings: 'Bank',
  CashOnHand: 'Bank',
  AccountsReceivable: 'Accounts Receivable',
  UndepositedFunds: 'Other Current Asset',
  AccountsPayable: 'Accounts Payable',
  CreditCard: 'Credit Card',
  ServiceFeeIncome: 'Income',
  SalesOfProductIncome: 'Income',
  OtherPrimaryIncome: 'Income',
  GlobalTaxPayable: 'Other Current Liability',
  SalesTaxPayable: 'Other Current Liability',
  OpeningBalanceEquity: 'Equity',
  RetainedEarnings: 'Equity',
};

/** Parent-derived fields for entities with a hierarchy. */
function hierarchy(entity: EntityName, obj: Json, leaf: string, ctx: BuildContext): void {
  const parentId = refValue(obj.ParentRef);
  if (!parentId) {
    obj.FullyQualifiedName = leaf;
    delete obj.ParentRef;
    if (entity === 'Customer') {
      obj.Job = obj.Job === true ? true : false;
      delete obj.Level;
    }
    return;
  }
  const parent = ctx.get(entity, parentId);
  if (!parent) throw faults.invalidReference('ParentRef', entity, parentId);
  const level = (typeof parent.Level === 'number' ? parent.Level : 0) + 1;
  if (level > 4) throw faults.business('Sub Level Limit: a list can have at most 5 levels.', 'ParentRef');
  obj.Level = level;
  obj.FullyQualifiedName = `${String(parent.FullyQualifiedName ?? parent.Name ?? parent.DisplayName)}:${leaf}`;
  if (entity === 'Customer') obj.Job = true;
}

export function buildName(entity: EntityName, input: Json, ctx: BuildContext, isNew: boolean): Json {
  const def = ENTITIES[entity];
  const obj: Json = { ...input };
  const currency = CURRENCIES[ctx.region]!;
  for (const [f, max] of Object.entries(LIMITS)) if (f !== 'Name') checkLength(obj, f, max);

  if (def.nameField === 'DisplayName') {
    for (const f of ['DisplayName', 'GivenName', 'MiddleName', 'FamilyName', 'Suffix', 'Title']) noColon(obj, f);
    let display = str(obj, 'DisplayName');
    if (!display) {
      const parts = ['Title', 'GivenName', 'MiddleName', 'FamilyName', 'Suffix'].map((f) => str(obj, f)).filter(Boolean);
      if (parts.length === 0) {
        if (str(obj, 'CompanyName')) display = str(obj, 'CompanyName');
        else throw faults.noName();
      } else display = parts.join(' ');
    }
    obj.DisplayName = display!.trim();
    if (!str(obj, 'PrintOnCheckName')) obj.PrintOnCheckName = obj.DisplayName;
    obj.Active = obj.Active === false ? false : true;
    if (entity === 'Customer') {
      obj.Taxable = obj.Taxable === false ? false : ctx.region === 'US' ? true : obj.Taxable === true;
      if (ctx.region !== 'US' && obj.Taxable === false && input.Taxable === undefined) delete obj.Taxable;
      obj.BillWithParent = obj.BillWithParent === true;
      obj.Balance = isNew ? (obj.Balance ?? 0) : (obj.Balance ?? 0);
      obj.BalanceWithJobs = obj.BalanceWithJobs ?? obj.Balance;
      obj.PreferredDeliveryMethod = obj.PreferredDeliveryMethod ?? 'Print';
      obj.CurrencyRef = obj.CurrencyRef ?? currency;
      hierarchy('Customer', obj, obj.DisplayName as string, ctx);
    } else if (entity === 'Vendor') {
      obj.Balance = obj.Balance ?? 0;
      obj.Vendor1099 = obj.Vendor1099 === true;
      obj.CurrencyRef = obj.CurrencyRef ?? currency;
    } else {
      obj.BillableTime = obj.BillableTime === true;
    }
    return obj;
  }

  // Lists keyed by Name.
  const name = str(obj, 'Name');
  if (!name) throw faults.requiredMissing('Name');
  obj.Name = name.trim();
  checkLength(obj, 'Name', NAME_LIMIT[entity] ?? 100);
  if (entity !== 'TaxCode' && entity !== 'TaxRate') noColon(obj, 'Name');
  obj.Active = obj.Active === false ? false : true;
  switch (entity) {
    case 'Account': {
      let type = str(obj, 'AccountType');
      const sub = str(obj, 'AccountSubType');
      if (!type && !sub) throw faults.accountTypeRequired();
      if (!type) type = SUBTYPE_TO_TYPE[sub!] ?? 'Expense';
      if (!(type in CLASSIFICATION)) throw faults.invalidEnum('AccountType', type);
      obj.AccountType = type;
      obj.AccountSubType = sub ?? DEFAULT_SUBTYPE[type];
      obj.Classification = CLASSIFICATION[type];
      obj.SubAccount = refValue(obj.ParentRef) !== undefined;
      obj.CurrentBalance = obj.CurrentBalance ?? 0;
      obj.CurrentBalanceWithSubAccounts = obj.CurrentBalanceWithSubAccounts ?? obj.CurrentBalance;
      obj.CurrencyRef = obj.CurrencyRef ?? currency;
      checkLength(obj, 'Description', 100);
      hierarchy('Account', obj, obj.Name as string, ctx);
      break;
    }
    case 'Item': {
      const type = str(obj, 'Type') ?? 'Service';
      obj.Type = type;
      if (['Service', 'NonInventory', 'Inventory'].includes(type) && !refValue(obj.IncomeAccountRef)) {
        throw faults.requiredMissing('IncomeAccountRef');
      }
      if (type === 'Inventory') {
        if (!refValue(obj.AssetAccountRef)) throw faults.requiredMissing('AssetAccountRef');
        if (!str(obj, 'InvStartDate')) throw faults.requiredMissing('InvStartDate');
      }
      obj.SubItem = refValue(obj.ParentRef) !== undefined;
      if (obj.Taxable === undefined && ctx.region === 'US' && type !== 'Category') obj.Taxable = false;
      hierarchy('Item', obj, obj.Name as string, ctx);
      break;
    }
    case 'Class':
      obj.SubClass = refValue(obj.ParentRef) !== undefined;
      hierarchy('Class', obj, obj.Name as string, ctx);
      break;
    case 'Department':
      obj.SubDepartment = refValue(obj.ParentRef) !== undefined;
      hierarchy('Department', obj, obj.Name as string, ctx);
      break;
    case 'Term': {
      if (obj.DueDays === undefined && obj.DayOfMonthDue === undefined) obj.DueDays = 0;
      obj.Type = obj.DayOfMonthDue !== undefined ? 'DATE_DRIVEN' : 'STANDARD';
      break;
    }
    case 'PaymentMethod':
      obj.Type = obj.Type ?? 'NON_CREDIT_CARD';
      if (obj.Type !== 'CREDIT_CARD' && obj.Type !== 'NON_CREDIT_CARD') throw faults.invalidEnum('Type', obj.Type);
      break;
    default:
      break;
  }
  if (isObj(obj.ParentRef) && !refValue(obj.ParentRef)) delete obj.ParentRef;
  return obj;
}
