/**
 * The total QBO will compute for a document we send: tax is worked out line by line and rate by
 * rate, each rounded half-up to the cent, then summed (docs/reliability.md §tax-rounding). The practice may round
 * once on the document instead, so the two can differ by a few cents; the preview shows both and
 * sends the practice's tax as an override (TxnTaxDetail.TotalTax) so QBO ends up with the same total.
 *
 * Written here from the rule, not taken from the emulator, so a test against the emulator checks
 * one reading of QBO against another.
 */
import { Big } from 'big.js';

export interface TaxableLine {
  amountCents: number;
  /** The rates that apply to the line, in percent (10 means 10 %); empty for untaxed lines. */
  ratesPercent: readonly number[];
}

export interface PredictedTotals {
  netCents: number;
  taxCents: number;
  totalCents: number;
}

/** Tax on one line at one rate, rounded half-up to the cent (half away from zero). */
export function lineTaxCents(amountCents: number, ratePercent: number): number {
  if (!Number.isSafeInteger(amountCents)) throw new Error(`${amountCents} is not a whole number of cents`);
  const v = new Big(amountCents)
    .times(new Big(String(ratePercent)))
    .div(100)
    .round(0, Big.roundHalfUp);
  const n = Number(v.toFixed(0));
  return n === 0 ? 0 : n;
}

/** QBO's figures for lines taxed exclusively (amounts before tax). */
export function predictTotals(lines: readonly TaxableLine[]): PredictedTotals {
  let net = 0;
  let tax = 0;
  for (const l of lines) {
    net += l.amountCents;
    for (const r of l.ratesPercent) tax += lineTaxCents(l.amountCents, r);
  }
  return { netCents: net, taxCents: tax, totalCents: net + tax };
}

/** Tax worked out once on the document's net total (what many ledgers do), for comparison and tests. */
export function documentTaxCents(lines: readonly TaxableLine[]): number {
  const byRate = new Map<number, number>();
  for (const l of lines) for (const r of l.ratesPercent) byRate.set(r, (byRate.get(r) ?? 0) + l.amountCents);
  let tax = 0;
  for (const [r, base] of byRate) tax += lineTaxCents(base, r);
  return tax;
}
