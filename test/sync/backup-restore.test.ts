/**
 * Issue 17, backup and restore: a backup taken in the middle of a sync, restored, and synced on,
 * leaves QuickBooks holding every record exactly once — the same as one uninterrupted sync.
 *
 * - Killed mid-sync: `qbo-connect sync` is SIGKILLed (crash point after-send-before-response in
 *   bills: QBO holds a bill whose answer the product never read), so the backup deterministically
 *   holds a run still `running` and journal writes `pending`. The original folder then syncs to the
 *   end; the backup is restored into a new data folder (its key file with it) and synced there.
 * - Live: backups taken by another process while a (slowed) sync writes are each a sound database
 *   (integrity_check); one that holds the running run is restored over the data folder (the replaced
 *   database kept beside it) and synced on.
 *
 * The emulator forgets every requestid (strict), so the restored product must find what QBO holds
 * by looking it up, never by a replay QBO would dedupe. What QBO holds is read back through the
 * emulator's control dump, compared with an uninterrupted sync of the same practice in another company.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { sync } from '../../src/connect/run/sync.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/run/server.js';
import { connectedApp } from '../helpers/emulator-company.js';
import { testDate } from '../helpers/test-time.js';
import { readyDemo } from './demo-setup.js';

const bin = path.resolve('bin/qbo-connect.js');
const ENTITIES = ['Customer', 'Vendor', 'Item', 'Invoice', 'CreditMemo', 'Payment', 'Bill', 'Purchase'];
type Row = Record<string, unknown>;

/** What QBO holds, without its Ids: one line per record (names, numbers, dates, amounts, marker), sorted. */
function signature(emu: RunningEmulator, realmId: string): Record<string, string[]> {
  const d = emu.control.dump(realmId) as { entities: Record<string, Row[]> };
  const out: Record<string, string[]> = {};
  for (const e of ENTITIES) {
    out[e] = (d.entities[e] ?? [])
      .map((r) => ['DisplayName', 'Name', 'DocNumber', 'TxnDate', 'TotalAmt', 'Balance', 'UnappliedAmt', 'PaymentRefNum', 'PrivateNote'].map((k) => String(r[k] ?? '')).join('|'))
      .sort();
  }
  return out;
}

/** Lines that occur more than once: a record QBO holds twice. */
const duplicates = (sig: Record<string, string[]>) => Object.entries(sig).flatMap(([e, rows]) => rows.filter((r, i) => rows.indexOf(r) !== i).map((r) => `${e} ${r}`));

const totalOf = (sig: Record<string, string[]>, entity: string) => sig[entity]!.reduce((sum, r) => sum + Number(r.split('|')[4] || 0), 0);

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs and journal rows of a database file (a backup or a data folder's). */
function syncState(file: string): { running: number; pending: number } {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    const running = (db.prepare("SELECT count(*) AS n FROM runs WHERE status = 'running'").get() as { n: number }).n;
    const pending = (db.prepare("SELECT count(*) AS n FROM journal WHERE status = 'pending'").get() as { n: number }).n;
    return { running, pending };
  } finally {
    db.close();
  }
}

