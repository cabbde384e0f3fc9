/**
 * A QBO client for a connected company, built from the application's configuration and the stored
 * (encrypted) tokens. One place, so the preview, the sync, the CLI and the API talk to QBO the same way.
 */
import type { AppContext } from '../app.js';
import type { Config } from '../config.js';
import { defaultRetryPolicy } from '../qbo/classify.js';
import { createQboClient, type CompanyClient, type QboClientOptions } from '../qbo/client.js';
import { defaultLimits } from '../qbo/limiter.js';
import { createConnectionService } from './connection.js';

export type QboClientContext = Pick<AppContext, 'db' | 'config' | 'logger' | 'clock'>;

type ClientOverrides = Partial<Pick<QboClientOptions, 'fetch' | 'retry' | 'sleep' | 'limits' | 'timeoutMs'>>;

/** The client's per-attempt timeout against QBO (Intuit itself cuts requests off at 120 s). */
const TIMEOUT_MS = 60_000;

/**
 * Against an emulator run with a time scale, its minute lasts 60/scale seconds: the rate window,
 * the 429 pause, the backoff and the timeout shrink by the same factor, so the client keeps QBO's
 * limits in emulated time. Never applied to Intuit's sandbox or production.
 */
export function timeScaledOptions(config: Pick<Config, 'qboEnv' | 'emulatorTimeScale'>): ClientOverrides {
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

/** The company client for `realmId`; requests fail with a clear QBO error if the company is not connected. */
export function qboClientFor(ctx: QboClientContext, realmId: string, opts: ClientOverrides = {}): CompanyClient {
  const service = createConnectionService({ db: ctx.db, config: ctx.config, logger: ctx.logger, clock: ctx.clock, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  const scaled = timeScaledOptions(ctx.config);
  // QBO_BATCH_METERING: how the limiter weighs a batch (a caller's own limits still win).
  const metering = ctx.config.batchMetering ?? defaultLimits.batchMetering;
  const merged: ClientOverrides = {
    ...scaled,
    ...opts,
    limits: { ...(metering ? { batchMetering: metering } : {}), ...scaled.limits, ...opts.limits },
    ...(scaled.retry || opts.retry ? { retry: { ...scaled.retry, ...opts.retry } } : {}),
  };
  const client = createQboClient({ endpoints: service.endpoints, store: service.store, logger: ctx.logger, clock: ctx.clock, ...merged });
  return client.company(realmId);
}
