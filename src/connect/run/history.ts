/**
 * History: runs (who, when, how long, counts, the settings in force) and, per run, what happened to
 * each record (action, QBO Id, the error sentence when it failed). Views over `runs` and `run_records`.
 */
import type { Db } from '../../store/db.js';
import { actingPractice } from '../acting-practice.js';
import { liveLocks } from './lock.js';
import { refusal, sentence } from './reasons.js';

/**
 * A run whose only problems are held rows (diverged in QuickBooks, or a write still to settle) sent
 * everything else: its status stays `failed` for the API and exit codes, but people read it as
 * "Succeeded with N held", not as a failure (issue 19). Known by its end-of-sync message — a run that
 * stopped part-way, or a recovery, says otherwise and stays "failed". The second form is the message
 * runs ended with before this wording.
 */
export function heldOnly(run: { status: string; failed: number; held: number; message: string | null }): boolean {
  return run.status === 'failed' && run.failed === 0 && run.held > 0 && /^(Nothing failed;|0 record\(s\) failed and \d+ are held)/.test(run.message ?? '');
}

/**
 * The end-of-sync message of a run with problems; a held-only one starts "Nothing failed;" (see heldOnly).
 * `heldForErrors` of the `held` rows were held by a scheduled `sync-ready` run because of errors in the
 * preview (connect/run/hold-errors.ts): they are fixed in the practice or skipped, not decided on the
 * held page (nothing is kept for them there), so the message names the two kinds apart.
 */
export function problemsMessage(runId: string, failed: number, held: number, heldForErrors = 0): string {
  const why = `\`qbo-connect history --run ${runId}\` says why for each.`;
  const forErrors = Math.min(heldForErrors, held);
  const forReview = held - forErrors;
  const errorsPart = `${forErrors} record(s) held because of errors in the preview: fix them in the practice or skip them`;
  const reviewPart = (n: number) => `${n} record(s) are held for review (changed in QuickBooks too, or a write still to settle)`;
  if (failed) {
    if (!forErrors) return `${failed} record(s) failed and ${held} are held for review; ${why}`;
    return `${failed} record(s) failed; ${errorsPart}${forReview ? `; ${reviewPart(forReview)}` : ''}; ${why}`;
  }
  if (!forErrors) return `Nothing failed; ${reviewPart(held)}; ${why}`;
  return `Nothing failed; ${errorsPart}${forReview ? `; ${reviewPart(forReview)}` : ''}; ${why}`;
}

/**
 * How many of a run's held rows were held because of errors in the preview (a scheduled `sync-ready`
 * run, hold-errors.ts), read from its end-of-sync message as heldOnly reads it (problemsMessage names
 * them); 0 for a run whose message does not.
 */
export function heldForErrorsOf(run: { held: number; message: string | null }): number {
  const m = /(?:^Nothing failed; |failed; )(\d+) record\(s\) held because of errors in the preview/.exec(run.message ?? '');
  return m ? Math.min(Number(m[1]), run.held) : 0;
}

/** The codes of rows held because of errors in the preview (hold-errors.ts), not for a person's review. */
export const heldForErrorCodes = ['run.held-plan-error', 'run.held-needs-error-row'] as const;

/** A run's rows held because of errors, each with its sentence (it names the record, its error and what to do), oldest first. */
export async function heldForErrorRecords(db: Db, runId: string, limit = 50): Promise<{ label: string; message: string | null }[]> {
  return db
    .selectFrom('run_records')
    .select(['label', 'message'])
    .where('run_id', '=', runId)
    .where('status', '=', 'held')
    .where('code', 'in', [...heldForErrorCodes])
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** A run's status as people read it (CLI and web): `failed` with only held rows reads "succeeded with N held". */
export function runStatusWords(run: { status: string; failed: number; held: number; message: string | null }): string {
  // Queued: added to the company's job queue, not yet started by a worker (jobs/enqueue-sync.ts).
  if (run.status === 'queued') return 'queued (waiting for a worker)';
  return heldOnly(run) ? `succeeded with ${run.held} held` : run.status;
}

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
  /** `sync`, or `undo` (connect/undo) with the run it took back in `undoes`. */
  kind: string;
  undoes: string | null;
  /**
   * An undo run's records in its own words (issue 18); absent for a sync. An undo's counters
   * (created … held) read 0 apart from `failed` (its refusals and QBO's): a name kept active is not
   * "held" and a deleted bill not "voided", so nothing reading a sync's words miscounts an undo.
   */
  undo?: UndoCounts;
}

export interface UndoCounts {
  voided: number;
  deleted: number;
  madeInactive: number;
  keptActive: number;
  refused: number;
  /** Steps whose outcome is not known yet (settled by the next undo or run). */
  toSettle: number;
}

/** An undo run's counts as words: "voided 2, deleted 1, made inactive 0, kept active 3, refused 1". */
export function undoCountsText(u: UndoCounts): string {
  const s = `voided ${u.voided}, deleted ${u.deleted}, made inactive ${u.madeInactive}, kept active ${u.keptActive}, refused ${u.refused}`;
  return u.toSettle ? `${s}, to settle ${u.toSettle}` : s;
}

