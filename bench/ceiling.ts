/**
 * The least time QBO's limits allow for a piece of work, and how close a measured run came to it.
 * Pure arithmetic, so the benchmark's headline figure is unit-tested (test/bench-ceiling.test.ts).
 *
 * The work is counted as the operations, not as the requests a client chose to send: W writes
 * (creates/updates, each packable into a batch) and R reads (queries, CDC, single reads), which are
 * counted as single requests. The best possible client packs the writes into full batches of 30.
 *
 * - `request` metering (a batch counts once toward the 500): a minute holds at most 40 batches and
 *   500 requests in all, so the most a minute can carry is 40 × 30 = 1,200 operations in batches
 *   plus 460 single requests: 1,660 operations. With few reads the least time is (W + R) / 1,660
 *   minutes; when reads are many (R ≥ 460/1,200 of W) every write rides in a batch and the least
 *   time is max(W / 1,200, (W / 30 + R) / 500).
 * - `item` metering (every operation in a batch counts): (W + R) / 500 minutes.
 * Batches are taken as full (an ideal client); a least time is a bound no client can beat.
 */

export type BatchMetering = 'request' | 'item';

export interface QboLimits {
  perMinute: number;
  batchesPerMinute: number;
  batchSize: number;
}

export const qboLimits: QboLimits = { perMinute: 500, batchesPerMinute: 40, batchSize: 30 };

export interface Work {
  /** Write operations (each may ride in a batch). */
  writes: number;
  /** Requests that are not writes (queries, CDC, reads), each sent on its own. */
  reads: number;
}

export interface LeastTime {
  minutes: number;
  /** The formula with its numbers, for the printed table. */
  how: string;
}

export function leastMinutes(work: Work, metering: BatchMetering, limits: QboLimits = qboLimits): LeastTime {
  const { writes: w, reads: r } = work;
  if (w < 0 || r < 0 || !Number.isFinite(w + r)) throw new RangeError('work counts must be finite and not negative');
  const { perMinute: p, batchesPerMinute: b, batchSize: n } = limits;
  if (metering === 'item') {
    const minutes = (w + r) / p;
    return { minutes, how: `(${w} writes + ${r} reads) / ${p} = ${round(minutes, 3)} min` };
  }
  const perMinuteMax = b * n + (p - b);
  const mixed = (w + r) / perMinuteMax;
  if (mixed <= w / (b * n)) {
    // Some writes go as single requests beside the full batches.
    return { minutes: mixed, how: `(${w} writes + ${r} reads) / (${b} × ${n} + ${p - b}) = ${round(mixed, 3)} min` };
  }
  const minutes = Math.max(w / (b * n), (w / n + r) / p);
  return { minutes, how: `max(${w} writes / ${b * n}, (${w} / ${n} batches + ${r} reads) / ${p}) = ${round(minutes, 3)} min` };
}

/** Least time ÷ time taken: 1.0 means the run went exactly as fast as QBO's limits allow. */
export function ceilingRatio(leastMin: number, takenMin: number): number {
  if (!(takenMin > 0)) throw new RangeError('the time taken must be positive');
  return leastMin / takenMin;
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
