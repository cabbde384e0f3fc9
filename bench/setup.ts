/**
 * The benchmark's stack, as a practice runs it: the strict emulator (explicitly, whatever
 * QBO_EMULATOR_FIDELITY says) with QBO's real limits, a per-request latency and a time scale (1 for
 * the headline figures), the product's database (SQLite in a temp folder), the connection
 * made through the real OAuth flow (tokens encrypted in the database), and the sync wiring the CLI
 * and web app use (`syncDepsFor`), with the client's limiter told the same time scale.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../src/app.js';
import { followEmulatorConsent } from '../src/cli/auto-consent.js';
import { loadConfig } from '../src/config.js';
import { createConnectionService } from '../src/connect/connection/connection.js';
import { buildPlan, skipWithLinked, type Plan } from '../src/connect/plan/index.js';
import { syncDepsFor } from '../src/connect/run/deps.js';
import type { SyncDeps } from '../src/connect/run/sync.js';
import { setSettings } from '../src/connect/settings/store.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { loadDemoPractice, type DemoSize } from '../src/practice/demo.js';
import { getRecord, updateRecord } from '../src/practice/store.js';
import { defaultRetryPolicy } from '../src/qbo/classify.js';
import type { CompanyClient, QboClientOptions } from '../src/qbo/client.js';
import { defaultLimits } from '../src/qbo/limiter.js';
import type { BatchMetering } from './ceiling.js';

export interface StackOptions {
  metering: BatchMetering;
  /** An emulated minute lasts 60 / timeScale real seconds. */
  timeScale: number;
  /** Emulated milliseconds added to every API request (the emulator sleeps latency / timeScale real ms). */
  latencyMs: number;
}

export interface Stack {
  emu: RunningEmulator;
  app: App;
  realmId: string;
  deps: SyncDeps;
  dataDir: string;
  /** The client options that put the client's limiter and pauses on the emulator's time scale. */
  clientOptions: Partial<Pick<QboClientOptions, 'limits' | 'retry'>>;
  /** A new client (its own limiter, with an empty window), as a new `qbo-connect sync` process has. */
  freshClient(): void;
  /** Emulated epoch ms (the emulator's clock). */
  emulatedNow(): number;
  close(): Promise<void>;
}

/**
 * The client's limiter measures real time (its sliding log), so it is told the scale: its own
 * window (QBO's minute plus the product's margin, `defaultLimits`) divided by the time scale, with
 * QBO's caps (500, 10 in flight, 40 batches); the pause after a 429 and the backoff shrink alike.
 */
