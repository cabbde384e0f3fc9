/**
 * The process's QBO clients for connected companies, built once by `createApp` from the configuration
 * and the stored (encrypted) tokens: one place, so the preview, the sync, the CLI and the API talk to
 * QBO the same way — and share each company's limiter, so a preview and a sync running together stay
 * inside QBO's "10 in flight, 500 a minute" for the company (ARCHITECTURE §7), not twice that.
 */
import type { Config } from '../../config.js';
import type { AppContext, Clock, OpsMetrics, QboClientOverrides, QboClients } from '../../context.js';
import type { Logger } from '../../log.js';
import { defaultRetryPolicy } from '../../qbo/classify.js';
import { createQboClient, type CompanyClient } from '../../qbo/client.js';
import { createLimiterRegistry, defaultLimits, type LimiterOptions, type LimiterRegistry } from '../../qbo/limiter.js';
import type { Db } from '../../store/db.js';
import { dialectOf } from '../../store/dialect.js';
import { endpointsFor } from './connection.js';
import { createSharedBudget } from './shared-budget.js';
import { ConnectionStore } from './store.js';
import { lazyTokenCipher, loadOrCreateKey, type TokenCipher } from './crypto.js';

export type { QboClientOverrides } from '../../context.js';

/** The client's per-attempt timeout against QBO (Intuit itself cuts requests off at 120 s). */
const TIMEOUT_MS = 60_000;

/**
 * Against an emulator run with a time scale, its minute lasts 60/scale seconds: the rate window,
 * the 429 pause, the backoff and the timeout shrink by the same factor, so the client keeps QBO's
 * limits in emulated time. Never applied to Intuit's sandbox or production.
 */
export function timeScaledOptions(config: Pick<Config, 'qboEnv' | 'emulatorTimeScale'>): QboClientOverrides {
  const scale = config.qboEnv === 'emulator' ? (config.emulatorTimeScale ?? 1) : 1;
  if (scale <= 1) return {};
  const s = (ms: number, floor: number) => Math.max(floor, Math.round(ms / scale));
  return {
    limits: { intervalMs: s(defaultLimits.intervalMs, 50) },
    retry: { throttleWaitMs: s(defaultRetryPolicy.throttleWaitMs, 10), baseMs: s(defaultRetryPolicy.baseMs, 5), capMs: s(defaultRetryPolicy.capMs, 50) },
    // A floor of 2 s: a busy machine must not turn every slow answer into a timeout.
    timeoutMs: s(TIMEOUT_MS, 2_000),
  };
}

/** The configuration's client options (time scale, QBO_BATCH_METERING) under a caller's own, which win. */
function clientOptions(config: Config, opts: QboClientOverrides): QboClientOverrides & { limits: Partial<LimiterOptions> } {
  const scaled = timeScaledOptions(config);
  // QBO_BATCH_METERING: how the limiter weighs a batch (a caller's own limits still win).
  const metering = config.batchMetering ?? defaultLimits.batchMetering;
  return {
    ...scaled,
    ...opts,
    limits: { ...(metering ? { batchMetering: metering } : {}), ...scaled.limits, ...opts.limits },
    ...(scaled.retry || opts.retry ? { retry: { ...scaled.retry, ...opts.retry } } : {}),
  };
}

export interface QboClientsDeps {
  db: Db;
  config: Config;
  logger: Logger;
  clock: Clock;
  /** The token cipher; without one, the key is read (or created) on first use, once. */
  cipher?: TokenCipher;
  /** Counts QBO's 429s and the limiter's pauses for /metrics. */
  metrics?: OpsMetrics;
}

