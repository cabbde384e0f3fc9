/**
 * Issue 17: SIGTERM (and SIGINT) while a sync runs in the web process. The real `qbo-connect start` is
 * spawned against an emulator whose writes are slowed (latency on POSTs), a sync is started through
 * the JSON API, and the signal arrives mid-sync. While it drains, `/readyz` answers 503 and a new sync
 * is refused (503 `run.draining`). The process must exit 0 within the shutdown timeout, leaving the run
 * closed as `interrupted` (the records it did not reach "not sent", none failed), the company's lock
 * released and no write pending in the journal. A sync in a new process then finishes the company,
 * and QBO — read back through its public API — holds every document once.
 * SIGTERM on SQLite, SIGINT on PostgreSQL (the lock and journal in both dialects).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/accounts/api-tokens.js';
import { createUser } from '../../src/accounts/users.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/run/server.js';
import { openDatabase } from '../../src/store/db.js';
import { connectedApp } from '../helpers/emulator-company.js';
import { api, connect } from '../helpers/emulator-connect.js';
import { testConfig } from '../helpers/config.js';
import { clonePostgres } from '../helpers/db.js';
import { freePort } from '../helpers/net.js';
import { testDate } from '../helpers/test-time.js';
import { readyDemo } from '../sync/demo-setup.js';
import { bin, killIfRunning, runningUrl, spawnStart, type Started } from './spawn-start.js';

/** Each write to QBO takes this long (real ms): the sync is still mid-way when the signal comes. */
const WRITE_LATENCY_MS = 1_500;
const SHUTDOWN_TIMEOUT_S = 30;

interface Setup {
  realmId: string;
  dataDir: string;
  databaseUrl: string | undefined;
  token: string;
}

let emu: RunningEmulator;
const drops: Array<() => Promise<void>> = [];
let running: Started | undefined;

beforeAll(async () => {
  // Strict explicitly: the duplicate check proves nothing against a kinder QBO.
  emu = await startEmulator({ preset: 'none', limits: 'off', fidelity: 'strict' });
});
afterAll(async () => {
  killIfRunning(running);
  await emu?.close();
  for (const drop of drops) await drop();
});

function withoutDatabaseUrl(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { DATABASE_URL: _ignored, ...rest } = env;
  return rest;
}

async function prepare(name: string, dialect: 'sqlite' | 'postgres'): Promise<Setup> {
  const company = emu.control.seedCompany({ preset: 'au', name });
  let databaseUrl: string | undefined;
  if (dialect === 'postgres') {
    const clone = await clonePostgres();
    drops.push(clone.drop);
    databaseUrl = clone.url;
  }
  const config = testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) });
  const c = await connectedApp(emu, { company: company.realmId, config });
  const from = testDate(-400 * 86_400_000)
    .toISOString()
    .slice(0, 10);
  await readyDemo(c.app.ctx, syncDepsFor(c.app.ctx, c.realmId).client, c.realmId, { size: 'small', direction: 'export', exportFrom: from, applyCredits: false });
  const user = await createUser(c.app.ctx.db, { email: 'book@example.com', name: 'Book Keeper', role: 'bookkeeper' }, c.app.ctx.clock());
  const { token } = await createApiToken(c.app.ctx.db, user.id, 'ops test', c.app.ctx.clock());
  await c.app.close();
  return { realmId: c.realmId, dataDir: c.config.dataDir, databaseUrl, token };
}

