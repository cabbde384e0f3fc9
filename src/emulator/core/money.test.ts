import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { divRound, formatCents, isDecimal, lineAmountCents, taxInGross, taxOnNet, toCents, toScaled } from './money.js';
import { envelopeTime, localDate, metaTime, pacificEnvelopeTime, pacificMetaTime } from './time.js';
import { testCompany } from './testing.js';
import { numRuns } from '../../../test/helpers/seed.js';

/** Exact reference: a decimal text as a fraction n / 10^k. */
function frac(text: string): { n: bigint; d: bigint } {
  const neg = text.startsWith('-');
  const [i = '0', f = ''] = text.replace('-', '').split('.');
  const n = BigInt(i + f);
  return { n: neg ? -n : n, d: 10n ** BigInt(f.length) };
}
/** Round n/d to an integer, half away from zero. */
function roundRef(n: bigint, d: bigint): bigint {
  const neg = n < 0n;
  const a = neg ? -n : n;
  const q = a / d;
  const r = a % d;
  const out = r * 2n >= d ? q + 1n : q;
  return neg ? -out : out;
}
const decimalText = (maxDp: number) =>
  fc
    .tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: maxDp }), fc.integer({ min: 0, max: 9_999_999 }))
    .map(([i, dp, f]) => (dp === 0 ? String(i) : `${i}.${String(f).padStart(7, '0').slice(0, dp)}`));

describe('money', () => {
  it('reads decimals exactly and rounds half away from zero', () => {
    expect(toCents('10.005')).toBe(1001n);
    expect(toCents(-10.005)).toBe(-1001n);
    expect(toCents(0.1 + 0.2)).toBe(30n);
    expect(toScaled('1.23456789', 7)).toBe(12345679n);
    expect(formatCents(-5n)).toBe('-0.05');
    expect(isDecimal('12.50')).toBe(true);
    expect(isDecimal('1e3')).toBe(false);
    expect(divRound(-5n, 2n)).toBe(-3n);
  });

  it('Qty × UnitPrice is the exact product rounded to cents', () => {
    fc.assert(
      fc.property(decimalText(4), decimalText(7), (q, p) => {
        const a = frac(q);
        const b = frac(p);
        expect(lineAmountCents(q, p)).toBe(roundRef(a.n * b.n * 100n, a.d * b.d));
      }),
    );
  });

  it('tax on a net amount and inside a gross amount round to the nearest cent', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 9n }), decimalText(3), (cents, rate) => {
        const r = frac(rate);
        expect(taxOnNet(cents, rate)).toBe(roundRef(cents * r.n, 100n * r.d));
        expect(taxInGross(cents, rate)).toBe(roundRef(cents * r.n, 100n * r.d + r.n));
      }),
    );
  });

  it('an invoice total is its lines plus the per-line rounded tax, whatever the lines', () => {
    const { company, basics } = testCompany('AU');
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 20 }), (amounts) => {
        const inv = company.create('Invoice', {
          CustomerRef: { value: basics.customer },
          Line: amounts.map((c) => ({
            Amount: c / 100,
            DetailType: 'SalesItemLineDetail',
            SalesItemLineDetail: { ItemRef: { value: basics.item }, TaxCodeRef: { value: basics.taxCode } },
          })),
        });
        const net = amounts.reduce((s, c) => s + BigInt(c), 0n);
        const tax = amounts.reduce((s, c) => s + roundRef(BigInt(c) * 10n, 100n), 0n);
        expect(toCents(inv.TotalAmt as number)).toBe(net + tax);
        expect(toCents((inv.TxnTaxDetail as { TotalTax: number }).TotalTax)).toBe(tax);
        expect(inv.Balance).toBe(inv.TotalAmt);
      }),
      { numRuns: numRuns(60) },
    );
  });
});

describe('time texts', () => {
  it('formats MetaData and envelope times in the company offset', () => {
    const d = new Date('2026-03-02T01:02:03.045Z');
    expect(metaTime(d, -420)).toBe('2026-03-01T18:02:03-07:00');
    expect(envelopeTime(d, 600)).toBe('2026-03-02T11:02:03.045+10:00');
    expect(metaTime(d, 0)).toBe('2026-03-02T01:02:03+00:00');
    expect(localDate(d, -420)).toBe('2026-03-01');
  });
});

describe('US Pacific times (QBO writes MetaData and time in Pacific for every company)', () => {
  it('uses PST in winter, PDT from the second Sunday of March to the first Sunday of November', () => {
    expect(pacificMetaTime(new Date('2026-01-15T12:00:00Z'))).toBe('2026-01-15T04:00:00-08:00');
    expect(pacificMetaTime(new Date('2026-03-08T09:59:59Z'))).toBe('2026-03-08T01:59:59-08:00');
    expect(pacificMetaTime(new Date('2026-03-08T10:00:00Z'))).toBe('2026-03-08T03:00:00-07:00');
    expect(pacificMetaTime(new Date('2026-11-01T08:59:59Z'))).toBe('2026-11-01T01:59:59-07:00');
    expect(pacificMetaTime(new Date('2026-11-01T09:00:00Z'))).toBe('2026-11-01T01:00:00-08:00');
    expect(pacificEnvelopeTime(new Date('2020-09-29T13:00:43.514Z'))).toBe('2020-09-29T06:00:43.514-07:00');
  });
});
