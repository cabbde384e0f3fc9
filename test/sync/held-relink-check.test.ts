/**
 * The adopt check a re-link of a held record is held to (run/recover.ts contentDifferences, the one
 * recovery adopts by): every differing field is named — party, date, total for a document; the
 * display name for a contact, compared as QBO compares names (case-insensitively).
 */
import { describe, expect, it } from 'vitest';
import { contentDifferences } from '../../src/connect/run/recover.js';

describe('contentDifferences (the adopt check)', () => {
  it('names the party, the date and the total of a document that is another one', () => {
    const ours = { CustomerRef: { value: '7' }, TxnDate: '2026-03-02', DocNumber: 'INV-90003' };
    const theirs = { CustomerRef: { value: '12', name: 'Greenfield' }, TxnDate: '2026-02-11', TotalAmt: 32687.6, DocNumber: '1014' };
    expect(contentDifferences('Invoice', ours, 833910, theirs)).toEqual([
      { field: 'CustomerRef', ours: '7', theirs: '12' },
      { field: 'TxnDate', ours: '2026-03-02', theirs: '2026-02-11' },
      { field: 'TotalAmt', ours: '8339.10', theirs: '32687.60' },
    ]);
    expect(contentDifferences('Invoice', ours, 833910, { ...theirs, CustomerRef: { value: '7' }, TxnDate: '2026-03-02', TotalAmt: 8339.1 })).toEqual([]);
  });

  it("names a contact's display name when the customer is another one; case alone is the same name", () => {
    expect(contentDifferences('Customer', { DisplayName: 'Yarra Design' }, null, { DisplayName: 'Zed Other' })).toEqual([
      { field: 'DisplayName', ours: 'Yarra Design', theirs: 'Zed Other' },
    ]);
    expect(contentDifferences('Customer', { DisplayName: 'Yarra Design' }, null, { DisplayName: 'YARRA design ' })).toEqual([]);
  });
});
