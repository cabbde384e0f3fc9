/** The preview through its two doors: `GET /api/v1/preview` (+ `POST /skip`) and `qbo-connect preview [--json]` as a child process. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Hono } from 'hono';
import { onError } from '../src/server/http.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/accounts/api-tokens.js';
import { createUser } from '../src/accounts/users.js';
import type { AppContext } from '../src/context.js';
import type { Plan } from '../src/connect/plan/index.js';
import { createQboClients } from '../src/connect/connection/qbo-client.js';
import { loadDemoPractice, plantedProblems } from '../src/practice/demo.js';
import { previewApi } from '../src/server/api/preview.js';
import { openDatabase, type OpenDb } from '../src/store/db.js';
import { connectedCompany, silentLogger, type ConnectedCompany } from './helpers/preview.js';
import { testClock } from './helpers/test-time.js';

const clock = testClock();
const bin = path.resolve('bin/qbo-connect.js');

/** Async, so the emulator in this process keeps answering the child. */
function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('preview API and CLI', () => {
  let opened: OpenDb;
  let co: ConnectedCompany;
  let dataDir: string;
  let http: Hono;
  let keeper: string;
  let viewer: string;
  const req = (token: string, extra: RequestInit = {}) => ({ ...extra, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-preview-'));
    opened = await openDatabase({ sqliteFile: path.join(dataDir, 'qbo-connect.db') });
    co = await connectedCompany(opened.db, clock, { dataDir });
    expect((await loadDemoPractice(opened.db, 'default', { size: 'small', seed: 1, today: clock() })).ok).toBe(true);
    const app = {
      db: opened.db,
      clock,
      logger: silentLogger,
      config: co.config,
      qbo: createQboClients({ db: opened.db, config: co.config, logger: silentLogger, clock }),
    } as unknown as AppContext;
    const bo = await createUser(opened.db, { email: 'bo@example.com', name: 'Bo', role: 'bookkeeper' });
    const vi = await createUser(opened.db, { email: 'vi@example.com', name: 'Vi', role: 'viewer' });
    keeper = (await createApiToken(opened.db, bo.id, 't')).token;
    viewer = (await createApiToken(opened.db, vi.id, 't')).token;
    http = new Hono();
    http.route('/api/v1/preview', previewApi(app));
    http.onError(onError(app.logger));
  }, 60_000);
  afterAll(async () => {
    await co?.close();
    await opened?.close();
  });

  it('GET /api/v1/preview answers the plan; a token is required; POST /skip takes linked rows', async () => {
    expect((await http.request('/api/v1/preview')).status).toBe(401);
    const res = await http.request(`/api/v1/preview?realm=${co.realmId}`, req(viewer));
    expect(res.status).toBe(200);
    const plan = (await res.json()) as Plan;
    expect(plan.groups.map((g) => g.kind)).toEqual([
      'customers',
      'suppliers',
      'items',
      'invoices',
      'credit-notes',
      'payments-export',
      'bills',
      'staff-expenses',
      'payments-import',
    ]);
    const codes = plan.groups.flatMap((g) => g.rows.flatMap((r) => r.issues.map((i) => i.code)));
    expect(codes).toContain('invoice.number-too-long');
    expect(plan.qboRequests).toBeGreaterThan(0);

    expect((await http.request('/api/v1/preview/skip', req(viewer, { method: 'POST', body: JSON.stringify({ row: 'invoices:INV-90001' }) }))).status).toBe(403);
    const bad = await http.request('/api/v1/preview/skip', req(keeper, { method: 'POST', body: JSON.stringify({ row: 'invoices:NOPE' }) }));
    expect(bad.status).toBe(400);
    const ok = await http.request('/api/v1/preview/skip', req(keeper, { method: 'POST', body: JSON.stringify({ row: 'customers:C9001' }) }));
    expect(ok.status).toBe(200);
    const skipped = ((await ok.json()) as { skipped: Array<{ kind: string; id: string }> }).skipped.map((r) => `${r.kind}:${r.id}`).sort();
    expect(skipped).toEqual(['contact:C9001', 'invoice:INV-90001']);
  });

  it('qbo-connect preview prints the groups and each error; --json prints the plan', async () => {
    const env = { QBO_ENV: 'emulator', QBO_EMULATOR_URL: co.emu.url, QBO_CONNECT_DATA_DIR: dataDir, QBO_CONNECT_LOG_LEVEL: 'warn' };
    const text = await run(['preview'], env);
    expect(text.stderr).toBe('');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/Invoices\s+\d+\s+\d+\s+\d+\s+\d+\s+[\d.]+/);
    expect(text.stdout).toContain('Errors (');
    for (const p of plantedProblems.filter((x) => x.kind === 'invoice' || x.kind === 'bill')) expect(text.stdout).toContain(`[${p.code}] `);
    const json = await run(['preview', '--json'], env);
    expect(json.status).toBe(0);
    const plan = JSON.parse(json.stdout) as Plan;
    expect(plan.realmId).toBe(co.realmId);
    expect(plan.groups.find((g) => g.kind === 'invoices')!.rows.find((r) => r.key === 'invoices:INV-90001')!.skipped?.by).toBe('user:bo@example.com');
  }, 60_000);
});
