/**
 * Recovery of writes whose outcome is unknown (docs/reliability.md §recovery), run before every sync, after a
 * batch whose answer was lost, and by `qbo-connect recover`:
 *
 * - creates are looked up, never blindly re-sent: QBO's memory of request ids is undocumented and
 *   can be switched off in the emulator, and replaying a create to a QBO that forgot the id makes a
 *   duplicate. Transactions are found by the marker we put in PrivateNote (through CDC, one request
 *   per entity set), names by DisplayName/Name. One match is adopted (after its date, party and total
 *   are checked), none means the write never landed (the sync sends it again with a new requestid),
 *   several or a mismatch are held for a person. Nothing is ever deleted in QBO.
 * - updates and voids are settled by reading the entity: when its SyncToken still is the one the
 *   write was based on, the identical request (same body, same requestid) is replayed; when it moved
 *   on, the write landed.
 */
import { OutcomeUnknownError, QboFault } from '../../qbo/fault.js';
import { toCents } from '../../qbo/money.js';
import { isQboFailure } from '../../qbo/reasons.js';
import type { EntityName } from '../../qbo/wire-types.js';
import { DEFAULT_PROCESSING_WINDOW_MS, hasMarker, markerOf, nameEntities, StopRequestedError, type RunDeps } from './context.js';
import type { Drain } from './drain.js';
import { contentHash } from '../../hash.js';
import { markNotSent, recordProblem, resolveWrite, unresolvedWrites, type JournalRow } from './journal.js';
import { refusal, sentence } from './reasons.js';
import { settleUndoWrites, UNDO_GROUP } from '../undo/settle.js';

export interface RecoverySummary {
  /** Unresolved writes found. */
  found: number;
  adopted: number;
  /** Updates/voids settled (landed, or replayed now). */
  settled: number;
  /** Creates that never reached QBO: the sync sends them again. */
  notSent: number;
  held: number;
  /** Still unknown (QBO unreachable): left for the next attempt. */
  unknown: number;
  /** Runs found still "running" whose process ended. */
  interrupted: number;
}

type QboRow = Record<string, unknown> & { Id: string; SyncToken?: string };

const refValue = (v: unknown): string | undefined => (v && typeof v === 'object' ? ((v as { value?: unknown }).value as string | undefined) : undefined);
const totalCents = (e: QboRow): number | null => (typeof e['TotalAmt'] === 'number' ? toCents(e['TotalAmt'] as number, 'half-up') : null);

/** Runs left "running" by a dead process (we hold the company's lock, so no other run is alive). */
/**
 * Closes out runs left "running" by a dead process (issue 17): the run's own message and how many
 * planned records it never reached. `finished_at` stays the moment it was found dead, not its last
 * stored activity: settleWrites takes it as the latest its writes could have left us (a write
 * journaled, then queued behind the rate limiter, leaves later than its journal row), so an earlier
 * time would shorten the processing-window wait that keeps a late-landing create from being sent twice.
 */
export async function markInterruptedRuns(deps: Pick<RunDeps, 'db' | 'clock'>, realmId: string, currentRunId: string | null): Promise<number> {
  let q = deps.db.selectFrom('runs').select(['id', 'processed', 'progress_total']).where('realm_id', '=', realmId).where('status', '=', 'running');
  if (currentRunId) q = q.where('id', '!=', currentRunId);
  const stale = await q.execute();
  let marked = 0;
  for (const run of stale) {
    const total = Number(run.progress_total);
    const unreached = Math.max(0, total - Number(run.processed));
    const r = await deps.db
      .updateTable('runs')
      .set({ status: 'interrupted', finished_at: deps.clock().toISOString(), message: sentence('run.interrupted', { runId: run.id, count: unreached, total }) })
      .where('id', '=', run.id)
      .where('status', '=', 'running')
      .executeTakeFirst();
    marked += Number(r.numUpdatedRows);
  }
  return marked;
}

/** Look-up results: the candidates found for each write, or why a write could not be looked up. */
interface LookUp {
  found: Map<number, QboRow[]>;
  failed: Map<number, string>;
}

