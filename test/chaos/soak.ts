/**
 * The chaos soak (issue 9, docs/reliability.md §chaos-soak): three QBO companies in one emulator, each
 * connected to its own product data folder (its own SQLite file, as three installations would be),
 * the demo practice in each; every QBO request rolls faults (429, 500, a 503 that hangs past the
 * client's timeout, commit-then-drop); access tokens die every two emulated minutes; and
 * `qbo-connect sync --yes --json` runs as a real child process per company that a supervisor
 * SIGKILLs at seeded random moments and restarts each time. When the kills are spent, each company
 * syncs until it succeeds (faults still armed). `verify.ts` then checks QBO and the databases.
 *
 * Everything random comes from the seed (the emulator's PRNGs, the kill moments and targets). The
 * interleaving of three processes is the operating system's, so a seed replays the same schedule,
 * not necessarily the same run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Plan } from '../../src/connect/plan/types.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { startEmulator, type EmulatorStats, type RunningEmulator } from '../../src/emulator/index.js';
import type { DemoSize } from '../../src/practice/demo.js';
import { testConfig } from '../helpers/config.js';
import { connectedApp } from '../helpers/emulator-company.js';
import { readyDemo } from '../sync/demo-setup.js';
import { verifyCompany, type CompanyVerdict } from './verify.js';

/**
 * The region of the three companies. `us`: the emulator's US preset, invoices and credit notes taxed
 * by the NYC sales tax code on the transaction (QBO works the tax out), bills and staff expenses not
 * offered, and payments left in QBO's hands (imported): a practice payment of its own (GST-taxed)
 * total would over-apply an invoice that QBO taxed at NYC's rate.
 */
export type SoakPreset = 'au' | 'us';
export const soakPresets: readonly SoakPreset[] = ['au', 'us'];

export interface SoakOptions {
  seed: number;
  preset: SoakPreset;
  size: DemoSize;
  companies: number;
  /** SIGKILLs to deliver across the companies' sync processes. */
  kills: number;
  /** When a kill lands: real milliseconds into the target's sync process, uniform in [min, max]. */
  killAfterMs: [number, number];
  /** Request-id memory of the emulator: on (its default) or off (0: every recovery must look up). */
  requestIdMemory: 'on' | 'off';
  /** Emulated seconds per real second. */
  timeScale: number;
  /** Fault rates per QBO API request. */
  faults: { '429': number; '500': number; hang: number; 'commit-then-drop': number };
  /** Access-token lifetime in emulated seconds. */
  accessSeconds: number;
  /** Items per batch for the child (QBO_CONNECT_BATCH_SIZE); undefined = the product's 30. */
  batchSize?: number;
  /** Sync runs allowed per company after the kills before it is given up. */
  maxFinalRuns: number;
  log: (line: string) => void;
}

export interface ChildRun {
  company: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  killed: boolean;
  ms: number;
  status?: string;
  created?: number;
  adopted?: number;
  failed?: number;
  held?: number;
  message?: string | null;
  stderr: string;
  /** Why this exit was not one the CLI promises (a crash, a silent exit, output that is not JSON): the soak fails on it. */
  unexpected?: string;
}

/** `sync --json` exits 0 (all written), 1 (some failed or held), 2 (another sync is running) or 3 (refused). */
const expectedExitCodes = new Set([0, 1, 2, 3]);

/** Why a sync child's end is not one the CLI promises (undefined when it is, or when the soak killed it). */
export function unexpectedExit(e: {
  code: number | null;
  signal: NodeJS.Signals | null;
  killed: boolean;
  watchdog: boolean;
  json: boolean;
  stdout: string;
  stderr: string;
}): string | undefined {
  if (e.killed) return undefined;
  const firstLine = (t: string) => t.trim().split('\n')[0] || 'nothing';
  if (e.watchdog) return 'watchdog: the sync ran too long and was killed';
  if (e.code === null || !expectedExitCodes.has(e.code)) return `exit ${e.code ?? e.signal} (stderr: ${firstLine(e.stderr)})`;
  // Exit 2 (another sync running) answers with one line on stderr; the others answer in JSON.
  if (e.code !== 2 && !e.json) return `exit ${e.code} without a JSON answer on stdout (stdout: ${firstLine(e.stdout).slice(0, 200)}; stderr: ${firstLine(e.stderr)})`;
  return undefined;
}

