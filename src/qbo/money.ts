/**
 * Money crosses the QBO boundary here and nowhere else: QBO's JSON decimals (numbers such as 12.3 or
 * strings such as "12.30") ↔ integer cents. Conversion goes through big.js on the decimal text, so no
 * float arithmetic ever touches an amount (0.29 * 100 is 28.999999999999996 in floats).
 */
import { Big } from 'big.js';

/** Integer cents. A plain number so it stores as INTEGER/bigint; every producer checks it is a safe integer. */
export type Cents = number;

/**
 * Outbound bound: a JS number prints its exact decimal only while it has ≤ 15 significant digits,
 * so amounts sent to QBO stay below 10^13 dollars (10^15 cents).
 */
export const MAX_ABS_CENTS = 999_999_999_999_999;

export class MoneyError extends Error {
  override name = 'MoneyError';
  constructor(
    readonly code: 'money.not-a-number' | 'money.too-many-decimals' | 'money.out-of-range' | 'money.not-integer-cents',
    message: string,
  ) {
    super(message);
  }
}

export type Rounding = 'exact' | 'half-up' | 'half-even';

const decimalText = /^-?\d+$|^-?\d+\.\d+$/;

/**
 * QBO decimal (a JSON number or decimal string) → integer cents. By default the value must have at
 * most two decimals (`exact`), because QBO stores amounts to the cent and anything else means we
 * misread a field; `half-up` / `half-even` round once, for computed values (rates × bases).
 */
export function toCents(value: number | string, rounding: Rounding = 'exact'): Cents {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new MoneyError('money.not-a-number', `${String(value)} is not an amount`);
    // String(number) is the shortest text that reads back as the same double: the decimal QBO sent.
    text = String(value);
    if (/e/i.test(text)) text = new Big(value).toFixed();
  } else {
    text = value.trim();
  }
  if (!decimalText.test(text)) throw new MoneyError('money.not-a-number', `"${String(value)}" is not a decimal amount`);
  const big = new Big(text).times(100);
  let rounded: Big;
  if (rounding === 'exact') {
    if (!big.eq(big.round(0, Big.roundDown))) {
      throw new MoneyError('money.too-many-decimals', `${text} has more than two decimal places; amounts are to the cent`);
    }
    rounded = big;
  } else {
    rounded = big.round(0, rounding === 'half-up' ? Big.roundHalfUp : Big.roundHalfEven);
  }
  const cents = Number(rounded.toFixed(0));
  if (!Number.isSafeInteger(cents) || Math.abs(cents) > MAX_ABS_CENTS) {
    throw new MoneyError('money.out-of-range', `${text} is beyond the largest amount QBO Connect handles`);
  }
  // -0 would print as "0" but compare oddly in tests and JSON; normalise.
  return cents === 0 ? 0 : cents;
}

function checkCents(cents: Cents): void {
  if (!Number.isSafeInteger(cents)) throw new MoneyError('money.not-integer-cents', `${String(cents)} is not a whole number of cents`);
  if (Math.abs(cents) > MAX_ABS_CENTS) throw new MoneyError('money.out-of-range', `${cents} cents is beyond the largest amount QBO Connect handles`);
}

/** Integer cents → the decimal text with two places ("12.30", "-0.05"). */
export function centsToDecimalString(cents: Cents): string {
  checkCents(cents);
  return new Big(cents).div(100).toFixed(2);
}

/**
 * Integer cents → the JSON number QBO expects. Under MAX_ABS_CENTS the double nearest to the decimal
 * prints back as exactly that decimal, so JSON.stringify sends what we mean.
 */
export function fromCents(cents: Cents): number {
  const n = Number(centsToDecimalString(cents));
  return n === 0 ? 0 : n;
}
