/**
 * The firm overview (issue 15): every practice and every company on one page, for the owner who
 * starts the day asking which companies need a bookkeeper. Read from what is stored — connections,
 * the latest run, the figures the `company-status` job keeps (status.ts) — in three queries whatever
 * the number of practices, never a QBO request.
 */
import type { Db } from '../../store/db.js';

export interface OverviewRow {
  practiceId: string;
  practiceName: string;
  /** Null: a practice with no company connected yet. */
  realmId: string | null;
  companyName: string | null;
  connection: 'connected' | 'disconnected' | 'none';
  /** When the company must be connected again: the earlier of the refresh token's rolling and hard expiry. */
  reconnectBy: string | null;
  lastSync: { runId: string; startedAt: string; finishedAt: string | null; status: string; failed: number; held: number } | null;
  /** The figures of the last check (company-status job), null before the first. */
  preview: { checkedAt: string; errors: number; warnings: number; ready: number; held: number; problem: string | null } | null;
}

export const overviewSorts = ['attention', 'practice', 'company', 'connection', 'reconnect-by', 'last-sync', 'errors', 'held'] as const;
export type OverviewSort = (typeof overviewSorts)[number];

export async function firmOverview(db: Db): Promise<OverviewRow[]> {
  const companies = await db
    .selectFrom('practices as p')
    .leftJoin('connections as c', 'c.practice_id', 'p.id')
    .leftJoin('company_status as s', 's.realm_id', 'c.realm_id')
    .select([
      'p.id as practice_id',
      'p.name as practice_name',
      'c.realm_id',
      'c.company_name',
      'c.status',
      'c.refresh_expires_at',
      'c.refresh_hard_expires_at',
      's.checked_at',
      's.errors',
      's.warnings',
      's.ready',
      's.held',
      's.problem',
    ])
    .execute();
  // The latest sync of each company: one grouped query, on the runs_realm_started index.
  const latest = await db
    .selectFrom('runs as r')
    .innerJoin(
      db
        .selectFrom('runs')
        .select(['realm_id'])
        .select((eb) => eb.fn.max('started_at').as('at'))
        .where('kind', '=', 'sync')
        .groupBy('realm_id')
        .as('m'),
      (j) => j.onRef('m.realm_id', '=', 'r.realm_id').onRef('m.at', '=', 'r.started_at'),
    )
    .select(['r.id', 'r.realm_id', 'r.started_at', 'r.finished_at', 'r.status', 'r.failed', 'r.held'])
    .where('r.kind', '=', 'sync')
    .execute();
  const runOf = new Map(latest.map((r) => [r.realm_id, r]));
  return companies.map((c) => {
    const run = c.realm_id ? runOf.get(c.realm_id) : undefined;
    const expiries = [c.refresh_expires_at, c.refresh_hard_expires_at].filter((e): e is string => !!e).sort();
    return {
      practiceId: c.practice_id,
      practiceName: c.practice_name,
      realmId: c.realm_id ?? null,
      companyName: c.company_name ?? null,
      connection: c.status === 'connected' || c.status === 'disconnected' ? c.status : 'none',
      reconnectBy: c.status === 'connected' ? (expiries[0] ?? null) : null,
      lastSync: run ? { runId: run.id, startedAt: run.started_at, finishedAt: run.finished_at, status: run.status, failed: Number(run.failed), held: Number(run.held) } : null,
      preview:
        c.checked_at != null
          ? { checkedAt: c.checked_at, errors: Number(c.errors), warnings: Number(c.warnings), ready: Number(c.ready), held: Number(c.held), problem: c.problem ?? null }
          : null,
    };
  });
}

/**
 * How much a row needs a person, highest first: a disconnected company (nothing syncs), a last
 * check that could not be made, a last sync that failed, errors waiting, held records, a
 * reconnection due within 30 days. A practice without a company needs setting up, after those.
 */
export function attentionOf(r: OverviewRow, now: Date): number {
  if (r.connection === 'disconnected') return 700;
  if (r.connection === 'none') return 100;
  let score = 0;
  if (r.preview?.problem) score = Math.max(score, 600);
  if (r.lastSync && (r.lastSync.status === 'failed' || r.lastSync.status === 'refused') && r.lastSync.held === 0) score = Math.max(score, 500);
  if ((r.preview?.errors ?? 0) > 0) score = Math.max(score, 400);
  if ((r.preview?.held ?? 0) > 0 || (r.lastSync?.held ?? 0) > 0) score = Math.max(score, 300);
  if (r.reconnectBy && Date.parse(r.reconnectBy) - now.getTime() < 30 * 86_400_000) score = Math.max(score, 200);
  return score;
}

const text = (a: string | null, b: string | null) => (a ?? '\uffff').localeCompare(b ?? '\uffff');
const num = (a: number | undefined, b: number | undefined) => (b ?? -1) - (a ?? -1);

/**
 * Sorts the rows by `key`: text keys A→Z, counts most first, dates soonest (reconnect-by) or oldest
 * (last-sync, so the company longest without a sync comes first); `desc` reverses. Ties fall back to
 * practice, company, then the whole row, so the order never depends on the database's.
 */
export function sortOverview(rows: readonly OverviewRow[], key: OverviewSort, now: Date, desc = false): OverviewRow[] {
  const byKey: Record<OverviewSort, (a: OverviewRow, b: OverviewRow) => number> = {
    attention: (a, b) => attentionOf(b, now) - attentionOf(a, now),
    practice: (a, b) => text(a.practiceName, b.practiceName),
    company: (a, b) => text(a.companyName, b.companyName),
    connection: (a, b) => text(a.connection, b.connection),
    'reconnect-by': (a, b) => text(a.reconnectBy, b.reconnectBy),
    'last-sync': (a, b) => text(a.lastSync?.startedAt ?? null, b.lastSync?.startedAt ?? null),
    errors: (a, b) => num(a.preview?.errors, b.preview?.errors),
    held: (a, b) => num(Math.max(a.preview?.held ?? -1, a.lastSync?.held ?? -1), Math.max(b.preview?.held ?? -1, b.lastSync?.held ?? -1)),
  };
  const primary = byKey[key];
  const tie = (a: OverviewRow, b: OverviewRow) =>
    text(a.practiceName, b.practiceName) ||
    text(a.practiceId, b.practiceId) ||
    text(a.companyName, b.companyName) ||
    text(a.realmId, b.realmId) ||
    text(JSON.stringify(a), JSON.stringify(b));
  return [...rows].sort((a, b) => (desc ? -primary(a, b) : primary(a, b)) || tie(a, b));
}