export interface CompanyOutcome {
  index: number;
  realmId: string;
  dataDir: string;
  runs: ChildRun[];
  finished: boolean;
  verdict: CompanyVerdict;
}

export interface SoakReport {
  options: Omit<SoakOptions, 'log'>;
  killsDelivered: number;
  companies: CompanyOutcome[];
  stats: EmulatorStats;
  limits: { perMinute: number; concurrent: number; batchesPerMinute: number };
  prepareMs: number;
  soakMs: number;
  verifyMs: number;
  /** Every failed check, each naming the company and the record; empty when the soak passed. */
  problems: string[];
}

/** mulberry32: the kill schedule's own PRNG, from the soak's seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const bin = path.resolve('bin/qbo-connect.js');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Company {
  index: number;
  realmId: string;
  dataDir: string;
  plan: Plan;
  exportFrom: string;
  env: NodeJS.ProcessEnv;
  child?: ChildProcess;
  childStarted?: number;
  killRequested?: boolean;
  runs: ChildRun[];
  finished: boolean;
}

async function prepare(emu: RunningEmulator, opts: SoakOptions, index: number, exportFrom: string): Promise<Company> {
  const seeded = emu.control.seedCompany({ preset: opts.preset, name: `Chaos ${opts.preset.toUpperCase()} ${index + 1}` });
  const config = testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url, QBO_EMULATOR_TIME_SCALE: String(opts.timeScale) });
  const c = await connectedApp(emu, { company: seeded.realmId, config });
  try {
    const client = syncDepsFor(c.app.ctx, c.realmId).client;
    // The small demo credits an invoice it also has paid in full (see demo-setup.ts).
    const plan = await readyDemo(c.app.ctx, client, c.realmId, {
      size: opts.size,
      direction: opts.preset === 'us' ? 'import' : 'export',
      exportFrom,
      ...(opts.size === 'small' ? { applyCredits: false } : {}),
      ...(opts.preset === 'us' ? { us: { salesTaxCode: 'NYC' } } : {}),
    });
    return {
      index,
      realmId: c.realmId,
      dataDir: c.config.dataDir,
      plan,
      exportFrom,
      runs: [],
      finished: false,
      env: {
        ...process.env,
        QBO_CONNECT_DATA_DIR: c.config.dataDir,
        QBO_CONNECT_LOG_LEVEL: 'silent',
        QBO_ENV: 'emulator',
        QBO_EMULATOR_URL: emu.url,
        QBO_EMULATOR_TIME_SCALE: String(opts.timeScale),
        ...(opts.batchSize ? { QBO_CONNECT_BATCH_SIZE: String(opts.batchSize) } : {}),
      },
    };
  } finally {
    await c.app.close();
  }
}

/** One `qbo-connect sync --yes --json` for the company, as a child process; a watchdog ends a stuck one. */
function runChild(c: Company, watchdogMs: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [bin, 'sync', '--yes', '--json', '--realm', c.realmId], { env: c.env, stdio: ['ignore', 'pipe', 'pipe'] });
    c.child = child;
    c.childStarted = started;
    c.killRequested = false;
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const watchdog = setTimeout(() => child.kill('SIGKILL'), watchdogMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(watchdog);
      c.child = undefined;
      const run: ChildRun = { company: c.index, code, signal, killed: c.killRequested === true, ms: Date.now() - started, stderr: stderr.trim().slice(0, 2000) };
      if (!run.killed && signal === 'SIGKILL') run.message = `watchdog: the sync ran longer than ${watchdogMs} ms`;
      let parsed = false;
      try {
        const json = JSON.parse(stdout) as { status: string; message: string | null; summary: { created: number; adopted: number; failed: number; held: number } };
        Object.assign(run, {
          status: json.status,
          message: json.message,
          created: json.summary.created,
          adopted: json.summary.adopted,
          failed: json.summary.failed,
          held: json.summary.held,
        });
        parsed = true;
      } catch {
        // Killed, or a one-line error on stderr: nothing to read.
      }
      // Every exit the soak did not cause must be one the CLI promises, with its JSON answer (exit 2,
      // another sync running, answers with one line on stderr). Anything else — the silent exit 13
      // of a CLI whose event loop emptied, a crash, a watchdog kill — fails the soak: re-running
      // until one run succeeds once hid exactly that.
      const why = unexpectedExit({ code, signal, killed: run.killed, watchdog: run.message?.startsWith('watchdog') === true, json: parsed, stdout, stderr: run.stderr });
      if (why) run.unexpected = why;
      resolve(run);
    });
  });
}