/** The undo runs' counts, from their records (older undo runs stored kept names as held, and deletes as voided). */
async function undoCountsOf(db: Db, ids: string[]): Promise<Map<string, UndoCounts>> {
  const out = new Map<string, UndoCounts>();
  if (!ids.length) return out;
  for (const id of ids) out.set(id, { voided: 0, deleted: 0, madeInactive: 0, keptActive: 0, refused: 0, toSettle: 0 });
  const rows = await db.selectFrom('run_records').select(['run_id', 'action', 'status', 'code']).where('run_id', 'in', ids).execute();
  for (const r of rows) {
    const u = out.get(r.run_id)!;
    if (r.status === 'done') {
      if (r.action === 'void') u.voided += 1;
      else if (r.action === 'delete') u.deleted += 1;
      else if (r.action === 'inactivate') u.madeInactive += 1;
    } else if (r.status === 'kept' || r.code === 'undo.name-in-use') u.keptActive += 1;
    else if (r.status === 'failed') u.refused += 1;
    else u.toSettle += 1;
  }
  return out;
}

async function withUndoCounts(db: Db, runs: RunSummary[]): Promise<RunSummary[]> {
  const counts = await undoCountsOf(
    db,
    runs.filter((r) => r.kind === 'undo').map((r) => r.id),
  );
  return runs.map((r) => {
    const u = counts.get(r.id);
    return u ? { ...r, created: 0, adopted: 0, updated: 0, voided: 0, imported: 0, held: 0, failed: u.refused, undo: u } : r;
  });
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

/**
 * A run by id — within the practice a request acts on (connect/acting-practice.ts): a run of another
 * practice's company is "no such run", word for word as an id never made, so a person of one practice
 * can neither read another's run nor learn that it exists (issue 15). Outside a request (the CLI), any.
 */
async function loadRun(db: Db, id: string) {
  const practice = actingPractice();
  let q = db.selectFrom('runs').selectAll('runs').where('runs.id', '=', id);
  if (practice !== undefined) q = q.where('runs.realm_id', 'in', db.selectFrom('connections').select('realm_id').where('practice_id', '=', practice));
  return q.executeTakeFirst();
}

/**
 * Progress is stored at most every 250 ms (sync.ts persistProgress), while `processed` grows with each
 * stored record: read mid-run, the stored `done` can lag behind records already counted (issue 17 saw
 * processed 20 next to done 16 in one answer). Every processed record was gone through, so `done` is
 * never less than `processed` (nor more than the total, when one is known).
 */
function progressDone(r: NonNullable<RunRow>): number {
  const done = Math.max(Number(r.progress_done), Number(r.processed));
  const total = Number(r.progress_total);
  return total > 0 ? Math.min(done, total) : done;
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
    progress: { done: progressDone(r), total: Number(r.progress_total), group: r.progress_group },
    kind: r.kind ?? 'sync',
    undoes: r.undoes ?? null,
  };
}

/**
 * A run stored as "running" whose process is gone shows as interrupted at once, not only when the
 * next sync or recover marks it: it is alive only while its company's lock names it (or names no
 * run yet, the moment between taking the lock and opening the run) and that lock's lease has not
 * lapsed, and its holder, when on this machine, still exists. An interrupted run always has a finish
 * time: for one found dead here, the moment it was found so (as markInterruptedRuns stores it).
 */
async function withLiveness(db: Db, rows: NonNullable<RunRow>[], now: Date): Promise<NonNullable<RunRow>[]> {
  const running = rows.filter((r) => r.status === 'running');
  if (!running.length) return rows;
  // The lease is judged by the database's clock, as the lock itself judges it (lock.ts).
  const locks = await liveLocks(db, [...new Set(running.map((r) => r.realm_id))]);
  const alive = (r: NonNullable<RunRow>) => locks.some((l) => l.realm_id === r.realm_id && (l.run_id === r.id || l.run_id === null));
  return rows.map((r) =>
    r.status !== 'running' || alive(r)
      ? r
      : { ...r, status: 'interrupted', finished_at: r.finished_at ?? now.toISOString(), message: r.message ?? sentence('run.lapsed', { runId: r.id }) },
  );
}

export interface HistoryReadOptions {
  /** The injected clock's now: a running run whose lock lease ended before it shows as interrupted. */
  now?: Date;
}

export async function listRuns(db: Db, opts: { realmId?: string | undefined; limit?: number; kind?: 'sync' | 'undo' } & HistoryReadOptions = {}): Promise<RunSummary[]> {
  let q = db
    .selectFrom('runs')
    .selectAll()
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(opts.limit ?? 50, 1), 1000));
  if (opts.realmId) q = q.where('realm_id', '=', opts.realmId);
  // Runs stored before undo existed may have no kind: they are syncs.
  if (opts.kind === 'sync') q = q.where((eb) => eb.or([eb('kind', '=', 'sync'), eb('kind', 'is', null)]));
  else if (opts.kind) q = q.where('kind', '=', opts.kind);
  return withUndoCounts(db, (await withLiveness(db, await q.execute(), opts.now ?? new Date())).map(summary));
}

export async function getRun(db: Db, id: string, opts: HistoryReadOptions = {}): Promise<RunDetail> {
  const stored = await loadRun(db, id);
  if (!stored) throw refusal('run.no-such-run', { runId: id }, 'id');
  const [r] = (await withLiveness(db, [stored], opts.now ?? new Date())) as [NonNullable<RunRow>];
  const records = await db.selectFrom('run_records').selectAll().where('run_id', '=', id).orderBy('id').execute();
  let settings: unknown = null;
  try {
    settings = JSON.parse(r.settings);
  } catch {
    settings = r.settings;
  }
  const [head] = await withUndoCounts(db, [summary(r)]);
  return {
    ...head!,
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
export async function latestRun(db: Db, realmId: string, opts: HistoryReadOptions & { kind?: 'sync' | 'undo' } = {}): Promise<RunSummary | undefined> {
  return (await listRuns(db, { realmId, limit: 1, ...opts }))[0];
}
