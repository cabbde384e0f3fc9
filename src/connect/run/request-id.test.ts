import { describe, expect, it } from 'vitest';
import { MAX_BATCH_REQUEST_ID, MAX_BID, checkRequestId } from '../../qbo/client.js';
import { crashPointFromEnv, parseCrashAt } from './crash-point.js';
import { hasMarker, markerOf } from './context.js';
import { fillReferences, referencedRows, withMarker } from './execute.js';
import { bIdFor, batchRequestIdFor, requestIdFor, singleBatchRequestIdFor } from './request-id.js';

const parts = { realmId: '9130', recordKind: 'invoice', recordKey: 'INV-1', payloadHash: 'abc', operation: 'create' as const, generation: 0 };

describe('request ids', () => {
  it('are deterministic, fit a batch, and change with payload, operation and generation', () => {
    const id = requestIdFor(parts);
    expect(id).toBe(requestIdFor({ ...parts }));
    expect(id.length).toBeLessThanOrEqual(MAX_BATCH_REQUEST_ID);
    expect(() => checkRequestId(id, MAX_BATCH_REQUEST_ID)).not.toThrow();
    const others = [
      requestIdFor({ ...parts, payloadHash: 'abd' }),
      requestIdFor({ ...parts, operation: 'update' }),
      requestIdFor({ ...parts, generation: 1 }),
      requestIdFor({ ...parts, realmId: '9131' }),
      requestIdFor({ ...parts, recordKey: 'INV-10' }),
    ];
    expect(new Set([id, ...others]).size).toBe(6);
    const batch = batchRequestIdFor([id, ...others]);
    expect(batch.length).toBeLessThanOrEqual(MAX_BATCH_REQUEST_ID);
    expect(batchRequestIdFor([id, ...others])).toBe(batch);
    expect(bIdFor(29).length).toBeLessThanOrEqual(MAX_BID);
  });
});

describe('markers and references', () => {
  it('matches the marker exactly, never a longer key', () => {
    const m = markerOf('invoice', 'INV-1');
    expect(hasMarker(`Project 12\n${m}`, m)).toBe(true);
    expect(hasMarker(`Project 12\n${markerOf('invoice', 'INV-10')}`, m)).toBe(false);
    expect(hasMarker('Voided', m)).toBe(false);
    expect(hasMarker(undefined, m)).toBe(false);
  });

  it('adds the marker to transactions once, keeps a long note within 4,000 characters, leaves names alone', () => {
    const body = withMarker('Invoice', { PrivateNote: 'x'.repeat(3999) }, 'invoice', 'INV-1');
    expect(String(body['PrivateNote']).length).toBeLessThanOrEqual(4000);
    expect(hasMarker(body['PrivateNote'], markerOf('invoice', 'INV-1'))).toBe(true);
    expect(withMarker('Invoice', body, 'invoice', 'INV-1')).toBe(body);
    expect(withMarker('Customer', { DisplayName: 'A' }, 'contact', 'C1')).toEqual({ DisplayName: 'A' });
  });

  it('fills @row references everywhere and reports the ones it cannot fill', () => {
    const payload = { CustomerRef: { value: '@row:customers:C1' }, Line: [{ LinkedTxn: [{ TxnId: '@row:invoices:I1', TxnType: 'Invoice' }] }, { x: '@row:items:P9' }] };
    expect([...referencedRows(payload)].sort()).toEqual(['customers:C1', 'invoices:I1', 'items:P9']);
    const missing: string[] = [];
    const out = fillReferences(payload, (k) => ({ 'customers:C1': '58', 'invoices:I1': '301' })[k], missing);
    expect(out).toEqual({ CustomerRef: { value: '58' }, Line: [{ LinkedTxn: [{ TxnId: '301', TxnType: 'Invoice' }] }, { x: '@row:items:P9' }] });
    expect(missing).toEqual(['items:P9']);
  });
});

describe('the request id of a batch of one', () => {
  it("is the update's own id with B for its operation letter: as deterministic, never equal to it, and valid for a batch", () => {
    const update = requestIdFor({ ...parts, operation: 'update' });
    const id = singleBatchRequestIdFor(update);
    expect(id).toBe(`qcB${update.slice(3)}`);
    expect(id).not.toBe(update);
    expect(singleBatchRequestIdFor(requestIdFor({ ...parts, operation: 'update' }))).toBe(id);
    expect(id.length).toBeLessThanOrEqual(MAX_BATCH_REQUEST_ID);
    expect(() => checkRequestId(id, MAX_BATCH_REQUEST_ID)).not.toThrow();
  });
});

describe('crash points', () => {
  it('kill on the nth pass of the label (in the group, when one is named), and never without the variable', () => {
    let kills = 0;
    const point = crashPointFromEnv({ QBO_CONNECT_CRASH_AT: 'mid-batch:2:invoices' }, () => (kills += 1));
    point('mid-batch', 'customers');
    point('before-journal', 'invoices');
    point('mid-batch', 'invoices');
    expect(kills).toBe(0);
    point('mid-batch', 'invoices');
    expect(kills).toBe(1);
    const off = crashPointFromEnv({}, () => (kills += 1));
    off('mid-batch', 'invoices');
    expect(kills).toBe(1);
    expect(() => parseCrashAt('nowhere:1')).toThrow(/unknown label nowhere/);
    expect(() => parseCrashAt('mid-batch:0')).toThrow(/not a count/);
  });
});