/** The registry, its limiters' pauses counted (the client pauses a company after a 429). */
function countingPauses(registry: LimiterRegistry, metrics: OpsMetrics | undefined): LimiterRegistry {
  if (!metrics) return registry;
  return {
    forRealm(realmId) {
      const limiter = registry.forRealm(realmId);
      // The limiter's getters read its own closure, so an object over it keeps them.
      return Object.create(limiter, {
        pauseFor: {
          value: (ms: number) => {
            metrics.limiterPaused(realmId, ms);
            return limiter.pauseFor(ms);
          },
        },
      }) as typeof limiter;
    },
  };
}

/** Counts QBO's 429 answers of one company for /metrics. */
function countingThrottles(realmId: string, base: typeof fetch, metrics: OpsMetrics): typeof fetch {
  return async (input, init) => {
    const res = await base(input, init);
    if (res.status === 429) metrics.qboThrottled(realmId);
    return res;
  };
}

/** Built once per process (`createApp`); tests that build their own context build their own. */
export function createQboClients(deps: QboClientsDeps): QboClients {
  const cipher = deps.cipher ?? lazyTokenCipher(() => loadOrCreateKey(deps.config));
  const endpoints = endpointsFor(deps.config);
  const connections = new ConnectionStore({ db: deps.db, cipher, clock: deps.clock });
  // One registry (a limiter per company) per set of limits: every client of the process with the
  // configured limits shares one; only a caller that sets other limits (tests) gets another.
  // On PostgreSQL each limiter reserves from the company's budget in the database, shared with every
  // other process (shared-budget.ts); on SQLite (one process by design) it is in-process.
  const shared = dialectOf(deps.db) === 'postgres';
  const registries = new Map<string, LimiterRegistry>();
  const registryFor = (limits: Partial<LimiterOptions>, timeoutMs: number): LimiterRegistry => {
    const full: LimiterOptions = { ...defaultLimits, ...limits };
    // A request lasts at most its timeout: twice that, and an unreleased slot is a dead process's.
    const leaseMs = 2 * timeoutMs;
    const key = JSON.stringify({ ...full, ...(shared ? { leaseMs } : {}) }, [...Object.keys(full), 'leaseMs'].sort());
    let registry = registries.get(key);
    if (!registry) {
      registry = countingPauses(shared ? createSharedBudget(deps.db, { limits: full, leaseMs, logger: deps.logger }) : createLimiterRegistry(full), deps.metrics);
      registries.set(key, registry);
    }
    return registry;
  };
  const companyWith = (realmId: string, d: { db: Db; clock: Clock; logger: Logger }, overrides: QboClientOverrides): CompanyClient => {
    const merged = clientOptions(deps.config, overrides);
    const store = d.db === deps.db && d.clock === deps.clock ? connections : new ConnectionStore({ db: d.db, cipher, clock: d.clock });
    const counted = deps.metrics ? { fetch: countingThrottles(realmId, merged.fetch ?? ((input, init) => fetch(input, init)), deps.metrics) } : {};
    return createQboClient({
      endpoints,
      store,
      logger: d.logger,
      clock: d.clock,
      ...merged,
      ...counted,
      limiters: registryFor(merged.limits, merged.timeoutMs ?? TIMEOUT_MS),
    }).company(realmId);
  };

  return {
    cipher,
    connections,
    // A client object is cheap and lives as long as one preview, sync or page: its token cache (qbo/tokens.ts)
    // must not outlast a disconnect or log-out made elsewhere, another process included (issue 19).
    // What must be one per company — the limiter, the stored connections, the key — is shared.
    company: (realmId) => companyWith(realmId, deps, {}),
    companyWith,
  };
}

/**
 * The company client for `realmId`; requests fail with a clear QBO error if the company is not
 * connected. Every client of a company, with or without overrides, queues in the company's one limiter.
 */
export function qboClientFor(ctx: Pick<AppContext, 'qbo' | 'db' | 'clock' | 'logger'>, realmId: string, opts: QboClientOverrides = {}): CompanyClient {
  return Object.keys(opts).length === 0 ? ctx.qbo.company(realmId) : ctx.qbo.companyWith(realmId, ctx, opts);
}
