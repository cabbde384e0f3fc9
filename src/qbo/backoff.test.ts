import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fullJitter, parseRetryAfter } from './backoff.js';

describe('backoff', () => {
  const policy = { baseMs: 100, capMs: 5000 };

  it('stays within [0, min(cap, base·2^(n-1))) for any random value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, r) => {
        const d = fullJitter(n, policy, () => r);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.min(5000, 100 * 2 ** (n - 1)) + 1e-9);
        expect(Number.isInteger(d)).toBe(true);
      }),
    );
  });

  it('grows exponentially up to the cap', () => {
    const top = () => 0.999999;
    expect(fullJitter(1, policy, top)).toBe(99);
    expect(fullJitter(3, policy, top)).toBe(399);
    expect(fullJitter(20, policy, top)).toBe(4999);
    expect(fullJitter(4, policy, () => 0)).toBe(0);
  });

  it('reads Retry-After as seconds or an HTTP date, clamps it, and ignores junk', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('999999', now, 60_000)).toBe(60_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
  });
});
