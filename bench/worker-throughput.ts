/**
 * Worker throughput (issue 16): how many companies whose daily incremental sync brings 20 new
 * documents one worker process keeps current per hour, on PostgreSQL, against the strict emulator
 * with QBO's real limits and a per-request latency (100 ms by default, as the rest of the bench) —
 * and how that grows with 2 and 4 worker processes.
 *
 * Setup (not measured): one installation on PostgreSQL serving `companies` emulator companies, each
 * connected through the real OAuth flow, each readied with the small demo and synced once in this
 * process with no latency. Then, per worker count: 20 new invoices land in the practice ledger (one
 * ledger per installation, so every company has 20 new documents to send), the worker processes
 * (`qbo-connect worker --concurrency C`) are started and given a moment to boot, a sync is enqueued
 * for every company through the product's own enqueueSync (a 'queued' run and a 'sync' job, as a
 * schedule tick does), and the wall time runs until no run is queued or running. Each run must have
 * succeeded with the 20 documents created, and QBO must have refused nothing for its limits.
 *
 * The figure is extrapolated from a window of seconds to minutes, not measured over an hour: companies per
 * hour = companies ÷ wall seconds × 3,600. "Per worker core": a worker process is one Node thread, so
 * one process is one core's worth of work at most; the machine's cores and load are printed beside
 * it, because workers beyond its free cores cannot add throughput.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { syncDepsFor } from '../src/connect/run/deps.js';
import { sync } from '../src/connect/run/sync.js';
import { createRecord, getRecord, listRecords } from '../src/practice/store.js';
import { enqueueSyncs, startFleet, waitForQuiet, waitForWorkers, type Fleet } from '../test/chaos/fleet.js';
import { limit429s } from '../test/chaos/fleet-verify.js';
import { WorkerFleet } from '../test/chaos/workers.js';
import { benchPostgres } from './postgres.js';

export interface ThroughputOptions {
  companies: number;
  workers: number[];
  /** Jobs each worker process runs at once (`worker --concurrency`). */
  concurrency: number;
  latencyMs: number;
  newDocuments: number;
  log: (line: string) => void;
}

export interface ThroughputRound {
  workers: number;
  concurrency: number;
  companies: number;
  wallSeconds: number;
  companiesPerHour: number;
  /** companiesPerHour ÷ min(workers, cores): what one busy core gives. */
  perWorkerCore: number;
  succeeded: number;
  documentsCreated: number;
  requests: number;
  limit429s: number;
  loadavg1m: number;
  problems: string[];
}

export interface ThroughputResult {
  database: string;
  companies: number;
  newDocuments: number;
  latencyMs: number;
  setupSeconds: number;
  cores: number;
  rounds: ThroughputRound[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Runs `f` over `items`, `n` at a time. */
async function pool<T>(items: T[], n: number, f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await f(items[next++]!);
    }),
  );
}

/** 20 (or `n`) new invoices in the ledger, dated today, copies of the demo's first one. */
async function addInvoices(fleet: Fleet, tag: string, n: number): Promise<void> {
  const { db, clock } = fleet.app.ctx;
  const first = (await listRecords(db, 'default', 'invoice', { limit: 1, offset: 0, from: fleet.exportFrom })).items[0]!;
  const template = (await getRecord(db, 'default', 'invoice', first.key))!.record;
  const today = clock().toISOString().slice(0, 10);
  for (let i = 1; i <= n; i++) await createRecord(db, 'default', 'invoice', { ...template, number: `INV-TP-${tag}-${i}`, date: today, dueDate: today }, clock());
}