const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** QBO's query literal for a time: second precision with an explicit offset, as Intuit's examples write it. */
const queryTime = (d: Date) => `${d.toISOString().slice(0, 19)}+00:00`;

/**
 * Finds what QBO holds for each pending create, entity by entity: one entity's failure leaves only
 * its own writes unchecked. Transactions: the change feed (one request) when it is complete for the
 * entity; otherwise (more changes than one answer holds, or older than its 30 days) the documents
 * created since the oldest write, page by page (`MetaData.CreateTime`, filterable on every entity per
 * Intuit's schema, docs/qbo-api.md §filterable) — never by PaymentRefNum, which no Intuit source marks
 * filterable — matched by our marker. Names: by DisplayName/Name.
 */
async function findCreated(deps: RunDeps, rows: JournalRow[]): Promise<LookUp> {
  const out: LookUp = { found: new Map(), failed: new Map() };
  const byEntity = new Map<string, JournalRow[]>();
  for (const r of rows) byEntity.set(r.qbo_entity, [...(byEntity.get(r.qbo_entity) ?? []), r]);
  const fail = (pending: JournalRow[], err: unknown) => {
    for (const r of pending) out.failed.set(r.id, errText(err));
  };

  const txnEntities = [...byEntity.keys()].filter((e) => !nameEntities.has(e));
  if (txnEntities.length) {
    // From a day before the oldest write: the emulator's clock may run ahead, never behind.
    const oldest = Math.min(...rows.filter((r) => !nameEntities.has(r.qbo_entity)).map((r) => Date.parse(r.created_at)));
    const since = new Date(oldest - 24 * 3600_000);
    // CDC reaches back 30 days; older writes are found by creation time.
    const cdcReach = deps.clock().getTime() - 29 * 24 * 3600_000;
    let cdc: Awaited<ReturnType<RunDeps['client']['cdc']>> | undefined;
    if (since.getTime() > cdcReach) {
      try {
        cdc = await deps.client.cdc(txnEntities as EntityName[], since);
      } catch (err) {
        deps.logger.warn({ err: errText(err) }, 'recovery: the change feed failed; looking writes up by creation time');
      }
    }
    for (const entity of txnEntities) {
      const pending = byEntity.get(entity)!;
      let candidates = (cdc?.changes[entity as EntityName] ?? []) as QboRow[];
      if (!cdc || cdc.truncated[entity as EntityName]) {
        try {
          candidates = [];
          for await (const e of deps.client.query(entity as EntityName, (q) => q.where('MetaData.CreateTime', '>=', queryTime(since)))) candidates.push(e as QboRow);
        } catch (err) {
          fail(pending, err);
          continue;
        }
      }
      for (const r of pending) {
        const marker = markerOf(r.record_kind, r.record_key);
        out.found.set(
          r.id,
          // A voided document is never the create being looked up: an undo voided it, and QBO puts
          // "Voided" before the note that still carries our marker (docs/qbo-api.md §void).
          candidates.filter((c) => c['status'] !== 'Deleted' && !String(c['PrivateNote'] ?? '').startsWith('Voided') && hasMarker(c['PrivateNote'], marker)),
        );
      }
    }
  }
  for (const [entity, pending] of byEntity) {
    if (!nameEntities.has(entity)) continue;
    const field = entity === 'Item' ? 'Name' : 'DisplayName';
    const names = pending.map((r) => (JSON.parse(r.body) as Record<string, unknown>)[field]).filter((n): n is string => typeof n === 'string');
    const matches: QboRow[] = [];
    try {
      for await (const e of deps.client.queryIn(entity as EntityName, field, names)) matches.push(e as QboRow);
    } catch (err) {
      fail(pending, err);
      continue;
    }
    for (const r of pending) {
      const name = String((JSON.parse(r.body) as Record<string, unknown>)[field] ?? '').toLowerCase();
      out.found.set(
        r.id,
        matches.filter((m) => String(m[field] ?? '').toLowerCase() === name),
      );
    }
  }
  return out;
}

