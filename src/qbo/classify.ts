/**
 * The one place that decides what happens after an attempt: retry or not, how long to wait, and why.
 * Pure (time and randomness come in as arguments) so every branch is tested directly.
 *
 * Rules (docs/qbo-api.md §throttling, §error-codes; docs/reliability.md §retries):
 * - network errors and timeouts: retry with backoff (writes keep their requestid, so a replay is safe);
 * - QBO unreachable (the connection was refused, the host not found, the port blocked: nothing was
 *   sent): retried at most until `maxUnreachableAttempts` attempts (default 2, one retry for a blip).
 *   QBO's endpoints do not refuse connections while they are up, so six attempts with backoff only
 *   made a person wait for the same answer (an action on a held record: 6–12 s and ~70 attempts
 *   against a closed port); the sync's next run is the retry above this one ("limit the retries,
 *   retry at one layer": docs/reliability.md §retries). Nothing was sent: no write is uncertain;
 * - 429 / fault 3001: retry after Retry-After when given, else the throttle pause plus jitter;
 * - 5xx: retry with backoff;
 * - 401: refresh the token and retry; final once `maxRefreshes` refreshed tokens in a row were each
 *   refused (no other failure between). One refusal of a fresh token proves little: a token can
 *   expire or be ended between its refresh and its arrival (docs/qbo-api.md §oauth, "a 401 from the
 *   API usually means it expired"; docs/reliability.md §retries). A connection Intuit really ended
 *   fails sooner, at its first refresh (invalid_grant, tokens.ts): this bound only stops a loop;
 * - 5010 (stale SyncToken): re-read and retry once, when the operation can re-read;
 * - every other fault: final — business errors are for a person, not a loop.
 */
import { fullJitter, parseRetryAfter, type BackoffPolicy, type Random } from './backoff.js';

export type AttemptOutcome =
  /** `unreachable`: the request never left (connection refused, host not found, port blocked). */
  | { type: 'network'; timedOut: boolean; unreachable?: boolean }
  | { type: 'http'; status: number; retryAfter?: string | null | undefined; faultCode?: string | undefined; throttled?: boolean };

export type RetryReason = 'ok' | 'network' | 'unreachable' | 'timeout' | 'throttled' | 'server-error' | 'unauthorized' | 'stale-object' | 'fault';

export interface RetryPolicy extends BackoffPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Pause after a 429 without Retry-After (Intuit: "wait 60 seconds"). */
  throttleWaitMs: number;
  /** Longest Retry-After we honour. */
  maxRetryAfterMs: number;
  /** Token refreshes in a row, each answered by a 401, after which a 401 is final. */
  maxRefreshes: number;
  /** Attempts in all while QBO cannot be reached (nothing sent), the first included; at most maxAttempts. */
  maxUnreachableAttempts: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 6,
  baseMs: 500,
  capMs: 30_000,
  throttleWaitMs: 60_000,
  maxRetryAfterMs: 10 * 60_000,
  maxRefreshes: 3,
  maxUnreachableAttempts: 2,
};

export interface ClassifyInput {
  outcome: AttemptOutcome;
  /** The attempt that just finished, 1-based. */
  attempt: number;
  policy: RetryPolicy;
  /** Token refreshes spent on this request since its last failure other than a 401. */
  refreshes: number;
  /** A stale-object re-read was already spent, or the operation cannot re-read. */
  rereadSpent: boolean;
  now: Date;
  random: Random;
}

export interface Decision {
  retry: boolean;
  /** Milliseconds to wait before the next attempt (0 when not retrying). */
  wait: number;
  reason: RetryReason;
}

export function classify(input: ClassifyInput): Decision {
  const { outcome, attempt, policy, random } = input;
  const attemptsLeft = attempt < policy.maxAttempts;
  const backoff = () => fullJitter(attempt, policy, random);

  if (outcome.type === 'network' && outcome.unreachable && !outcome.timedOut) {
    return attemptsLeft && attempt < policy.maxUnreachableAttempts ? { retry: true, wait: backoff(), reason: 'unreachable' } : { retry: false, wait: 0, reason: 'unreachable' };
  }
  if (outcome.type === 'network') {
    const reason: RetryReason = outcome.timedOut ? 'timeout' : 'network';
    return attemptsLeft ? { retry: true, wait: backoff(), reason } : { retry: false, wait: 0, reason };
  }

  const { status } = outcome;
  if (outcome.throttled || status === 429 || outcome.faultCode === '3001') {
    if (!attemptsLeft) return { retry: false, wait: 0, reason: 'throttled' };
    const after = parseRetryAfter(outcome.retryAfter, input.now, policy.maxRetryAfterMs);
    // Honour the server's number exactly as a floor; jitter on top keeps many clients from lining up.
    const wait = after !== undefined ? after + Math.floor(random() * Math.min(1000, policy.baseMs)) : policy.throttleWaitMs + backoff();
    return { retry: true, wait, reason: 'throttled' };
  }
  if (status >= 200 && status < 300 && outcome.faultCode === undefined) return { retry: false, wait: 0, reason: 'ok' };
  if (status === 401) {
    return input.refreshes >= policy.maxRefreshes || !attemptsLeft ? { retry: false, wait: 0, reason: 'unauthorized' } : { retry: true, wait: 0, reason: 'unauthorized' };
  }
  if (outcome.faultCode === '5010') {
    return input.rereadSpent || !attemptsLeft ? { retry: false, wait: 0, reason: 'stale-object' } : { retry: true, wait: 0, reason: 'stale-object' };
  }
  if (status >= 500) {
    if (!attemptsLeft) return { retry: false, wait: 0, reason: 'server-error' };
    const after = parseRetryAfter(outcome.retryAfter, input.now, policy.maxRetryAfterMs);
    return { retry: true, wait: Math.max(after ?? 0, backoff()), reason: 'server-error' };
  }
  return { retry: false, wait: 0, reason: 'fault' };
}
