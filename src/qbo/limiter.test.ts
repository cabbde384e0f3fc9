import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRealmLimiter } from './limiter.js';

/** Largest number of starts inside any window of `windowMs` (a sliding count over sorted times). */
function maxInWindow(starts: number[], windowMs: number): number {
  const s = [...starts].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < s.length; hi++) {
    while (s[hi]! - s[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

describe('realm limiter (fake clock)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  async function drive(promises: Promise<unknown>[]) {
    const all = Promise.all(promises);
    let done = false;
    void all.then(() => (done = true));
    for (let i = 0; i < 10_000 && !done; i++) await vi.advanceTimersByTimeAsync(10);
    await all;
  }

  it('keeps to the rate in every rolling window and to the concurrency at every moment', async () => {
    const limiter = createRealmLimiter({ requestsPerMinute: 5, concurrency: 2, batchesPerMinute: 2, intervalMs: 1000 });
    const starts: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const task = () =>
      limiter.run('request', async () => {
        starts.push(Date.now());
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((r) => setTimeout(r, 150));
        inFlight--;
      });
    await drive(Array.from({ length: 23 }, task));
    expect(starts).toHaveLength(23);
    expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(5);
    expect(maxInFlight).toBeLessThanOrEqual(2);
    // The limiter did let work through at the allowed pace, not one at a time.
    expect(maxInFlight).toBe(2);
  });

  it('counts batches against their own cap as well as the request cap', async () => {
    const limiter = createRealmLimiter({ requestsPerMinute: 100, concurrency: 10, batchesPerMinute: 2, intervalMs: 1000 });
    const batchStarts: number[] = [];
    await drive(Array.from({ length: 7 }, () => limiter.run('batch', async () => void batchStarts.push(Date.now()))));
    expect(batchStarts).toHaveLength(7);
    expect(maxInWindow(batchStarts, 1000)).toBeLessThanOrEqual(2);
  });

  it('weighs a batch by its operations under item metering, once under request metering', async () => {
    for (const batchMetering of ['item', 'request'] as const) {
      const limiter = createRealmLimiter({ requestsPerMinute: 40, concurrency: 10, batchesPerMinute: 40, intervalMs: 1000, batchMetering });
      const starts: number[] = [];
      await drive(Array.from({ length: 4 }, () => limiter.run('batch', async () => void starts.push(Date.now()), 30)));
      expect(starts).toHaveLength(4);
      // 30 operations each: one batch a window under item metering; all four at once otherwise.
      expect(maxInWindow(starts, 1000)).toBe(batchMetering === 'item' ? 1 : 4);
    }
  });

  it('says batches are throttled once the minute holds its batches, and still lets single requests through', async () => {
    const limiter = createRealmLimiter({ requestsPerMinute: 100, concurrency: 10, batchesPerMinute: 2, intervalMs: 1000, batchMetering: 'request' });
    expect(limiter.batchesThrottled).toBe(false);
    await drive([limiter.run('batch', async () => undefined, 30), limiter.run('batch', async () => undefined, 30)]);
    expect(limiter.batchesThrottled).toBe(true);
    const t0 = Date.now();
    let single = 0;
    await drive([limiter.run('request', async () => void (single = Date.now()))]);
    expect(single - t0).toBeLessThan(1000);
    await drive([new Promise((r) => setTimeout(r, 1100))]);
    expect(limiter.batchesThrottled).toBe(false);
  });

  it('holds every new request while paused after a 429', async () => {
    const limiter = createRealmLimiter({ requestsPerMinute: 100, concurrency: 10, batchesPerMinute: 10, intervalMs: 1000 });
    const t0 = Date.now();
    limiter.pauseFor(3000);
    const starts: number[] = [];
    await drive(Array.from({ length: 3 }, () => limiter.run('request', async () => void starts.push(Date.now()))));
    expect(starts.every((s) => s - t0 >= 3000)).toBe(true);
  });
});