/** A field where a QBO record differs from what we would have it be: ours and QBO's, as a person reads them. */
export interface ContentDifference {
  field: string;
  ours: string;
  theirs: string;
}

/**
 * The adopt check: every field where a QBO record differs from ours — the party (customer, supplier
 * or entity reference), the date and the total (in cents, when both are known); for a name (customer,
 * supplier, employee, item) its display name, compared as QBO compares names (case-insensitively).
 * Recovery adopts a record found with our marker only when this is empty; a person's re-link
 * (connect/held) is held to the same check.
 */
export function contentDifferences(entity: string, ours: Record<string, unknown>, oursTotalCents: number | null, e: Record<string, unknown>): ContentDifference[] {
  if (nameEntities.has(entity)) {
    const field = entity === 'Item' ? 'Name' : 'DisplayName';
    const a = ours[field];
    const b = e[field];
    return typeof a === 'string' && typeof b === 'string' && a.trim().toLowerCase() !== b.trim().toLowerCase() ? [{ field, ours: a, theirs: b }] : [];
  }
  const out: ContentDifference[] = [];
  for (const ref of ['CustomerRef', 'VendorRef', 'EntityRef']) {
    const a = refValue(ours[ref]);
    const b = refValue(e[ref]);
    if (a !== undefined && b !== undefined && a !== b) out.push({ field: ref, ours: a, theirs: b });
  }
  if (typeof ours['TxnDate'] === 'string' && typeof e['TxnDate'] === 'string' && ours['TxnDate'] !== e['TxnDate'])
    out.push({ field: 'TxnDate', ours: ours['TxnDate'], theirs: e['TxnDate'] });
  const total = totalCents(e as QboRow);
  if (oursTotalCents !== null && total !== null && oursTotalCents !== total) {
    out.push({ field: 'TotalAmt', ours: (oursTotalCents / 100).toFixed(2), theirs: (total / 100).toFixed(2) });
  }
  return out;
}

/** The first field where a found transaction differs from what we sent, if any. */
function mismatchOf(row: JournalRow, e: QboRow): ContentDifference | undefined {
  return contentDifferences(row.qbo_entity, JSON.parse(row.body) as Record<string, unknown>, row.expected_total_cents === null ? null : Number(row.expected_total_cents), e)[0];
}

function base(row: JournalRow, runId: string) {
  return {
    runId,
    realmId: row.realm_id,
    rowKey: row.row_key,
    groupKind: row.group_kind,
    label: row.label,
    recordKind: row.record_kind,
    recordKey: row.record_key,
    recordVersion: row.record_version,
    payloadHash: contentHash(JSON.parse(row.body) as Record<string, unknown>),
    qboEntity: row.qbo_entity,
  };
}

export interface SettleOptions {
  /**
   * The latest moment these writes could have left us (the run that sent them has just seen them
   * fail). Default: when the run that journaled them ended — for a run whose process died, the
   * moment it was found dead — or now.
   */
  sentBefore?: Date;
  /** The request is known to be over at QBO (it answered, e.g. a 500): a look-up is final at once. */
  final?: boolean;
  /** How history words a write found in QBO: after an interrupted run, or after a lost answer in this run. */
  context?: 'recovery' | 'in-run';
}