export async function workerThroughput(opts: ThroughputOptions): Promise<ThroughputResult> {
  // Every process of the bench (this one, the emulator in it, the workers) on one real-time clock.
  const start = `${new Date().toISOString()}@${Date.now()}`;
  process.env.QBO_CONNECT_CLOCK_START = start;
  process.env.QBO_EMULATOR_CLOCK_START = start;
  const t0 = performance.now();
  const pg = await benchPostgres();
  let fleet: Fleet | undefined;
  try {
    opts.log(`throughput: ${opts.companies} companies on PostgreSQL (${pg.where}); connecting and readying the small demo in each`);
    fleet = await startFleet({ companies: opts.companies, databaseUrl: pg.url, seed: 1, log: opts.log });
    const f = fleet;
    const realms = f.companies.map((c) => c.realmId);
    await pool(realms, 4, async (realmId) => {
      const r = await sync(syncDepsFor(f.app.ctx, realmId, { env: {} }), { realmId, actor: 'bench' });
      if (r.status !== 'succeeded') throw new Error(`the first sync of ${realmId} ${r.status}: ${r.message ?? ''}`);
    });
    const setupSeconds = (performance.now() - t0) / 1000;
    opts.log(`throughput: setup (first sync of every company, not measured) took ${Math.round(setupSeconds)} s`);
    f.emu.control.armFaults({ latencyMs: opts.latencyMs, jitterMs: 0 });
    const rounds: ThroughputRound[] = [];
    const stopProblems: string[] = [];
    for (const workers of opts.workers) {
      await addInvoices(f, `W${workers}`, opts.newDocuments);
      f.emu.control.resetStats();
      const fleetOfWorkers = new WorkerFleet({ count: workers, env: f.env(), args: ['worker', '--concurrency', String(opts.concurrency)], seed: 1, log: opts.log });
      fleetOfWorkers.start();
      const measure = async () => {
        // The clock starts once every worker has booted (Node, the app, the queue's connection) and beats.
        const ready = await waitForWorkers(f, workers, 120_000);
        if (ready < workers) throw new Error(`only ${ready} of ${workers} worker processes started within 2 minutes`);
        const since = new Date(f.app.ctx.clock().getTime() - 1_000).toISOString();
        const w0 = performance.now();
        await enqueueSyncs(f, 'schedule');
        const open = await waitForQuiet(f, 30 * 60_000, 200);
        return { since, open, wallSeconds: (performance.now() - w0) / 1000 };
      };
      // The workers are stopped (SIGTERM, then SIGKILL) whatever happens to the round.
      const { since, open, wallSeconds } = await measure().finally(() => fleetOfWorkers.stop().then((p) => stopProblems.push(...p)));
      const problems = [...open, ...stopProblems.splice(0)];
      const runs = await f.app.ctx.db.selectFrom('runs').select(['realm_id', 'status', 'created', 'adopted', 'message']).where('started_at', '>=', since).execute();
      const succeeded = runs.filter((r) => r.status === 'succeeded' && r.created + r.adopted === opts.newDocuments);
      for (const r of runs) if (!succeeded.includes(r)) problems.push(`${r.realm_id}: run ${r.status}, ${r.created} created, ${r.adopted} adopted: ${r.message ?? ''}`);
      if (runs.length !== realms.length) problems.push(`${runs.length} runs for ${realms.length} companies`);
      const stats = f.emu.control.stats().companies;
      const companiesPerHour = (realms.length / wallSeconds) * 3600;
      const r: ThroughputRound = {
        workers,
        concurrency: opts.concurrency,
        companies: realms.length,
        wallSeconds: round2(wallSeconds),
        companiesPerHour: Math.round(companiesPerHour),
        perWorkerCore: Math.round(companiesPerHour / Math.min(workers, os.cpus().length)),
        succeeded: succeeded.length,
        documentsCreated: runs.reduce((n, x) => n + x.created, 0),
        requests: stats.reduce((n, s) => n + Object.values(s.requests).reduce((a, b) => a + b, 0), 0),
        limit429s: stats.reduce((n, s) => n + limit429s(s), 0),
        loadavg1m: round2(os.loadavg()[0]!),
        problems,
      };
      rounds.push(r);
      opts.log(
        `throughput: ${workers} worker(s) × concurrency ${opts.concurrency}: ${r.succeeded}/${r.companies} companies synced (${opts.newDocuments} new documents each) in ${r.wallSeconds} s → ${r.companiesPerHour} companies/hour (${r.perWorkerCore} per worker core), ${r.requests} QBO requests, ${r.limit429s} limit 429s${problems.length ? `; problems: ${problems.slice(0, 3).join('; ')}` : ''}`,
      );
    }
    return {
      database: pg.where,
      companies: opts.companies,
      newDocuments: opts.newDocuments,
      latencyMs: opts.latencyMs,
      setupSeconds: round2(setupSeconds),
      cores: os.cpus().length,
      rounds,
    };
  } finally {
    await fleet?.close();
    await pg.stop();
  }
}
