// QBO's time texts: MetaData times to the second and the envelope `time` to the millisecond, both in
// the company's local offset (qbo-api.md §1.5, §3.1). Offsets are fixed per company (no DST).

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
