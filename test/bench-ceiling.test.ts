/** The benchmark's ceiling arithmetic (bench/ceiling.ts); the benchmark itself never runs in npm test. */
import { describe, expect, it } from 'vitest';
import { ceilingRatio, leastMinutes } from '../bench/ceiling.js';

describe('least time QBO allows', () => {
  it('batches counted once: a minute carries 40 × 30 batched operations plus 460 single requests', () => {
    // 1,660 operations a minute: 3,300 writes and 20 reads take exactly 2 minutes.
    expect(leastMinutes({ writes: 3300, reads: 20 }, 'request').minutes).toBe(2);
  });

  it('batches counted once: with many reads every write rides in a batch', () => {
    // 1,200 writes = 40 batches; (40 + 960 reads) / 500 = 2 minutes, more than 1,200 / 1,200.
    expect(leastMinutes({ writes: 1200, reads: 960 }, 'request').minutes).toBe(2);
    // Only reads: 500 a minute.
    expect(leastMinutes({ writes: 0, reads: 1000 }, 'request').minutes).toBe(2);
  });

  it('the two regimes meet where reads are 460/1,200 of the writes', () => {
    const w = 12_000;
    const r = (w * 460) / 1200;
    expect(leastMinutes({ writes: w, reads: r }, 'request').minutes).toBeCloseTo(w / 1200, 9);
    expect(leastMinutes({ writes: w, reads: r + 1 }, 'request').minutes).toBeGreaterThan(w / 1200);
  });

  it('every operation counted: (writes + reads) / 500', () => {
    expect(leastMinutes({ writes: 2400, reads: 100 }, 'item').minutes).toBe(5);
    expect(leastMinutes({ writes: 0, reads: 0 }, 'item').minutes).toBe(0);
  });

  it('the ratio is least ÷ taken and refuses a zero time', () => {
    expect(ceilingRatio(2, 2.5)).toBeCloseTo(0.8);
    expect(() => ceilingRatio(1, 0)).toThrow(RangeError);
    expect(() => leastMinutes({ writes: -1, reads: 0 }, 'item')).toThrow(RangeError);
  });
});
