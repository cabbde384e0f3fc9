/**
 * Waiting between attempts: exponential backoff with full jitter (Brooker: sleep = random(0,
 * min(cap, base·2^n))) so many clients retrying the same realm spread out instead of stampeding,
 * and `Retry-After` in both of its RFC 9110 forms.
 */

export interface BackoffPolicy {
  /** First backoff ceiling in ms (attempt 1). */
  baseMs: number;
  /** Largest ceiling in ms. */
  capMs: number;
}

export type Random = () => number;

/** Full-jitter delay after the given failed attempt (1-based). `random` returns [0, 1). */
export function fullJitter(attempt: number, policy: BackoffPolicy, random: Random): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  const r = random();
  const clamped = r < 0 ? 0 : r >= 1 ? 0.999999 : r;
  return Math.floor(clamped * exp);
}

/**
 * `Retry-After` → milliseconds from `now`: delta-seconds or an HTTP-date; undefined when absent or
 * unreadable; never negative; clamped to `maxMs` so a hostile or broken header cannot park a realm forever.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date, maxMs = 10 * 60_000): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  let ms: number;
  if (/^\d+$|^\d+\.\d+$/.test(v)) {
    ms = Math.round(Number(v) * 1000);
  } else {
    const at = Date.parse(v);
    if (Number.isNaN(at)) return undefined;
    ms = at - now.getTime();
  }
  return Math.min(Math.max(0, ms), maxMs);
}
