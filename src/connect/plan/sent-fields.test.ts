import { describe, expect, it } from 'vitest';
import { baseFromJournal, compareFields, nextBase, normalizeField, sparseBody, type SentFields } from './sent-fields.js';

const line = (desc: string, amount: number) => ({
  DetailType: 'SalesItemLineDetail',
  Description: desc,
  Amount: amount,
  SalesItemLineDetail: { ItemRef: { value: '5' }, TaxCodeRef: { value: '10' } },
});
const draft = {
  DocNumber: 'INV-1',
  TxnDate: '2026-11-02',
  DueDate: '2026-12-02',
  CustomerRef: { value: '7' },
  Line: [line('Stage 1', 100)],
  CustomerMemo: { value: 'P-100' },
  PrivateNote: 'qbo-connect:invoice:INV-1',
  TxnTaxDetail: { TotalTax: 10 },
};
/** QBO's copy of `draft` as it answers: Ids, LineNum, Qty × UnitPrice, a subtotal line, a named ref, a balance. */
const qboCopy = (over: Record<string, unknown> = {}) => ({
  Id: '42',
  SyncToken: '3',
  ...draft,
  CustomerRef: { value: '7', name: 'Harbour Trust' },
  Line: [
    { Id: '1', LineNum: 1, ...line('Stage 1', 100), SalesItemLineDetail: { ItemRef: { value: '5', name: 'Fees' }, TaxCodeRef: { value: '10' }, Qty: 1, UnitPrice: 100 } },
    { DetailType: 'SubTotalLineDetail', Amount: 100, SubTotalLineDetail: {} },
  ],
  Balance: 55,
  LinkedTxn: [{ TxnId: '9', TxnType: 'Payment' }],
  ...over,
});
const base: SentFields = nextBase('Invoice', draft, qboCopy());

describe('three-way field comparison', () => {
  it("reads QBO's additions (Ids, Qty, subtotal line, names) as the same content", () => {
    expect(normalizeField('Line', qboCopy()['Line'])).toEqual(normalizeField('Line', draft.Line));
    expect(normalizeField('CustomerRef', { value: '7', name: 'X' })).toBe('7');
    expect(normalizeField('BillAddr', { Id: '3', Line1: '1 Main St' })).toEqual({ Line1: '1 Main St' });
    expect(normalizeField('CustomerMemo', { value: '' })).toBeNull();
  });

  it('sends only what the practice changed; a field only QBO changed is left out and survives', () => {
    const practice = { ...draft, Line: [line('Stage 1 (revised)', 100)] };
    const qbo = qboCopy({ CustomerMemo: { value: 'Accountant memo' }, DueDate: '2027-01-31', SyncToken: '5' });
    const r = compareFields('Invoice', practice, qbo, base);
    expect(r.send).toEqual(['Line']);
    expect(r.conflicts).toEqual([]);
    // Lines go with their tax detail, nothing else.
    expect(sparseBody(practice, r.send)).toEqual({ Line: practice.Line, TxnTaxDetail: draft.TxnTaxDetail });
  });

  it('a field both sides changed, to different values, is a conflict with the three values', () => {
    const r = compareFields('Invoice', { ...draft, TxnDate: '2026-11-01' }, qboCopy({ TxnDate: '2026-10-31' }), base);
    expect(r.send).toEqual([]);
    expect(r.conflicts).toEqual([{ field: 'TxnDate', lastSent: '2026-11-02', qboNow: '2026-10-31', practiceNow: '2026-11-01' }]);
    // Both sides made the same change: nothing to send, nothing held.
    const same = compareFields('Invoice', { ...draft, TxnDate: '2026-11-01' }, qboCopy({ TxnDate: '2026-11-01' }), base);
    expect([same.send, same.conflicts]).toEqual([[], []]);
  });

  it('our own payment or credit application (balance, linked transactions, SyncToken) changes nothing compared', () => {
    const r = compareFields(
      'Invoice',
      draft,
      qboCopy({
        SyncToken: '9',
        Balance: 0,
        LinkedTxn: [
          { TxnId: '9', TxnType: 'Payment' },
          { TxnId: '10', TxnType: 'Payment' },
        ],
      }),
      base,
    );
    expect([r.send, r.conflicts]).toEqual([[], []]);
  });

  it('a memo the practice empties is cleared in QBO with a blank, not left out', () => {
    const { CustomerMemo: _m, ...practice } = draft;
    const r = compareFields('Invoice', practice, qboCopy(), base);
    expect(r.send).toEqual(['CustomerMemo']);
    expect(sparseBody(practice, r.send)).toEqual({ CustomerMemo: { value: '' } });
  });

  it("without a stored base QBO's values are the base: only practice values QBO lacks go, an empty practice field never blanks QBO's", () => {
    const { CustomerMemo: _m, ...practice } = { ...draft, DueDate: '2026-12-09' };
    const r = compareFields('Invoice', practice, qboCopy({ CustomerMemo: { value: 'typed in QBO' } }), null);
    expect(r.legacyBase).toBe(true);
    expect(r.send).toEqual(['DueDate']);
    expect(r.conflicts).toEqual([]);
  });

  it("after an update the base keeps QBO's own change as QBO's, so a later practice change to it is a conflict", () => {
    const practice = { ...draft, Line: [line('Stage 1 (revised)', 100)] };
    const qbo = qboCopy({ CustomerMemo: { value: 'Accountant memo' } });
    const r = compareFields('Invoice', practice, qbo, base);
    const after = nextBase('Invoice', sparseBody(practice, r.send), { ...qbo, Line: practice.Line }, r);
    expect(after['Line']!.sent).toEqual(normalizeField('Line', practice.Line));
    expect(after['CustomerMemo']).toEqual(base['CustomerMemo']);
    const later = compareFields('Invoice', { ...practice, CustomerMemo: { value: 'P-200' } }, { ...qbo, Line: practice.Line }, after);
    expect(later.conflicts.map((c) => c.field)).toEqual(['CustomerMemo']);
  });

  it('rebuilds a pre-0010 base from the journal: the create, then each sparse update over it', () => {
    const created = JSON.stringify({ ...draft, PrivateNote: 'qbo-connect:invoice:INV-1' });
    const updated = JSON.stringify({ Id: '42', SyncToken: '1', sparse: true, TxnDate: '2026-11-05' });
    const b = baseFromJournal('Invoice', [created, updated])!;
    expect(b['TxnDate']).toEqual({ sent: '2026-11-05', qbo: '2026-11-05' });
    expect(b['CustomerMemo']).toEqual({ sent: 'P-100', qbo: 'P-100' });
    expect(baseFromJournal('Invoice', [updated])).toBeNull();
    expect(baseFromJournal('Invoice', [])).toBeNull();
  });
});