export function scaledClientOptions(timeScale: number, metering: BatchMetering): Stack['clientOptions'] {
  return {
    // The client is told the model the emulator meters by (QBO_BATCH_METERING), as a practice would set it.
    limits: { ...defaultLimits, batchMetering: metering, intervalMs: defaultLimits.intervalMs / timeScale },
    retry: { throttleWaitMs: defaultRetryPolicy.throttleWaitMs / timeScale, baseMs: defaultRetryPolicy.baseMs / timeScale, capMs: defaultRetryPolicy.capMs / timeScale },
  };
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const emu = await startEmulator({ preset: 'au', fidelity: 'strict', limits: 'real', batchMetering: opts.metering, timeScale: opts.timeScale, autoConsent: true, seed: 1 });
  emu.control.armFaults({ latencyMs: opts.latencyMs / opts.timeScale });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-bench-'));
  // An explicit environment: the bench always uses a fresh SQLite file, whatever DATABASE_URL says.
  const config = loadConfig({ QBO_CONNECT_LOG_LEVEL: 'silent', QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url, QBO_CONNECT_DATA_DIR: dataDir, QBO_BATCH_METERING: opts.metering });
  const app = await createApp(config);
  const svc = createConnectionService({ db: app.ctx.db, config: app.ctx.config, logger: app.ctx.logger, clock: app.ctx.clock });
  const begun = await svc.beginConnect({ actor: 'bench' });
  const q = await followEmulatorConsent(begun.url, emu.control.companies()[0]!.realmId);
  const status = await svc.completeConnect({ ...q, actor: 'bench' });
  if (status.state !== 'connected' || !q.realmId) throw new Error(`the bench could not connect to the emulator: ${status.message}`);
  const clientOptions = scaledClientOptions(opts.timeScale, opts.metering);
  const realmId = q.realmId;
  const newDeps = () => syncDepsFor(app.ctx, realmId, { env: {}, actor: 'bench', client: clientOptions });
  const stack: Stack = {
    emu,
    app,
    realmId,
    deps: newDeps(),
    dataDir,
    clientOptions,
    freshClient() {
      stack.deps = newDeps();
    },
    emulatedNow: () => Date.parse(emu.control.stats().now),
    async close() {
      await app.close();
      await emu.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return stack;
}

async function idOf(qbo: CompanyClient, entity: 'TaxCode' | 'Account' | 'PaymentMethod', name: string): Promise<string> {
  for await (const r of qbo.query(entity)) if ((r as { Name?: string }).Name === name) return r.Id;
  throw new Error(`the emulator company has no ${entity} named ${name}`);
}

const errorsOf = (plan: Plan) => plan.groups.flatMap((g) => g.rows.filter((r) => !r.skipped && r.issues.some((i) => i.severity === 'error')));

/** A year back: the whole demo year is exported, not only this month (the default export-from). */
export function exportFromDate(now: Date): string {
  return new Date(now.getTime() - 400 * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Loads the demo practice and readies it as a bookkeeper would before the first sync: export the
 * whole year, map what the demo leaves unmapped, and skip the planted problems the preview reports
 * as errors. Returns the last preview (errors none).
 */
export async function readyDemo(stack: Pick<Stack, 'app' | 'realmId' | 'deps'>, size: DemoSize, opts: { skipErrors?: boolean } = {}): Promise<Plan> {
  const { db, clock, logger } = stack.app.ctx;
  const realmId = stack.realmId;
  const qbo = stack.deps.client;
  const report = await loadDemoPractice(db, 'default', { size, seed: 1, today: clock() });
  if (!report.ok) throw new Error(`the ${size} demo practice did not load`);
  const from = exportFromDate(clock());
  const eft = await idOf(qbo, 'PaymentMethod', 'EFT');
  await setSettings(db, {
    realmId,
    actor: 'bench',
    clock,
    changes: [
      { path: 'payments.direction', value: 'export' },
      ...['invoices', 'creditNotes', 'payments', 'bills', 'staffExpenses'].map((k) => ({ path: `general.exportFrom.${k}`, value: from })),
      { path: 'tax.purchases.GST-CAP', value: await idOf(qbo, 'TaxCode', 'GST on capital') },
      { path: 'staffExpenses.fixedExpenseAccountId', value: await idOf(qbo, 'Account', 'Office Expenses') },
      ...['EFT', 'BPAY', 'CHQ', 'CARD'].map((code) => ({ path: `payments.methodByPaymentType.${code}`, value: eft })),
    ],
  });
  const c = await getRecord(db, 'default', 'contact', 'C9001');
  if (c && !c.record.uniqueId) await updateRecord(db, 'default', 'contact', 'C9001', { ...c.record, uniqueId: 'CL90001' }, clock());
  const planDeps = { db, clock, logger, qbo };
  let plan = await buildPlan(planDeps, realmId, { actor: 'bench' });
  if (opts.skipErrors === false) return plan;
  for (let round = 0; round < 5 && errorsOf(plan).length; round++) {
    for (const row of errorsOf(plan)) {
      if (!plan.groups.some((g) => g.rows.some((r) => r.key === row.key && !r.skipped))) continue;
      await skipWithLinked(db, { realmId, plan, row: row.key, actor: 'bench', clock });
    }
    plan = await buildPlan(planDeps, realmId, { actor: 'bench' });
  }
  const left = errorsOf(plan);
  if (left.length)
    throw new Error(
      `preview errors remain after skipping: ${left
        .slice(0, 5)
        .map((r) => `${r.key}: ${r.issues.map((i) => i.code).join(',')}`)
        .join('; ')}`,
    );
  return plan;
}

/** The emulator's statistics for the company, with totals the table needs. */
export function companyStats(stack: Pick<Stack, 'emu' | 'realmId'>) {
  const s = stack.emu.control.stats(stack.realmId).companies[0]!;
  const requests = Object.values(s.requests).reduce((a, b) => a + b, 0);
  return { ...s, total: requests };
}

/**
 * Lets QBO's sliding minute (emulator) and the client's window forget the setup's requests, so the
 * measured step starts as a fresh minute would: the emulator's clock jumps a minute, and the step
 * gets a new client whose limiter has seen nothing — as a `qbo-connect sync` process started after
 * the preview has. (Waiting the client's real-time window out would cost a real minute at scale 1.)
 */
export function freshMinute(stack: Pick<Stack, 'emu' | 'freshClient'>): void {
  stack.emu.control.advanceClock({ seconds: 61 });
  stack.freshClient();
  stack.emu.control.resetStats();
}
