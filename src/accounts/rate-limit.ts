/**
 * Password-guess limits, per account and per client address. An attempt is counted *before* the
 * password is checked (`attempt` records it synchronously), so requests that arrive together cannot
 * all slip past one check; a success forgets the account's count. After a few free attempts each
 * further one must wait twice as long as the one before (1 s, 2 s, 4 s, …), and past `max` attempts
 * in the window every attempt is refused until the oldest leaves the window.
 *
 * Kept in memory, which is right for the embedded default (one process); several processes behind
 * a load balancer would each keep their own count, so the effective limit multiplies by the process
 * count (a shared store is the later step named in ARCHITECTURE §9).
 */
export interface RateLimitOptions {
  /** Attempts allowed per key within the window; further attempts are refused. */
  max: number;
  windowMs: number;
  /** Attempts allowed without any delay; from then on the gap doubles from `baseDelayMs`. */
  free?: number;
  baseDelayMs?: number;
}

export class AttemptLimiter {
  private readonly attempts = new Map<string, number[]>();
  constructor(private readonly opts: RateLimitOptions) {}

  private recent(key: string, now: number): number[] {
    const list = (this.attempts.get(key) ?? []).filter((t) => now - t < this.opts.windowMs);
    if (list.length) this.attempts.set(key, list);
    else this.attempts.delete(key);
    return list;
  }

  /** Milliseconds until the key may try again, or 0 when it may try now. Records nothing. */
  retryAfter(key: string, now: number): number {
    const list = this.recent(key, now);
    if (list.length >= this.opts.max) return this.opts.windowMs - (now - list[list.length - this.opts.max]!);
    const free = this.opts.free ?? this.opts.max;
    if (list.length < free) return 0;
    const gap = (this.opts.baseDelayMs ?? 1000) * 2 ** (list.length - free);
    return Math.max(0, gap - (now - list[list.length - 1]!));
  }

  /**
   * Counts one attempt now, before anything slow happens, and answers 0 when it may go ahead, or the
   * milliseconds to wait (the refused attempt is not counted).
   */
  attempt(key: string, now: number): number {
    const wait = this.retryAfter(key, now);
    if (wait > 0) return wait;
    const list = this.attempts.get(key) ?? [];
    list.push(now);
    this.attempts.set(key, list);
    // A flood of distinct keys must not grow memory without bound: drop the oldest keys.
    if (this.attempts.size > 10_000) {
      const first = this.attempts.keys().next().value;
      if (first !== undefined) this.attempts.delete(first);
    }
    return 0;
  }

  /** Takes back the newest attempt (a sign-in that succeeded: only guesses count against an address). */
  forgive(key: string): void {
    const list = this.attempts.get(key);
    list?.pop();
    if (list && list.length === 0) this.attempts.delete(key);
  }

  /** The right password: the account starts afresh. */
  succeed(key: string): void {
    this.attempts.delete(key);
  }
}

export interface SignInLimiters {
  perEmail: AttemptLimiter;
  perIp: AttemptLimiter;
}

/** The two limits sign-in and the current-password check share. */
export function signInLimiters(): SignInLimiters {
  return {
    perEmail: new AttemptLimiter({ max: 10, windowMs: 15 * 60 * 1000, free: 3, baseDelayMs: 1000 }),
    perIp: new AttemptLimiter({ max: 30, windowMs: 15 * 60 * 1000, free: 10, baseDelayMs: 500 }),
  };
}

/**
 * Counts one password attempt for `email` from `ip` against both limits, before the password is
 * checked. Answers 0 (go ahead) or the milliseconds to wait. When the address is over its limit the
 * account's count is not touched, so a stranger's flood does not also lock the account.
 */
export function countAttempt(limiters: SignInLimiters, email: string, ip: string, now: number): number {
  const byIp = limiters.perIp.retryAfter(`ip:${ip}`, now);
  if (byIp > 0) return byIp;
  const byEmail = limiters.perEmail.attempt(`email:${email}`, now);
  if (byEmail > 0) return byEmail;
  const wait = limiters.perIp.attempt(`ip:${ip}`, now);
  if (wait > 0) limiters.perEmail.forgive(`email:${email}`);
  return wait;
}

/** The password was right: the account starts afresh and the address gets its attempt back. */
export function countSuccess(limiters: SignInLimiters, email: string, ip: string): void {
  limiters.perEmail.succeed(`email:${email}`);
  limiters.perIp.forgive(`ip:${ip}`);
}
