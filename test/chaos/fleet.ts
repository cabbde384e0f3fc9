/**
 * A fleet of QBO companies served by one installation (issue 16's scale checks): one strict emulator
 * with QBO's real limits (and, optionally, a per-request latency), N companies seeded in it, and one
 * product installation on PostgreSQL whose practice ledger is the small demo, connected to every
 * company through the real connection flow (authorize → consent → code exchange, tokens encrypted in
 * the database). Every company is in a practice of its own, whose ledger is the same demo; each must
 * end holding each of its records exactly once.
 *
 * Each company is readied as a bookkeeper would (test/sync/demo-setup.ts readyDemo: the whole demo
 * year exported, the unmapped mapped, the planted problems skipped), and its first preview is kept:
 * it is what `verify.ts` checks QBO against after the workers are done.
 */
import fs from 'node:fs';
import { sql } from 'kysely';
import { createApp, type App } from '../../src/app.js';
import type { Plan } from '../../src/connect/plan/types.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { enqueueSync } from '../../src/jobs/enqueue-sync.js';
import type { DemoSize } from '../../src/practice/demo.js';
import { testConfig } from '../helpers/config.js';
import { connectCompany } from '../helpers/emulator-company.js';
import { readyDemo } from '../sync/demo-setup.js';

export interface FleetOptions {
  /** How many QBO companies the installation serves. */
  companies: number;
  /** The installation's PostgreSQL database (migrated). */
  databaseUrl: string;
  /** Seed of the emulator's PRNGs. */
  seed: number;
  /** The practice ledger every company receives. Default small. */
  size?: DemoSize;
  /** Real milliseconds the emulator adds to every API request (set after the setup). Default 0. */
  latencyMs?: number;
  /** The whole year of the demo is exported, from this date (default: 400 days before the product's clock). */
  exportFrom?: string;
  log?: (line: string) => void;
}

export interface FleetCompany {
  index: number;
  realmId: string;
  /** The first preview, before any sync: what QBO must end up holding. */
  plan: Plan;
}

export interface Fleet {
  emu: RunningEmulator;
  databaseUrl: string;
  /** The installation's data folder (its token key file); every process of the installation shares it. */
  dataDir: string;
  exportFrom: string;
  companies: FleetCompany[];
  /** An app of the installation in this process (for enqueuing, reading runs): closed with the fleet. */
  app: App;
  /** The environment of a spawned `qbo-connect` of this installation (worker, sync, …). */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  const log = opts.log ?? (() => {});
  const emu = await startEmulator({
    preset: 'none',
    // Strict whatever QBO_EMULATOR_FIDELITY says, and QBO's own limits: the checks are only as true as the emulator is strict.
    fidelity: 'strict',
    seed: opts.seed,
    limits: 'real',
  });
  let app: App | undefined;
  try {
    const config = testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url, DATABASE_URL: opts.databaseUrl });
    app = await createApp(config);
    const exportFrom = opts.exportFrom ?? new Date(app.ctx.clock().getTime() - 400 * 86_400_000).toISOString().slice(0, 10);
    const companies: FleetCompany[] = [];
    const t0 = Date.now();
    for (let index = 0; index < opts.companies; index++) {
      const seeded = emu.control.seedCompany({ preset: 'au', name: `Fleet ${index + 1}` });
      const realmId = await connectCompany(app, emu, seeded.realmId);
      // Each company is its own practice (issue 15): companies of one practice would share its ledger
      // and overlap (each taking the whole of it), which the preview refuses.
      await ownPractice(app, realmId, `fleet-${index + 1}`);
      const client = syncDepsFor(app.ctx, realmId, { env: {} }).client;
      // The small demo credits an invoice it also has paid in full (see demo-setup.ts).
      const plan = await readyDemo(app.ctx, client, realmId, {
        size: opts.size ?? 'small',
        direction: 'export',
        exportFrom,
        applyCredits: false,
        practiceId: `fleet-${index + 1}`,
      });
      companies.push({ index, realmId, plan });
    }
    log(`fleet: ${companies.length} companies connected and readied in ${((Date.now() - t0) / 1000).toFixed(1)} s (${creates(companies[0]?.plan)} records to create each)`);
    // The setup's requests are not the measured work's.
    emu.control.resetStats();
    if (opts.latencyMs) emu.control.armFaults({ latencyMs: opts.latencyMs, jitterMs: 0 });
    const opened = app;
    return {
      emu,
      databaseUrl: opts.databaseUrl,
      dataDir: config.dataDir,
      exportFrom,
      companies,
      app: opened,
      env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
        return {
          ...process.env,
          QBO_CONNECT_DATA_DIR: config.dataDir,
          DATABASE_URL: opts.databaseUrl,
          QBO_CONNECT_LOG_LEVEL: 'silent',
          QBO_ENV: 'emulator',
          QBO_EMULATOR_URL: emu.url,
          ...extra,
        };
      },
      async close() {
        await opened.close();
        await emu.close();
        fs.rmSync(config.dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await app?.close();
    await emu.close();
    throw err;
  }
}

