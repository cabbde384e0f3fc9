/**
 * Wires a sync for one company from the app's context: the QBO client (with a request counter and
 * the `after-send-before-response` crash point around fetch), the preview as planner, the crash
 * points from the environment. The CLI, the web app and the API all start syncs through this.
 */
import type { AppContext } from '../../context.js';
import { buildPlan } from '../plan/index.js';
import { qboClientFor } from '../connection/qbo-client.js';
import { notifyRunClosed } from '../notify/index.js';

type QboClientOverrides = NonNullable<Parameters<typeof qboClientFor>[2]>;
import { DEFAULT_PROCESSING_WINDOW_MS } from './context.js';
import { crashPointFromEnv, type CrashPoint } from './crash-point.js';
import type { SyncDeps } from './sync.js';

export interface SyncWiringOptions {
  env?: NodeJS.ProcessEnv;
  /** Client options a caller may tighten (tests: a short throttle pause). */
  client?: QboClientOverrides;
  lockTtlMs?: number;
  /** Who the one-time settings pre-fill of the preview is audited as. */
  actor?: string;
  /** QBO's processing window (RunDeps.processingWindowMs); wins over the environment. */
  processingWindowMs?: number;
  /** Each notification channel's deadline (ms): the CLI gives a short one, so its exit is not held by a dead mail server. */
  notifyTimeoutMs?: number;
}

export function syncDepsFor(
  ctx: Pick<AppContext, 'config' | 'db' | 'logger' | 'clock' | 'qbo' | 'metrics' | 'drain' | 'jobs'>,
  realmId: string,
  opts: SyncWiringOptions = {},
): SyncDeps {
  const env = opts.env ?? process.env;
  const crash: CrashPoint = crashPointFromEnv(env);
  // QBO_CONNECT_BATCH_SIZE (1–30) narrows batches, so tests can cross batch boundaries with few records.
  const batchSize = env['QBO_CONNECT_BATCH_SIZE'] ? Number(env['QBO_CONNECT_BATCH_SIZE']) : undefined;
  const scope = { group: '' };
  let requests = 0;
  const baseFetch = opts.client?.fetch ?? fetch;
  const countingFetch: typeof fetch = async (input, init) => {
    requests += 1;
    const res = await baseFetch(input, init);
    // QBO has the write (and answered); we have not read the answer yet.
    if (init?.method === 'POST' && String(input instanceof Request ? input.url : input).includes('requestid=')) crash('after-send-before-response', scope.group);
    return res;
  };
  // QBO_CONNECT_REQUESTS_PER_MINUTE (≥ 1) lowers the client's own rate cap, so a test can cross
  // more than one limiter window with a small company (a caller's explicit limits still win).
  const perMinute = env['QBO_CONNECT_REQUESTS_PER_MINUTE'] ? Number(env['QBO_CONNECT_REQUESTS_PER_MINUTE']) : undefined;
  const capped = perMinute !== undefined && Number.isInteger(perMinute) && perMinute >= 1 ? { limits: { requestsPerMinute: perMinute, ...opts.client?.limits } } : {};
  const client = qboClientFor(ctx, realmId, { ...opts.client, ...capped, fetch: countingFetch });
  // QBO's processing window in the emulator's time (its time scale shrinks it as it shrinks the
  // client's timeout); QBO_CONNECT_PROCESSING_WINDOW_MS sets it outright, for tests whose kills
  // leave nothing in flight at QBO and that must not wait two minutes per restart.
  const scale = ctx.config.qboEnv === 'emulator' ? Math.max(1, ctx.config.emulatorTimeScale ?? 1) : 1;
  const windowEnv = env['QBO_CONNECT_PROCESSING_WINDOW_MS'] ? Number(env['QBO_CONNECT_PROCESSING_WINDOW_MS']) : undefined;
  const processingWindowMs =
    opts.processingWindowMs ?? (windowEnv !== undefined && Number.isFinite(windowEnv) && windowEnv >= 0 ? windowEnv : Math.round(DEFAULT_PROCESSING_WINDOW_MS / scale));
  return {
    db: ctx.db,
    processingWindowMs,
    clock: ctx.clock,
    logger: ctx.logger,
    client,
    crash,
    scope,
    ...(ctx.metrics ? { metrics: ctx.metrics } : {}),
    requestCount: () => requests,
    drain: ctx.drain,
    notify: (run) => notifyRunClosed(ctx, run, opts.notifyTimeoutMs !== undefined ? { timeoutMs: opts.notifyTimeoutMs } : {}),
    ...(batchSize !== undefined && Number.isInteger(batchSize) ? { batchSize } : {}),
    ...(opts.lockTtlMs !== undefined ? { lockTtlMs: opts.lockTtlMs } : {}),
    buildPlan: (id) => buildPlan({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, qbo: client }, id, { ...(opts.actor ? { actor: opts.actor } : {}) }),
  };
}
