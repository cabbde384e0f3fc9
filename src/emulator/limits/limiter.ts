/**
 * Per-company throttling as QBO does it (docs/qbo-api.md §throttling): at most `perMinute` requests in any
 * sliding emulated minute, `concurrent` in flight, `batchesPerMinute` batch calls per minute. A
 * refused request does not count toward the minute: the emulator meters what it served.
 *
 * Batch metering: Intuit's pages disagree on whether a batch's operations each count toward the
 * 500, so both models exist — `request` (a batch counts once) and `item` (each operation counts).
 */
import { z } from 'zod';
import type { EmulatorClock } from '../run/clock.js';
import { requestKinds, type RequestKind } from './kinds.js';
import type { ThrottleFormat } from './throttle.js';

export const limitSettingsSchema = z
  .object({
    enabled: z.boolean(),
    perMinute: z.number().int().positive(),
    concurrent: z.number().int().positive(),
    batchesPerMinute: z.number().int().positive(),
    batchMetering: z.enum(['request', 'item']),
    /** Seconds sent in Retry-After on a limit 429: a number, 'auto' (until the window frees), or 'none'. */
    retryAfter: z.union([z.number().min(0), z.literal('auto'), z.literal('none')]),
    throttleFormat: z.enum(['auto', 'json', 'xml']),
  })
  .strict();
export type LimitSettings = z.infer<typeof limitSettingsSchema> & { throttleFormat: ThrottleFormat };
export const limitPatchSchema = limitSettingsSchema.partial();

export const realLimits: LimitSettings = {
  enabled: true,
  perMinute: 500,
  concurrent: 10,
  batchesPerMinute: 40,
  batchMetering: 'request',
  retryAfter: 'none',
  throttleFormat: 'auto',
};

export type RefusalReason = 'rate' | 'concurrency' | 'batch-rate';

export interface CompanyStats {
  realmId: string;
  requests: Record<RequestKind, number>;
  batchItems: number;
  throttled: { rate: number; concurrency: number; 'batch-rate': number; fault: number };
  /** Every 429 this company was sent: limits and armed faults. */
  sent429: number;
  faults: Record<string, number>;
  maxInFlight: number;
  inFlight: number;
  /** The most requests (metered units) counted in one sliding minute. */
  maxPerMinute: number;
}

export type Admission = { ok: true; release(): void } | { ok: false; reason: RefusalReason; retryAfterMs: number };

interface CompanyState {
  window: { t: number; n: number }[];
  windowSum: number;
  batches: number[];
  stats: CompanyStats;
}

export interface Limiter {
  settings(): LimitSettings;
  set(patch: Partial<LimitSettings>): LimitSettings;
  /** `units` is the number of operations for a batch (used by item metering). */
  admit(realmId: string, kind: RequestKind, units: number): Admission;
  recordFault(realmId: string, fault: string, is429: boolean): void;
  stats(realmId?: string): CompanyStats[];
  resetStats(realmId?: string): void;
}

const MINUTE = 60_000;

function emptyStats(realmId: string): CompanyStats {
  return {
    realmId,
    requests: Object.fromEntries(requestKinds.map((k) => [k, 0])) as Record<RequestKind, number>,
    batchItems: 0,
    throttled: { rate: 0, concurrency: 0, 'batch-rate': 0, fault: 0 },
    sent429: 0,
    faults: {},
    maxInFlight: 0,
    inFlight: 0,
    maxPerMinute: 0,
  };
}

export function createLimiter(clock: EmulatorClock, initial: Partial<LimitSettings> = {}): Limiter {
  let settings: LimitSettings = { ...realLimits, ...limitPatchSchema.parse(initial) };
  const companies = new Map<string, CompanyState>();

  const state = (realmId: string) => {
    let s = companies.get(realmId);
    if (!s) {
      s = { window: [], windowSum: 0, batches: [], stats: emptyStats(realmId) };
      companies.set(realmId, s);
    }
    return s;
  };

  const prune = (s: CompanyState, now: number) => {
    while (s.window.length && s.window[0]!.t <= now - MINUTE) s.windowSum -= s.window.shift()!.n;
    while (s.batches.length && s.batches[0]! <= now - MINUTE) s.batches.shift();
  };

  return {
    settings: () => ({ ...settings }),
    set(patch) {
      settings = { ...settings, ...limitPatchSchema.parse(patch) };
      return { ...settings };
    },
    admit(realmId, kind, units) {
      const s = state(realmId);
      const now = clock.nowMs();
      prune(s, now);
      const weight = kind === 'batch' && settings.batchMetering === 'item' ? Math.max(1, units) : 1;
      const refuse = (reason: RefusalReason, retryAfterMs: number): Admission => {
        s.stats.throttled[reason]++;
        s.stats.sent429++;
        return { ok: false, reason, retryAfterMs };
      };
      if (settings.enabled) {
        if (s.stats.inFlight >= settings.concurrent) return refuse('concurrency', 1000);
        if (s.windowSum + weight > settings.perMinute) {
          // The minute frees up as the oldest entries age out; enough of them for this request.
          let freed = 0;
          let until = now + MINUTE;
          for (const e of s.window) {
            freed += e.n;
            if (s.windowSum - freed + weight <= settings.perMinute) {
              until = e.t + MINUTE;
              break;
            }
          }
          return refuse('rate', until - now);
        }
        if (kind === 'batch' && s.batches.length >= settings.batchesPerMinute) return refuse('batch-rate', s.batches[0]! + MINUTE - now);
      }
      s.window.push({ t: now, n: weight });
      s.windowSum += weight;
      if (kind === 'batch') {
        s.batches.push(now);
        s.stats.batchItems += units;
      }
      s.stats.maxPerMinute = Math.max(s.stats.maxPerMinute, s.windowSum);
      s.stats.requests[kind]++;
      s.stats.inFlight++;
      s.stats.maxInFlight = Math.max(s.stats.maxInFlight, s.stats.inFlight);
      let released = false;
      return {
        ok: true,
        release() {
          if (released) return;
          released = true;
          s.stats.inFlight--;
        },
      };
    },
    recordFault(realmId, fault, is429) {
      const s = state(realmId);
      s.stats.faults[fault] = (s.stats.faults[fault] ?? 0) + 1;
      if (is429) {
        s.stats.throttled.fault++;
        s.stats.sent429++;
      }
    },
    stats(realmId) {
      const list = realmId === undefined ? [...companies.values()] : [state(realmId)];
      return list.map((s) => structuredClone(s.stats));
    },
    resetStats(realmId) {
      for (const [id, s] of companies) {
        if (realmId !== undefined && id !== realmId) continue;
        const inFlight = s.stats.inFlight;
        s.stats = emptyStats(id);
        s.stats.inFlight = inFlight;
      }
    },
  };
}
