/**
 * Per-company request limits, below QBO's own (qbo-api.md §7): at most N requests per rolling minute,
 * M in flight, and B batch requests per rolling minute. p-queue's strict mode counts a sliding
 * window, so no 60-second span ever holds more than the cap (a fixed window allows twice that
 * across a boundary). A 429 pauses the whole company, since every request would meet the same wall.
 */
import PQueue from 'p-queue';

export interface LimiterOptions {
  requestsPerMinute: number;
  concurrency: number;
  batchesPerMinute: number;
  /** The window length: QBO's minute plus a margin (see defaultLimits); shortened only by tests. */
  intervalMs: number;
}

/**
 * QBO's caps over a window 2 s longer than its minute: we count a request when it leaves, QBO when
 * it arrives, so without a margin the 41st batch at the window's edge can arrive inside QBO's minute,
 * meet a 429, and pause the whole company for a minute (measured by `npm run bench`). The margin
 * costs about 3 % of the throughput.
 */
export const defaultLimits: LimiterOptions = { requestsPerMinute: 500, concurrency: 10, batchesPerMinute: 40, intervalMs: 62_000 };

export interface RealmLimiter {
  run<T>(kind: 'request' | 'batch', fn: () => Promise<T>): Promise<T>;
  /** Hold new requests for this company for `ms` (after a 429). */
  pauseFor(ms: number): void;
  readonly inFlight: number;
}

export interface LimiterRegistry {
  forRealm(realmId: string): RealmLimiter;
}

export function createRealmLimiter(opts: LimiterOptions, now: () => number = Date.now): RealmLimiter {
  const main = new PQueue({ concurrency: opts.concurrency, intervalCap: opts.requestsPerMinute, interval: opts.intervalMs, strict: true });
  const batches = new PQueue({ concurrency: Infinity, intervalCap: opts.batchesPerMinute, interval: opts.intervalMs, strict: true });
  let pausedUntil = 0;
  let timer: NodeJS.Timeout | undefined;
  let running = 0;

  const wrapped = <T>(fn: () => Promise<T>) => async () => {
    running++;
    try {
      return await fn();
    } finally {
      running--;
    }
  };

  return {
    run<T>(kind: 'request' | 'batch', fn: () => Promise<T>): Promise<T> {
      if (kind === 'batch') return batches.add(() => main.add(wrapped(fn)));
      return main.add(wrapped(fn));
    },
    pauseFor(ms: number) {
      const until = now() + ms;
      if (until <= pausedUntil) return;
      pausedUntil = until;
      main.pause();
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        main.start();
      }, ms);
      timer.unref?.();
    },
    get inFlight() {
      return running;
    },
  };
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
