import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { documentTaxCents, lineTaxCents, predictTotals } from './totals.js';

describe('QBO total prediction', () => {
  it('rounds each line half-up to the cent', () => {
    expect(lineTaxCents(5, 10)).toBe(1); // 0.5 → 1
    expect(lineTaxCents(4, 10)).toBe(0); // 0.4 → 0
    expect(lineTaxCents(12345, 8.875)).toBe(1096); // 1095.61875 → 1096
    expect(lineTaxCents(0, 10)).toBe(0);
  });

  it('sums per line, so three 0.5-cent lines make 3 cents where tax on the sum makes 2', () => {
    const lines = [5, 5, 5].map((amountCents) => ({ amountCents, ratesPercent: [10] }));
    expect(predictTotals(lines)).toEqual({ netCents: 15, taxCents: 3, totalCents: 18 });
    expect(documentTaxCents(lines)).toBe(2);
  });

  it('adds every rate of a line (a tax group) separately rounded', () => {
    expect(predictTotals([{ amountCents: 1005, ratesPercent: [5, 7.5] }]).taxCents).toBe(50 + 75);
  });

  it('per-line rounding is within half a cent per line and rate of the exact tax', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ amountCents: fc.integer({ min: 0, max: 10_000_000 }), rate: fc.constantFrom(0, 5, 10, 12.5, 8.875, 20) }), { minLength: 1, maxLength: 30 }),
        (ls) => {
          const lines = ls.map((l) => ({ amountCents: l.amountCents, ratesPercent: [l.rate] }));
          const p = predictTotals(lines);
          // exact tax in hundred-thousandths of a cent, as integers
          const exact = ls.reduce((s, l) => s + l.amountCents * Math.round(l.rate * 1000), 0) / 100_000;
          expect(Math.abs(p.taxCents - exact)).toBeLessThanOrEqual(ls.length * 0.5 + 1e-9);
          expect(p.totalCents).toBe(p.netCents + p.taxCents);
          expect(p.netCents).toBe(ls.reduce((s, l) => s + l.amountCents, 0));
          for (const l of lines) expect(Number.isSafeInteger(predictTotals([l]).taxCents)).toBe(true);
        },
      ),
    );
  });

  it('a line taxed alone rounds like the document when there is one line', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.constantFrom(5, 10, 15, 20), (amountCents, r) => {
        const lines = [{ amountCents, ratesPercent: [r] }];
        expect(predictTotals(lines).taxCents).toBe(documentTaxCents(lines));
      }),
    );
  });
});
