/**
 * Many practices in one installation (issue 15), on PostgreSQL: N practices, each with the small
 * demo ledger and a QBO company of its own in the emulator (connected through the real OAuth flow,
 * each to its practice), and one installation with a single practice for comparison. A process of
 * its own (bench/practices-child.ts) then serves each installation: the firm overview's render time,
 * the first practice's preview time (median), every practice's preview once, and the process's RSS.
 * Target: the overview under 300 ms for 200 companies; the first practice's preview within 10% of
 * the single-practice installation's. Latency 0 and the emulator's limits off: what is measured is
 * the product's own work (database and CPU), which the size of the other practices could slow.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createApp } from '../src/app.js';
import { hashPassword } from '../src/accounts/passwords.js';
import { createUser } from '../src/accounts/users.js';
import { followEmulatorConsent } from '../src/cli/auto-consent.js';
import { loadConfig } from '../src/config.js';
import { createConnectionService } from '../src/connect/connection/connection.js';
import { refreshCompanyStatus } from '../src/connect/overview/index.js';
import { qboClientFor } from '../src/connect/connection/qbo-client.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/run/server.js';
import { setSetting } from '../src/connect/settings/store.js';
import { loadDemoPractice } from '../src/practice/demo.js';
import { createPractice, DEFAULT_PRACTICE_ID } from '../src/practice/practices.js';
import { benchPostgres } from './postgres.js';

export interface PracticesScaleResult {
  practices: number;
  setupSeconds: number;
  single: ChildResult;
  many: ChildResult;
  /** The first practice's preview in both installations, alternated call by call in one process. */
  compared: Compared;
  /** The first practice's preview in the N-practice installation over the single-practice one's (1.0 = the same). */
  previewRatio: number;
}

interface Compared {
  aloneMedianMs: number;
  manyMedianMs: number;
  calls: number;
}

interface ChildResult {
  practices: number;
  companiesShown: number;
  overviewMedianMs: number;
  overviewMaxMs: number;
  previewMedianMs: number;
  previewRows: number;
  othersPreviewMedianMs: number | null;
  rssAtStartMb: number;
  rssAtEndMb: number;
  maxRssMb: number;
}

const PASSWORD = 'bench password, long enough';

/** Fills one installation: `count` practices (the first is `default`), each with the small demo and its own company. */
async function install(url: string, emu: RunningEmulator, count: number): Promise<string[]> {
  const config = loadConfig({ QBO_CONNECT_LOG_LEVEL: 'silent', QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url, DATABASE_URL: url });
  const app = await createApp(config);
  try {
    const { db, clock, logger } = app.ctx;
    await createUser(db, { email: 'owner@example.com', name: 'Owner', role: 'administrator', owner: true, passwordHash: await hashPassword(PASSWORD) });
    const svc = createConnectionService({ db, config: app.ctx.config, logger, clock });
    const realms: string[] = [];
    for (let i = 0; i < count; i++) {
      const practiceId = i === 0 ? DEFAULT_PRACTICE_ID : `practice-${String(i).padStart(3, '0')}`;
      if (i > 0) await createPractice(db, { id: practiceId, name: `Practice ${i}` }, 'bench', clock());
      // Every practice has the same numbers (INV-…, C0001): isolation is by practice, never by key.
      const loaded = await loadDemoPractice(db, practiceId, { size: 'small', seed: 1 + i, today: clock() });
      if (!loaded.ok) throw new Error(`the demo did not load into ${practiceId}`);
      const company = emu.control.seedCompany({ preset: 'au', name: `Company ${i}` });
      const begun = await svc.beginConnect({ actor: 'bench', company: company.realmId, practiceId });
      const q = await followEmulatorConsent(begun.url, company.realmId);
      const status = await svc.completeConnect({ ...q, actor: 'bench' });
      if (status.state !== 'connected' || q.realmId !== company.realmId) throw new Error(`could not connect ${company.realmId} to ${practiceId}: ${status.message}`);
      realms.push(company.realmId);
      // The whole demo year, not only this month (the default export-from): a preview of every document.
      const from = new Date(clock().getTime() - 400 * 86_400_000).toISOString().slice(0, 10);
      for (const k of ['invoices', 'creditNotes', 'payments', 'bills', 'staffExpenses'])
        await setSetting(db, { realmId: company.realmId, path: `general.exportFrom.${k}`, value: from, actor: 'bench', clock });
      // The overview's figures, as the hourly company-status job takes them.
      await refreshCompanyStatus({ db, clock, logger, client: qboClientFor(app.ctx, company.realmId, { limits: { intervalMs: 1000 } }) }, company.realmId);
    }
    return realms;
  } finally {
    await app.close();
  }
}

function child(env: Record<string, string>): Promise<ChildResult> {
  const script = path.resolve(import.meta.dirname, 'practices-child.ts');
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH-RESULT '));
      if (code !== 0 || !line) reject(new Error(`bench/practices-child.ts exited ${code} without a result`));
      else resolve(JSON.parse(line.slice('BENCH-RESULT '.length)) as ChildResult);
    });
  });
}

export async function practicesAtScale(opts: { practices: number; repeat: number }): Promise<PracticesScaleResult> {
  const started = Date.now();
  const emu = await startEmulator({ preset: 'none', limits: 'off', autoConsent: true, seed: 1 });
  const single = await benchPostgres();
  const many = await benchPostgres();
  try {
    const singleRealms = await install(single.url, emu, 1);
    const manyRealms = await install(many.url, emu, opts.practices);
    const setupSeconds = Math.round((Date.now() - started) / 1000);
    const base = { BENCH_EMULATOR_URL: emu.url, BENCH_REPEAT: String(opts.repeat) };
    const one = await child({ ...base, DATABASE_URL: single.url, BENCH_REALMS: JSON.stringify(singleRealms) });
    const all = await child({ ...base, DATABASE_URL: many.url, BENCH_REALMS: JSON.stringify(manyRealms) });
    const compared = (await child({
      ...base,
      DATABASE_URL: many.url,
      BENCH_REALMS: JSON.stringify(manyRealms),
      BENCH_COMPARE_URL: single.url,
      BENCH_COMPARE_REALM: singleRealms[0]!,
    })) as unknown as Compared;
    return { practices: opts.practices, setupSeconds, single: one, many: all, compared, previewRatio: Math.round((compared.manyMedianMs / compared.aloneMedianMs) * 100) / 100 };
  } finally {
    await many.stop();
    await single.stop();
    await emu.close();
  }
}
