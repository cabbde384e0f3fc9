import { describe, expect, it } from 'vitest';
import { isUnreachable } from './unreachable.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });
const fetchFailed = (cause: unknown) => new TypeError('fetch failed', { cause });

describe('isUnreachable', () => {
  it('is true when the connection never opened, however fetch wraps it', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])
      expect(isUnreachable(fetchFailed(coded(code))), code).toBe(true);
    expect(isUnreachable(fetchFailed(new Error('bad port'))), 'undici refuses the blocked port 9').toBe(true);
    expect(isUnreachable(fetchFailed(new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')], 'connect'))), 'both address families refused').toBe(true);
  });

  it('is false when the request may have arrived, or the error says nothing', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ETIMEDOUT', 'CERT_HAS_EXPIRED']) expect(isUnreachable(fetchFailed(coded(code))), code).toBe(false);
    expect(isUnreachable(new TypeError('fetch failed'))).toBe(false);
    expect(isUnreachable(fetchFailed(new AggregateError([coded('ECONNREFUSED'), coded('ECONNRESET')], 'connect')))).toBe(false);
    expect(isUnreachable(undefined)).toBe(false);
    expect(isUnreachable('ECONNREFUSED')).toBe(false);
  });
});
