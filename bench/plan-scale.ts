/**
 * Plan at scale: the preview of a big demo practice against a company that already holds half of
 * its documents. The half is put in place quickly, not by a sync: every name and the first half
 * of each document group are created in the emulator through its core (the same validation and
 * totals as the API, no HTTP and no limits), and links rows are inserted as the sync would write
 * them. The measured preview then runs in a child process (bench/plan-child.ts), so its CPU time
 * and peak RSS are its own.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { groupOrder, type PlanRow } from '../src/connect/plan/index.js';
import { contentHash } from '../src/hash.js';
import { actionableRows, fillReferences, withMarker } from '../src/connect/run/execute.js';
import { toCents } from '../src/qbo/money.js';
import type { DemoSize } from '../src/practice/demo.js';
import { freshMinute, readyDemo, startStack } from './setup.js';

export interface PlanScaleResult {
  size: DemoSize;
  documents: number;
  heldInQbo: number;
  namesInQbo: number;
  notPlaced: number;
  setupSeconds: number;
  cpuSeconds: number;
  wallMs: number;
  maxRssMb: number;
  maxRssBeforeMb: number;
  qboRequests: number;
  emulatorRequests: number;
  rows: number;
  byAction: Record<string, number>;
}

const nameGroups = new Set(['customers', 'suppliers', 'items']);

export async function planAtScale(opts: { size: DemoSize; timeScale: number; latencyMs: number }): Promise<PlanScaleResult> {
  const started = Date.now();
  const stack = await startStack({ metering: 'request', timeScale: opts.timeScale, latencyMs: opts.latencyMs });
  try {
    const { db, clock } = stack.app.ctx;
    const plan = await readyDemo(stack, opts.size, { skipErrors: false });
    const ids = new Map<string, string>();
    const links: Array<Record<string, unknown>> = [];
    const now = clock().toISOString();
    let documents = 0;
    let held = 0;
    let names = 0;
    let notPlaced = 0;
    for (const kind of groupOrder) {
      const group = plan.groups.find((g) => g.kind === kind);
      if (!group || kind === 'payments-import') continue;
      const rows: PlanRow[] = actionableRows(group.rows).filter((r) => r.action === 'create');
      if (!nameGroups.has(kind)) documents += rows.length;
      // Half of each document group, in the plan's order (older first), so a payment's invoice or a
      // credit note's original is mostly among the half already there.
      const half = Math.ceil(rows.length / 2);
      let placed = 0;
      for (const row of rows) {
        if (!nameGroups.has(kind) && placed >= half) break;
        const missing: string[] = [];
        const filled = fillReferences(row.payload ?? {}, (k) => ids.get(k), missing) as Record<string, unknown>;
        if (missing.length) {
          notPlaced++;
          continue;
        }
        const body = withMarker(row.qbo.entity, filled, row.record.kind, row.record.id);
        let qbo: { Id: string };
        try {
          qbo = stack.emu.core.insert(stack.realmId, row.qbo.entity, body);
        } catch {
          notPlaced++;
          continue;
        }
        ids.set(row.key, qbo.Id);
        placed++;
        if (nameGroups.has(kind)) names++;
        else held++;
        links.push({
          realm_id: stack.realmId,
          record_kind: row.record.kind,
          record_key: row.record.id,
          qbo_entity: row.qbo.entity,
          qbo_id: qbo.Id,
          sync_token: '0',
          payload_hash: contentHash(body),
          record_version: row.record.version ?? 1,
          state: 'linked',
          qbo_total_cents: row.qboTotalCents ?? (typeof body['TotalAmt'] === 'number' ? toCents(body['TotalAmt'] as number, 'half-up') : null),
          created_at: now,
          updated_at: now,
          last_run_id: null,
        });
      }
    }
    for (let i = 0; i < links.length; i += 500)
      await db
        .insertInto('links')
        .values(links.slice(i, i + 500) as never)
        .execute();
    // The preview runs in its own process (its own client), so QBO's minute is all that must forget.
    freshMinute(stack);
    const setupSeconds = (Date.now() - started) / 1000;

    const child = await runChild({
      BENCH_DATA_DIR: stack.dataDir,
      BENCH_EMULATOR_URL: stack.emu.url,
      BENCH_REALM_ID: stack.realmId,
      BENCH_TIME_SCALE: String(opts.timeScale),
    });
    const s = stack.emu.control.stats(stack.realmId).companies[0];
    const emulatorRequests = s ? Object.values(s.requests).reduce((a, b) => a + b, 0) : 0;
    return { size: opts.size, documents, heldInQbo: held, namesInQbo: names, notPlaced, setupSeconds, emulatorRequests, ...child };
  } finally {
    await stack.close();
  }
}

type ChildResult = Pick<PlanScaleResult, 'cpuSeconds' | 'wallMs' | 'maxRssMb' | 'maxRssBeforeMb' | 'qboRequests' | 'rows' | 'byAction'>;

function runChild(env: Record<string, string>): Promise<ChildResult> {
  const script = path.join(import.meta.dirname, 'plan-child.ts');
  return new Promise((resolve, reject) => {
    // tsx as a loader of plain node, so the measured process is node itself (no tsx watcher parent).
    const p = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH-RESULT '));
      if (code !== 0 || !line) return reject(new Error(`the plan-at-scale child exited with ${code}: ${out.slice(-500)}`));
      resolve(JSON.parse(line.slice('BENCH-RESULT '.length)) as ChildResult);
    });
  });
}
