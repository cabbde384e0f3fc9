import { describe, expect, it } from 'vitest';
import { documentChecks, nameChecks, planDocumentKinds, planMessage, type PlanReasonCode } from '../../reasons.js';
import type { ExportDocument, StoredRecord } from '../../../practice/store.js';
import { defaultSettings } from '../../settings/model.js';
import type { MapContext } from '../context.js';
import type { QboLists } from '../qbo-snapshot.js';
import { purchaseDraft } from './purchases.js';
import type { RefResolver } from './refs.js';
import { salesDraft } from './sales.js';

const clock = () => new Date('2026-11-26T00:00:00Z');
const lists = {
  region: 'AU',
  companyName: 'Co',
  bookCloseDate: null,
  accounts: [],
  paymentMethods: [],
  rawTaxCodes: [],
  taxRatePercent: new Map(),
  taxCodes: new Map([['7', { id: '7', name: 'GST', active: true, salesRates: [10], purchaseRates: [10], hasSales: true, hasPurchases: true }]]),
} as unknown as QboLists;
const ctx = (): MapContext => {
  const settings = defaultSettings(clock);
  settings.tax.sales = { GST: '7' };
  settings.tax.purchases = { GST: '7' };
  settings.invoices.fixedIncomeAccountId = '40';
  settings.bills.fixedExpenseAccountId = '60';
  return {
    realmId: '1',
    settings,
    lists,
    us: false,
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

describe('document payloads', () => {
  it('an invoice whose practice tax was worked out on the total: override and warning with the cents', () => {
    const inv = stored('invoice', {
      number: 'I-1',
      date: '2026-11-02',
      dueDate: '2026-12-02',
      contactCode: 'C1',
      projectNumber: 'P1',
      text: null,
      lines: [105, 105, 105].map((a) => ({ description: 'x', amountCents: a, taxCode: 'GST', taxCents: 10 })),
      taxCents: 32,
      totalCents: 347,
    });
    const d = salesDraft('invoice', inv, ctx(), refs, 'invoice I-1');
    expect(d.practiceTotalCents).toBe(347);
    expect(d.qboTotalCents).toBe(347);
    expect(d.payload['TxnTaxDetail']).toEqual({ TotalTax: 0.32 });
    expect(d.issues.map((i) => i.code)).toEqual(['invoice.total-differs']);
    expect(d.dependsOn).toEqual(['customers:C1', 'items:P1', 'items:P1', 'items:P1']);
    expect(d.payload['Line']).toHaveLength(3); // no text: no description line
  });

  it('an unmapped tax code is an error naming the line and the setting', () => {
    const inv = stored('invoice', {
      number: 'I-2',
      date: '2026-11-02',
      dueDate: '2026-12-02',
      contactCode: 'C1',
      projectNumber: 'P1',
      text: 'Hello',
      lines: [{ description: 'x', amountCents: 100, taxCode: 'ZZZ', taxCents: 0 }],
      taxCents: 0,
      totalCents: 100,
    });
    const d = salesDraft('invoice', inv, ctx(), refs, 'invoice I-2');
    expect(d.issues).toMatchObject([{ code: 'tax.unmapped', severity: 'error', field: 'lines[0].taxCode' }]);
    expect(d.issues[0]!.message).toContain('tax.sales.ZZZ');
  });

  it('a bill books each line to the expense account with the purchase tax code; the marker is in PrivateNote', () => {
    const bill = stored('bill', {
      number: 'B-1',
      supplierCode: 'S1',
      supplierReference: 'R9',
      date: '2026-11-02',
      dueDate: '2026-12-02',
      lines: [{ expenseTypeCode: 'CONS', description: 'Engineer', amountCents: 1000, taxCode: 'GST', taxCents: 100 }],
      taxCents: 100,
      totalCents: 1100,
    });
    const d = purchaseDraft('bill', bill, ctx(), refs, 'bill B-1');
    expect(d.issues).toEqual([]);
    expect(d.payload).toMatchObject({
      DocNumber: 'B-1',
      VendorRef: { value: '@row:suppliers:S1' },
      GlobalTaxCalculation: 'TaxExcluded',
      PrivateNote: 'Supplier invoice R9\nqbo-connect:bill:B-1',
    });
    expect((d.payload['Line'] as unknown[])[0]).toMatchObject({ Amount: 10, AccountBasedExpenseLineDetail: { AccountRef: { value: '60' }, TaxCodeRef: { value: '7' } } });
    expect(d.qboTotalCents).toBe(1100);
  });
});

describe('tax truth (issue 19)', () => {
  const uk = (): MapContext => {
    const c = ctx();
    c.lists = {
      ...lists,
      taxCodes: new Map([['7', { id: '7', name: '20.0% S', active: true, salesRates: [20], purchaseRates: [20], hasSales: true, hasPurchases: true }]]),
    } as unknown as QboLists;
    c.practice.taxCodes.set('GST', { key: 'GST', record: { code: 'GST', name: 'GST', rateBasisPoints: 1000 } } as never);
    return c;
  };
  const gstInvoice = (taxCents: number) =>
    stored('invoice', {
      number: 'I-9',
      date: '2026-11-02',
      dueDate: '2026-12-02',
      contactCode: 'C1',
      projectNumber: 'P1',
      text: null,
      lines: [{ description: 'x', amountCents: 480_000, taxCode: 'GST', taxCents }],
      taxCents,
      totalCents: 480_000 + taxCents,
    });

  it('GST 10% mapped to a 20% VAT code: an error naming both rates and the setting; no tax forced', () => {
    const d = salesDraft('invoice', gstInvoice(48_000), uk(), refs, 'invoice I-9');
    const e = d.issues.find((i) => i.code === 'tax.rate-differs')!;
    expect(e.severity).toBe('error');
    expect(e.message).toContain('10%');
    expect(e.message).toContain('20%');
    expect(e.message).toContain('tax.sales.GST');
    expect(d.issues.map((i) => i.code)).not.toContain('invoice.total-differs');
    expect(d.payload['TxnTaxDetail']).toBeUndefined();
    // What QBO would really total at 20%, not the practice's figure.
    expect(d.qboTotalCents).toBe(576_000);
  });

  it('a bill on a code of another rate: the same error, for purchases', () => {
    const bill = stored('bill', {
      number: 'B-9',
      supplierCode: 'S1',
      supplierReference: null,
      date: '2026-11-02',
      dueDate: '2026-12-02',
      lines: [{ expenseTypeCode: 'CONS', description: 'x', amountCents: 1000, taxCode: 'GST', taxCents: 100 }],
      taxCents: 100,
      totalCents: 1100,
    });
    const d = purchaseDraft('bill', bill, uk(), refs, 'bill B-9');
    expect(d.issues.find((i) => i.code === 'tax.rate-differs')?.message).toContain('tax.purchases.GST');
    expect(d.payload['TxnTaxDetail']).toBeUndefined();
  });

  it('a gap rounding cannot explain ($480 on one line) is an error, never forced as TotalTax', () => {
    const c = ctx();
    c.practice.taxCodes.set('GST', { key: 'GST', record: { code: 'GST', name: 'GST', rateBasisPoints: 1000 } } as never);
    const d = salesDraft('invoice', gstInvoice(0), c, refs, 'invoice I-9');
    expect(d.issues).toMatchObject([{ code: 'invoice.tax-differs', severity: 'error' }]);
    expect(d.issues[0]!.message).toContain('480.00');
    expect(d.issues[0]!.message).not.toContain('rounds tax per line,');
    expect(d.payload['TxnTaxDetail']).toBeUndefined();
  });
});

describe('reason sentences', () => {
  it('every plan code has a sentence naming its record', () => {
    const codes: string[] = [
      ...planDocumentKinds.flatMap((k) => documentChecks.map((c) => `${k}.${c}`)),
      ...['contact', 'supplier', 'staff'].flatMap((k) => nameChecks.map((c) => `${k}.${c}`)),
      'tax.unmapped',
      'tax.rate-differs',
      'qbo.linked-to-another',
      'payment.invoice-before-export-from',
      'credit-note.invoice-unknown',
    ];
    for (const code of codes) {
      const m = planMessage(code as PlanReasonCode, { record: 'invoice INV-7', field: 'number', value: 'X', limit: 21, detail: 'd' });
      expect(m, code).toContain('invoice INV-7');
      expect(m, code).not.toMatch(/undefined|\[object/);
      expect(m, code).not.toBe(`invoice INV-7: ${code}.`);
    }
  });
});
