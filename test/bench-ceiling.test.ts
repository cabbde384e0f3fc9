/** The benchmark's ceiling arithmetic (bench/ceiling.ts); the benchmark itself never runs in npm test. */
import { describe, expect, it } from 'vitest';
import { ceilingRatio, leastMinutes, operationsPerMinute } from '../bench/ceiling.js';

describe('least time QBO allows', () => {
  it('a minute carries 40 × 30 batched operations plus 460 single requests, or 500 operations when each counts', () => {
    expect(operationsPerMinute('request')).toBe(1660);
    expect(operationsPerMinute('item')).toBe(500);
  });

  it('batches counted once: one minute for the first 1,660 operations, the rest after it slides', () => {
    // 2,471 operations: 1,660 in the first minute; the other 811 = 27 full batches + 1 single = 28 requests,
    // 3 round trips at 10 in flight.
    const t = leastMinutes({ writes: 2457, reads: 14 }, 'request', 100);
    expect(t.minutes).toBeCloseTo(1 + 300 / 60_000, 12);
    expect(t.steadyMinutes).toBeCloseTo(2471 / 1660, 12);
  });

  it('beyond 40 batches the last minute sends singles', () => {
    // 1,660 operations fit one minute: 40 batches + 460 singles = 500 requests, 50 round trips.
    expect(leastMinutes({ writes: 1660, reads: 0 }, 'request', 100).minutes).toBeCloseTo(5000 / 60_000, 12);
  });

  it('every operation counted: 500 a minute, batches of 30 in the last one', () => {
    // 2,471 operations: 4 full minutes, then 471 = 16 batches, 2 round trips.
    expect(leastMinutes({ writes: 2457, reads: 14 }, 'item', 100).minutes).toBeCloseTo(4 + 200 / 60_000, 12);
    expect(leastMinutes({ writes: 0, reads: 0 }, 'item', 100).minutes).toBe(0);
  });

  it('the ratio is least ÷ taken and refuses a zero time or negative work', () => {
    expect(ceilingRatio(2, 2.5)).toBeCloseTo(0.8);
    expect(() => ceilingRatio(1, 0)).toThrow(RangeError);
    expect(() => leastMinutes({ writes: -1, reads: 0 }, 'item', 100)).toThrow(RangeError);
  });
});
