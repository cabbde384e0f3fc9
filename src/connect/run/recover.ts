/**
 * Recovery of writes whose outcome is unknown (reliability.md §1.7), run before every sync, after a
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
import type { EntityName } from '../../qbo/wire-types.js';
import { hasMarker, markerOf, nameEntities, sentContentHash, type RunDeps } from './context.js';
import { markNotSent, recordProblem, resolveWrite, unresolvedWrites, type JournalRow } from './journal.js';
import { runMessage } from './messages.js';

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
export async function markInterruptedRuns(deps: Pick<RunDeps, 'db' | 'clock'>, realmId: string, currentRunId: string | null): Promise<number> {
  let q = deps.db.updateTable('runs').set({ status: 'interrupted', finished_at: deps.clock().toISOString() }).where('realm_id', '=', realmId).where('status', '=', 'running');
  if (currentRunId) q = q.where('id', '!=', currentRunId);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}

async function findCreated(deps: RunDeps, rows: JournalRow[]): Promise<Map<number, QboRow[]>> {
  const found = new Map<number, QboRow[]>(rows.map((r) => [r.id, []]));
  const byEntity = new Map<string, JournalRow[]>();
  for (const r of rows) byEntity.set(r.qbo_entity, [...(byEntity.get(r.qbo_entity) ?? []), r]);

  const txnEntities = [...byEntity.keys()].filter((e) => !nameEntities.has(e));
  if (txnEntities.length) {
    // CDC from a day before the oldest write: the emulator's clock may run ahead, never behind.
    const oldest = Math.min(...rows.filter((r) => !nameEntities.has(r.qbo_entity)).map((r) => Date.parse(r.created_at)));
    const since = new Date(oldest - 24 * 3600_000);
    // CDC reaches back 30 days; older writes (a sync abandoned for a month) are found by number.
    const cdcReach = deps.clock().getTime() - 29 * 24 * 3600_000;
    const cdc = since.getTime() > cdcReach ? await deps.client.cdc(txnEntities as EntityName[], since) : undefined;
    for (const entity of txnEntities) {
      let candidates = (cdc?.changes[entity as EntityName] ?? []) as QboRow[];
      const pending = byEntity.get(entity)!;
      if (!cdc || cdc.truncated[entity as EntityName]) {
        // More changes than one CDC answer holds, or too old for CDC: the numbers we sent.
        const field = entity === 'Payment' ? 'PaymentRefNum' : 'DocNumber';
        const numbers = pending.map((r) => (JSON.parse(r.body) as Record<string, unknown>)[field]).filter((n): n is string => typeof n === 'string');
        if (numbers.length < pending.length) throw new Error(`${entity} writes without a ${field} cannot be looked up beyond change data capture's 30 days`);
        candidates = [];
        for await (const e of deps.client.queryIn(entity as EntityName, field, numbers)) candidates.push(e as QboRow);
      }
      for (const r of pending) {
        const marker = markerOf(r.record_kind, r.record_key);
        found.set(
          r.id,
          candidates.filter((c) => c['status'] !== 'Deleted' && hasMarker(c['PrivateNote'], marker)),
        );
      }
    }
  }
  for (const [entity, pending] of byEntity) {
    if (!nameEntities.has(entity)) continue;
    const field = entity === 'Item' ? 'Name' : 'DisplayName';
    const names = pending.map((r) => (JSON.parse(r.body) as Record<string, unknown>)[field]).filter((n): n is string => typeof n === 'string');
    const matches: QboRow[] = [];
    for await (const e of deps.client.queryIn(entity as EntityName, field, names)) matches.push(e as QboRow);
    for (const r of pending) {
      const name = String((JSON.parse(r.body) as Record<string, unknown>)[field] ?? '').toLowerCase();
      found.set(
        r.id,
        matches.filter((m) => String(m[field] ?? '').toLowerCase() === name),
      );
    }
  }
  return found;
}

/** The first field where a found transaction differs from what we sent, if any. */
function mismatchOf(row: JournalRow, e: QboRow): { field: string; ours: string; theirs: string } | undefined {
  const body = JSON.parse(row.body) as Record<string, unknown>;
  for (const ref of ['CustomerRef', 'VendorRef', 'EntityRef']) {
    const ours = refValue(body[ref]);
    const theirs = refValue(e[ref]);
    if (ours !== undefined && theirs !== undefined && ours !== theirs) return { field: ref, ours, theirs };
  }
  if (typeof body['TxnDate'] === 'string' && typeof e['TxnDate'] === 'string' && body['TxnDate'] !== e['TxnDate']) return { field: 'TxnDate', ours: body['TxnDate'], theirs: e['TxnDate'] };
  const total = totalCents(e);
  if (row.expected_total_cents !== null && total !== null && Number(row.expected_total_cents) !== total) {
    return { field: 'TotalAmt', ours: (Number(row.expected_total_cents) / 100).toFixed(2), theirs: (total / 100).toFixed(2) };
  }
  return undefined;
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
    payloadHash: sentContentHash(JSON.parse(row.body) as Record<string, unknown>),
    qboEntity: row.qbo_entity,
  };
}

