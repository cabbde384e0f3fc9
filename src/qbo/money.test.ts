import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_ABS_CENTS, MoneyError, centsToDecimalString, fromCents, toCents } from './money.js';
import { numRuns } from '../../test/helpers/seed.js';

const cents = fc.integer({ min: -MAX_ABS_CENTS, max: MAX_ABS_CENTS });

describe('money', () => {
  it('round-trips every integer number of cents through the QBO number and its JSON text', () => {
    fc.assert(
      fc.property(cents, (c) => {
        expect(toCents(fromCents(c))).toBe(c);
        // What actually goes over the wire is JSON text; parse it back as QBO would.
        const wire = JSON.parse(JSON.stringify({ Amount: fromCents(c) })) as { Amount: number };
        expect(toCents(wire.Amount)).toBe(c);
        expect(toCents(centsToDecimalString(c))).toBe(c);
      }),
      { numRuns: numRuns(5000) },
    );
  });

  it('prints the exact two-decimal text for any cents value', () => {
    fc.assert(
      fc.property(cents, (c) => {
        const s = centsToDecimalString(c);
        const abs = Math.abs(c);
        const expected = `${c < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
        expect(s).toBe(expected);
      }),
    );
  });

  it('reads the values floats get wrong', () => {
    expect(toCents(0.29)).toBe(29);
    expect(toCents(4.35)).toBe(435);
    expect(toCents(-0.07)).toBe(-7);
    expect(toCents('448.40')).toBe(44840);
    expect(toCents(0)).toBe(0);
    expect(toCents(-0)).toBe(0);
    expect(toCents(1e-7, 'half-up')).toBe(0);
  });

  it('refuses amounts with more than two decimals unless asked to round, then rounds once', () => {
    expect(() => toCents(1.005)).toThrow(MoneyError);
    expect(toCents('1.005', 'half-up')).toBe(101);
    expect(toCents('1.005', 'half-even')).toBe(100);
    expect(toCents('-1.005', 'half-up')).toBe(-101);
    expect(toCents('2.675', 'half-up')).toBe(268);
  });

  it('rejects non-amounts and out-of-range values with a reason code', () => {
    for (const bad of [Number.NaN, Infinity, '12,30', '', 'abc', '1e5x']) {
      expect(() => toCents(bad)).toThrowError(expect.objectContaining({ code: 'money.not-a-number' }));
    }
    expect(() => toCents('100000000000000000')).toThrowError(expect.objectContaining({ code: 'money.out-of-range' }));
    expect(() => fromCents(1.5)).toThrowError(expect.objectContaining({ code: 'money.not-integer-cents' }));
  });

  it('agrees with an independent integer parse for any two-decimal string', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 14n), max: 10n ** 14n }), (n) => {
        const neg = n < 0n;
        const abs = neg ? -n : n;
        const text = `${neg ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
        expect(toCents(text)).toBe(Number(n));
        expect(toCents(Number(text))).toBe(Number(n));
      }),
    );
  });
});