/** When each write's run stopped sending: its end, or (still open) now. */
async function sentBeforeOf(deps: RunDeps, rows: JournalRow[]): Promise<Map<number, number>> {
  const runIds = [...new Set(rows.map((r) => r.run_id))];
  const runs = runIds.length ? await deps.db.selectFrom('runs').select(['id', 'finished_at']).where('id', 'in', runIds).execute() : [];
  const ended = new Map(runs.map((r) => [r.id, r.finished_at ? Date.parse(r.finished_at) : null]));
  const now = deps.clock().getTime();
  return new Map(rows.map((r) => [r.id, ended.get(r.run_id) ?? now]));
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The processing-window wait, cut short by a shutdown (SIGTERM): it throws StopRequestedError, so the
 * run closes `interrupted` at once (the writes stay pending for the next sync's recovery) instead of
 * outliving the shutdown timeout and being found lapsed later.
 */
async function waitUnlessStopping(deps: RunDeps, ms: number): Promise<void> {
  // A sync's deps carry the process's drain (SyncDeps); `recover` and tests may have none.
  const stop = (deps as RunDeps & { drain?: Drain }).drain?.signal;
  if (stop?.aborted) throw new StopRequestedError();
  if (!stop) return (deps.sleep ?? defaultSleep)(ms);
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<'stopped'>((resolve) => {
    onAbort = () => resolve('stopped');
    stop.addEventListener('abort', onAbort, { once: true });
  });
  const outcome = await Promise.race([(deps.sleep ?? defaultSleep)(ms).then(() => 'slept' as const), stopped]);
  stop.removeEventListener('abort', onAbort!);
  if (outcome === 'stopped') throw new StopRequestedError();
}

/**
 * Settles the given pending writes (all of them for the company when `rows` is omitted), each on its
 * own: a write that cannot be looked up stays pending (counted as unknown, named in history by the
 * caller) and never stops the others. A create not found while QBO could still be storing it (inside
 * the processing window after it left us) is looked up again once the window has passed, and only
 * then taken as never arrived. Results go into `runId`'s history. Returns what happened, the QBO Ids
 * of the writes that landed by row key, and why each still-unknown write could not be settled.
 */
export async function settleWrites(
  deps: RunDeps,
  realmId: string,
  runId: string,
  rows?: JournalRow[],
  opts: SettleOptions = {},
): Promise<RecoverySummary & { qboIds: Map<string, string>; unsettled: Map<number, string> }> {
  const all = rows ?? (await unresolvedWrites(deps.db, realmId));
  // An undo's writes (void, delete, deactivate of what a run created) are settled by the undo's own
  // rules: the link goes, not comes (connect/undo/settle.ts).
  const pending = all.filter((r) => r.group_kind !== UNDO_GROUP);
  const undo =
    all.length === pending.length
      ? undefined
      : await settleUndoWrites(
          deps,
          runId,
          all.filter((r) => r.group_kind === UNDO_GROUP),
        );
  const out = {
    found: all.length,
    adopted: 0,
    settled: 0,
    notSent: 0,
    held: 0,
    unknown: 0,
    interrupted: 0,
    qboIds: new Map<string, string>(),
    unsettled: new Map<number, string>(),
  };
  if (undo) {
    out.settled += undo.settled;
    for (const [id, why] of undo.unsettled) out.unsettled.set(id, why);
    out.unknown += undo.unsettled.size;
  }
  if (!pending.length) return out;
  const now = () => deps.clock();
  const window = Math.max(0, deps.processingWindowMs ?? DEFAULT_PROCESSING_WINDOW_MS);

  const creates = pending.filter((r) => r.operation === 'create');
  const look = await findCreated(deps, creates);
  // Not found yet, and QBO may still be storing it: wait the window out, then look once more. The
  // wait is measured in real time from the injected clock's reading, so a fixed test clock ends too.
  const sentBefore = opts.sentBefore ? new Map(creates.map((r) => [r.id, opts.sentBefore!.getTime()])) : await sentBeforeOf(deps, creates);
  const early = opts.final ? [] : creates.filter((r) => look.found.get(r.id)?.length === 0 && sentBefore.get(r.id)! + window > now().getTime());
  if (early.length) {
    const waitMs = Math.max(...early.map((r) => sentBefore.get(r.id)! + window)) - now().getTime();
    deps.logger.info({ realmId, writes: early.length, waitMs }, 'recovery: writes not found yet; waiting until QuickBooks can no longer be storing them');
    await waitUnlessStopping(deps, waitMs);
    const again = await findCreated(deps, early);
    for (const r of early) {
      look.found.delete(r.id);
      const f = again.found.get(r.id);
      if (f) look.found.set(r.id, f);
      const e = again.failed.get(r.id);
      if (e !== undefined) look.failed.set(r.id, e);
    }
  }
  for (const [id, why] of look.failed) {
    deps.logger.warn({ realmId, journalId: id, err: why }, 'recovery look-up failed; the write stays unresolved');
    out.unsettled.set(id, why);
    out.unknown += 1;
  }
  const found = look.found;
  for (const row of creates.filter((r) => !look.failed.has(r.id))) {
    const matches = found.get(row.id);
    if (!matches) continue;
    const record = row.label || `${row.record_kind} ${row.record_key}`;
    if (matches.length === 0) {
      await markNotSent(deps.db, row.id, 'run.not-in-qbo', sentence('run.not-in-qbo', { record }), now(), deps.lease);
      out.notSent += 1;
      continue;
    }
    if (matches.length > 1) {
      const ids = matches.map((m) => m.Id);
      await recordProblem(
        deps.db,
        {
          ...base(row, runId),
          journalId: row.id,
          journalStatus: 'held',
          action: 'create',
          qboId: null,
          code: 'run.lookup-several',
          message: sentence('run.lookup-several', { record, entity: row.qbo_entity, ids }),
        },
        now(),
        deps.lease,
      );
      out.held += 1;
      continue;
    }
    const e = matches[0]!;
    const mismatch = nameEntities.has(row.qbo_entity) ? undefined : mismatchOf(row, e);
    if (mismatch) {
      await recordProblem(
        deps.db,
        {
          ...base(row, runId),
          journalId: row.id,
          journalStatus: 'held',
          action: 'create',
          qboId: e.Id,
          code: 'run.lookup-mismatch',
          message: sentence('run.lookup-mismatch', { record, entity: row.qbo_entity, qboId: e.Id, ...mismatch }),
        },
        now(),
        deps.lease,
      );
      out.held += 1;
      continue;
    }
    const code = opts.context === 'in-run' ? 'run.found-after-lost-answer' : 'run.recovered';
    await resolveWrite(
      deps.db,
      {
        ...base(row, runId),
        journalId: row.id,
        action: 'create',
        qboId: e.Id,
        syncToken: String(e.SyncToken ?? '0'),
        qboTotalCents: totalCents(e),
        linkState: 'linked',
        counter: 'adopted',
        code,
        message: sentence(code, { record, entity: row.qbo_entity, qboId: e.Id }),
      },
      now(),
      deps.lease,
    );
    out.adopted += 1;
    out.qboIds.set(row.row_key, e.Id);
  }

  for (const row of pending.filter((r) => r.operation !== 'create')) {
    const record = row.label || `${row.record_kind} ${row.record_key}`;
    const body = JSON.parse(row.body) as Record<string, unknown>;
    const id = String(body['Id']);
    const entity = row.qbo_entity as EntityName;
    try {
      let current = (await deps.client.read(entity, id)) as QboRow;
      if (String(current.SyncToken) === row.base_sync_token) {
        // Not applied: replay the identical request (same body, same requestid).
        current = (
          row.operation === 'void'
            ? await deps.client.void(entity, { Id: id, SyncToken: String(body['SyncToken']) }, { requestId: row.request_id })
            : await deps.client.sparseUpdate(entity, body as never, { requestId: row.request_id })
        ) as QboRow;
      }
      await resolveWrite(
        deps.db,
        {
          ...base(row, runId),
          journalId: row.id,
          action: row.operation === 'void' ? 'void' : 'update',
          qboId: id,
          syncToken: String(current.SyncToken ?? '0'),
          qboTotalCents: totalCents(current),
          linkState: row.operation === 'void' ? 'voided' : 'linked',
          counter: row.operation === 'void' ? 'voided' : 'updated',
        },
        now(),
        deps.lease,
      );
      out.settled += 1;
      out.qboIds.set(row.row_key, id);
    } catch (err) {
      if (err instanceof QboFault) {
        await recordProblem(
          deps.db,
          {
            ...base(row, runId),
            journalId: row.id,
            journalStatus: 'failed',
            action: row.operation,
            qboId: id,
            code: 'run.qbo-refused',
            message: sentence('run.qbo-refused', { record, field: err.element, detail: err.errors[0]?.message }),
          },
          now(),
          deps.lease,
        );
        continue;
      }
      if (!(err instanceof OutcomeUnknownError)) deps.logger.warn({ realmId, err: errText(err) }, 'recovery of an update/void failed; it stays unresolved');
      out.unsettled.set(row.id, errText(err));
      out.unknown += 1;
    }
  }
  return out;
}

/**
 * Names each write recovery could not settle in the run's history, with its journal id and how a
 * person settles it; the write stays pending and its record is held, the rest of the company goes on.
 */
export async function recordUnsettled(deps: Pick<RunDeps, 'db' | 'clock' | 'lease'>, runId: string, rows: JournalRow[], unsettled: Map<number, string>): Promise<void> {
  for (const row of rows) {
    const why = unsettled.get(row.id);
    if (why === undefined) continue;
    const record = row.label || `${row.record_kind} ${row.record_key}`;
    await recordProblem(
      deps.db,
      {
        ...base(row, runId),
        journalId: row.id,
        journalStatus: 'pending',
        action: row.operation,
        qboId: null,
        code: 'run.unsettled',
        message: sentence('run.unsettled', { record, journalId: row.id, detail: why }),
      },
      deps.clock(),
      deps.lease,
    );
  }
}

export interface PersonVerdict {
  journalId: number;
  /** sent: QBO holds it (as `qboId`), link it; not-sent: it is not in QBO, the next sync sends it. */
  verdict: 'sent' | 'not-sent';
  qboId?: string | undefined;
  actor: string;
}

/**
 * A person settles a write recovery could not (`qbo-connect recover --resolve ID sent|not-sent`):
 * after checking QuickBooks themselves, they say whether it arrived. "sent" reads the entity they
 * name, so a wrong Id is refused before anything is linked; nothing is written to QBO.
 */
export async function resolveByPerson(deps: RunDeps, realmId: string, runId: string, v: PersonVerdict): Promise<string> {
  const row = (await deps.db.selectFrom('journal').selectAll().where('id', '=', v.journalId).where('realm_id', '=', realmId).executeTakeFirst()) as JournalRow | undefined;
  if (!row) throw refusal('run.no-such-write', { journalId: v.journalId });
  if (row.status !== 'pending' && row.status !== 'held') throw refusal('run.write-settled', { journalId: v.journalId, detail: row.status });
  const record = row.label || `${row.record_kind} ${row.record_key}`;
  if (v.verdict === 'not-sent') {
    const message = sentence('run.resolved-by-person', { record, journalId: row.id, detail: `${v.actor} checked QuickBooks and found it not there; the next sync sends it.` });
    await markNotSent(deps.db, row.id, 'run.resolved-by-person', message, deps.clock(), deps.lease);
    return message;
  }
  const id = v.qboId ?? (row.operation === 'create' ? undefined : String((JSON.parse(row.body) as Record<string, unknown>)['Id']));
  if (!id) throw refusal('run.resolve-needs-id', { journalId: row.id, entity: row.qbo_entity });
  let e: QboRow;
  try {
    e = (await deps.client.read(row.qbo_entity as EntityName, id)) as QboRow;
  } catch (err) {
    // Only QuickBooks' own answer (a fault, no answer) means "not there"; a bug stays a bug.
    if (!isQboFailure(err)) throw err;
    throw refusal('run.resolve-not-found', { journalId: row.id, entity: row.qbo_entity, qboId: id, detail: errText(err) });
  }
  const message = sentence('run.resolved-by-person', { record, journalId: row.id, detail: `${v.actor} found it in QuickBooks as ${row.qbo_entity} ${e.Id}; linked.` });
  await resolveWrite(
    deps.db,
    {
      ...base(row, runId),
      journalId: row.id,
      action: row.operation === 'void' ? 'void' : row.operation === 'update' ? 'update' : 'create',
      qboId: e.Id,
      syncToken: String(e.SyncToken ?? '0'),
      qboTotalCents: totalCents(e),
      linkState: row.operation === 'void' ? 'voided' : 'linked',
      counter: row.operation === 'create' ? 'adopted' : row.operation === 'void' ? 'voided' : 'updated',
      code: 'run.resolved-by-person',
      message,
    },
    deps.clock(),
    deps.lease,
  );
  return message;
}
