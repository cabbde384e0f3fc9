/**
 * US sales tax in the preview (issue 13): lines say TAX or NON, the transaction names the mapped sales
 * tax code, QBO's tax is predicted from that code's rates (line by line, rate by rate) and never
 * overridden; a practice tax that differs is a warning naming both amounts; a missing or unusable
 * mapping is an error naming the setting. Purchases are never drafted for a US company.
 */
import { describe, expect, it } from 'vitest';
import type { ExportDocument, StoredRecord } from '../../../practice/store.js';
import { defaultSettings } from '../../settings/model.js';
import type { MapContext } from '../context.js';
import type { QboLists, QboTaxCode } from '../qbo-snapshot.js';
import { purchaseDraft } from './purchases.js';
import type { RefResolver } from './refs.js';
import { salesDraft } from './sales.js';

const clock = () => new Date('2026-11-26T00:00:00Z');
const code = (id: string, name: string, salesRates: number[], extra: Partial<QboTaxCode> = {}): [string, QboTaxCode] => [
  id,
  { id, name, active: true, salesRates, purchaseRates: [], hasSales: salesRates.length > 0, hasPurchases: false, ...extra },
];
const lists = {
  region: 'US',
  companyName: 'Co',
  bookCloseDate: null,
  accounts: [],
  paymentMethods: [],
  rawTaxCodes: [],
  taxRatePercent: new Map(),
  taxCodes: new Map([code('TAX', 'TAX', []), code('NON', 'NON', []), code('5', 'NYC', [4, 4.5, 0.375]), code('6', 'Old', [7], { active: false })]),
} as unknown as QboLists;
const ctx = (txn: string | null = '5'): MapContext => {
  const settings = defaultSettings(clock);
  settings.tax.sales = { GST: 'TAX', FRE: 'NON' };
  settings.tax.transactionTaxCodeId = txn;
  settings.invoices.fixedIncomeAccountId = '40';
  return {
    realmId: '1',
    settings,
    lists,
    us: true,
    practice: { contacts: new Map(), staff: new Map(), projects: new Map(), taxCodes: new Map(), paymentTypes: new Map(), expenseTypes: new Map() },
  };
};
const refs: RefResolver = {
  customer: (c) => ({ value: `@row:customers:${c}`, rowKey: `customers:${c}` }),
  vendor: (_k, c) => ({ value: `@row:suppliers:${c}`, rowKey: `suppliers:${c}` }),
  item: (p) => ({ value: `@row:items:${p}`, rowKey: `items:${p}` }),
};
const stored = <K extends 'invoice' | 'bill'>(kind: K, record: StoredRecord<K>['record']) =>
  ({
    stored: { id: 'x', kind, key: (record as { number: string }).number, state: 'active', version: 1, contentHash: '', createdAt: '', updatedAt: '', record },
    lines: [],
    allocations: [],
  }) as unknown as ExportDocument<K>;
const invoice = (lines: Array<[number, string]>, taxCents: number) =>
  stored('invoice', {
    number: 'I-1',
    date: '2026-11-02',
    dueDate: '2026-12-02',
    contactCode: 'C1',
    projectNumber: 'P1',
    text: null,
    lines: lines.map(([a, t]) => ({ description: 'x', amountCents: a, taxCode: t, taxCents: 0 })),
    taxCents,
    totalCents: lines.reduce((n, [a]) => n + a, 0) + taxCents,
  });