function envFor(s: Setup): NodeJS.ProcessEnv {
  return {
    ...withoutDatabaseUrl(process.env),
    ...(s.databaseUrl ? { DATABASE_URL: s.databaseUrl } : {}),
    QBO_CONNECT_SECRET: undefined,
    QBO_CONNECT_DATA_DIR: s.dataDir,
    QBO_ENV: 'emulator',
    QBO_EMULATOR_URL: emu.url,
    QBO_CONNECT_BATCH_SIZE: '3',
    QBO_CONNECT_SHUTDOWN_TIMEOUT: String(SHUTDOWN_TIMEOUT_S),
    QBO_CONNECT_PROCESSING_WINDOW_MS: '200',
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `qbo-connect sync --yes` in a new process: its exit code and output. */
function cliSync(s: Setup, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'sync', '--yes', '--realm', s.realmId], {
      env: { ...envFor(s), QBO_CONNECT_LOG_LEVEL: 'silent', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** What QBO holds, read through its public API with a token of our own: every row of the entity. */
async function qboRows(realmId: string, entity: string): Promise<Array<Record<string, unknown>>> {
  const tokens = await connect(emu, realmId);
  const call = api(emu, tokens);
  const res = await call(`query?query=${encodeURIComponent(`select * from ${entity} maxresults 1000`)}&minorversion=75`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { QueryResponse: Record<string, Array<Record<string, unknown>>> };
  return body.QueryResponse[entity] ?? [];
}

function duplicates(values: unknown[]): unknown[] {
  const seen = new Set<unknown>();
  return values.filter((v) => (seen.has(v) ? true : (seen.add(v), false)));
}

describe.each([
  { signal: 'SIGTERM' as const, dialect: 'sqlite' as const },
  { signal: 'SIGINT' as const, dialect: 'postgres' as const },
])('$signal mid-sync in the web process [$dialect]', ({ signal, dialect }) => {
  it('drains: refuses new work, closes the run as interrupted, releases the lock, leaves nothing pending, exits 0; the next sync duplicates nothing', async () => {
    const s = await prepare(`Drain ${signal}`, dialect);
    emu.control.armFaults({ latencyMs: WRITE_LATENCY_MS, appliesTo: 'writes', realmId: s.realmId });
    running = spawnStart(['--port', String(await freePort())], envFor(s));
    const url = await runningUrl(running);
    const auth = { Authorization: `Bearer ${s.token}`, 'Content-Type': 'application/json' };
    const started = await fetch(`${url}/api/v1/sync?realm=${s.realmId}`, { method: 'POST', headers: auth });
    expect(started.status, await started.clone().text()).toBe(202);
    const { runId } = (await started.json()) as { runId: string };

    // Mid-way: some records written, far from all.
    let progress = { done: 0, total: 0 };
    for (let i = 0; i < 600 && !(progress.total > 0 && progress.done >= 6); i++) {
      await sleep(100);
      const r = (await (await fetch(`${url}/api/v1/sync/runs/${runId}`, { headers: auth })).json()) as { run: { progress: { done: number; total: number } } };
      progress = r.run.progress;
    }
    expect(progress.done).toBeGreaterThanOrEqual(6);
    expect(progress.done).toBeLessThan(progress.total);

    const t0 = Date.now();
    running.child.kill(signal);
    // It says it waits for the run; the batches in flight take up to WRITE_LATENCY_MS more.
    for (let i = 0; i < 250 && !running.out().includes(`Stopping (${signal})`); i++) await sleep(20);
    expect(running.out()).toContain(`Stopping (${signal}): waiting up to ${SHUTDOWN_TIMEOUT_S} s for 1 sync run(s) to finish their current batch: ${runId}.`);
    // Draining: not ready, and a new sync refused with the reason. (Deterministic in test/ops/health.test.ts;
    // here only when the last batch had not landed yet — a closed server means the drain is over.)
    const ready = await fetch(`${url}/readyz`).catch(() => undefined);
    if (ready) {
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { status: string; draining: { signal: string } | false };
      expect(body.status).toBe('not-ready');
      expect(body.draining && body.draining.signal).toBe(signal);
      const again = await fetch(`${url}/api/v1/sync?realm=${s.realmId}`, { method: 'POST', headers: auth }).catch(() => undefined);
      if (again) {
        expect(again.status).toBe(503);
        expect(again.headers.get('retry-after')).toBe('30');
        expect(((await again.json()) as { error: { code: string } }).error.code).toBe('run.draining');
      }
    }
    console.log(`${signal} [${dialect}]: /readyz while draining ${ready ? `answered ${ready.status}` : 'not asked in time (the drain was over)'}`);
    const end = await running.exited;
    const drainMs = Date.now() - t0;
    console.log(`${signal} [${dialect}]: exited ${end.code} ${drainMs} ms after the signal; ${progress.done}/${progress.total} done when it came`);
    expect(end.code, running.err()).toBe(0);
    expect(drainMs).toBeLessThan(SHUTDOWN_TIMEOUT_S * 1000);
    expect(running.out()).toContain('QBO Connect stopped.');
    emu.control.armFaults({ latencyMs: 0 });

    const opened = await openDatabase({ databaseUrl: s.databaseUrl, sqliteFile: path.join(s.dataDir, 'qbo-connect.db') });
    try {
      const run = await opened.db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirstOrThrow();
      const records = await opened.db.selectFrom('run_records').select(['status', 'code']).where('run_id', '=', runId).execute();
      const lock = await opened.db.selectFrom('sync_locks').selectAll().where('realm_id', '=', s.realmId).execute();
      const pending = await opened.db.selectFrom('journal').select('id').where('realm_id', '=', s.realmId).where('status', '=', 'pending').execute();
      const notSent = records.filter((r) => r.status === 'not-sent').length;
      console.log(
        `${signal} [${dialect}]: run ${run.status}, ${records.filter((r) => r.status === 'done').length} done, ${notSent} not sent, ${pending.length} writes pending, ${lock.length} lock rows`,
      );
      expect(run.status).toBe('interrupted');
      expect(run.finished_at).not.toBeNull();
      expect(run.message).toContain(`shutting down (${signal})`);
      expect(Number(run.failed)).toBe(0);
      expect(records.filter((r) => r.status === 'failed')).toEqual([]);
      expect(notSent).toBeGreaterThan(0);
      expect(records.filter((r) => r.status === 'not-sent').every((r) => r.code === 'run.stopped')).toBe(true);
      expect(lock).toEqual([]);
      expect(pending).toEqual([]);
    } finally {
      await opened.close();
    }

    const next = await cliSync(s);
    expect(next.code, next.out).toBe(0);
    for (const [entity, key] of [
      ['Invoice', 'DocNumber'],
      ['CreditMemo', 'DocNumber'],
      ['Bill', 'DocNumber'],
      ['Customer', 'DisplayName'],
      ['Vendor', 'DisplayName'],
      ['Payment', 'PrivateNote'],
    ] as const) {
      const rows = await qboRows(s.realmId, entity);
      expect(duplicates(rows.map((r) => r[key])), `${entity} by ${key}`).toEqual([]);
    }
    expect((await qboRows(s.realmId, 'Invoice')).length).toBeGreaterThan(0);
  }, 240_000);
});

describe('SIGTERM when the batch in flight outlasts QBO_CONNECT_SHUTDOWN_TIMEOUT [sqlite]', () => {
  it('exits 1 at the timeout with one line naming the run, leaves its writes in the journal; the next sync settles them and duplicates nothing', async () => {
    const s = await prepare('Drain timeout', 'sqlite');
    const slowMs = 6_000;
    emu.control.armFaults({ latencyMs: slowMs, appliesTo: 'writes', realmId: s.realmId });
    running = spawnStart(['--port', String(await freePort())], { ...envFor(s), QBO_CONNECT_SHUTDOWN_TIMEOUT: '1' });
    const url = await runningUrl(running);
    const auth = { Authorization: `Bearer ${s.token}`, 'Content-Type': 'application/json' };
    const started = await fetch(`${url}/api/v1/sync?realm=${s.realmId}`, { method: 'POST', headers: auth });
    expect(started.status).toBe(202);
    const { runId } = (await started.json()) as { runId: string };
    const opened = await openDatabase({ sqliteFile: path.join(s.dataDir, 'qbo-connect.db') });
    try {
      // Wait until a write is journaled (in flight at the slowed QBO), then stop.
      const pendingCount = async () => (await opened.db.selectFrom('journal').select('id').where('realm_id', '=', s.realmId).where('status', '=', 'pending').execute()).length;
      for (let i = 0; i < 600 && (await pendingCount()) === 0; i++) await sleep(100);
      expect(await pendingCount()).toBeGreaterThan(0);
      const t0 = Date.now();
      running.child.kill('SIGTERM');
      const end = await running.exited;
      const ms = Date.now() - t0;
      const left = await pendingCount();
      console.log(`SIGTERM past the timeout: exited ${end.code} ${ms} ms after the signal, ${left} writes pending in the journal`);
      expect(end.code).toBe(1);
      expect(ms).toBeLessThan(slowMs);
      const lines = running.err().trim().split('\n');
      expect(lines.at(-1)).toContain(`stopped after 1 s (QBO_CONNECT_SHUTDOWN_TIMEOUT) with sync run(s) ${runId} still going`);
      expect(running.err()).not.toMatch(/\n\s+at /);
      expect(left).toBeGreaterThan(0);
    } finally {
      await opened.close();
    }
    // The writes in flight reach the slowed QBO within slowMs; the next sync must find them, not send them again.
    emu.control.armFaults({ latencyMs: 0 });
    const next = await cliSync({ ...s }, { QBO_CONNECT_PROCESSING_WINDOW_MS: String(slowMs + 2_000) });
    expect(next.code, next.out).toBe(0);
    for (const [entity, key] of [
      ['Invoice', 'DocNumber'],
      ['Customer', 'DisplayName'],
      ['Vendor', 'DisplayName'],
    ] as const) {
      const rows = await qboRows(s.realmId, entity);
      expect(duplicates(rows.map((r) => r[key])), `${entity} by ${key}`).toEqual([]);
    }
  }, 240_000);
});

describe('SIGTERM while a slow GET is in flight and no sync runs [sqlite]', () => {
  it('stops within QBO_CONNECT_SHUTDOWN_TIMEOUT, closes the request, and says a request (not a sync) was still going', async () => {
    const s = await prepare('Drain slow read', 'sqlite');
    // QBO reads take 30 s: the preview waits on them far past the 2 s shutdown timeout.
    emu.control.armFaults({ latencyMs: 30_000, appliesTo: 'reads', realmId: s.realmId });
    running = spawnStart(['--port', String(await freePort())], { ...envFor(s), QBO_CONNECT_SHUTDOWN_TIMEOUT: '2' });
    const url = await runningUrl(running);
    const preview = fetch(`${url}/api/v1/preview?realm=${s.realmId}`, { headers: { Authorization: `Bearer ${s.token}` } }).then(
      (r) => r.status,
      () => 'closed' as const,
    );
    await sleep(1_000);
    const t0 = Date.now();
    running.child.kill('SIGTERM');
    const end = await running.exited;
    const ms = Date.now() - t0;
    emu.control.armFaults({ latencyMs: 0 });
    console.log(`SIGTERM with a slow GET in flight: exited ${end.code} ${ms} ms after the signal; the GET ended ${await preview}`);
    // The old code waited for the request until timeout + 10 s and blamed "the syncs".
    expect(ms).toBeLessThan(2_000 + 2_500);
    expect(end.code).toBe(1);
    expect(await preview).toBe('closed');
    const last = running.err().trim().split('\n').at(-1);
    expect(last).toContain('stopped after 2 s (QBO_CONNECT_SHUTDOWN_TIMEOUT) with 1 request(s) still being answered');
    expect(running.err()).not.toContain('after the syncs stopped');
  }, 120_000);
});
