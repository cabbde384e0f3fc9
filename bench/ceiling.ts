/**
 * The least time QBO's limits allow for a piece of work, and how close a measured run came to it.
 * Pure arithmetic, so the benchmark's headline figure is unit-tested (test/bench-ceiling.test.ts).
 *
 * The work is counted as the operations, not as the requests a client chose to send: W writes
 * (creates/updates, each packable into a batch) and R reads (queries, CDC, single reads), each a
 * single request. QBO's limits hold over any sliding minute (as the emulator enforces them):
 *
 * - `request` metering (a batch counts once toward the 500): a minute carries at most 40 batches and
 *   500 requests, so at most 40 × 30 = 1,200 operations in batches plus 460 single requests: C = 1,660
 *   operations.
 * - `item` metering (every operation in a batch counts): C = 500 operations a minute.
 *
 * The best client sends a full minute's worth at once, waits for the minute to slide, and so on:
 * with N = W + R and k = ⌈N / C⌉ minutes' worth, the last one starts after k − 1 minutes and takes
 * its requests' round trips at 10 in flight. Least time = (k − 1) min + ⌈requests of the last
 * minute / 10⌉ × latency. (Order between groups — names before the invoices that need them — adds a
 * few round trips more; left out, so the bound stays one no client can beat.) The steady rate N / C
 * is reported beside it.
 */

export type BatchMetering = 'request' | 'item';

export interface QboLimits {
  perMinute: number;
  batchesPerMinute: number;
  batchSize: number;
  concurrency: number;
}

export const qboLimits: QboLimits = { perMinute: 500, batchesPerMinute: 40, batchSize: 30, concurrency: 10 };

export interface Work {
  /** Write operations (each may ride in a batch). */
  writes: number;
  /** Requests that are not writes (queries, CDC, reads), each sent on its own. */
  reads: number;
}

export interface LeastTime {
  minutes: number;
  /** N / C: the time at QBO's steady rate, without the first minute's head start. */
  steadyMinutes: number;
  /** The formula with its numbers, for the printed table. */
  how: string;
}

/** Operations one sliding minute can carry. */
export function operationsPerMinute(metering: BatchMetering, limits: QboLimits = qboLimits): number {
  return metering === 'item' ? limits.perMinute : limits.batchesPerMinute * limits.batchSize + (limits.perMinute - limits.batchesPerMinute);
}

/** Requests the best client needs for `ops` operations inside one minute (batches first, then singles). */
function requestsFor(ops: number, metering: BatchMetering, limits: QboLimits): number {
  const batches = Math.min(metering === 'item' ? Infinity : limits.batchesPerMinute, Math.ceil(ops / limits.batchSize));
  return batches + Math.max(0, ops - batches * limits.batchSize);
}

export function leastMinutes(work: Work, metering: BatchMetering, latencyMs: number, limits: QboLimits = qboLimits): LeastTime {
  const n = work.writes + work.reads;
  if (work.writes < 0 || work.reads < 0 || !Number.isFinite(n) || !(latencyMs >= 0)) throw new RangeError('work counts and latency must be finite and not negative');
  const c = operationsPerMinute(metering, limits);
  const steadyMinutes = n / c;
  if (n === 0) return { minutes: 0, steadyMinutes: 0, how: 'no work' };
  const k = Math.ceil(n / c);
  const last = n - (k - 1) * c;
  const trips = Math.ceil(requestsFor(last, metering, limits) / limits.concurrency);
  const minutes = k - 1 + (trips * latencyMs) / 60_000;
  return {
    minutes,
    steadyMinutes,
    how: `N = ${work.writes} writes + ${work.reads} reads = ${n}; C = ${c}/min; (⌈${n}/${c}⌉ − 1) min + ${trips} round trips × ${latencyMs} ms = ${round(minutes, 3)} min (steady rate ${round(steadyMinutes, 3)} min)`,
  };
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