async function companyLoop(c: Company, opts: SoakOptions, killPhase: () => boolean): Promise<void> {
  let finalRuns = 0;
  let failedInKillPhase = 0;
  let lastHeld = -1;
  for (;;) {
    const r = await runChild(c, 180_000);
    c.runs.push(r);
    const tag = `company ${c.index + 1}`;
    if (r.killed) {
      opts.log(`  ${tag}: SIGKILL after ${(r.ms / 1000).toFixed(1)} s; restarting`);
      continue;
    }
    if (r.unexpected) {
      opts.log(`  ${tag}: unexpected end of the sync process: ${r.unexpected}; not retried`);
      return;
    }
    if (killPhase() && r.code !== 0 && ++failedInKillPhase <= 3 * opts.maxFinalRuns) {
      // Still in the kill phase: keep going (a failed run is retried by the next one).
      opts.log(`  ${tag}: sync ${r.status ?? `exit ${r.code}`} (${r.message ?? r.stderr.split('\n')[0] ?? ''}); again`);
      await sleep(200);
      continue;
    }
    finalRuns += 1;
    opts.log(
      `  ${tag}: sync ${r.status ?? `exit ${r.code}`} in ${(r.ms / 1000).toFixed(1)} s (created ${r.created ?? '?'}, adopted ${r.adopted ?? '?'}, failed ${r.failed ?? '?'}, held ${r.held ?? '?'})${r.code === 0 ? '' : `: ${r.message ?? r.stderr.split('\n')[0] ?? ''}`}`,
    );
    if (r.code === 0) {
      c.finished = true;
      return;
    }
    // Only held records left, and the same number twice: a person has to look; stop retrying.
    if (r.status === 'failed' && r.failed === 0 && r.held !== undefined && r.held > 0 && r.held === lastHeld && (r.created ?? 0) === 0) return;
    lastHeld = r.held ?? -1;
    if (finalRuns >= opts.maxFinalRuns) return;
    await sleep(200);
  }
}

