/**
 * History: runs (who, when, how long, counts, the settings in force) and, per run, what happened to
 * each record (action, QBO Id, the error sentence when it failed). Views over `runs` and `run_records`.
 */
import type { Db } from '../../store/db.js';
import { RunError } from './messages.js';

export interface RunSummary {
  id: string;
  realmId: string;
  startedBy: string;
  startedAt: string;
  finishedAt: string | null;
  /** Whole seconds, null while running. */
  durationMs: number | null;
  status: string;
  processed: number;
  created: number;
  adopted: number;
  updated: number;
  voided: number;
  imported: number;
  failed: number;
  held: number;
  requests: number;
  message: string | null;
  progress: { done: number; total: number; group: string | null };
}

export interface RunRecord {
  rowKey: string;
  group: string;
  recordKind: string;
  recordKey: string;
  label: string;
  action: string;
  qboEntity: string | null;
  qboId: string | null;
  status: string;
  code: string | null;
  message: string | null;
  at: string;
}

export interface RunDetail extends RunSummary {
  settings: unknown;
  records: RunRecord[];
}

type RunRow = Awaited<ReturnType<typeof loadRun>>;

async function loadRun(db: Db, id: string) {
  return db.selectFrom('runs').selectAll().where('id', '=', id).executeTakeFirst();
}

function summary(r: NonNullable<RunRow>): RunSummary {
  return {
    id: r.id,
    realmId: r.realm_id,
    startedBy: r.started_by,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    durationMs: r.finished_at ? Date.parse(r.finished_at) - Date.parse(r.started_at) : null,
    status: r.status,
    processed: Number(r.processed),
    created: Number(r.created),
    adopted: Number(r.adopted),
    updated: Number(r.updated),
    voided: Number(r.voided),
    imported: Number(r.imported),
    failed: Number(r.failed),
    held: Number(r.held),
    requests: Number(r.requests),
    message: r.message,
    progress: { done: Number(r.progress_done), total: Number(r.progress_total), group: r.progress_group },
  };
}

export async function listRuns(db: Db, opts: { realmId?: string | undefined; limit?: number } = {}): Promise<RunSummary[]> {
  let q = db.selectFrom('runs').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(Math.min(Math.max(opts.limit ?? 50, 1), 1000));
  if (opts.realmId) q = q.where('realm_id', '=', opts.realmId);
  return (await q.execute()).map(summary);
}

export async function getRun(db: Db, id: string): Promise<RunDetail> {
  const r = await loadRun(db, id);
  if (!r) throw new RunError('run.no-such-run', { runId: id });
  const records = await db.selectFrom('run_records').selectAll().where('run_id', '=', id).orderBy('id').execute();
  let settings: unknown = null;
  try {
    settings = JSON.parse(r.settings);
  } catch {
    settings = r.settings;
  }
  return {
    ...summary(r),
    settings,
    records: records.map((x) => ({
      rowKey: x.row_key,
      group: x.group_kind,
      recordKind: x.record_kind,
      recordKey: x.record_key,
      label: x.label,
      action: x.action,
      qboEntity: x.qbo_entity,
      qboId: x.qbo_id,
      status: x.status,
      code: x.code,
      message: x.message,
      at: x.at,
    })),
  };
}

/** The newest run of a company (the progress endpoint's answer), or undefined. */
export async function latestRun(db: Db, realmId: string): Promise<RunSummary | undefined> {
  return (await listRuns(db, { realmId, limit: 1 }))[0];
}
