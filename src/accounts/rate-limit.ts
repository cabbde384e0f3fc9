/**
 * Sign-in attempt limits: failures per email and per client address within a window. Kept in
 * memory, which is right for the embedded default (one process); several processes behind a load
 * balancer would each keep their own count, so the effective limit multiplies by the process count
 * (a shared store is the later step named in ARCHITECTURE §9).
 */
export interface RateLimitOptions {
  /** Failures allowed per key within the window before further attempts are refused. */
  max: number;
  windowMs: number;
}

export class AttemptLimiter {
  private readonly failures = new Map<string, number[]>();
  constructor(private readonly opts: RateLimitOptions) {}

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.opts.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Milliseconds until the key may try again, or 0 when it may try now. */
  retryAfter(key: string, now: number): number {
    const list = this.recent(key, now);
    if (list.length < this.opts.max) return 0;
    return this.opts.windowMs - (now - list[list.length - this.opts.max]!);
  }

  fail(key: string, now: number): void {
    const list = this.recent(key, now);
    list.push(now);
    this.failures.set(key, list);
    // A flood of distinct keys must not grow memory without bound: drop the oldest keys.
    if (this.failures.size > 10_000) {
      const first = this.failures.keys().next().value;
      if (first !== undefined) this.failures.delete(first);
    }
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }
}

/** The two limits the sign-in page applies. */
export function signInLimiters(): { perEmail: AttemptLimiter; perIp: AttemptLimiter } {
  return {
    perEmail: new AttemptLimiter({ max: 5, windowMs: 15 * 60 * 1000 }),
    perIp: new AttemptLimiter({ max: 20, windowMs: 15 * 60 * 1000 }),
  };
}
