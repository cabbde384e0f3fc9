// Decimal arithmetic for the emulator, on bigint: money is integer cents, quantities and prices keep
// up to 7 decimal places (docs/qbo-api.md §money). Independent of the client's money code on purpose.

/** The decimal text of a JSON number or numeric string, without exponent notation. */
function decimalText(v: number | string): string {
  if (typeof v === 'string') return v.trim();
  if (!Number.isFinite(v)) throw new RangeError(`not a finite number: ${v}`);
  const s = String(v);
  return /e/i.test(s) ? v.toFixed(12) : s;
}

/** Whether a value can be read as a decimal number. */
export function isDecimal(v: unknown): v is number | string {
  if (typeof v === 'number') return Number.isFinite(v);
  return typeof v === 'string' && isDecimalText(v.trim());
}

/** `-12`, `3.50`: digits with an optional sign and one optional fraction. */
export function isDecimalText(t: string): boolean {
  const [i, f, more] = t.replace(/^-/, '').split('.');
  return more === undefined && /^\d+$/.test(i ?? '') && (f === undefined || /^\d+$/.test(f));
}

/** The value scaled by 10^scale as a bigint, rounded half away from zero. */
export function toScaled(v: number | string, scale: number): bigint {
  const text = decimalText(v);
  if (!isDecimalText(text)) throw new RangeError(`not a decimal: ${text}`);
  const neg = text.startsWith('-');
  const [intPart = '0', frac = ''] = text.replace(/^-/, '').split('.');
  const kept = frac.slice(0, scale).padEnd(scale, '0');
  let n = BigInt(intPart + kept);
  const next = frac.charCodeAt(scale);
  if (!Number.isNaN(next) && next >= 53 /* '5' */) n += 1n;
  return neg ? -n : n;
}

export const toCents = (v: number | string): bigint => toScaled(v, 2);

/** Integer division rounding half away from zero. */
export function divRound(num: bigint, den: bigint): bigint {
  const neg = num < 0n !== den < 0n;
  const a = num < 0n ? -num : num;
  const b = den < 0n ? -den : den;
  const q = (a * 2n + b) / (2n * b);
  return neg ? -q : q;
}

/** Cents as the JSON number QBO sends (serialisation only; no arithmetic happens on it). */
export function centsToNumber(c: bigint): number {
  return Number(c) / 100;
}

/** Qty × UnitPrice rounded half-up to cents, from decimals of up to 7 places each. */
export function lineAmountCents(qty: number | string, unitPrice: number | string): bigint {
  return divRound(toScaled(qty, 7) * toScaled(unitPrice, 7), 10n ** 12n);
}

/** Tax on a net amount at a percentage rate (8.5 = 8.5 %), rounded to cents. */
export function taxOnNet(netCents: bigint, ratePercent: number | string): bigint {
  return divRound(netCents * toScaled(ratePercent, 4), 100n * 10_000n);
}

/** The tax inside a gross amount at a percentage rate: gross × r / (100 + r), rounded to cents. */
export function taxInGross(grossCents: bigint, ratePercent: number | string): bigint {
  const r = toScaled(ratePercent, 4);
  return divRound(grossCents * r, 100n * 10_000n + r);
}

export const formatCents = (c: bigint): string => {
  const neg = c < 0n;
  const a = neg ? -c : c;
  return `${neg ? '-' : ''}${a / 100n}.${String(a % 100n).padStart(2, '0')}`;
};
