// QBO's time texts: MetaData times to the second and the envelope `time` to the millisecond, both in
// the company's local offset (docs/qbo-api.md §envelope). Offsets are fixed per company (no DST).

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function shifted(d: Date, offsetMinutes: number): Date {
  return new Date(d.getTime() + offsetMinutes * 60_000);
}

export function offsetText(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const a = Math.abs(offsetMinutes);
  return `${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** `2020-09-29T05:58:07-07:00` */
export function metaTime(d: Date, offsetMinutes: number): string {
  const s = shifted(d, offsetMinutes);
  return (
    `${s.getUTCFullYear()}-${pad(s.getUTCMonth() + 1)}-${pad(s.getUTCDate())}T` +
    `${pad(s.getUTCHours())}:${pad(s.getUTCMinutes())}:${pad(s.getUTCSeconds())}${offsetText(offsetMinutes)}`
  );
}

/** `2020-09-29T05:58:07.300-07:00` */
export function envelopeTime(d: Date, offsetMinutes: number): string {
  const base = metaTime(d, offsetMinutes);
  const ms = pad(shifted(d, offsetMinutes).getUTCMilliseconds(), 3);
  return `${base.slice(0, 19)}.${ms}${base.slice(19)}`;
}

/** The company's local calendar date, `YYYY-MM-DD`. */
export function localDate(d: Date, offsetMinutes: number): string {
  return metaTime(d, offsetMinutes).slice(0, 10);
}

export function isIsoDate(v: unknown): v is string {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const t = Date.parse(`${v}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === v;
}

export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** Day of month of the n-th Sunday of a month (month 0-based). */
function nthSunday(year: number, month: number, n: number): number {
  const first = new Date(Date.UTC(year, month, 1)).getUTCDay();
  return 1 + ((7 - first) % 7) + 7 * (n - 1);
}

/** US Pacific's offset at an instant: PDT (-7 h) from 02:00 local on the second Sunday of March to
 *  02:00 local on the first Sunday of November, else PST (-8 h). QBO writes MetaData and the envelope
 *  `time` in Pacific whatever the company's time zone (Intuit staff, intuit/QuickBooks-V3-Java-SDK#26:
 *  "The API returns date in PST"; every recorded sandbox time is -07:00 in September). */
export function pacificOffsetMinutes(d: Date): number {
  const y = d.getUTCFullYear();
  const start = Date.UTC(y, 2, nthSunday(y, 2, 2), 10);
  const end = Date.UTC(y, 10, nthSunday(y, 10, 1), 9);
  const t = d.getTime();
  return t >= start && t < end ? -7 * 60 : -8 * 60;
}

export const pacificMetaTime = (d: Date): string => metaTime(d, pacificOffsetMinutes(d));
export const pacificEnvelopeTime = (d: Date): string => envelopeTime(d, pacificOffsetMinutes(d));
