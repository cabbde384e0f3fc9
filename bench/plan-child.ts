/**
 * One preview in a process of its own, so its CPU time and peak memory are its own: opens the
 * product's database (the data folder the parent prepared), builds the QBO client from the stored
 * connection, runs buildPlan once and prints one JSON line.
 * Run by bench/plan-scale.ts: tsx bench/plan-child.ts (env BENCH_DATA_DIR, BENCH_EMULATOR_URL,
 * BENCH_REALM_ID, BENCH_TIME_SCALE).
 */
import { performance } from 'node:perf_hooks';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { buildPlan } from '../src/connect/plan/index.js';
import { qboClientFor } from '../src/connect/connection/qbo-client.js';
import { scaledClientOptions } from './setup.js';

const need = (k: string) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set (this script is run by bench/plan-scale.ts)`);
  return v;
};

const config = loadConfig({ QBO_CONNECT_LOG_LEVEL: 'silent', QBO_ENV: 'emulator', QBO_EMULATOR_URL: need('BENCH_EMULATOR_URL'), QBO_CONNECT_DATA_DIR: need('BENCH_DATA_DIR') });
const app = await createApp(config);
const realmId = need('BENCH_REALM_ID');
const qbo = qboClientFor(app.ctx, realmId, scaledClientOptions(Number(need('BENCH_TIME_SCALE')), 'request' /* as plan-scale.ts starts its emulator */));
const rssBeforeKb = process.resourceUsage().maxRSS;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const plan = await buildPlan({ db: app.ctx.db, clock: app.ctx.clock, logger: app.ctx.logger, qbo }, realmId, { actor: 'bench' });
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const rows = plan.groups.flatMap((g) => g.rows);
const out = {
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  wallMs,
  maxRssMb: process.resourceUsage().maxRSS / 1024,
  maxRssBeforeMb: rssBeforeKb / 1024,
  qboRequests: plan.qboRequests,
  rows: rows.length,
  byAction: rows.reduce<Record<string, number>>((acc, r) => ((acc[r.action] = (acc[r.action] ?? 0) + 1), acc), {}),
};
await app.close();
process.stdout.write(`BENCH-RESULT ${JSON.stringify(out)}\n`);
