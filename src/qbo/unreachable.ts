/**
 * Whether a failed fetch never reached QBO: the connection was refused, the host not found or not
 * routable, the port one fetch will not use (undici's "bad port": 127.0.0.1:9, the discard port), or
 * the TCP connection did not open in time. Then nothing was sent, so no write can have happened, and
 * classify.ts retries it only briefly. Anything else (a reset, a timeout after the request left, a
 * TLS failure) stays an ordinary network error: the request may have arrived.
 */

/** Node's and undici's codes for a connection that never opened. */
const neverConnected = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);

/** Walks the error's causes (fetch wraps them: TypeError "fetch failed" → cause; happy eyeballs → AggregateError). */
export function isUnreachable(err: unknown, depth = 0): boolean {
  if (depth > 5 || typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && neverConnected.has(e.code)) return true;
  // undici refuses a blocked port before connecting, with no code (fetch spec "bad port").
  if (e.message === 'bad port') return true;
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((x) => isUnreachable(x, depth + 1))) return true;
  return isUnreachable(e.cause, depth + 1);
}
