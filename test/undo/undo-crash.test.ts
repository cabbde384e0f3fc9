/**
 * The crash matrix applied to the undo run (docs/reliability.md §crash-matrix): `qbo-connect undo RUN
 * --yes` runs as a real child process and is SIGKILLed at each labelled point of its writes
 * (QBO_CONNECT_CRASH_AT=<label>:<nth>:undo), several times in a row, each restart recovering what the
 * previous process left; a last run finishes. QBO must then hold exactly what an uninterrupted undo
 * of the same sync leaves. With the emulator's requestid memory on, and off for the points where QBO
 * may already hold the write (so recovery must read back, never rely on a replay). `mid-batch` is not
 * among the points: an undo sends no batches. Strict emulator.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { sync } from '../../src/connect/run/sync.js';
import { undoRun } from '../../src/connect/undo/index.js';
import type { CrashLabel } from '../../src/connect/run/crash-point.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/run/server.js';
import { connectedApp } from '../helpers/emulator-company.js';
import { readyDemo } from '../sync/demo-setup.js';
import { testDate } from '../helpers/test-time.js';

const bin = path.resolve('bin/qbo-connect.js');
/** With requestid memory on: the points before anything reaches QBO. */
const uncommitted: CrashLabel[] = ['before-journal', 'after-journal-before-send'];
/** With it off (recovery must read back, never lean on a replay): the points where QBO may hold the write. */
const committed: CrashLabel[] = ['after-send-before-response', 'after-response-before-commit'];
/** Kills per chain: the nth undo write of each restart — a payment first, then documents, then names. */
const kills = [1, 6, 12];

type Row = Record<string, unknown>;

/** What QBO holds, without Ids: names with their state, documents by number, amounts and note. */
function signature(emu: RunningEmulator, realmId: string): Record<string, string[]> {
  const d = emu.control.dump(realmId) as { entities: Record<string, Row[]> };
  const out: Record<string, string[]> = {};
  for (const e of ['Customer', 'Vendor', 'Item', 'Invoice', 'CreditMemo', 'Payment', 'Bill']) {
    out[e] = (d.entities[e] ?? [])
      .map((r) =>
        ['DisplayName', 'Name', 'Active', 'DocNumber', 'TxnDate', 'TotalAmt', 'Balance', 'UnappliedAmt', 'PrivateNote']
          .map((k) => (r[k] === undefined ? '' : String(r[k])))
          .join('|'),
      )
      .sort();
  }
  return out;
}

interface Chain {
  emu: RunningEmulator;
  realmId: string;
  runId: string;
  env: NodeJS.ProcessEnv;
}

/** A company with the small demo synced (in process); returns what a spawned undo needs. */
async function prepare(emu: RunningEmulator, name: string, from: string): Promise<Chain & { close: () => Promise<void>; deps: ReturnType<typeof syncDepsFor> }> {
  const company = emu.control.seedCompany({ preset: 'au', name });
  const c = await connectedApp(emu, { company: company.realmId });
  const deps = syncDepsFor(c.app.ctx, c.realmId);
  await readyDemo(c.app.ctx, deps.client, c.realmId, { size: 'small', direction: 'export', exportFrom: from, applyCredits: false });
  const r = await sync(deps, { realmId: c.realmId, actor: 'tester' });
  expect(r.status, r.message ?? '').toBe('succeeded');
  const { DATABASE_URL: _ignored, ...env } = process.env;
  return {
    emu,
    realmId: c.realmId,
    runId: r.runId,
    deps,
    close: () => c.app.close(),
    env: {
      ...env,
      QBO_CONNECT_DATA_DIR: c.config.dataDir,
      QBO_CONNECT_LOG_LEVEL: 'silent',
      QBO_ENV: 'emulator',
      QBO_EMULATOR_URL: emu.url,
      QBO_CONNECT_PROCESSING_WINDOW_MS: '200',
    },
  };
}

function runUndo(chain: Chain, crashAt?: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...chain.env, ...(crashAt ? { QBO_CONNECT_CRASH_AT: crashAt } : {}) };
    const child = spawn(process.execPath, [bin, 'undo', chain.runId, '--yes', '--realm', chain.realmId], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

describe('crash matrix of the undo: SIGKILL at each labelled point, restart, same QBO as an uninterrupted undo', () => {
  let remembering: RunningEmulator;
  let amnesiac: RunningEmulator;
  let reference: Record<string, string[]>;
  let from: string;

  beforeAll(async () => {
    remembering = await startEmulator({ preset: 'none', limits: 'off', fidelity: 'strict' });
    amnesiac = await startEmulator({ preset: 'none', limits: 'off', requestIdMemory: 0, fidelity: 'strict' });
    from = testDate(-400 * 86_400_000)
      .toISOString()
      .slice(0, 10);
    const ref = await prepare(remembering, 'Undo reference', from);
    try {
      const r = await undoRun(ref.deps, { realmId: ref.realmId, runId: ref.runId, actor: 'reference' });
      expect(r.status, r.message).toBe('succeeded');
      expect(r.summary.processed).toBeGreaterThan(kills.reduce((a, b) => a + b, 0));
      reference = signature(remembering, ref.realmId);
    } finally {
      await ref.close();
    }
  }, 120_000);
  afterAll(async () => {
    await remembering?.close();
    await amnesiac?.close();
  });

  it('the points before the send with requestid memory on; the points where QBO may hold the write with it off', async () => {
    const chains = [...uncommitted.map((label) => ({ emu: remembering, label })), ...committed.map((label) => ({ emu: amnesiac, label }))];
    const results: Array<{ what: string; missed: string[]; signature: Record<string, string[]> }> = [];
    for (let i = 0; i < chains.length; i += 2) {
      results.push(
        ...(await Promise.all(
          chains.slice(i, i + 2).map(async ({ emu, label }) => {
            const what = `${label}, requestid memory ${emu === remembering ? 'on' : 'off'}`;
            const prepared = await prepare(emu, `Undo crash ${what}`, from);
            await prepared.close();
            const missed: string[] = [];
            for (const nth of kills) {
              const r = await runUndo(prepared, `${label}:${nth}:undo`);
              if (r.signal !== 'SIGKILL') missed.push(`${label}:${nth} was not reached (exit ${r.code}): ${r.out.trim()}`);
            }
            const last = await runUndo(prepared);
            if (last.code !== 0) missed.push(`${what}: the final run did not succeed (exit ${last.code}): ${last.out}`);
            return { what, missed, signature: signature(emu, prepared.realmId) };
          }),
        )),
      );
    }
    for (const r of results) {
      expect(r.missed, r.what).toEqual([]);
      expect(r.signature, r.what).toEqual(reference);
    }
  }, 300_000);
});