function integrity(file: string): string {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    return (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

const demo = (from: string) => ({ size: 'small', direction: 'export', exportFrom: from, applyCredits: false }) as const;

describe('backup taken mid-sync, restored, synced on: every record in QBO exactly once [sqlite]', () => {
  let emu: RunningEmulator;
  let from: string;
  let reference: Record<string, string[]>;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-backup-test-'));

  /** A company of the emulator, connected to a new data folder holding the readied small demo; the env a CLI needs. */
  async function chain(name: string): Promise<{ realmId: string; env: NodeJS.ProcessEnv; dataDir: string }> {
    const company = emu.control.seedCompany({ preset: 'au', name });
    const c = await connectedApp(emu, { company: company.realmId });
    await readyDemo(c.app.ctx, syncDepsFor(c.app.ctx, c.realmId).client, c.realmId, demo(from));
    await c.app.close();
    const { DATABASE_URL: _notOurs, ...env } = process.env;
    return {
      realmId: c.realmId,
      dataDir: c.config.dataDir,
      env: {
        ...env,
        QBO_CONNECT_DATA_DIR: c.config.dataDir,
        QBO_CONNECT_LOG_LEVEL: 'silent',
        QBO_ENV: 'emulator',
        QBO_EMULATOR_URL: emu.url,
        // Batches of 3 give a batch to be in the middle of; the processing window is the crash tests' 200 ms.
        QBO_CONNECT_BATCH_SIZE: '3',
        QBO_CONNECT_PROCESSING_WINDOW_MS: '200',
      },
    };
  }

  beforeAll(async () => {
    emu = await startEmulator({ preset: 'none', limits: 'off', requestIdMemory: 0, fidelity: 'strict' });
    from = testDate(-400 * 86_400_000)
      .toISOString()
      .slice(0, 10);
    const company = emu.control.seedCompany({ preset: 'au', name: 'Reference' });
    const c = await connectedApp(emu, { company: company.realmId });
    try {
      const deps = { ...syncDepsFor(c.app.ctx, c.realmId), batchSize: 3 };
      await readyDemo(c.app.ctx, deps.client, c.realmId, demo(from));
      const r = await sync(deps, { realmId: c.realmId, actor: 'reference' });
      expect(r.status, r.message ?? '').toBe('succeeded');
      reference = signature(emu, c.realmId);
      expect(reference['Bill']!.length, 'bills in the small demo').toBeGreaterThanOrEqual(2);
      expect(duplicates(reference)).toEqual([]);
    } finally {
      await c.app.close();
    }
  }, 120_000);

  afterAll(async () => {
    await emu?.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('killed mid-sync, backed up, the original synced to the end, the backup restored into a new folder and synced: nothing duplicated', async () => {
    const a = await chain('Backup killed mid-sync');
    const killed = await cli(['sync', '--yes', '--realm', a.realmId], { ...a.env, QBO_CONNECT_CRASH_AT: 'after-send-before-response:1:bills' });
    expect(killed.signal, `${killed.stdout}${killed.stderr}`).toBe('SIGKILL');

    const file = path.join(scratch, 'killed.qbo-backup');
    const backup = await cli(['backup', file], a.env);
    expect(backup.code, backup.stderr).toBe(0);
    expect(fs.statSync(`${file}.key`).mode & 0o777).toBe(0o600);
    // The backup holds the sync in progress: its run, and the bill QBO holds but the product never heard about.
    const inBackup = syncState(file);
    expect(inBackup.running).toBe(1);
    expect(inBackup.pending).toBeGreaterThan(0);

    // The original finishes the sync: QBO holds everything, once.
    const finished = await cli(['sync', '--yes', '--realm', a.realmId], a.env);
    expect(finished.code, `${finished.stdout}${finished.stderr}`).toBe(0);
    expect(signature(emu, a.realmId)).toEqual(reference);

    // The disaster: the data folder is gone. A new one gets the backup, whose tokens need its key file.
    fs.rmSync(a.dataDir, { recursive: true, force: true });
    const fresh = path.join(scratch, 'restored-folder');
    const env = { ...a.env, QBO_CONNECT_DATA_DIR: fresh };
    const restore = await cli(['restore', file], env);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stdout).toContain('Restored the key file');
    expect(syncState(path.join(fresh, 'qbo-connect.db'))).toEqual(inBackup);

    const again = await cli(['sync', '--yes', '--realm', a.realmId], env);
    expect(again.code, `${again.stdout}${again.stderr}`).toBe(0);
    const after = signature(emu, a.realmId);
    expect(duplicates(after)).toEqual([]);
    expect(after).toEqual(reference);
    for (const e of ['Invoice', 'CreditMemo', 'Payment', 'Bill']) expect(totalOf(after, e), `${e} total`).toBeCloseTo(totalOf(reference, e), 2);
    expect(syncState(path.join(fresh, 'qbo-connect.db'))).toEqual({ running: 0, pending: 0 });
  }, 300_000);

  it('backed up by another process while a sync writes: every copy is sound; one holding the running run, restored over the folder and synced on, duplicates nothing', async () => {
    const c = await chain('Backup during a live sync');
    // Slow writes (a real second each) so the sync is still writing while the backups are taken, even
    // on a loaded machine where spawning the backup command alone takes several seconds.
    emu.control.armFaults({ seed: 1, latencyMs: 1000, appliesTo: 'writes', realmId: c.realmId });
    const syncing = cli(['sync', '--yes', '--realm', c.realmId], c.env, 240_000);
    let done = false;
    void syncing.then(() => (done = true));
    // The first backup starts once the run is recorded as running (not while the CLI is still loading).
    const live = path.join(c.dataDir, 'qbo-connect.db');
    while (!done && !(fs.existsSync(live) && syncState(live).running === 1)) await new Promise((r) => setTimeout(r, 100));
    const copies: string[] = [];
    while (!done && copies.length < 12) {
      const file = path.join(scratch, `live-${copies.length}.qbo-backup`);
      const r = await cli(['backup', file], c.env);
      expect(r.code, r.stderr).toBe(0);
      copies.push(file);
    }
    const finished = await syncing;
    emu.control.armFaults({ seed: 1, latencyMs: 0 });
    expect(finished.code, `${finished.stdout}${finished.stderr}`).toBe(0);
    expect(signature(emu, c.realmId)).toEqual(reference);

    for (const f of copies) expect(integrity(f), f).toBe('ok');
    const midSync = copies.filter((f) => syncState(f).running === 1);
    expect(midSync.length, `backups taken while the sync ran (of ${copies.length})`).toBeGreaterThan(0);

    // Restore the earliest mid-sync copy over the folder the sync finished in; the replaced database is kept.
    const restore = await cli(['restore', midSync[0]!, '--yes'], c.env);
    expect(restore.code, restore.stderr).toBe(0);
    const kept = fs.readdirSync(c.dataDir).filter((n) => n.startsWith('qbo-connect.db.before-restore-'));
    expect(kept).toHaveLength(1);
    expect(syncState(path.join(c.dataDir, kept[0]!)).running).toBe(0);

    const again = await cli(['sync', '--yes', '--realm', c.realmId], c.env);
    expect(again.code, `${again.stdout}${again.stderr}`).toBe(0);
    const after = signature(emu, c.realmId);
    expect(duplicates(after)).toEqual([]);
    expect(after).toEqual(reference);
  }, 400_000);
});
