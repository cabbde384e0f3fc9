/**
 * `/metrics` in Prometheus' text format (prom-client), one registry per app so many apps in one
 * process (tests) never collide. Off unless QBO_CONNECT_METRICS_TOKEN is set; then only a request
 * with `Authorization: Bearer <token>` gets it (compared in constant time), anyone else a 401.
 *
 * Counted as it happens: sync runs and their duration, records by how they ended (the history's
 * words), QBO's 429s and the limiter's pauses. Read at each scrape from the database: days until each
 * connected company's refresh token expires, the latest run's failed and held records, skipped
 * records. Labels are company ids and the product's words only: never a name, an amount, a token.
 */
import crypto from 'node:crypto';
import { Hono } from 'hono';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AppContext, OpsMetrics, RecordResult } from '../context.js';
import { latestRun } from '../connect/run/history.js';
import { skippedKeys } from '../connect/skips.js';

export interface AppMetrics extends OpsMetrics {
  readonly registry: Registry;
  /** The exposition, the gauges read from the database first (token expiry, latest run, skipped). */
  scrape(ctx: Pick<AppContext, 'db' | 'clock' | 'qbo'>): Promise<string>;
}

const DAY_MS = 86_400_000;

export function isAppMetrics(m: OpsMetrics | undefined): m is AppMetrics {
  return m !== undefined && 'registry' in m && m.registry instanceof Registry;
}

export function createMetrics(): AppMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'qbo_connect_' });
  const registers = [registry];
  const runs = new Counter({ name: 'qbo_connect_sync_runs_total', help: 'Sync runs finished, by company and status.', labelNames: ['realm_id', 'status'], registers });
  const duration = new Histogram({
    name: 'qbo_connect_sync_duration_seconds',
    help: 'How long sync runs took, by status.',
    labelNames: ['status'],
    // A small company syncs in seconds; a year of a large practice takes tens of minutes at QBO's 500 a minute.
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
    registers,
  });
  const records = new Counter({
    name: 'qbo_connect_sync_records_total',
    help: 'Records of finished sync runs by how they ended: created, adopted, updated, voided, imported (payments from QBO), failed, held.',
    labelNames: ['realm_id', 'result'],
    registers,
  });
  const throttled = new Counter({ name: 'qbo_connect_qbo_throttled_total', help: 'QBO answers HTTP 429 (throttled), by company.', labelNames: ['realm_id'], registers });
  const pauses = new Counter({
    name: 'qbo_connect_limiter_pauses_total',
    help: "Times the company's limiter held every request after a throttle.",
    labelNames: ['realm_id'],
    registers,
  });
  const pausedSeconds = new Counter({ name: 'qbo_connect_limiter_pause_seconds_total', help: 'Seconds of those pauses, by company.', labelNames: ['realm_id'], registers });

  // Read from the database at each scrape (before the registry is serialised), so they are right
  // whichever process synced or connected.
  const tokenDays = new Gauge({
    name: 'qbo_connect_token_expiry_days',
    help: "Days until the company's refresh token expires (reconnect before 0); 0 or less once its connection has lapsed.",
    labelNames: ['realm_id'],
    registers,
  });
  const connectedGauge = new Gauge({
    name: 'qbo_connect_connected',
    help: 'Whether the company is connected to QuickBooks (1) or its connection lapsed or was ended (0): alert on 0.',
    labelNames: ['realm_id'],
    registers,
  });
  const lastRun = new Gauge({
    name: 'qbo_connect_last_run_records',
    help: "Failed and held records of the company's latest sync run (undo runs are not counted).",
    labelNames: ['realm_id', 'result'],
    registers,
  });
  const skipped = new Gauge({ name: 'qbo_connect_skipped_records', help: 'Records left out of syncs (skipped), by company.', labelNames: ['realm_id'], registers });

  return {
    registry,
    async scrape(ctx) {
      const now = ctx.clock();
      const all = await ctx.qbo.connections.list();
      tokenDays.reset();
      connectedGauge.reset();
      lastRun.reset();
      skipped.reset();
      // A lapsed company stays in the series (issue 17): dropping it made the alert on "days < 7" go quiet
      // exactly when the connection was lost.
      for (const c of all) {
        const days = c.refreshExpiresAt ? Math.round(((c.refreshExpiresAt.getTime() - now.getTime()) / DAY_MS) * 100) / 100 : undefined;
        connectedGauge.set({ realm_id: c.realmId }, c.status === 'connected' ? 1 : 0);
        if (c.status !== 'connected') tokenDays.set({ realm_id: c.realmId }, Math.min(days ?? 0, 0));
      }
      for (const c of all.filter((x) => x.status === 'connected')) {
        const realm_id = c.realmId;
        if (c.refreshExpiresAt) tokenDays.set({ realm_id }, Math.round(((c.refreshExpiresAt.getTime() - now.getTime()) / DAY_MS) * 100) / 100);
        // Sync runs only: an undo's kept names and refusals are not a sync's held and failed records.
        const run = await latestRun(ctx.db, realm_id, { now, kind: 'sync' });
        if (run) {
          lastRun.set({ realm_id, result: 'failed' }, run.failed);
          lastRun.set({ realm_id, result: 'held' }, run.held);
        }
        skipped.set({ realm_id }, (await skippedKeys(ctx.db, realm_id)).size);
      }
      return registry.metrics();
    },
    runFinished({ realmId, status, durationMs, records: counts }) {
      runs.inc({ realm_id: realmId, status });
      if (durationMs !== null && durationMs >= 0) duration.observe({ status }, durationMs / 1000);
      for (const [result, n] of Object.entries(counts) as [RecordResult, number][]) records.inc({ realm_id: realmId, result }, n);
    },
    qboThrottled(realmId) {
      throttled.inc({ realm_id: realmId });
    },
    limiterPaused(realmId, ms) {
      pauses.inc({ realm_id: realmId });
      pausedSeconds.inc({ realm_id: realmId }, ms / 1000);
    },
  };
}

/** Equal in constant time (lengths compared through their digests, which hide the token's length). */
function sameToken(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

/** GET /metrics, mounted by createHttpApp when the app counts (ctx.metrics) and a token is set. */
export function metricsApi(ctx: AppContext, metrics: AppMetrics, token: string): Hono {
  const api = new Hono();
  api.get('/', async (c) => {
    const auth = c.req.header('authorization') ?? '';
    const given = /^Bearer (.+)$/i.exec(auth)?.[1] ?? '';
    if (!sameToken(given, token)) {
      c.header('WWW-Authenticate', 'Bearer realm="metrics"');
      return c.text('A bearer token (QBO_CONNECT_METRICS_TOKEN) is needed for /metrics.\n', 401);
    }
    const body = await metrics.scrape(ctx);
    return c.body(body, 200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' });
  });
  return api;
}