/**
 * Settles the given pending writes (all of them for the company when `rows` is omitted). Results go
 * into `runId`'s history. Returns what happened, and the QBO Ids of the writes that landed by row key.
 */
export async function settleWrites(deps: RunDeps, realmId: string, runId: string, rows?: JournalRow[]): Promise<RecoverySummary & { qboIds: Map<string, string> }> {
  const pending = rows ?? (await unresolvedWrites(deps.db, realmId));
  const out = { found: pending.length, adopted: 0, settled: 0, notSent: 0, held: 0, unknown: 0, interrupted: 0, qboIds: new Map<string, string>() };
  if (!pending.length) return out;
  const now = () => deps.clock();

  const creates = pending.filter((r) => r.operation === 'create');
  let found: Map<number, QboRow[]>;
  try {
    found = await findCreated(deps, creates);
  } catch (err) {
    deps.logger.warn({ realmId, err: err instanceof Error ? err.message : String(err) }, 'recovery look-up failed; writes stay unresolved');
    out.unknown += creates.length;
    found = new Map();
  }
  for (const row of creates) {
    const matches = found.get(row.id);
    if (!matches) continue;
    const record = row.label || `${row.record_kind} ${row.record_key}`;
    if (matches.length === 0) {
      await markNotSent(deps.db, row.id, 'run.not-in-qbo', runMessage('run.not-in-qbo', { record }), now());
      out.notSent += 1;
      continue;
    }
    if (matches.length > 1) {
      const ids = matches.map((m) => m.Id);
      await recordProblem(deps.db, { ...base(row, runId), journalId: row.id, journalStatus: 'held', action: 'create', qboId: null, code: 'run.lookup-several', message: runMessage('run.lookup-several', { record, entity: row.qbo_entity, ids }) }, now());
      out.held += 1;
      continue;
    }
    const e = matches[0]!;
    const mismatch = nameEntities.has(row.qbo_entity) ? undefined : mismatchOf(row, e);
    if (mismatch) {
      await recordProblem(
        deps.db,
        { ...base(row, runId), journalId: row.id, journalStatus: 'held', action: 'create', qboId: e.Id, code: 'run.lookup-mismatch', message: runMessage('run.lookup-mismatch', { record, entity: row.qbo_entity, qboId: e.Id, ...mismatch }) },
        now(),
      );
      out.held += 1;
      continue;
    }
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
        code: 'run.recovered',
        message: runMessage('run.recovered', { record, entity: row.qbo_entity, qboId: e.Id }),
      },
      now(),
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
      );
      out.settled += 1;
      out.qboIds.set(row.row_key, id);
    } catch (err) {
      if (err instanceof QboFault) {
        await recordProblem(deps.db, { ...base(row, runId), journalId: row.id, journalStatus: 'failed', action: row.operation, qboId: id, code: 'run.qbo-refused', message: runMessage('run.qbo-refused', { record, field: err.element, detail: err.errors[0]?.message }) }, now());
        continue;
      }
      if (err instanceof OutcomeUnknownError) {
        out.unknown += 1;
        continue;
      }
      deps.logger.warn({ realmId, err: err instanceof Error ? err.message : String(err) }, 'recovery of an update/void failed; it stays unresolved');
      out.unknown += 1;
    }
  }
  return out;
}
