/**
 * QBO's 429 ThrottleExceeded answer (docs/qbo-api.md §throttling): a `Fault` with code 3001 and type SERVICE,
 * in JSON by default and in the XML `IntuitResponse` form when the client's Accept asks for XML
 * (or when the emulator is told to answer in XML always, as real QBO often does).
 */
import type { Context } from 'hono';

export type ThrottleFormat = 'auto' | 'json' | 'xml';

const MESSAGE = 'message=ThrottleExceeded; errorCode=003001; statusCode=429';
const DETAIL = 'The request limit was reached.  Try again later';

export function wantsXml(accept: string | undefined): boolean {
  if (!accept) return false;
  const a = accept.toLowerCase();
  return a.includes('xml') && !a.includes('json');
}

export function throttleJson(time: string) {
  return { Fault: { Error: [{ Message: MESSAGE, Detail: DETAIL, code: '3001' }], type: 'SERVICE' }, time };
}

export function throttleXml(time: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n` +
    `<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="${time}">` +
    `<Fault type="SERVICE"><Error code="3001"><Message>${MESSAGE}</Message><Detail>${DETAIL}</Detail></Error></Fault>` +
    `</IntuitResponse>`
  );
}

/** QBO's `time`: milliseconds with an offset (the emulator's companies answer in UTC-ish -00:00 form). */
export function qboTime(d: Date): string {
  return d.toISOString().replace('Z', '-00:00');
}

export function throttleResponse(c: Context, opts: { format: ThrottleFormat; retryAfterSeconds?: number; now: Date }): Response {
  const xml = opts.format === 'xml' || (opts.format === 'auto' && wantsXml(c.req.header('accept')));
  const headers: Record<string, string> = {};
  if (opts.retryAfterSeconds !== undefined) headers['Retry-After'] = String(Math.max(1, Math.ceil(opts.retryAfterSeconds)));
  const time = qboTime(opts.now);
  if (xml) return c.body(throttleXml(time), 429, { ...headers, 'Content-Type': 'application/xml' });
  return c.json(throttleJson(time), 429, headers);
}