export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const t0 = Date.now();
  const emu = await startEmulator({
    preset: 'none',
    // Strict whatever QBO_EMULATOR_FIDELITY says: the soak's figures are only as true as the emulator is strict.
    fidelity: 'strict',
    seed: opts.seed,
    limits: 'real',
    timeScale: opts.timeScale,
    tokenLifetimes: { accessSeconds: opts.accessSeconds },
    ...(opts.requestIdMemory === 'off' ? { requestIdMemory: 0 } : {}),
  });
  try {
    // The whole year of the demo, not only this month.
    const exportFrom = new Date(Date.now() - 400 * 86_400_000).toISOString().slice(0, 10);
    const companies: Company[] = [];
    for (let i = 0; i < opts.companies; i++) companies.push(await prepare(emu, opts, i, exportFrom));
    const prepareMs = Date.now() - t0;
    const planned = companies.map((c) => c.plan.groups.reduce((n, g) => n + g.rows.filter((r) => !r.skipped && r.action === 'create').length, 0));
    opts.log(`prepared ${opts.companies} companies (${planned.join(', ')} records to create) in ${(prepareMs / 1000).toFixed(1)} s`);

    emu.control.resetStats();
    emu.control.armFaults({
      seed: opts.seed,
      rates: { '429': opts.faults['429'], '500': opts.faults['500'], hang: opts.faults.hang, 'commit-then-drop': opts.faults['commit-then-drop'] },
      appliesTo: 'all',
    });

    const t1 = Date.now();
    const random = prng(opts.seed);
    let delivered = 0;
    let killPhase = true;
    const loops = companies.map((c) => companyLoop(c, opts, () => killPhase));
    // Each kill: a seeded company and a seeded moment into its sync process (counted from the
    // process's start, so kills land in syncs, not in process start-ups); one kill after another.
    const supervisor = (async () => {
      const [lo, hi] = opts.killAfterMs;
      while (delivered < opts.kills) {
        const alive = companies.filter((c) => !c.finished);
        if (!alive.length) break;
        const target = alive[Math.floor(random() * alive.length)]!;
        const after = lo + random() * (hi - lo);
        const givenUp = Date.now() + 120_000;
        for (;;) {
          if (target.finished || Date.now() > givenUp) break;
          if (target.child && target.childStarted !== undefined && !target.killRequested && Date.now() - target.childStarted >= after) {
            target.killRequested = true;
            target.child.kill('SIGKILL');
            delivered += 1;
            break;
          }
          await sleep(10);
        }
      }
      killPhase = false;
    })();
    await supervisor;
    await Promise.all(loops);
    const soakMs = Date.now() - t1;
    if (delivered < opts.kills) opts.log(`note: ${opts.kills - delivered} kill(s) not delivered: every company had finished`);

    // Checks read QBO's state directly, not through the faulty API.
    emu.control.clearFaults();
    const stats = emu.control.stats();
    const limits = emu.control.limits();
    const t2 = Date.now();
    const outcomes: CompanyOutcome[] = [];
    for (const c of companies) {
      const verdict = await verifyCompany({
        emu,
        realmId: c.realmId,
        dataDir: c.dataDir,
        plan: c.plan,
        exportFrom: c.exportFrom,
        stats: stats.companies.find((s) => s.realmId === c.realmId),
        limits,
        runs: c.runs,
        us: opts.preset === 'us',
      });
      outcomes.push({ index: c.index, realmId: c.realmId, dataDir: c.dataDir, runs: c.runs, finished: c.finished, verdict });
    }
    const unexpected = outcomes.flatMap((o) =>
      o.runs.filter((r) => r.unexpected).map((r) => `company ${o.index + 1} (${o.realmId}): a sync process ended unexpectedly: ${r.unexpected}`),
    );
    const problems = [
      ...unexpected,
      ...outcomes.flatMap((o) => [
        ...(o.finished
          ? []
          : [
              `company ${o.index + 1} (${o.realmId}): the sync never succeeded after the kills (last: ${o.runs.at(-1)?.status ?? o.runs.at(-1)?.code} ${o.runs.at(-1)?.message ?? o.runs.at(-1)?.stderr ?? ''})`,
            ]),
        ...o.verdict.problems.map((p) => `company ${o.index + 1} (${o.realmId}): ${p}`),
      ]),
    ];
    const { log: _log, ...options } = opts;
    return {
      options,
      killsDelivered: delivered,
      companies: outcomes,
      stats,
      limits: { perMinute: limits.perMinute, concurrent: limits.concurrent, batchesPerMinute: limits.batchesPerMinute },
      prepareMs,
      soakMs,
      verifyMs: Date.now() - t2,
      problems,
    };
  } finally {
    await emu.close();
  }
}