/** Moves a company into a practice of its own (made here: the fleet predates `qbo-connect practice create`). */
async function ownPractice(app: App, realmId: string, practiceId: string): Promise<void> {
  const db = app.ctx.db;
  await db.insertInto('practices').values({ id: practiceId, name: practiceId, created_at: app.ctx.clock().toISOString(), created_by: 'fleet' }).execute();
  await db.updateTable('connections').set({ practice_id: practiceId }).where('realm_id', '=', realmId).execute();
}

/** Records a plan has to create (not skipped, no error). */
export function creates(plan: Plan | undefined): number {
  return plan?.groups.reduce((n, g) => n + g.rows.filter((r) => !r.skipped && r.action === 'create' && !r.issues.some((i) => i.severity === 'error')).length, 0) ?? 0;
}

/**
 * Waits until the installation has no run queued or running and (on PostgreSQL with the queue's
 * schema) no job waiting or locked; returns what is still open at the timeout (empty when quiet).
 */
export async function waitForQuiet(fleet: Pick<Fleet, 'app'>, timeoutMs: number, pollMs = 500): Promise<string[]> {
  const db = fleet.app.ctx.db;
  const end = Date.now() + timeoutMs;
  for (;;) {
    const open = await db.selectFrom('runs').select(['id', 'realm_id', 'status']).where('status', 'in', ['queued', 'running']).execute();
    const jobs = await pendingJobs(fleet);
    if (!open.length && !jobs.length) return [];
    if (Date.now() > end) return [...open.map((r) => `run ${r.id} of ${r.realm_id} still ${r.status}`), ...jobs];
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** graphile-worker's jobs not yet done (its `jobs` view), one line each; none when its schema is absent. */
export async function pendingJobs(fleet: Pick<Fleet, 'app'>): Promise<string[]> {
  try {
    const r = await sql<{
      id: string;
      task_identifier: string;
      queue_name: string | null;
      attempts: number;
      locked_by: string | null;
      last_error: string | null;
    }>`select id, task_identifier, queue_name, attempts, locked_by, last_error from graphile_worker.jobs`.execute(fleet.app.ctx.db);
    return r.rows.map(
      (j) =>
        `job ${j.id} ${j.task_identifier} (${j.queue_name ?? 'no queue'}), attempt ${j.attempts}${j.locked_by ? `, locked by ${j.locked_by}` : ''}${j.last_error ? `, last error: ${j.last_error.split('\n')[0]}` : ''}`,
    );
  } catch (err) {
    if (/graphile_worker|does not exist/.test((err as Error).message)) return [];
    throw err;
  }
}

/** A sync for every company of the fleet through the product's queue (src/jobs/enqueue-sync.ts: a 'queued' run and its 'sync' job in one transaction); the run ids. */
export async function enqueueSyncs(fleet: Pick<Fleet, 'app' | 'companies'>, trigger: 'click' | 'schedule' | 'api'): Promise<string[]> {
  const ids: string[] = [];
  for (const c of fleet.companies) ids.push((await enqueueSync(fleet.app.ctx, { realmId: c.realmId, actor: trigger, trigger })).runId);
  return ids;
}

/**
 * Waits until `n` worker processes have each recorded a heartbeat (the queue's job_workers table,
 * one row per graphile-worker worker, its process as `host:pid`): they are booted and polling.
 * Answers how many were seen (fewer than `n` at the timeout).
 */
export async function waitForWorkers(fleet: Pick<Fleet, 'app'>, n: number, timeoutMs: number): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await sql<{ n: string }>`select count(distinct process) as n from job_workers where beat_at > now() - interval '30 seconds'`.execute(fleet.app.ctx.db);
    const seen = Number(r.rows[0]?.n ?? 0);
    if (seen >= n || Date.now() > end) return seen;
    await new Promise((res) => setTimeout(res, 200));
  }
}
