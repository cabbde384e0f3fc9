/**
 * Armed faults, rolled per API request from a seeded PRNG so a failing run replays from its seed.
 *
 * Kinds (docs/reliability.md §emulator-faults): latency with jitter; 429, 500, 503 answered before anything is
 * stored; `hang` (no answer until the client gives up); `commit-then-drop` (the write is stored,
 * then the socket is destroyed, so the client never learns it); `commit-then-500` (stored, then a
 * 500 — a real server can fail after committing); `401` (AuthenticationFailed for a token the gateway
 * would otherwise accept: QBO's token service can refuse a valid token, and an access token can be
 * revoked between the client's check and the request). Besides rates, a queue of `next` faults hits the
 * next matching requests in order, for tests that need one exact fault.
 */
import { z } from 'zod';
import { createPrng, type Prng } from '../core/prng.js';

export const faultKinds = ['429', '500', '503', 'hang', 'commit-then-drop', 'commit-then-500', '401'] as const;
export type FaultKind = (typeof faultKinds)[number];

const rate = z.number().min(0).max(1);

export const faultSettingsSchema = z
  .object({
    seed: z.number().int(),
    /** Added latency in (real) milliseconds, plus a uniform jitter of up to `jitterMs`. */
    latencyMs: z.number().min(0).max(600_000),
    jitterMs: z.number().min(0).max(600_000),
    rates: z
      .object({
        '429': rate,
        '500': rate,
        '503': rate,
        hang: rate,
        'commit-then-drop': rate,
        'commit-then-500': rate,
        '401': rate,
      })
      .partial()
      .strict(),
    /** Which API requests faults may hit: all of them, only writes (POST), or only reads. */
    appliesTo: z.enum(['all', 'writes', 'reads']),
    /** Only this company's requests (default: every company). */
    realmId: z.string().optional(),
    /** Faults for the next matching requests, in order, before any rate is rolled. */
    next: z.array(z.enum(faultKinds)),
    /** Faults for the next calls to the token endpoint, in order (e.g. a refresh whose reply is
     *  lost after the token rotated: `commit-then-drop`). */
    tokenNext: z.array(z.enum(faultKinds)),
    /** Retry-After seconds on fault 429s (none by default, as Intuit does not promise one). */
    retryAfterSeconds: z.number().min(0).optional(),
  })
  .strict();
export type FaultSettings = z.infer<typeof faultSettingsSchema>;
export const faultPatchSchema = faultSettingsSchema.partial();

export const noFaults: FaultSettings = { seed: 1, latencyMs: 0, jitterMs: 0, rates: {}, appliesTo: 'all', next: [], tokenNext: [] };

export interface FaultDecision {
  delayMs: number;
  fault?: FaultKind;
}

export interface FaultPlan {
  settings(): FaultSettings;
  /** Replaces the listed settings; a new `seed` restarts the PRNG so the sequence replays. */
  arm(patch: Partial<FaultSettings>): FaultSettings;
  clear(): void;
  decide(realmId: string, method: string): FaultDecision;
  /** The next queued fault for the token endpoint, if any. */
  decideToken(): FaultKind | undefined;
}

export function createFaultPlan(seed: number): FaultPlan {
  let settings: FaultSettings = { ...structuredClone(noFaults), seed };
  let prng: Prng = createPrng(seed);
  return {
    settings: () => structuredClone(settings),
    arm(patch) {
      const p = faultPatchSchema.parse(patch);
      settings = { ...settings, ...p, rates: p.rates ?? settings.rates, next: p.next ?? settings.next, tokenNext: p.tokenNext ?? settings.tokenNext };
      if (p.seed !== undefined) prng = createPrng(p.seed);
      return structuredClone(settings);
    },
    clear() {
      settings = { ...structuredClone(noFaults), seed: settings.seed };
    },
    decideToken: () => settings.tokenNext.shift(),
    decide(realmId, method) {
      if (settings.realmId !== undefined && settings.realmId !== realmId) return { delayMs: 0 };
      const isWrite = method === 'POST';
      if ((settings.appliesTo === 'writes' && !isWrite) || (settings.appliesTo === 'reads' && isWrite)) return { delayMs: 0 };
      // Two draws per request, always, so the sequence does not depend on which faults are armed.
      const roll = prng.next();
      const jitter = prng.next();
      const delayMs = settings.latencyMs + jitter * settings.jitterMs;
      const queued = settings.next.shift();
      if (queued) return { delayMs, fault: queued };
      let acc = 0;
      for (const kind of faultKinds) {
        acc += settings.rates[kind] ?? 0;
        if (roll < acc) return { delayMs, fault: kind };
      }
      return { delayMs };
    },
  };
}
