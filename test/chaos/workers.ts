/**
 * Real worker processes and a supervisor that SIGKILLs them (issue 16): `count` processes of
 * `bin/qbo-connect.js worker …` on one installation; during `chaos`, at seeded random moments a seeded
 * random live worker is SIGKILLed — no warning, no clean-up, as a host that dies — and started again
 * after a short pause, so the fleet keeps `count` workers. After the chaos the survivors keep working
 * until the caller stops them with SIGTERM (a clean stop: finish the batch, close out, exit 0).
 *
 * Every exit the supervisor did not cause is recorded with the process's last output: a worker that
 * crashes on its own is a finding, not noise (it is restarted, so the others' work goes on).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { prng } from './soak.js';

const bin = path.resolve('bin/qbo-connect.js');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface WorkerExit {
  slot: number;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The supervisor sent the signal (SIGKILL in the chaos, SIGTERM at the stop). */
  byUs: 'SIGKILL' | 'SIGTERM' | undefined;
  ms: number;
  /** The process's last output (stderr and stdout), for a crash's diagnosis. */
  tail: string;
}

export interface WorkerFleetOptions {
  count: number;
  env: NodeJS.ProcessEnv;
  /** The worker command's arguments after `qbo-connect` (default `['worker']`). */
  args?: string[];
  seed: number;
  log?: (line: string) => void;
}

export interface ChaosOptions {
  /** How long the kills go on (real ms). */
  durationMs: number;
  /** Real ms between one kill and the next, uniform in [min, max]. */
  everyMs: [number, number];
  /** Real ms a killed worker's slot stays empty before its replacement starts. */
  restartAfterMs?: number;
}

interface Slot {
  index: number;
  child?: ChildProcess;
  started: number;
  byUs?: 'SIGKILL' | 'SIGTERM';
  out: string;
  exited?: Promise<void>;
}

export class WorkerFleet {
  readonly exits: WorkerExit[] = [];
  kills = 0;
  starts = 0;
  private readonly slots: Slot[] = [];
  private readonly random: () => number;
  private stopping = false;

  constructor(private readonly opts: WorkerFleetOptions) {
    this.random = prng(opts.seed);
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  /** Starts every worker. */
  start(): void {
    for (let i = 0; i < this.opts.count; i++) {
      const slot: Slot = { index: i, started: 0, out: '' };
      this.slots.push(slot);
      this.spawnInto(slot);
    }
  }

  private spawnInto(slot: Slot): void {
    const child = spawn(process.execPath, [bin, ...(this.opts.args ?? ['worker'])], { env: this.opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.starts += 1;
    slot.child = child;
    slot.started = Date.now();
    slot.byUs = undefined;
    slot.out = '';
    const keep = (b: Buffer) => (slot.out = (slot.out + b.toString()).slice(-4000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    slot.exited = new Promise<void>((resolve) => {
      child.on('error', (err) => {
        keep(Buffer.from(`spawn error: ${err.message}\n`));
      });
      child.on('exit', (code, signal) => {
        const exit: WorkerExit = { slot: slot.index, pid: child.pid ?? -1, code, signal, byUs: slot.byUs, ms: Date.now() - slot.started, tail: slot.out.trim().slice(-1500) };
        this.exits.push(exit);
        if (slot.child === child) slot.child = undefined;
        if (!exit.byUs) {
          this.log(`  worker ${slot.index + 1} (pid ${exit.pid}) ended on its own: ${code ?? signal}; last output: ${exit.tail.split('\n').slice(-3).join(' | ')}`);
          // Keep the fleet at its size: a crashed worker is recorded, and replaced.
          if (!this.stopping) setTimeout(() => !this.stopping && !slot.child && this.spawnInto(slot), 500);
        }
        resolve();
      });
    });
  }

  /** Live workers' pids. */
  pids(): number[] {
    return this.slots.flatMap((s) => (s.child?.pid ? [s.child.pid] : []));
  }

  /** SIGKILLs seeded random workers at seeded random moments for `durationMs`, restarting each. */
  async chaos(c: ChaosOptions): Promise<void> {
    const end = Date.now() + c.durationMs;
    const [lo, hi] = c.everyMs;
    for (;;) {
      const wait = lo + this.random() * (hi - lo);
      if (Date.now() + wait >= end) {
        await sleep(Math.max(0, end - Date.now()));
        return;
      }
      await sleep(wait);
      const live = this.slots.filter((s) => s.child);
      const slot = live[Math.floor(this.random() * live.length)];
      if (!slot?.child) continue;
      slot.byUs = 'SIGKILL';
      const child = slot.child;
      child.kill('SIGKILL');
      this.kills += 1;
      this.log(`  SIGKILL worker ${slot.index + 1} (pid ${child.pid}) after ${((Date.now() - slot.started) / 1000).toFixed(1)} s`);
      void (async () => {
        await slot.exited;
        await sleep(c.restartAfterMs ?? 300);
        if (!this.stopping && !slot.child) this.spawnInto(slot);
      })();
    }
  }

  /**
   * Stops every worker with SIGTERM and waits for them (a worker finishes its batch and closes out);
   * one still alive after `graceMs` is SIGKILLed and reported.
   */
  async stop(graceMs = 30_000): Promise<string[]> {
    this.stopping = true;
    const problems: string[] = [];
    const live = this.slots.filter((s) => s.child);
    for (const s of live) {
      s.byUs = 'SIGTERM';
      s.child!.kill('SIGTERM');
    }
    const timeout = sleep(graceMs).then(() => 'timeout' as const);
    for (const s of live) {
      const r = await Promise.race([s.exited!.then(() => 'exited' as const), timeout]);
      if (r === 'timeout' && s.child) {
        problems.push(`worker ${s.index + 1} (pid ${s.child.pid}) did not stop within ${graceMs} ms of SIGTERM; last output: ${s.out.trim().slice(-500)}`);
        s.child.kill('SIGKILL');
        await s.exited;
      }
    }
    for (const e of this.exits) {
      if (e.byUs === 'SIGTERM' && e.code !== 0)
        problems.push(`worker ${e.slot + 1} (pid ${e.pid}) exited ${e.code ?? e.signal} after SIGTERM, not 0; last output: ${e.tail.slice(-500)}`);
      if (!e.byUs) problems.push(`worker ${e.slot + 1} (pid ${e.pid}) ended on its own (${e.code ?? e.signal}) after ${e.ms} ms; last output: ${e.tail.slice(-500)}`);
    }
    return problems;
  }
}