describe('US invoices: the transaction tax code, and QBO tax predicted from its rates', () => {
  it('TAX/NON on lines, TxnTaxCodeRef on the transaction, tax per line and rate; the same tax as the practice: no issue, no override', () => {
    // 333.33 taxed: 4 % = 13.33, 4.5 % = 15.00, 0.375 % = 1.25 → 29.58 on each line; the NON line carries none.
    const d = salesDraft(
      'invoice',
      invoice(
        [
          [33_333, 'GST'],
          [33_333, 'GST'],
          [10_000, 'FRE'],
        ],
        5_916,
      ),
      ctx(),
      refs,
      'invoice I-1',
    );
    expect(d.issues).toEqual([]);
    expect(d.payload['GlobalTaxCalculation']).toBeUndefined();
    expect(d.payload['TxnTaxDetail']).toEqual({ TxnTaxCodeRef: { value: '5' } });
    expect((d.payload['Line'] as Array<{ SalesItemLineDetail: { TaxCodeRef: unknown } }>).map((l) => l.SalesItemLineDetail.TaxCodeRef)).toEqual([
      { value: 'TAX' },
      { value: 'TAX' },
      { value: 'NON' },
    ]);
    expect(d.qboTotalCents).toBe(76_666 + 5_916);
  });

  it("a practice tax of another rate: QBO's figure is predicted and stands, a warning names both amounts", () => {
    const d = salesDraft('invoice', invoice([[100_000, 'GST']], 10_000), ctx(), refs, 'invoice I-1');
    expect(d.qboTotalCents).toBe(108_875);
    expect(d.payload['TxnTaxDetail']).toEqual({ TxnTaxCodeRef: { value: '5' } });
    expect(d.issues).toMatchObject([{ code: 'invoice.us-tax-differs', severity: 'warning', field: 'taxCents' }]);
    expect(d.issues[0]!.message).toContain('QBO will charge sales tax of 88.75 (NYC: 4% + 4.5% + 0.375% on 1000.00 taxable)');
    expect(d.issues[0]!.message).toContain("the practice's tax is 100.00 (field taxCents), so QBO's total will be 1088.75");
  });

  it("Automated Sales Tax: no code sent (AST ignores it), no mapping needed, QBO's total unknown (null) and a warning naming the practice's tax", () => {
    const astCtx = { ...ctx(null), lists: { ...lists, automatedSalesTax: true } as QboLists };
    const d = salesDraft(
      'invoice',
      invoice(
        [
          [100_000, 'GST'],
          [5_000, 'FRE'],
        ],
        10_000,
      ),
      astCtx,
      refs,
      'invoice I-1',
    );
    expect(d.payload['TxnTaxDetail']).toBeUndefined();
    expect(d.qboTotalCents).toBeNull();
    expect(d.issues).toMatchObject([{ code: 'invoice.us-automated-tax', severity: 'warning', field: 'taxCents' }]);
    expect(d.issues[0]!.message).toContain('Automated Sales Tax, which works out the sales tax on the 1000.00 taxable from the ship-to address');
    expect(d.issues[0]!.message).toContain("the practice's tax is 100.00 (field taxCents). QBO's figure stands");
    // Nothing taxable: AST charges nothing, so the total is known.
    const plain = salesDraft('invoice', invoice([[10_000, 'FRE']], 0), astCtx, refs, 'invoice I-1');
    expect([plain.qboTotalCents, plain.issues]).toEqual([10_000, []]);
  });

  it('only NON lines but the practice charged tax: no transaction code, the warning says QBO charges 0.00', () => {
    const d = salesDraft('invoice', invoice([[10_000, 'FRE']], 500), ctx(), refs, 'invoice I-1');
    expect(d.payload['TxnTaxDetail']).toBeUndefined();
    expect(d.qboTotalCents).toBe(10_000);
    expect(d.issues.map((i) => i.code)).toEqual(['invoice.us-tax-differs']);
    expect(d.issues[0]!.message).toContain('0.00 (no line is mapped to TAX)');
  });

  it.each([
    [null, /none is set\. Choose one under tax\.transactionTaxCodeId/],
    ['99', /99 \(tax\.transactionTaxCodeId\) is not in the company/],
    ['TAX', /TAX \(tax\.transactionTaxCodeId\) is a line code \(TAX\/NON\), not a sales tax code/],
    ['6', /6 \(tax\.transactionTaxCodeId\) is Old, which is inactive/],
  ])('transaction tax code %s: an error naming the setting, and no guess at the total', (txn, message) => {
    const d = salesDraft('invoice', invoice([[10_000, 'GST']], 1_000), ctx(txn), refs, 'invoice I-1');
    expect(d.issues).toMatchObject([{ code: 'tax.transaction-code-unmapped', severity: 'error' }]);
    expect(d.issues[0]!.message).toMatch(message);
    expect(d.payload['TxnTaxDetail']).toBeUndefined();
  });

  it('a line mapping that is not TAX or NON, or none: an error naming the line and the setting', () => {
    const c = ctx();
    c.settings.tax.sales = { GST: '5' };
    const d = salesDraft(
      'invoice',
      invoice(
        [
          [10_000, 'GST'],
          [10_000, 'ZZZ'],
        ],
        1_000,
      ),
      c,
      refs,
      'invoice I-1',
    );
    expect(d.issues.map((i) => [i.code, i.field])).toEqual([
      ['tax.unmapped', 'lines[0].taxCode'],
      ['tax.unmapped', 'lines[1].taxCode'],
    ]);
    expect(d.issues[0]!.message).toContain("a US company's lines take TAX or NON, not 5");
  });

  it('a bill is never drafted for a US company (the plan lists it as not sent before drafting)', () => {
    const bill = stored('bill', {
      number: 'B-1',
      supplierCode: 'S1',
      supplierReference: null,
      date: '2026-11-02',
      dueDate: '2026-12-02',
      lines: [{ expenseTypeCode: 'CONS', description: 'x', amountCents: 1000, taxCode: 'GST', taxCents: 100 }],
      taxCents: 100,
      totalCents: 1100,
    });
    expect(() => purchaseDraft('bill', bill, ctx(), refs, 'bill B-1')).toThrow(/not sent to a US company/);
  });
});
