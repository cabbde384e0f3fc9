/**
 * `qbo-connect worker` as real processes (issue 16). On SQLite it refuses in one line (exit 2): the
 * `start` process runs the jobs there. On PostgreSQL: a sync queued through the same function the
 * API uses (jobs/enqueue-sync.ts) runs on a worker; SIGKILL that worker mid-sync and another worker
 * takes the job over once the dead one's heartbeat lapses (short here: QBO_CONNECT_WORKER_LAPSE_MS),
 * and the company ends with each document in QBO exactly once and every run closed. SIGTERM on a
 * worker mid-sync closes the run `interrupted` with the records not reached "not sent", exit 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/run/server.js';
import { enqueueSync } from '../../src/jobs/enqueue-sync.js';
import { connectedApp } from '../helpers/emulator-company.js';
import { api, connect } from '../helpers/emulator-connect.js';
import { testConfig } from '../helpers/config.js';
import { clonePostgres, dialects, emptyPostgres } from '../helpers/db.js';
import { testDate } from '../helpers/test-time.js';
import { readyDemo } from '../sync/demo-setup.js';
import { bin, killIfRunning, spawnStart } from './spawn-start.js';
import { freePort } from '../helpers/net.js';

const LAPSE_MS = 3_000;
let emu: RunningEmulator;
const drops: Array<() => Promise<void>> = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  emu = await startEmulator({ preset: 'none', limits: 'off', fidelity: 'strict' });
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await emu?.close();
  for (const drop of drops) await drop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Setup {
  config: Config;
  realmId: string;
  dataDir: string;
  databaseUrl: string;
}

async function prepare(name: string): Promise<Setup> {
  const company = emu.control.seedCompany({ preset: 'au', name });
  const clone = await clonePostgres();
  drops.push(clone.drop);
  const config = testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url, DATABASE_URL: clone.url });
  const c = await connectedApp(emu, { company: company.realmId, config });
  const from = testDate(-400 * 86_400_000)
    .toISOString()
    .slice(0, 10);
  await readyDemo(c.app.ctx, syncDepsFor(c.app.ctx, c.realmId).client, c.realmId, { size: 'small', direction: 'export', exportFrom: from, applyCredits: false });
  await c.app.close();
  return { config: c.config, realmId: c.realmId, dataDir: c.config.dataDir, databaseUrl: clone.url };
}

function envFor(s: Setup): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: s.databaseUrl,
    QBO_CONNECT_SECRET: undefined,
    QBO_CONNECT_DATA_DIR: s.dataDir,
    QBO_ENV: 'emulator',
    QBO_EMULATOR_URL: emu.url,
    QBO_CONNECT_LOG_LEVEL: 'warn',
    QBO_CONNECT_BATCH_SIZE: '3',
    QBO_CONNECT_SHUTDOWN_TIMEOUT: '30',
    QBO_CONNECT_PROCESSING_WINDOW_MS: '200',
    QBO_CONNECT_WORKER_LAPSE_MS: String(LAPSE_MS),
    QBO_CONNECT_WORKER_POLL_MS: '300',
    // The dead worker's company lock lapses by the database's clock (no dead-process shortcut on PostgreSQL).
    QBO_CONNECT_LOCK_TTL_MS: '4000',
  };
}

interface Worker {
  child: ChildProcess;
  out: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnWorker(env: NodeJS.ProcessEnv, args: string[] = []): Worker {
  const child = spawn(process.execPath, [bin, 'worker', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, out: () => out, exited };
}

async function waitFor<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 90_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await sleep(150);
  }
}

async function qboRows(realmId: string, entity: string): Promise<Array<Record<string, unknown>>> {
  const call = api(emu, await connect(emu, realmId));
  const res = await call(`query?query=${encodeURIComponent(`select * from ${entity} maxresults 1000`)}&minorversion=75`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { QueryResponse: Record<string, Array<Record<string, unknown>>> };
  return body.QueryResponse[entity] ?? [];
}

async function expectEachOnce(realmId: string): Promise<void> {
  for (const [entity, key] of [
    ['Invoice', 'DocNumber'],
    ['CreditMemo', 'DocNumber'],
    ['Bill', 'DocNumber'],
    ['Customer', 'DisplayName'],
    ['Vendor', 'DisplayName'],
  ] as const) {
    const values = (await qboRows(realmId, entity)).map((r) => r[key]);
    expect(
      values.filter((v, i) => values.indexOf(v) !== i),
      `${entity} by ${key}`,
    ).toEqual([]);
  }
  expect((await qboRows(realmId, 'Invoice')).length).toBeGreaterThan(0);
}

it('worker on SQLite: exit 2, one line saying start runs the jobs', async () => {
  const { DATABASE_URL: _none, ...env } = process.env;
  const w = spawnWorker({ ...env, QBO_CONNECT_LOG_LEVEL: 'silent', QBO_CONNECT_DATA_DIR: testConfig({}).dataDir });
  const end = await w.exited;
  expect(end.code).toBe(2);
  const lines = w.out().trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/`qbo-connect start` runs the jobs/);
}, 30_000);

it.runIf(dialects.includes('postgres'))(
  'worker on an unmigrated PostgreSQL database: exit 2, one line naming qbo-connect migrate; nothing migrated',
  async () => {
    const empty = await emptyPostgres();
    drops.push(empty.drop);
    const w = spawnWorker({
      ...process.env,
      DATABASE_URL: empty.url,
      QBO_CONNECT_SECRET: 'a-test-secret-of-enough-length-0123456789',
      QBO_CONNECT_LOG_LEVEL: 'silent',
      QBO_CONNECT_DATA_DIR: testConfig({}).dataDir,
    });
    const end = await w.exited;
    expect(end.code).toBe(2);
    const lines = w.out().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/run `qbo-connect migrate` first/);
    const opened = await createApp(testConfig({ DATABASE_URL: empty.url }), { migrate: 'check' }).catch((err: unknown) => err);
    expect(String(opened)).toMatch(/lacks \d+ migrations/);
  },
  60_000,
);

it('start --no-worker [sqlite]: exit 2, one line (no worker can exist on SQLite, so its clicks could never run)', async () => {
  const { DATABASE_URL: _none, ...base } = process.env;
  const s = spawnStart(['--no-worker', '--port', String(await freePort())], { ...base, QBO_CONNECT_LOG_LEVEL: 'silent', QBO_CONNECT_DATA_DIR: testConfig({}).dataDir });
  try {
    const end = await s.exited;
    expect(end.code).toBe(2);
    expect(s.out()).toBe('');
    const lines = s.err().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/--no-worker needs PostgreSQL \(DATABASE_URL\)/);
  } finally {
    killIfRunning(s);
  }
}, 30_000);

describe('workers on PostgreSQL', () => {
  it('SIGKILL the worker running a sync: another takes the job over after the heartbeat lapse; each document once, every run closed', async () => {
    const s = await prepare('Worker kill');
    emu.control.armFaults({ latencyMs: 600, appliesTo: 'writes', realmId: s.realmId });
    const app = await createApp(s.config);
    try {
      const a = spawnWorker(envFor(s));
      await waitFor(
        'worker A',
        async () => a.out(),
        (o) => o.includes('worker running'),
      );
      const { runId } = await enqueueSync(app.ctx, { realmId: s.realmId, actor: 'user:book@example.com', trigger: 'api' });
      const progress = () => app.ctx.db.selectFrom('runs').select(['status', 'progress_done', 'progress_total']).where('id', '=', runId).executeTakeFirstOrThrow();
      await waitFor('the run mid-way on worker A', progress, (r) => r.status === 'running' && Number(r.progress_done) >= 3);
      const b = spawnWorker(envFor(s));
      await waitFor(
        'worker B',
        async () => b.out(),
        (o) => o.includes('worker running'),
      );
      const t0 = Date.now();
      a.child.kill('SIGKILL');
      await a.exited;
      // B's sweeper unlocks A's job once A's heartbeat is LAPSE_MS old; B runs it: a new run, the old one closed.
      const runs = () => app.ctx.db.selectFrom('runs').select(['id', 'status', 'message']).where('realm_id', '=', s.realmId).orderBy('started_at').execute();
      const all = await waitFor('the job taken over and finished', runs, (rs) => rs.length >= 2 && rs.every((r) => r.status !== 'running' && r.status !== 'queued'), 120_000);
      console.log(`worker kill: taken over and finished ${Date.now() - t0} ms after SIGKILL; runs ${all.map((r) => `${r.id} ${r.status}`).join(', ')}`);
      expect(all.find((r) => r.id === runId)).toMatchObject({ status: 'interrupted' });
      expect(all.at(-1)).toMatchObject({ status: 'succeeded' });
      const { rows: jobs } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs`.execute(app.ctx.db);
      expect(jobs[0]!.n).toBe(0);
      emu.control.armFaults({ latencyMs: 0 });
      await expectEachOnce(s.realmId);
      b.child.kill('SIGTERM');
      expect((await b.exited).code, b.out()).toBe(0);
    } finally {
      emu.control.armFaults({ latencyMs: 0 });
      await app.close();
    }
  }, 240_000);

  it('SIGTERM on a worker mid-sync: the run closes interrupted with the rest not sent, exit 0', async () => {
    const s = await prepare('Worker term');
    emu.control.armFaults({ latencyMs: 800, appliesTo: 'writes', realmId: s.realmId });
    const app = await createApp(s.config);
    try {
      const w = spawnWorker(envFor(s), ['--concurrency', '2']);
      await waitFor(
        'the worker',
        async () => w.out(),
        (o) => o.includes('worker running'),
      );
      const { runId } = await enqueueSync(app.ctx, { realmId: s.realmId, actor: 'user:book@example.com', trigger: 'api' });
      const run = () => app.ctx.db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
      await waitFor('the run mid-way', run, (r) => r.status === 'running' && Number(r.progress_done) >= 3);
      w.child.kill('SIGTERM');
      const end = await w.exited;
      expect(end.code, w.out()).toBe(0);
      expect(w.out()).toContain('QBO Connect worker stopped.');
      const closed = await run();
      const records = await app.ctx.db.selectFrom('run_records').select(['status']).where('run_id', '=', runId).execute();
      const pending = await app.ctx.db.selectFrom('journal').select('id').where('realm_id', '=', s.realmId).where('status', '=', 'pending').execute();
      expect(closed.status).toBe('interrupted');
      expect(closed.message).toContain('shutting down (SIGTERM)');
      expect(records.filter((r) => r.status === 'not-sent').length).toBeGreaterThan(0);
      expect(Number(closed.failed)).toBe(0);
      expect(pending).toEqual([]);
    } finally {
      emu.control.armFaults({ latencyMs: 0 });
      await app.close();
    }
  }, 180_000);
});
