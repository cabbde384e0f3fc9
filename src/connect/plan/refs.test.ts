import { describe, expect, it } from 'vitest';
import { contentHash, resolveRowRefs, unresolvedRowRefs } from './refs.js';
import { linkedRows } from './skip.js';
import type { Plan, PlanRow } from './types.js';

describe('@row references', () => {
  const payload = {
    CustomerRef: { value: '@row:customers:C1' },
    Line: [{ SalesItemLineDetail: { ItemRef: { value: '@row:items:P1' } } }, { LinkedTxn: [{ TxnId: '@row:invoices:I1' }] }],
  };

  it('fills in the Ids it knows and leaves the rest', () => {
    const out = resolveRowRefs(payload, new Map([['customers:C1', '58']]));
    expect(out.CustomerRef.value).toBe('58');
    expect(unresolvedRowRefs(out).sort()).toEqual(['invoices:I1', 'items:P1']);
    expect(unresolvedRowRefs(resolveRowRefs(out, { 'items:P1': '9', 'invoices:I1': '100' }))).toEqual([]);
    // The original is untouched.
    expect(payload.CustomerRef.value).toBe('@row:customers:C1');
  });

  it('hashes content without Id, SyncToken and sparse, whatever the key order', () => {
    expect(contentHash({ a: 1, b: { c: 2 } })).toBe(contentHash({ b: { c: 2 }, a: 1, Id: '5', SyncToken: '3', sparse: true }));
    expect(contentHash({ a: 1 })).not.toBe(contentHash({ a: 2 }));
  });
});

describe('linked rows', () => {
  const r = (key: string, dependsOn: string[] = []): PlanRow => ({
    key,
    group: 'invoices',
    record: { kind: 'x', id: key, label: key },
    action: 'create',
    qbo: { entity: 'X' },
    payload: null,
    payloadHash: null,
    dependsOn,
    practiceTotalCents: null,
    qboTotalCents: null,
    issues: [],
  });
  const plan = {
    groups: [
      {
        kind: 'invoices',
        rows: [r('customers:C1'), r('invoices:I1', ['customers:C1']), r('payments-export:P1', ['invoices:I1']), r('invoices:I2')],
        records: 4,
        errors: 0,
        warnings: 0,
        totalCents: 0,
      },
    ],
  } as unknown as Plan;

  it('a row takes every row that needs it, directly or through others', () => {
    expect(linkedRows(plan, 'customers:C1').map((x) => x.key)).toEqual(['customers:C1', 'invoices:I1', 'payments-export:P1']);
    expect(linkedRows(plan, 'invoices:I1').map((x) => x.key)).toEqual(['invoices:I1', 'payments-export:P1']);
    expect(linkedRows(plan, 'invoices:I2').map((x) => x.key)).toEqual(['invoices:I2']);
    expect(linkedRows(plan, 'nope')).toEqual([]);
  });
});
