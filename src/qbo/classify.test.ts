import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { classify, defaultRetryPolicy, type ClassifyInput } from './classify.js';

const now = new Date('2026-01-01T00:00:00Z');
const base = (over: Partial<ClassifyInput>): ClassifyInput => ({
  outcome: { type: 'http', status: 200 },
  attempt: 1,
  policy: { ...defaultRetryPolicy, maxAttempts: 4 },
  refreshes: 0,
  rereadSpent: false,
  now,
  random: () => 0.5,
  ...over,
});

describe('classify', () => {
  it('accepts a success', () => {
    expect(classify(base({}))).toEqual({ retry: false, wait: 0, reason: 'ok' });
  });

  it('retries network errors and timeouts with backoff until attempts run out', () => {
    expect(classify(base({ outcome: { type: 'network', timedOut: false } }))).toEqual({ retry: true, wait: 250, reason: 'network' });
    expect(classify(base({ outcome: { type: 'network', timedOut: true }, attempt: 2 }))).toEqual({ retry: true, wait: 500, reason: 'timeout' });
    expect(classify(base({ outcome: { type: 'network', timedOut: true }, attempt: 4 }))).toEqual({ retry: false, wait: 0, reason: 'timeout' });
  });

  it('retries QBO unreachable (nothing sent) only until maxUnreachableAttempts, whatever attempts are left', () => {
    const unreachable = { type: 'network' as const, timedOut: false, unreachable: true };
    const policy = { ...defaultRetryPolicy, maxAttempts: 6, maxUnreachableAttempts: 2 };
    expect(classify(base({ outcome: unreachable, policy }))).toEqual({ retry: true, wait: 250, reason: 'unreachable' });
    expect(classify(base({ outcome: unreachable, policy, attempt: 2 }))).toEqual({ retry: false, wait: 0, reason: 'unreachable' });
    // Never more than maxAttempts either.
    expect(classify(base({ outcome: unreachable, policy: { ...policy, maxAttempts: 1 } }))).toEqual({ retry: false, wait: 0, reason: 'unreachable' });
    // The default: one retry.
    expect(defaultRetryPolicy.maxUnreachableAttempts).toBe(2);
    // A network error that may have reached QBO keeps the full policy.
    expect(classify(base({ outcome: { type: 'network', timedOut: false }, policy, attempt: 2 }))).toMatchObject({ retry: true, reason: 'network' });
  });

  it('honours Retry-After on 429, and pauses for the throttle wait without it', () => {
    const withHeader = classify(base({ outcome: { type: 'http', status: 429, retryAfter: '7' } }));
    expect(withHeader.retry).toBe(true);
    expect(withHeader.reason).toBe('throttled');
    expect(withHeader.wait).toBeGreaterThanOrEqual(7000);
    const without = classify(base({ outcome: { type: 'http', status: 429 } }));
    expect(without.wait).toBeGreaterThanOrEqual(defaultRetryPolicy.throttleWaitMs);
    // A throttle fault on another status (403 statusCode=429 text) is still throttling.
    expect(classify(base({ outcome: { type: 'http', status: 403, faultCode: '3001' } })).reason).toBe('throttled');
  });

  it('never waits less than Retry-After, whatever the randomness', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 1, max: 3 }), (secs, r, attempt) => {
        const d = classify(base({ outcome: { type: 'http', status: 429, retryAfter: String(secs) }, random: () => r, attempt }));
        expect(d.retry).toBe(true);
        expect(d.wait).toBeGreaterThanOrEqual(secs * 1000);
      }),
    );
  });

  it('retries 5xx with backoff', () => {
    for (const status of [500, 502, 503, 504]) {
      expect(classify(base({ outcome: { type: 'http', status } }))).toMatchObject({ retry: true, reason: 'server-error' });
    }
    expect(classify(base({ outcome: { type: 'http', status: 503 }, attempt: 4 }))).toEqual({ retry: false, wait: 0, reason: 'server-error' });
  });

  it('retries 401 after a refresh; final once maxRefreshes refreshes in a row met a 401', () => {
    expect(classify(base({ outcome: { type: 'http', status: 401, faultCode: '3200' } }))).toEqual({ retry: true, wait: 0, reason: 'unauthorized' });
    // One refused refreshed token is not yet proof: it can expire or be ended before it arrives.
    expect(classify(base({ outcome: { type: 'http', status: 401 }, refreshes: 1, attempt: 2 }))).toEqual({ retry: true, wait: 0, reason: 'unauthorized' });
    expect(classify(base({ outcome: { type: 'http', status: 401 }, refreshes: 3, attempt: 4, policy: { ...defaultRetryPolicy, maxAttempts: 6 } }))).toEqual({
      retry: false,
      wait: 0,
      reason: 'unauthorized',
    });
  });

  it('ends a run of 401s after at most maxRefreshes refreshes, whatever the attempts left', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 20 }), (maxRefreshes, maxAttempts) => {
        const policy = { ...defaultRetryPolicy, maxAttempts, maxRefreshes };
        // Every attempt answered 401 and each retry spent one refresh, as the client does.
        let refreshes = 0;
        let attempt = 1;
        for (; ; attempt++) {
          const d = classify(base({ outcome: { type: 'http', status: 401 }, attempt, refreshes, policy }));
          expect(d.reason).toBe('unauthorized');
          if (!d.retry) break;
          refreshes++;
        }
        expect(refreshes).toBe(Math.min(maxRefreshes, maxAttempts - 1));
        expect(attempt).toBe(refreshes + 1);
      }),
    );
  });

  it('retries a stale SyncToken once after a re-read', () => {
    expect(classify(base({ outcome: { type: 'http', status: 400, faultCode: '5010' } }))).toEqual({ retry: true, wait: 0, reason: 'stale-object' });
    expect(classify(base({ outcome: { type: 'http', status: 400, faultCode: '5010' }, rereadSpent: true }))).toEqual({ retry: false, wait: 0, reason: 'stale-object' });
  });

  it('never retries business faults', () => {
    for (const code of ['6000', '6140', '6240', '610', '2020', '4000']) {
      expect(classify(base({ outcome: { type: 'http', status: 400, faultCode: code } }))).toEqual({ retry: false, wait: 0, reason: 'fault' });
    }
    expect(classify(base({ outcome: { type: 'http', status: 403, faultCode: '3100' } }))).toEqual({ retry: false, wait: 0, reason: 'fault' });
    // A 200 carrying a fault is a fault.
    expect(classify(base({ outcome: { type: 'http', status: 200, faultCode: '6000' } }))).toEqual({ retry: false, wait: 0, reason: 'fault' });
  });
});
