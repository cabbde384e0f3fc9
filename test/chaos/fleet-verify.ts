/**
 * After the workers are done, the fleet is checked (issue 16): every company holds each record of its
 * first preview exactly once with its total, tax and customer balances to the cent, and nothing it
 * should not (verify.ts, the chaos soak's checks, against the emulator's state and the installation's
 * PostgreSQL); every run in the history is closed out honestly (none left queued or running; a run
 * that is not `succeeded` says why); the last run of each company succeeded; and QBO refused nothing
 * for its limits (no rate, concurrency or batch-rate 429 in the emulator's own counters).
 */
import type { CompanyStats } from '../../src/emulator/index.js';
import type { Fleet } from './fleet.js';
import { verifyCompany, type CompanyVerdict } from './verify.js';

/** A run's end that says what happened. `refused` (plan errors) cannot happen here: every company was readied without errors. */
const closedStatuses = new Set(['succeeded', 'failed', 'interrupted']);

export interface RunTally {
  total: number;
  byStatus: Record<string, number>;
}

export interface FleetVerdict {
  companies: Array<{ realmId: string; verdict: CompanyVerdict; runs: RunTally; lastStatus: string | undefined; limit429s: number }>;
  runs: RunTally;
  /** 429s QBO sent for its limits (rate, concurrency, batch rate), all companies. */
  limit429s: number;
  documentsOnce: number;
  documents: number;
  problems: string[];
}

export function limit429s(s: CompanyStats | undefined): number {
  return s ? s.throttled.rate + s.throttled.concurrency + s.throttled['batch-rate'] : 0;
}

export async function verifyFleet(fleet: Fleet): Promise<FleetVerdict> {
  const stats = fleet.emu.control.stats();
  const limits = fleet.emu.control.limits();
  const db = fleet.app.ctx.db;
  const problems: string[] = [];
  const out: FleetVerdict['companies'] = [];
  const all: RunTally = { total: 0, byStatus: {} };
  for (const c of fleet.companies) {
    const tag = `company ${c.index + 1} (${c.realmId})`;
    const s = stats.companies.find((x) => x.realmId === c.realmId);
    const verdict = await verifyCompany({
      emu: fleet.emu,
      realmId: c.realmId,
      dataDir: fleet.dataDir,
      databaseUrl: fleet.databaseUrl,
      plan: c.plan,
      exportFrom: fleet.exportFrom,
      stats: s,
      limits,
      runs: [],
      us: false,
    });
    problems.push(...verdict.problems.map((p) => `${tag}: ${p}`));
    if (verdict.documentsOnce !== verdict.documents) problems.push(`${tag}: ${verdict.documentsOnce} of ${verdict.documents} documents in QBO exactly once (${verdict.held} held)`);

    const runs = await db.selectFrom('runs').select(['id', 'status', 'message', 'started_at', 'finished_at']).where('realm_id', '=', c.realmId).orderBy('started_at').execute();
    const tally: RunTally = { total: runs.length, byStatus: {} };
    for (const r of runs) {
      tally.byStatus[r.status] = (tally.byStatus[r.status] ?? 0) + 1;
      all.byStatus[r.status] = (all.byStatus[r.status] ?? 0) + 1;
      all.total += 1;
      if (!closedStatuses.has(r.status)) problems.push(`${tag}: run ${r.id} left ${r.status}`);
      else if (r.status !== 'succeeded' && !(r.message && r.message.trim().length > 10))
        problems.push(`${tag}: run ${r.id} ${r.status} without saying why (${r.message ?? 'no message'})`);
      if (closedStatuses.has(r.status) && !r.finished_at) problems.push(`${tag}: run ${r.id} ${r.status} with no end time`);
    }
    const lastStatus = runs.at(-1)?.status;
    if (!runs.length) problems.push(`${tag}: no run at all`);
    else if (lastStatus !== 'succeeded') problems.push(`${tag}: last run ${runs.at(-1)!.id} ${lastStatus}: ${runs.at(-1)!.message ?? ''}`);
    const l429 = limit429s(s);
    if (l429) problems.push(`${tag}: QBO refused ${l429} request(s) for its limits (${JSON.stringify(s!.throttled)})`);
    out.push({ realmId: c.realmId, verdict, runs: tally, lastStatus, limit429s: l429 });
  }
  return {
    companies: out,
    runs: all,
    limit429s: out.reduce((n, c) => n + c.limit429s, 0),
    documentsOnce: out.reduce((n, c) => n + c.verdict.documentsOnce, 0),
    documents: out.reduce((n, c) => n + c.verdict.documents, 0),
    problems,
  };
}
