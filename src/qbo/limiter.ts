/**
 * Per-company request limits, below QBO's own (docs/qbo-api.md §throttling): at most N requests per rolling minute,
 * M in flight, and B batch requests per rolling minute. Each request is logged at the moment it is
 * sent (a sliding log, so no window of `intervalMs` ever holds more than the cap; a fixed window
 * allows twice that across a boundary). Under item metering a batch weighs as many requests as it
 * has operations, since QBO may count it so. A 429 pauses the whole company, since every request
 * would meet the same wall. Single requests pass a batch that waits for the batches-per-minute cap:
 * the sync then sends rows one by one instead of idling (QBO: 40 batches but 500 requests a minute).
 */

/**
 * How QBO counts a batch toward its 500 requests a minute: 'request' — once; 'item' — once per
 * operation in it. Intuit's documentation does not settle it; 'item' is the conservative reading.
 */
export type BatchMetering = 'request' | 'item';

export interface LimiterOptions {
  requestsPerMinute: number;
  concurrency: number;
  batchesPerMinute: number;
  /** The window length: QBO's minute plus a margin (see defaultLimits); shortened only by tests. */
  intervalMs: number;
  /** Default 'item' (see BatchMetering). */
  batchMetering?: BatchMetering;
}

/**
 * QBO's caps over a window 2 s longer than its minute: we count a request when it leaves, QBO when
 * it arrives, so without a margin the 41st batch at the window's edge can arrive inside QBO's minute,
 * meet a 429, and pause the whole company for a minute (measured by `npm run bench`). The margin
 * costs about 3 % of the throughput.
 */
export const defaultLimits: LimiterOptions = { requestsPerMinute: 500, concurrency: 10, batchesPerMinute: 40, intervalMs: 62_000, batchMetering: 'item' };

export interface RealmLimiter {
  /** `units`: the operations in a batch (weighed under item metering; ignored for a single request). */
  run<T>(kind: 'request' | 'batch', fn: () => Promise<T>, units?: number): Promise<T>;
  /** True while a batch would wait for the batches-per-minute cap (a single request would go sooner). */
  readonly batchesThrottled: boolean;
  /**
   * Hold new requests for this company for `ms` (after a 429). A limiter shared through a database
   * (connect/connection/shared-budget.ts) records the pause there, so it answers a promise.
   */
  pauseFor(ms: number): void | Promise<void>;
  readonly inFlight: number;
}

/** What a request counts toward the requests per minute: 1, or a batch's operations under item metering. */
export function requestWeight(kind: 'request' | 'batch', units: number, opts: Pick<LimiterOptions, 'batchMetering' | 'requestsPerMinute'>): number {
  // Never more than the whole minute's budget, or a big batch under a small cap would wait forever.
  return kind === 'batch' && (opts.batchMetering ?? 'item') === 'item' ? Math.min(Math.max(1, Math.trunc(units)), opts.requestsPerMinute) : 1;
}

interface Waiter {
  kind: 'request' | 'batch';
  weight: number;
  go: () => void;
}

export function createRealmLimiter(opts: LimiterOptions, now: () => number = Date.now): RealmLimiter {
  /** Requests sent inside the window, oldest first, with the weight each counts for. */
  const log: { at: number; weight: number }[] = [];
  let weightInWindow = 0;
  /** Batches sent inside the window, oldest first. */
  const batchLog: number[] = [];
  const waiters: Waiter[] = [];
  let running = 0;
  let pausedUntil = 0;
  let timer: NodeJS.Timeout | undefined;

  const prune = (t: number) => {
    while (log.length && log[0]!.at <= t - opts.intervalMs) weightInWindow -= log.shift()!.weight;
    while (batchLog.length && batchLog[0]! <= t - opts.intervalMs) batchLog.shift();
  };
  const fits = (w: Waiter, t: number) =>
    t >= pausedUntil && running < opts.concurrency && weightInWindow + w.weight <= opts.requestsPerMinute && (w.kind !== 'batch' || batchLog.length < opts.batchesPerMinute);

  /** Starts every waiter that fits now, in arrival order; then wakes up when the window next frees room. */
  const pump = () => {
    const t = now();
    prune(t);
    for (let i = 0; i < waiters.length;) {
      const w = waiters[i]!;
      if (!fits(w, t)) {
        i++;
        continue;
      }
      waiters.splice(i, 1);
      log.push({ at: t, weight: w.weight });
      weightInWindow += w.weight;
      if (w.kind === 'batch') batchLog.push(t);
      running++;
      w.go();
    }
    if (!waiters.length || timer) return;
    // Waiting on concurrency needs no timer (a finishing request pumps); on the window or a pause it does.
    const candidates = [
      log[0] ? log[0].at + opts.intervalMs : Infinity,
      batchLog[0] !== undefined ? batchLog[0] + opts.intervalMs : Infinity,
      pausedUntil > t ? pausedUntil : Infinity,
    ];
    const next = Math.max(pausedUntil, Math.min(...candidates));
    if (!Number.isFinite(next)) return;
    timer = setTimeout(
      () => {
        timer = undefined;
        pump();
      },
      Math.max(1, next - t + 1),
    );
    // Not unref'd: a waiter is a request someone awaits. An unref'd timer let the event loop empty
    // while a CLI sync waited for the next window, and Node ended the command's top-level await
    // with exit code 13 and no output (issue 19). With no waiter there is no timer.
  };

  return {
    async run<T>(kind: 'request' | 'batch', fn: () => Promise<T>, units = 1): Promise<T> {
      const weight = requestWeight(kind, units, opts);
      await new Promise<void>((go) => {
        waiters.push({ kind, weight, go });
        pump();
      });
      try {
        return await fn();
      } finally {
        running--;
        pump();
      }
    },
    get batchesThrottled() {
      prune(now());
      return batchLog.length >= opts.batchesPerMinute || waiters.some((w) => w.kind === 'batch');
    },
    pauseFor(ms: number) {
      const until = now() + ms;
      if (until <= pausedUntil) return;
      pausedUntil = until;
      if (timer) clearTimeout(timer);
      timer = undefined;
      pump();
    },
    get inFlight() {
      return running;
    },
  };
}

/**
 * The per-company limiters a client queues in: in-process (createLimiterRegistry) or, on PostgreSQL,
 * one budget per company shared by every process (connect/connection/shared-budget.ts).
 */
export interface LimiterRegistry {
  forRealm(realmId: string): RealmLimiter;
}

export function createLimiterRegistry(opts: Partial<LimiterOptions> = {}): LimiterRegistry {
  const merged = { ...defaultLimits, ...opts };
  const byRealm = new Map<string, RealmLimiter>();
  return {
    forRealm(realmId) {
      let l = byRealm.get(realmId);
      if (!l) {
        l = createRealmLimiter(merged);
        byRealm.set(realmId, l);
      }
      return l;
    },
  };
}
