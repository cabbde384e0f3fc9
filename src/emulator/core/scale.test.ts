import { describe, expect, it } from 'vitest';
import { testCompany } from './testing.js';

// Correctness at scale; the timing lives in bench/emulator-query.ts (tests never assert timings).
describe('100,000 documents', () => {
  it('answers a 1,000-value DocNumber IN query with exactly the matching invoices', () => {
    const t = testCompany('US');
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      t.company.create('Invoice', {
        DocNumber: `D${i}`,
        CustomerRef: { value: t.basics.customer },
        Line: [{ Amount: (i % 50) + 1, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: t.basics.item } } }],
      });
    }
    expect(t.company.count('Invoice')).toBe(n);
    const wanted = Array.from({ length: 1000 }, (_, k) => `D${k * 97 + 13}`);
    const quoted = [...wanted.map((w) => `'${w}'`), "'missing-1'", "'d13'"].join(', ');
    const r = t.company.query(`SELECT * FROM Invoice WHERE DocNumber IN (${quoted}) MAXRESULTS 1000`);
    expect(r.rows).toHaveLength(1000);
    expect(new Set(r.rows!.map((row) => row.DocNumber))).toEqual(new Set(wanted));
    for (const row of r.rows!) expect(row.TotalAmt).toBe((Number(String(row.DocNumber).slice(1)) % 50) + 1);
    // The same set with another condition: only those with TotalAmt 1.
    const ones = t.company.query(`SELECT count(*) FROM Invoice WHERE DocNumber IN (${quoted}) AND TotalAmt = '1'`);
    expect(ones.count).toBe(wanted.filter((w) => Number(w.slice(1)) % 50 === 0).length);
  }, 240_000);
});
