import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserFacingError } from '../../user-facing-error.js';
import { defaultSettings, firstDayOfMonth } from './model.js';
import { coerceCliValue, flatten } from './paths.js';
import { validateChange } from './store.js';
import { numRuns } from '../../../test/helpers/seed.js';

const clock = () => new Date('2026-11-26T01:00:00Z');

function refusal(path: string, value: unknown): UserFacingError {
  try {
    validateChange(path, value, clock);
  } catch (err) {
    if (err instanceof UserFacingError) return err;
    throw err;
  }
  throw new Error(`${path}=${JSON.stringify(value)} was accepted`);
}

describe('settings defaults', () => {
  it('start every export-from date on the first day of the clock month', () => {
    const s = defaultSettings(clock);
    expect(s.general.exportFrom).toEqual({
      invoices: '2026-11-01',
      creditNotes: '2026-11-01',
      payments: '2026-11-01',
      bills: '2026-11-01',
      staffExpenses: '2026-11-01',
    });
    expect(firstDayOfMonth(new Date('2027-01-31T23:59:59Z'))).toBe('2027-01-01');
  });

  it('follow the product: contacts, invoices, payments, bills, staff expenses, tax', () => {
    const s = defaultSettings(clock);
    expect(s.contacts).toEqual({ shortenLongNames: true, supplierPrefix: true, matchOrder: 'unique-id-then-name', createWhenNoMatch: true });
    expect(s.invoices).toMatchObject({
      invoiceTextLine: true,
      memo: 'project-number',
      jobItems: 'per-project',
      fixedItemId: null,
      incomeAccount: 'fixed',
      incomeAccountByCostCentre: {},
      incomeAccountByDiscipline: {},
      applyCreditToInvoice: true,
    });
    expect(s.payments).toEqual({ direction: 'import', depositAccountId: null, methodByPaymentType: {} });
    expect(s.bills.export).toBe(true);
    expect(s.staffExpenses).toMatchObject({ export: true, expenseAccount: 'fixed', expenseAccountByExpenseType: {} });
    expect(s.tax).toEqual({ sales: {}, purchases: {}, transactionTaxCodeId: null });
  });
});

