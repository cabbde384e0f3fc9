/**
 * A real sync of the small demo against the emulator, with two 429s on the way (issue 17):
 * - every line logged from the run's start to its end carries its run id and company id, also the
 *   QBO client's and the preview's, which hold the app's logger;
 * - `/metrics` of the real server shows the counters moved (runs, duration, records by result, 429s,
 *   limiter pauses) and the token-expiry gauge; without the token or with a wrong one it answers 401;
 *   it holds no token, no secret, no company or customer name — ids only.
 */
import http from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { sync, type SyncResult } from '../../src/connect/run/sync.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/run/server.js';
import { createLogger } from '../../src/log.js';
import { createHttpApp } from '../../src/server/http.js';
import { createMetrics } from '../../src/server/metrics.js';
import { listen, type RunningServer } from '../../src/server/serve.js';
import { testConfig } from '../helpers/config.js';
import { connectCompany } from '../helpers/emulator-company.js';
import { readyDemo } from '../sync/demo-setup.js';

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

interface Line {
  msg: string;
  runId?: string;
  realmId?: string;
}

/** The value of one sample line of the exposition, e.g. `qbo_connect_sync_runs_total{realm_id="1",status="succeeded"}`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const head = line.slice(0, space);
    const brace = head.indexOf('{');
    if ((brace < 0 ? head : head.slice(0, brace)) !== name) continue;
    const have = Object.fromEntries([...(brace < 0 ? '' : head.slice(brace + 1, -1)).matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(line.slice(space + 1));
  }
  return undefined;
}

describe('run log context and /metrics after a real sync [sqlite]', () => {
  const raw: string[] = [];
  let emu: RunningEmulator;
  let app: App;
  let server: RunningServer;
  let realmId: string;
  let result: SyncResult;
  let linesOfRun: Line[];
  const scrape = (headers: Record<string, string> = { Authorization: `Bearer ${METRICS_TOKEN}` }) => fetch(`${server.url}/metrics`, { headers });

  beforeAll(async () => {
    emu = await startEmulator({ preset: 'au', limits: 'off' });
    const stream = new Writable({
      write(chunk, _enc, cb) {
        raw.push(String(chunk));
        cb();
      },
    });
    const config = testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url, QBO_CONNECT_METRICS_TOKEN: METRICS_TOKEN });
    app = await createApp(config, { logger: createLogger('debug', stream), metrics: createMetrics() });
    realmId = await connectCompany(app, emu);
    server = await listen(createHttpApp(app.ctx), '127.0.0.1', 0);

    const ctx = app.ctx;
    // The throttle pause is shortened so the two 429s cost milliseconds (the pause itself is tested in src/qbo).
    const deps = syncDepsFor(ctx, realmId, { actor: 'tester', client: { retry: { throttleWaitMs: 20, baseMs: 5, capMs: 20 } } });
    await readyDemo(ctx, deps.client, realmId, { size: 'small', direction: 'export' });
    emu.control.armFaults({ next: ['429', '429'], appliesTo: 'writes' });
    const from = raw.length;
    result = await sync(deps, { realmId, actor: 'tester' });
    linesOfRun = raw
      .slice(from)
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await app?.close();
    await emu?.close();
  });

  it('the sync ran and wrote records', () => {
    expect(result.status, result.message ?? '').toBe('succeeded');
    expect(result.summary.created).toBeGreaterThan(10);
  });

  it('every line logged during the run carries its run id and company id, the QBO client’s too', () => {
    expect(linesOfRun.length).toBeGreaterThan(10);
    const without = linesOfRun.filter((l) => l.runId !== result.runId || l.realmId !== realmId);
    expect(without, JSON.stringify(without.slice(0, 3))).toEqual([]);
    expect(linesOfRun.map((l) => l.msg)).toEqual(expect.arrayContaining(['qbo: attempt', 'qbo: retrying', 'sync run finished']));
  });

  it('/metrics shows the counters moved: runs, duration, records by result, 429s, pauses, token expiry', async () => {
    const res = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(sample(text, 'qbo_connect_sync_runs_total', { realm_id: realmId, status: 'succeeded' })).toBe(1);
    expect(sample(text, 'qbo_connect_sync_duration_seconds_count', { status: 'succeeded' })).toBe(1);
    expect(sample(text, 'qbo_connect_sync_records_total', { realm_id: realmId, result: 'created' })).toBe(result.summary.created);
    expect(sample(text, 'qbo_connect_sync_records_total', { realm_id: realmId, result: 'failed' })).toBe(0);
    expect(sample(text, 'qbo_connect_sync_records_total', { realm_id: realmId, result: 'held' })).toBe(0);
    expect(sample(text, 'qbo_connect_qbo_throttled_total', { realm_id: realmId })).toBe(2);
    expect(sample(text, 'qbo_connect_limiter_pauses_total', { realm_id: realmId })).toBe(2);
    expect(sample(text, 'qbo_connect_last_run_records', { realm_id: realmId, result: 'held' })).toBe(0);
    expect(sample(text, 'qbo_connect_skipped_records', { realm_id: realmId })).toBeGreaterThanOrEqual(0);
    // The emulator's refresh token lives 100 days (QBO's rolling lifetime); the clock is the product's.
    const days = sample(text, 'qbo_connect_token_expiry_days', { realm_id: realmId })!;
    expect(days).toBeGreaterThan(90);
    expect(days).toBeLessThanOrEqual(101);
    // Default process metrics, in this app's own registry.
    expect(sample(text, 'qbo_connect_process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it('answers 401 without the token or with a wrong one, and holds no secret or name', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { Authorization: 'Bearer wrong-token-0123456789abcd' },
      { Authorization: METRICS_TOKEN },
      { Authorization: `Basic ${METRICS_TOKEN}` },
    ]) {
      const res = await scrape(headers);
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain('qbo_connect_');
    }
    const text = await (await scrape()).text();
    const company = emu.control.companies()[0]!;
    const tokens = (await app.ctx.qbo.connections.load(realmId))!;
    expect(text).not.toContain(METRICS_TOKEN);
    for (const secret of [app.ctx.config.clientSecret, tokens.accessToken, tokens.refreshToken].filter(Boolean)) expect(text).not.toContain(String(secret));
    expect(text).not.toContain(company.name);
    // Labels are ids and the product's words only.
    // Labels are ids and the product's words (and prom-client's own process labels): nothing else can leak.
    const labels = [...text.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!] as const);
    const allowed = ['type', 'space', 'version', 'major', 'minor', 'patch', 'le', 'kind', 'realm_id', 'status', 'result'];
    for (const [k] of labels) expect(allowed).toContain(k);
    for (const [k, v] of labels) {
      if (k === 'realm_id') expect(v).toMatch(/^\d+$/);
      if (k === 'status') expect(['succeeded', 'failed', 'refused', 'interrupted']).toContain(v);
      if (k === 'result') expect(['created', 'adopted', 'updated', 'voided', 'imported', 'failed', 'held']).toContain(v);
    }
  });

  it('answers a scraper that asks by another address (before the Host check), with the token', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const u = new URL(`${server.url}/metrics`);
      http
        .get({ host: u.hostname, port: u.port, path: '/metrics', headers: { Host: '10.1.2.3:3000', Authorization: `Bearer ${METRICS_TOKEN}` } }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
        .on('error', reject);
    });
    expect(status).toBe(200);
  });

  it('keeps a company whose connection lapsed: token expiry 0 or less and connected 0, so an alert fires (issue 17)', async () => {
    const before = await (await scrape()).text();
    expect(sample(before, 'qbo_connect_connected', { realm_id: realmId })).toBe(1);
    const row = await app.ctx.db.selectFrom('connections').select(['status', 'refresh_expires_at']).where('realm_id', '=', realmId).executeTakeFirstOrThrow();
    try {
      await app.ctx.db.updateTable('connections').set({ status: 'disconnected' }).where('realm_id', '=', realmId).execute();
      const text = await (await scrape()).text();
      expect(sample(text, 'qbo_connect_connected', { realm_id: realmId })).toBe(0);
      expect(sample(text, 'qbo_connect_token_expiry_days', { realm_id: realmId })).toBeLessThanOrEqual(0);
    } finally {
      await app.ctx.db.updateTable('connections').set({ status: row.status }).where('realm_id', '=', realmId).execute();
    }
  });

  it('is not served without QBO_CONNECT_METRICS_TOKEN, and two apps in one process keep separate registries', async () => {
    const other = await createApp(testConfig(), { metrics: createMetrics() });
    try {
      expect((await createHttpApp(other.ctx).request('/metrics')).status).toBe(404);
    } finally {
      await other.close();
    }
    // The first app's counts are its own: another registry counting did not move them.
    expect(sample(await (await scrape()).text(), 'qbo_connect_sync_runs_total', { realm_id: realmId, status: 'succeeded' })).toBe(1);
  });
});