describe('each setting is validated', () => {
  // [path, a good value, a bad value, a fragment of the allowed values the refusal must list]
  const cases: Array<[string, unknown, unknown, string]> = [
    ['general.exportFrom.invoices', '2026-07-01', '2026-02-30', 'YYYY-MM-DD'],
    ['general.exportFrom.creditNotes', '2026-07-01', '1/7/2026', 'YYYY-MM-DD'],
    ['general.exportFrom.payments', '2026-07-01', '', 'YYYY-MM-DD'],
    ['general.exportFrom.bills', '2026-07-01', 20260701, 'YYYY-MM-DD'],
    ['general.exportFrom.staffExpenses', '2026-07-01', null, 'YYYY-MM-DD'],
    ['general.practiceCurrency', 'GBP', 'pounds', 'a three-letter currency code'],
    ['contacts.shortenLongNames', false, 'maybe', 'on, off'],
    ['contacts.supplierPrefix', false, 1, 'on, off'],
    ['contacts.matchOrder', 'unique-id-only', 'name-only', 'unique-id-then-name, unique-id-only'],
    ['contacts.createWhenNoMatch', false, 'no', 'on, off'],
    ['invoices.invoiceTextLine', false, null, 'on, off'],
    ['invoices.memo', 'client-reference', 'reference', 'none, invoice-text, project-number, client-reference'],
    ['invoices.lineDescription', 'stage', 'project', 'stage, project-and-stage, stage-and-description'],
    ['invoices.jobItems', 'fixed-item', 'per-stage', 'per-project, fixed-item'],
    ['invoices.fixedItemId', '17', '', 'a QBO id'],
    ['invoices.incomeAccount', 'by-discipline', 'by-staff', 'fixed, by-cost-centre, by-discipline'],
    ['invoices.fixedIncomeAccountId', '79', 42, 'a QBO id'],
    ['invoices.incomeAccountByCostCentre.ARCH', '80', '   ', 'a QBO id'],
    ['invoices.incomeAccountByDiscipline.Interiors', '81', {}, 'a QBO id'],
    ['invoices.applyCreditToInvoice', false, 'off', 'on, off'],
    ['payments.direction', 'export', 'both', 'import, export'],
    ['payments.depositAccountId', '35', 'x\u0000', 'a QBO id'],
    ['payments.methodByPaymentType.EFT', '3', ['3'], 'a QBO id'],
    ['bills.export', false, 'sometimes', 'on, off'],
    ['bills.expenseAccount', 'by-expense-type', 'by-supplier', 'fixed, by-expense-type'],
    ['bills.fixedExpenseAccountId', '60', true, 'a QBO id'],
    ['bills.expenseAccountByExpenseType.Printing', '61', 61, 'a QBO id'],
    ['bills.lineDescription', 'note', 'everything', 'project-stage-and-expense-type, project-and-stage, rate-and-expense-type, expense-type, note'],
    ['staffExpenses.export', false, 'on', 'on, off'],
    ['staffExpenses.expenseAccount', 'by-expense-type', 'fixed-ish', 'fixed, by-expense-type'],
    ['staffExpenses.fixedExpenseAccountId', '62', 'a'.repeat(101), 'a QBO id'],
    ['staffExpenses.expenseAccountByExpenseType.Mileage', '63', 5, 'a QBO id'],
    ['staffExpenses.lineDescription', 'expense-type', 'stage', 'expense-type'],
    ['tax.sales.GST', '10', '', 'a QBO id'],
    ['tax.purchases.GST', '11', false, 'a QBO id'],
    ['tax.transactionTaxCodeId', '2', 2, 'a QBO id'],
  ];

  it.each(cases)('%s accepts %j and refuses %j', (path, good, bad, allowed) => {
    expect(validateChange(path, good, clock).value).toEqual(good);
    const err = refusal(path, bad);
    expect(err.code).toBe('settings.invalid-value');
    expect(err.field).toBe(path);
    expect(err.message).toContain(`Setting ${path}:`);
    expect(err.message).toContain(allowed);
  });

  it('covers every leaf of the model', () => {
    const leaves = flatten(defaultSettings(clock))
      .map((l) => l.path)
      .filter((p) => !/^tax\.(sales|purchases)$|ByCostCentre$|ByDiscipline$|ByPaymentType$|ByExpenseType$/.test(p));
    const tested = new Set(cases.map(([p]) => p));
    expect(leaves.filter((p) => !tested.has(p))).toEqual([]);
  });

  it('lets a nullable id and a mapping entry be cleared with null', () => {
    expect(validateChange('invoices.fixedItemId', null, clock).value).toBeNull();
    expect(validateChange('tax.sales.GST', null, clock).value).toBeNull();
  });

  it('takes a whole mapping as an object, and refuses a bad entry in it', () => {
    expect(validateChange('tax.sales', { GST: '10', FRE: '12' }, clock).value).toEqual({ GST: '10', FRE: '12' });
    expect(refusal('tax.sales', { GST: 10 }).message).toContain('Setting tax.sales:');
  });

  it('refuses unknown settings and lists the known ones nearby', () => {
    const err = refusal('invoices.memmo', 'none');
    expect(err.code).toBe('settings.unknown-path');
    expect(err.message).toContain('invoices.memo');
    expect(err.message).toContain('invoices.lineDescription');
    expect(refusal('nope', 1).message).toContain('general, contacts, invoices');
    expect(refusal('tax.sales.GST.x', '1').code).toBe('settings.unknown-path');
    expect(refusal('', '1').code).toBe('settings.unknown-path');
    // A practice code may not contain a dot (it would read as a deeper path).
    expect(refusal('invoices.memo.extra', 'none').code).toBe('settings.unknown-path');
  });
});

describe('command-line values', () => {
  it('reads on/off, none and JSON the way a person types them', () => {
    const node = (p: string) => validateChange(p, p.startsWith('contacts') ? true : null, clock).node;
    expect(coerceCliValue(node('contacts.shortenLongNames'), 'off')).toBe(false);
    expect(coerceCliValue(node('contacts.shortenLongNames'), 'ON')).toBe(true);
    expect(coerceCliValue(node('contacts.shortenLongNames'), 'perhaps')).toBe('perhaps');
    expect(coerceCliValue(node('invoices.fixedItemId'), 'none')).toBeNull();
    expect(coerceCliValue(node('tax.sales.GST'), 'none')).toBeNull();
    expect(coerceCliValue(validateChange('tax.sales', {}, clock).node, '{"GST":"10"}')).toEqual({ GST: '10' });
    // memo's "none" is a value of its own, not an unset.
    expect(coerceCliValue(validateChange('invoices.memo', 'none', clock).node, 'none')).toBe('none');
  });
});

describe('any value for any setting', () => {
  it('is either taken as the model takes it, or refused naming the setting — never another error', () => {
    const leaves = flatten(defaultSettings(clock)).map((l) => l.path.replace(/^(tax\.(sales|purchases)|.*By[A-Za-z]+)$/, '$1.X'));
    fc.assert(
      fc.property(fc.constantFrom(...leaves), fc.anything(), (path, value) => {
        try {
          const { value: taken } = validateChange(path, value, clock);
          expect(validateChange(path, taken, clock).value).toEqual(taken);
        } catch (err) {
          expect(err).toBeInstanceOf(UserFacingError);
          expect((err as UserFacingError).message).toContain(`Setting ${path}:`);
        }
      }),
      { numRuns: numRuns(500) },
    );
  });
});
