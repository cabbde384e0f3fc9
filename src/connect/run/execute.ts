/**
 * Executes the plan's write groups: adopt (link only), create and update in batches of up to 30,
 * void one by one. Each write is journaled with its deterministic requestid before it is sent; its
 * result (link, run record, counters) is stored in the transaction that resolves the journal row.
 * A row whose dependencies did not land is not sent; a row whose record was changed by hand in QBO
 * is never overwritten (it is held as diverged).
 */
import { MAX_BATCH_ITEMS, type BatchItem, type BatchResult } from '../../qbo/client.js';
import { ConnectionLostError, OutcomeUnknownError, QboFault, QboUnavailableError } from '../../qbo/fault.js';
import { connectionRefusal, notSentAfterRefusal } from './connection-refused.js';
import { toCents } from '../../qbo/money.js';
import type { EntityName } from '../../qbo/wire-types.js';
import { conflictText, nextBase, normalizeField, parseSentFields, same, type FieldConflict, type PlanRow } from '../plan/index.js';
import { hasMarker, LockLostError, markerOf, nameEntities, StopRequestedError, type RunDeps, type RunState } from './context.js';
import { contentHash } from '../../hash.js';
import {
  generationOf,
  heldWrites,
  journalRowsById,
  journalWrites,
  lastSentBody,
  markNotSent,
  recordProblem,
  recordsTold,
  resolveWrite,
  unresolvedWrites,
  type JournalEntry,
  type Resolution,
} from './journal.js';
import { linkedQboId, linkOf, markDiverged, setSentFields } from '../links.js';
import { recordsOfRowKey } from '../kinds.js';
import { sentence as runMessage, type RunReason as RunReasonCode } from './reasons.js';
import { settleWrites } from './recover.js';
import { batchRequestIdFor, bIdFor, requestIdFor, singleBatchRequestIdFor, type WriteOperation } from './request-id.js';

type QboRow = Record<string, unknown> & { Id: string; SyncToken?: string };

/**
 * QBO voids these (Payment and SalesReceipt through update&include=void, the client picks); Bills,
 * Purchases and CreditMemos cannot be voided (CreditMemo: intuit/QuickBooks-V3-PHP-SDK issue #133).
 * The plan holds a cancelled credit note before it gets here (document-rows.ts cancelledCreditNote).
 */
const voidable = new Set(['Invoice', 'Payment', 'SalesReceipt', 'BillPayment', 'Check']);
const writeActions = new Set(['create', 'update', 'void', 'adopt']);
/** Times a write found not in QBO (after its processing window) following an unknown outcome is sent again in the same run. */
const MAX_RESENDS = 3;
const totalCents = (e: Record<string, unknown>): number | null => (typeof e['TotalAmt'] === 'number' ? toCents(e['TotalAmt'] as number, 'half-up') : null);

/** Rows of a group the run acts on (not skipped, no errors, something to do). */
export function actionableRows(rows: PlanRow[]): PlanRow[] {
  return rows.filter((r) => !r.skipped && writeActions.has(r.action) && !r.issues.some((i) => i.severity === 'error'));
}

interface Prepared {
  row: PlanRow;
  operation: WriteOperation;
  body: Record<string, unknown>;
  entry: JournalEntry;
}

function recordLabel(row: PlanRow): string {
  return row.record.label || `${row.record.kind} ${row.record.id}`;
}

/**
 * Replaces every `"@row:<key>"` string (`{ value: "@row:…" }` references, and `LinkedTxn[].TxnId` of
 * payments) with the QBO Id written for that row; lists the keys it could not fill.
 */
export function fillReferences(payload: unknown, idOf: (rowKey: string) => string | undefined, missing: string[]): unknown {
  if (typeof payload === 'string' && payload.startsWith('@row:')) {
    const id = idOf(payload.slice(5));
    if (id === undefined) missing.push(payload.slice(5));
    return id ?? payload;
  }
  if (Array.isArray(payload)) return payload.map((v) => fillReferences(v, idOf, missing));
  if (payload && typeof payload === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(payload as Record<string, unknown>)) out[k] = fillReferences(v, idOf, missing);
    return out;
  }
  return payload;
}

/** Row keys a payload refers to with `@row:` (in case the plan's dependsOn leaves one out). */
export function referencedRows(payload: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof payload === 'string' && payload.startsWith('@row:')) out.add(payload.slice(5));
  else if (Array.isArray(payload)) for (const v of payload) referencedRows(v, out);
  else if (payload && typeof payload === 'object') for (const v of Object.values(payload)) referencedRows(v, out);
  return out;
}

/** Puts the marker in a transaction's PrivateNote (kept if the plan already wrote it). */
export function withMarker(entity: string, body: Record<string, unknown>, recordKind: string, recordKey: string): Record<string, unknown> {
  if (nameEntities.has(entity)) return body;
  const marker = markerOf(recordKind, recordKey);
  const note = typeof body['PrivateNote'] === 'string' ? (body['PrivateNote'] as string) : '';
  if (hasMarker(note, marker)) return body;
  const joined = note ? `${note}\n${marker}` : marker;
  // PrivateNote holds 4,000 characters; the marker wins over the end of a long note.
  return { ...body, PrivateNote: joined.length > 4000 ? `${note.slice(0, 4000 - marker.length - 1)}\n${marker}` : joined };
}

/** The lines as a person would see them: kind, description, amount (QBO's added Ids and tax left out). */
function lineSignature(lines: unknown): string {
  if (!Array.isArray(lines)) return '';
  return lines
    .filter((l: Record<string, unknown>) => l['DetailType'] !== 'SubTotalLineDetail')
    .map(
      (l: Record<string, unknown>) =>
        `${String(l['DetailType'])}|${String(l['Description'] ?? '')}|${typeof l['Amount'] === 'number' ? toCents(l['Amount'] as number, 'half-up') : ''}`,
    )
    .join('\n');
}

/** Sends a group keeps in flight at once, at most: QBO allows 10 requests in flight per company. */
export const DEFAULT_PARALLEL_REQUESTS = 10;

/**
 * The rows in waves: a row comes one wave after the latest row of the same list it depends on, so no
 * wave holds a row together with one it needs. Order inside a wave follows the input.
 */
export function writeWaves(rows: readonly PlanRow[]): PlanRow[][] {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const level = new Map<string, number>();
  const visiting = new Set<string>();
  const levelOf = (row: PlanRow): number => {
    const known = level.get(row.key);
    if (known !== undefined) return known;
    // A cycle cannot be ordered; its rows stay in the wave reached so far (prepare reports what is missing).
    if (visiting.has(row.key)) return 0;
    visiting.add(row.key);
    let l = 0;
    for (const k of row.dependsOn) {
      const dep = byKey.get(k);
      if (dep && dep !== row) l = Math.max(l, levelOf(dep) + 1);
    }
    visiting.delete(row.key);
    level.set(row.key, l);
    return l;
  };
  const waves: PlanRow[][] = [];
  for (const row of rows) (waves[levelOf(row)] ??= []).push(row);
  return waves.filter((w) => w !== undefined);
}

/**
 * Runs `workers` copies of `work` at once. After a failure `stopped()` turns true so no worker starts
 * another send; the sends already going finish (their writes are journaled and resolved) before the
 * first failure is rethrown, as a crash or a lost lock must stop the run.
 */
export async function inParallel(workers: number, work: (stopped: () => boolean) => Promise<void>): Promise<void> {
  let failed = false;
  const stopped = () => failed;
  const settled = await Promise.allSettled(
    Array.from({ length: Math.max(1, workers) }, async () => {
      try {
        await work(stopped);
      } catch (err) {
        failed = true;
        throw err;
      }
    }),
  );
  const rejected = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}

export class GroupExecutor {
  constructor(
    private readonly deps: RunDeps,
    private readonly state: RunState,
    private readonly plan: { rows: Map<string, PlanRow> },
  ) {}

  private now() {
    return this.deps.clock();
  }

  private tick(group: string, n = 1) {
    this.state.done += n;
    this.state.onProgress?.({ done: this.state.done, total: this.state.total, group });
  }

  /**
   * The QBO Id of a row written before this run, by the record kind the row carries. A key the plan
   * does not hold (a dependency written by an earlier run) names its records by its group (kinds.ts).
   */
  private async linkedId(rowKey: string): Promise<string | undefined> {
    const row = this.plan.rows.get(rowKey);
    const records = row ? { kinds: [row.record.kind], id: row.record.id } : recordsOfRowKey(rowKey);
    return records ? linkedQboId(this.deps.db, this.state.realmId, records.kinds, records.id) : undefined;
  }

  /** What a row's result stores (journal, link, history, counters): the row's part; the write adds the rest. */
  private resolution(
    row: PlanRow,
    journalId: number | null,
    write: Pick<Resolution, 'action' | 'payloadHash' | 'qboId' | 'syncToken' | 'qboTotalCents' | 'linkState' | 'counter'>,
  ): Resolution {
    return {
      journalId,
      runId: this.state.runId,
      realmId: this.state.realmId,
      rowKey: row.key,
      groupKind: row.group,
      label: recordLabel(row),
      recordKind: row.record.kind,
      recordKey: row.record.id,
      recordVersion: row.record.version ?? 0,
      payloadHash: write.payloadHash,
      action: write.action,
      qboEntity: row.qbo.entity,
      qboId: write.qboId,
      syncToken: write.syncToken,
      qboTotalCents: write.qboTotalCents,
      linkState: write.linkState,
      counter: write.counter,
    };
  }

  private async problem(row: PlanRow, journalId: number | null, status: 'failed' | 'held' | 'pending', code: RunReasonCode, message: string, qboId: string | null = null) {
    this.state.notWritten.add(row.key);
    await recordProblem(
      this.deps.db,
      {
        journalId,
        journalStatus: status,
        runId: this.state.runId,
        rowKey: row.key,
        groupKind: row.group,
        label: recordLabel(row),
        recordKind: row.record.kind,
        recordKey: row.record.id,
        action: row.action,
        qboEntity: row.qbo.entity,
        qboId: qboId ?? row.qbo.id ?? null,
        code,
        message,
      },
      this.now(),
      this.deps.lease,
    );
  }

  async run(group: string, rows: PlanRow[]): Promise<void> {
    if (this.deps.scope) this.deps.scope.group = group;
    const held = await heldWrites(this.deps.db, this.state.realmId);
    // A write still pending (recovery could not tell whether QBO has it) holds its record: sending
    // it again could make a duplicate. Recovery already named it in this run's history.
    const unsettled = new Map((await unresolvedWrites(this.deps.db, this.state.realmId)).map((r) => [`${r.record_kind}\u0000${r.record_key}`, r]));
    const told = await recordsTold(this.deps.db, this.state.runId);
    const ready: PlanRow[] = [];
    for (const row of rows) {
      const id = `${row.record.kind}\u0000${row.record.id}`;
      const h = held.get(id);
      const u = unsettled.get(id);
      if (h || u) {
        if (told.has(id)) this.state.notWritten.add(row.key);
        else if (h) await this.problem(row, null, 'held', 'run.held-earlier', runMessage('run.held-earlier', { record: recordLabel(row), detail: h.outcome_message ?? '' }));
        else
          await this.problem(
            row,
            null,
            'held',
            'run.unsettled',
            runMessage('run.unsettled', { record: recordLabel(row), journalId: u!.id, detail: u!.outcome_message ?? 'not checked yet' }),
          );
        this.tick(group);
        continue;
      }
      const failedDep = row.dependsOn.find((k) => this.state.notWritten.has(k));
      if (failedDep) {
        const dep = this.plan.rows.get(failedDep);
        await this.problem(
          row,
          null,
          'failed',
          'run.dependency-failed',
          runMessage('run.dependency-failed', { record: recordLabel(row), detail: dep ? recordLabel(dep) : failedDep }),
        );
        this.tick(group);
        continue;
      }
      ready.push(row);
    }
    for (const row of ready.filter((r) => r.action === 'adopt')) await this.adopt(row);
    const writes = ready.filter((r) => r.action === 'create' || r.action === 'update');
    // A batch cannot see what an earlier item of the same batch (or of a batch still in flight)
    // created, so a row that depends on a row of this group goes in a later wave. The rows of one
    // wave are independent: up to `parallel` batches of a wave are in flight at once (the client's
    // limiter still holds QBO's 10 in flight and its per-minute caps). When the minute's batches are
    // spent, single requests still have room (QBO: 40 batches but 500 requests a minute), so a worker
    // then sends one row instead of waiting to send thirty. Each send journals its rows before it
    // goes and resolves them in its own transaction, as one at a time did.
    const size = Math.min(Math.max(Math.trunc(this.deps.batchSize ?? MAX_BATCH_ITEMS), 1), MAX_BATCH_ITEMS);
    const parallel = Math.min(Math.max(Math.trunc(this.deps.parallelRequests ?? DEFAULT_PARALLEL_REQUESTS), 1), DEFAULT_PARALLEL_REQUESTS);
    for (const wave of writeWaves(writes)) {
      const queue = [...wave];
      await inParallel(Math.min(parallel, queue.length), async (stopped) => {
        while (queue.length && !stopped()) {
          const take = size > 1 && this.deps.client.batchesThrottled?.() ? 1 : size;
          await this.sendBatch(group, queue.splice(0, take));
        }
      });
    }
    for (const row of ready.filter((r) => r.action === 'void')) await this.voidOne(group, row);
  }

  private async adopt(row: PlanRow): Promise<void> {
    if (!row.qbo.id) {
      await this.problem(
        row,
        null,
        'failed',
        'run.unresolved-reference',
        runMessage('run.unresolved-reference', { record: recordLabel(row), field: 'QBO Id', detail: `the ${row.qbo.entity} to adopt` }),
      );
      this.tick(row.group);
      return;
    }
    const qboId = row.qbo.id;
    if (row.reactivate) {
      await this.reactivate(row, qboId);
      this.tick(row.group);
      return;
    }
    await this.storeOrHold(row, null, qboId, () =>
      resolveWrite(
        this.deps.db,
        this.resolution(row, null, {
          action: 'adopt',
          payloadHash: row.payloadHash ?? '',
          qboId,
          syncToken: row.qbo.syncToken ?? '0',
          qboTotalCents: row.qboTotalCents,
          linkState: 'linked',
          counter: 'adopted',
        }),
        this.now(),
        this.deps.lease,
        // The values both sides held when adopted: the base a later update is compared with.
        row.fields ? (trx) => setSentFields(trx, this.state.realmId, row.record.kind, row.record.id, row.fields!.base) : undefined,
      ),
    );
    this.tick(row.group);
  }

  /**
   * A name an undo made inactive, wanted again: made active with a journaled sparse update (settled
   * by recovery like any update), then linked. QBO drops the " (deleted)" it added to the name.
   */
  private async reactivate(row: PlanRow, qboId: string): Promise<void> {
    const entity = row.qbo.entity as EntityName;
    const body = { Id: qboId, SyncToken: row.qbo.syncToken ?? '0', sparse: true, Active: true };
    const p = await this.prepared({ ...row, payloadHash: contentHash(body) }, 'update', body, body.SyncToken, null);
    if (this.state.lockLost?.()) throw new LockLostError();
    this.deps.crash('before-journal', row.group);
    const [journalId] = await journalWrites(this.deps.db, [p.entry], this.now(), this.deps.lease);
    this.deps.crash('after-journal-before-send', row.group);
    try {
      const e = (await this.deps.client.sparseUpdate(entity, body as never, { requestId: p.entry.requestId })) as QboRow;
      this.deps.crash('after-response-before-commit', row.group);
      await this.storeOrHold(row, journalId!, e.Id, () =>
        resolveWrite(
          this.deps.db,
          this.resolution(row, journalId!, {
            action: 'update',
            payloadHash: p.entry.payloadHash,
            qboId: e.Id,
            syncToken: String(e.SyncToken ?? '0'),
            qboTotalCents: null,
            linkState: 'linked',
            counter: 'updated',
          }),
          this.now(),
          this.deps.lease,
        ),
      );
    } catch (err) {
      const refused = connectionRefusal(err, this.state.realmId);
      if (refused) throw await notSentAfterRefusal(this.deps.db, [journalId!], refused, this.now(), this.deps.lease);
      if (err instanceof QboFault) {
        await this.problem(
          row,
          journalId!,
          'failed',
          'run.qbo-refused',
          runMessage('run.qbo-refused', { record: recordLabel(row), field: err.element, detail: err.errors[0]?.message }),
        );
        return;
      }
      await settleWrites(this.deps, this.state.realmId, this.state.runId, await journalRowsById(this.deps.db, [journalId!]));
    }
  }

  /** The body to send and its journal entry; undefined (and the row reported) when it cannot be built. */
  private async prepare(row: PlanRow, batchRequestId: string | null): Promise<Prepared | undefined> {
    const operation: WriteOperation = row.action === 'void' ? 'void' : row.action === 'update' ? 'update' : 'create';
    const missing: string[] = [];
    const ids = new Map<string, string>();
    for (const k of new Set([...row.dependsOn, ...referencedRows(row.payload)])) {
      const id = this.state.qboIds.get(k) ?? (await this.linkedId(k));
      if (id) ids.set(k, id);
    }
    let body = fillReferences(row.payload ?? {}, (k) => ids.get(k) ?? this.state.qboIds.get(k), missing) as Record<string, unknown>;
    if (missing.length) {
      const dep = this.plan.rows.get(missing[0]!);
      await this.problem(
        row,
        null,
        'failed',
        'run.unresolved-reference',
        runMessage('run.unresolved-reference', { record: recordLabel(row), detail: dep ? recordLabel(dep) : missing[0] }),
      );
      return undefined;
    }
    let baseSyncToken: string | null = null;
    if (operation !== 'create') {
      const link = await linkOf(this.deps.db, this.state.realmId, row.record.kind, row.record.id);
      const id = row.qbo.id ?? link?.qbo_id;
      if (!link || !id) {
        await this.problem(
          row,
          null,
          'failed',
          'run.unresolved-reference',
          runMessage('run.unresolved-reference', { record: recordLabel(row), field: 'QBO Id', detail: `the ${row.qbo.entity} it was synced to` }),
        );
        return undefined;
      }
      if (operation === 'update' && row.fields) {
        // The preview compared field values three ways: a field both sides changed holds the row.
        if (row.fields.conflicts.length) {
          await this.diverged(row, null, link.qbo_id, conflictText(row.fields.conflicts));
          return undefined;
        }
        // Based on QBO's SyncToken at preview time: our own writes since the last sync (a payment, a
        // credit application) moved it, and the field comparison already showed they changed nothing
        // we send. A change made in QBO after the preview gets a 5010, handled in settleResult.
        baseSyncToken = this.syncTokens.get(row.key) ?? row.qbo.syncToken ?? link.sync_token;
        body = { ...body, Id: id, SyncToken: baseSyncToken, sparse: true };
        return this.prepared(row, operation, body, baseSyncToken, batchRequestId);
      }
      // Held as diverged until QBO again holds what we last wrote (the person undid their edit there).
      const moved = link.state === 'diverged' || (row.qbo.syncToken !== undefined && row.qbo.syncToken !== link.sync_token);
      if (moved && !(await this.sameAsWeLeftIt(row, link.qbo_id, link.sync_token))) {
        await this.diverged(row, null, link.qbo_id, `QuickBooks SyncToken ${row.qbo.syncToken ?? '?'}, ours ${link.sync_token}`);
        return undefined;
      }
      baseSyncToken = this.syncTokens.get(row.key) ?? link.sync_token;
      body = operation === 'void' ? { Id: id, SyncToken: baseSyncToken } : { ...body, Id: id, SyncToken: baseSyncToken, sparse: true };
    }
    if (operation === 'create') body = withMarker(row.qbo.entity, body, row.record.kind, row.record.id);
    return this.prepared(row, operation, body, baseSyncToken, batchRequestId);
  }

  private async prepared(row: PlanRow, operation: WriteOperation, body: Record<string, unknown>, baseSyncToken: string | null, batchRequestId: string | null): Promise<Prepared> {
    const payloadHash = row.payloadHash ?? '';
    const generation = await generationOf(this.deps.db, this.state.realmId, row.record.kind, row.record.id, operation, payloadHash);
    const requestId = requestIdFor({ realmId: this.state.realmId, recordKind: row.record.kind, recordKey: row.record.id, payloadHash, operation, generation });
    return {
      row,
      operation,
      body,
      entry: {
        realmId: this.state.realmId,
        runId: this.state.runId,
        rowKey: row.key,
        groupKind: row.group,
        label: recordLabel(row),
        recordKind: row.record.kind,
        recordKey: row.record.id,
        recordVersion: row.record.version ?? 0,
        operation,
        qboEntity: row.qbo.entity,
        requestId,
        body: JSON.stringify(body),
        payloadHash,
        expectedTotalCents: operation === 'create' ? row.qboTotalCents : null,
        baseSyncToken,
        batchRequestId,
      },
    };
  }

  /** SyncTokens learnt from a re-read in this run (a payment applied to an invoice moves its SyncToken). */
  private readonly syncTokens = new Map<string, string>();

  /**
   * A SyncToken that moved is not proof of a hand edit: applying a payment to an invoice moves it too.
   * Compare what we last sent with what QBO holds now; when they agree, carry on with QBO's token.
   */
  private async sameAsWeLeftIt(row: PlanRow, qboId: string, ourToken: string): Promise<boolean> {
    const sent = await lastSentBody(this.deps.db, this.state.realmId, row.record.kind, row.record.id);
    const link = await linkOf(this.deps.db, this.state.realmId, row.record.kind, row.record.id);
    let current: QboRow;
    try {
      current = (await this.deps.client.read(row.qbo.entity as EntityName, qboId)) as QboRow;
    } catch {
      return false;
    }
    if (String(current.SyncToken) === ourToken) return true;
    // What QBO answered to our last write, field by field: our own later writes (a payment, a credit
    // application) move the SyncToken and the balance but none of these values.
    const base = parseSentFields(link?.sent_fields);
    if (base) {
      const moved = Object.entries(base).filter(([f, b]) => !same(normalizeField(f, current[f]), b.qbo));
      if (moved.length) {
        this.lastMoved.set(
          row.key,
          moved.map(([f, b]) => ({ field: f, lastSent: b.sent, qboNow: normalizeField(f, current[f]), practiceNow: row.action === 'void' ? 'cancelled' : null })),
        );
        return false;
      }
      this.syncTokens.set(row.key, String(current.SyncToken));
      return true;
    }
    if (!sent) return false;
    for (const f of ['TxnDate', 'DocNumber', 'DisplayName']) {
      if (sent[f] !== undefined && current[f] !== undefined && sent[f] !== current[f]) return false;
    }
    for (const ref of ['CustomerRef', 'VendorRef', 'EntityRef']) {
      const a = (sent[ref] as { value?: string } | undefined)?.value;
      const b = (current[ref] as { value?: string } | undefined)?.value;
      if (a !== undefined && b !== undefined && a !== b) return false;
    }
    const total = totalCents(current);
    if (link?.qbo_total_cents != null && total !== null && Number(link.qbo_total_cents) !== total) return false;
    // A payment applied in QBO touches LinkedTxn and Balance only; a hand edit shows in the note or the lines.
    if (sent['PrivateNote'] !== undefined && current['PrivateNote'] !== sent['PrivateNote']) return false;
    if (Array.isArray(sent['Line']) && lineSignature(current['Line']) !== lineSignature(sent['Line'])) return false;
    this.syncTokens.set(row.key, String(current.SyncToken));
    return true;
  }

  /** The fields QBO changed, found by `sameAsWeLeftIt`, shown when the row is held. */
  private readonly lastMoved = new Map<string, FieldConflict[]>();

  private async diverged(row: PlanRow, journalId: number | null, qboId: string, detail: string) {
    const moved = this.lastMoved.get(row.key);
    if (moved?.length) detail = conflictText(moved);
    const message = runMessage('run.diverged', { record: recordLabel(row), entity: row.qbo.entity, qboId, detail });
    // The write itself did not happen (5010); the link, not the journal, keeps the row held.
    if (journalId !== null) await markNotSent(this.deps.db, journalId, 'run.diverged', message, this.now(), this.deps.lease);
    await this.problem(row, null, 'held', 'run.diverged', message, qboId);
    await markDiverged(this.deps.db, this.state.realmId, row.record.kind, row.record.id, this.now());
  }

  /** `resend`: how many times these rows were already found not in QBO after an unknown outcome. */
  private async sendBatch(group: string, rows: PlanRow[], resend = 0): Promise<void> {
    // A shutdown lets the batches in flight finish; a new one is not started (a resend of an
    // unknown outcome goes on: its rows are journaled and must be settled).
    if (resend === 0 && this.state.stopRequested?.()) throw new StopRequestedError();
    const prepared: Prepared[] = [];
    for (const row of rows) {
      const p = await this.prepare(row, null);
      if (p) prepared.push(p);
      else this.tick(group);
    }
    if (!prepared.length) return;
    const batchId = batchRequestIdFor(prepared.map((p) => p.entry.requestId));
    if (prepared.length > 1) for (const p of prepared) p.entry.batchRequestId = batchId;
    const crash = this.deps.crash;
    if (this.state.lockLost?.()) throw new LockLostError();
    crash('before-journal', group);
    const journalIds = await journalWrites(
      this.deps.db,
      prepared.map((p) => p.entry),
      this.now(),
      this.deps.lease,
    );
    crash('after-journal-before-send', group);

    let results: BatchResult[] | undefined;
    let failure: unknown;
    try {
      if (prepared.length === 1) {
        const p = prepared[0]!;
        const entity = p.row.qbo.entity as EntityName;
        const value =
          p.operation === 'create'
            ? await this.deps.client.create(entity, p.body as never, {
                requestId: p.entry.requestId,
                replayUncertain: false,
                ...(p.row.allowDuplicateNumber ? { include: 'allowduplicatedocnum' } : {}),
              })
            : await this.sparseUpdateNoReread(entity, p);
        results = [{ bId: bIdFor(0), ok: true, entity, value: value as Record<string, unknown> }];
      } else {
        const items: BatchItem[] = prepared.map((p, i) => ({
          bId: bIdFor(i),
          operation: p.operation === 'create' ? 'create' : 'update',
          entity: p.row.qbo.entity as EntityName,
          body: p.body,
          ...(p.operation === 'create' && p.row.allowDuplicateNumber ? { optionsData: 'allowduplicatedocnum' } : {}),
        }));
        // A create is never replayed blind (QBO may have forgotten the requestid): an unknown
        // outcome is looked up below, and what is not in QBO is sent again with a new requestid.
        results = await this.deps.client.batch(items, { requestId: batchId, ...(prepared.some((p) => p.operation === 'create') ? { replayUncertain: false } : {}) });
      }
    } catch (err) {
      // A 401/403 is about the connection, never the record (connection-refused.ts): the run stops.
      const refused = connectionRefusal(err, this.state.realmId);
      if (refused) throw await notSentAfterRefusal(this.deps.db, journalIds, refused, this.now(), this.deps.lease);
      if (err instanceof QboFault && prepared.length === 1) results = [{ bId: bIdFor(0), ok: false, fault: err }];
      else failure = err;
    }

    if (failure !== undefined) {
      // No usable connection: every later write would fail the same way. The rows stay pending and
      // are looked up once the company is connected again.
      if (failure instanceof ConnectionLostError) throw failure;
      const rowsNow = await journalRowsById(this.deps.db, journalIds);
      const again: PlanRow[] = [];
      if (failure instanceof OutcomeUnknownError || !(failure instanceof QboFault || failure instanceof QboUnavailableError)) {
        // Maybe applied, maybe still being stored: look the records up. Nothing is sent again while
        // QBO could still store the first request (a new requestid would not be de-duplicated, and
        // QBO documents no de-duplication of concurrent requests even under the same one): what is
        // not found is looked up again once QBO's processing window has passed (settleWrites waits
        // it out), and only what is still not found then is sent again.
        const reason = failure instanceof Error ? failure.message : String(failure);
        this.deps.logger.warn({ realmId: this.state.realmId, err: reason }, 'batch outcome unknown; looking the records up');
        // A 500 is QBO's own answer: the request is over there, stored or not, and a look-up is final.
        // A timeout, a dropped connection or a gateway's 502/503/504 say nothing of that.
        const answered = failure instanceof OutcomeUnknownError && failure.status === 500;
        const settled = await settleWrites(this.deps, this.state.realmId, this.state.runId, rowsNow, { sentBefore: this.now(), final: answered, context: 'in-run' });
        for (const [k, id] of settled.qboIds) this.state.qboIds.set(k, id);
        const still = await journalRowsById(this.deps.db, journalIds);
        for (const s of still) {
          const p = prepared.find((x) => x.row.key === s.row_key)!;
          if (s.status === 'pending') {
            await this.problem(
              p.row,
              s.id,
              'pending',
              'run.unsettled',
              runMessage('run.unsettled', { record: recordLabel(p.row), journalId: s.id, detail: `${reason}; then ${settled.unsettled.get(s.id) ?? 'no answer'}` }),
            );
          } else if (s.status === 'failed' && resend < MAX_RESENDS) {
            // Not in QBO after its window: the first request can no longer be stored, so sending it
            // again (with a new requestid: its generation moved on) cannot make a second copy.
            again.push(p.row);
          } else if (s.status === 'failed') {
            // Not in QBO: the next sync sends it again.
            this.state.notWritten.add(p.row.key);
            await this.problem(
              p.row,
              null,
              'failed',
              'run.qbo-unavailable',
              runMessage('run.qbo-unavailable', { record: recordLabel(p.row), detail: failure instanceof Error ? failure.message : String(failure) }),
            );
          }
        }
      } else {
        for (const [i, p] of prepared.entries()) {
          const code: RunReasonCode = failure instanceof QboFault ? 'run.qbo-refused' : 'run.qbo-unavailable';
          const message =
            failure instanceof QboFault
              ? runMessage(code, { record: recordLabel(p.row), field: failure.element, detail: failure.errors[0]?.message })
              : runMessage(code, { record: recordLabel(p.row), detail: failure.message });
          await this.problem(p.row, journalIds[i]!, 'failed', code, message);
        }
      }
      this.tick(group, prepared.length - again.length);
      if (again.length) await this.sendBatch(group, again, resend + 1);
      return;
    }

    crash('after-response-before-commit', group);
    for (const [i, p] of prepared.entries()) {
      const r = results![i]!;
      if (i === 1) crash('mid-batch', group);
      await this.settleResult(p, journalIds[i]!, r);
      this.tick(group);
    }
  }

  /** A sparse update whose 5010 is reported to us, not retried over someone else's change. */
  private async sparseUpdateNoReread(entity: EntityName, p: Prepared): Promise<unknown> {
    const r = await this.deps.client.batch([{ bId: bIdFor(0), operation: 'update', entity, body: p.body }], { requestId: singleBatchRequestIdFor(p.entry.requestId) });
    const first = r[0]!;
    if (!first.ok) throw first.fault;
    return first.value;
  }

  /**
   * Stores a row's result (link, history, counters); when the database refuses it (a unique
   * constraint: the QBO record is already linked to another practice record), that row alone fails
   * with a sentence naming it, not the run. A write that reached QBO is then held, never sent again.
   */
  private async storeOrHold(row: PlanRow, journalId: number | null, qboId: string, store: () => Promise<void>): Promise<void> {
    try {
      await store();
      this.state.qboIds.set(row.key, qboId);
    } catch (err) {
      if (err instanceof LockLostError) throw err;
      const detail = err instanceof Error ? err.message : String(err);
      this.deps.logger.error({ realmId: this.state.realmId, row: row.key, err: detail }, 'the result of a row could not be stored');
      const landed = journalId !== null;
      const message = runMessage('run.store-refused', { record: recordLabel(row), entity: row.qbo.entity, qboId, detail: landed ? 'written' : 'adopt' });
      await this.problem(row, journalId, landed ? 'held' : 'failed', 'run.store-refused', `${message} (${detail})`, qboId);
    }
  }

  private async settleResult(p: Prepared, journalId: number, r: BatchResult): Promise<void> {
    const row = p.row;
    if (r.ok) {
      const e = r.value as QboRow;
      const action = p.operation === 'create' ? 'create' : 'update';
      await this.storeOrHold(row, journalId, e.Id, () =>
        resolveWrite(
          this.deps.db,
          this.resolution(row, journalId, {
            action,
            payloadHash: contentHash(p.body),
            qboId: e.Id,
            syncToken: String(e.SyncToken ?? '0'),
            qboTotalCents: totalCents(e),
            linkState: 'linked',
            counter: action === 'create' ? 'created' : 'updated',
          }),
          this.now(),
          this.deps.lease,
          // What we sent and what QBO answered, field by field: the base of the next three-way
          // comparison, so our own write never reads as someone else's change.
          (trx) => setSentFields(trx, this.state.realmId, row.record.kind, row.record.id, nextBase(row.qbo.entity, p.body, e, p.operation === 'update' ? row.fields : undefined)),
        ),
      );
      return;
    }
    const f = r.fault;
    if (f.code === '5010' && p.operation === 'update') {
      // Stale SyncToken: re-read once; someone changed it after the preview read it.
      let current: QboRow | undefined;
      try {
        current = (await this.deps.client.read(row.qbo.entity as EntityName, String(p.body['Id']))) as QboRow;
      } catch {
        current = undefined;
      }
      const fields = row.fields;
      if (current && fields) {
        // Compare values, not SyncTokens: when none of the fields we send moved in QBO, the change
        // was elsewhere (it survives the sparse update); send again once on QBO's current SyncToken.
        const moved = fields.send.filter((k) => !same(normalizeField(k, current![k]), fields.qbo[k] ?? null));
        if (!moved.length && !this.resent.has(row.key)) {
          this.resent.add(row.key);
          await markNotSent(
            this.deps.db,
            journalId,
            'run.stale-sync-token',
            `${recordLabel(row)}: QuickBooks SyncToken moved to ${current.SyncToken} after the preview, in fields this update does not send; sent again on it.`,
            this.now(),
            this.deps.lease,
          );
          this.syncTokens.set(row.key, String(current.SyncToken));
          await this.updateAgain(row);
          return;
        }
        const conflicts = moved.map((k) => ({ field: k, lastSent: fields.base[k]?.sent ?? null, qboNow: normalizeField(k, current![k]), practiceNow: fields.practice[k] ?? null }));
        if (conflicts.length) {
          await this.diverged(row, journalId, String(p.body['Id']), conflictText(conflicts));
          return;
        }
      }
      await this.diverged(row, journalId, String(p.body['Id']), current ? `QuickBooks SyncToken ${current.SyncToken}, ours ${p.entry.baseSyncToken}` : 'stale SyncToken');
      return;
    }
    await this.problem(
      row,
      journalId,
      'failed',
      'run.qbo-refused',
      runMessage('run.qbo-refused', { record: recordLabel(row), field: f.element, detail: f.errors[0]?.message ?? f.message }),
    );
  }

  /** Rows sent a second time after a 5010 that touched none of their fields (once per run). */
  private readonly resent = new Set<string>();

  /** An update sent again alone, journaled under a new requestid, on the SyncToken just read. */
  private async updateAgain(row: PlanRow): Promise<void> {
    const p = await this.prepare(row, null);
    if (!p) return;
    if (this.state.lockLost?.()) throw new LockLostError();
    const [journalId] = await journalWrites(this.deps.db, [p.entry], this.now(), this.deps.lease);
    let r: BatchResult;
    try {
      r = { bId: bIdFor(0), ok: true, entity: row.qbo.entity as EntityName, value: (await this.sparseUpdateNoReread(row.qbo.entity as EntityName, p)) as Record<string, unknown> };
    } catch (err) {
      const refused = connectionRefusal(err, this.state.realmId);
      if (refused) throw await notSentAfterRefusal(this.deps.db, [journalId!], refused, this.now(), this.deps.lease);
      if (!(err instanceof QboFault)) {
        await settleWrites(this.deps, this.state.realmId, this.state.runId, await journalRowsById(this.deps.db, [journalId!]));
        return;
      }
      r = { bId: bIdFor(0), ok: false, fault: err };
    }
    await this.settleResult(p, journalId!, r);
  }

  private async voidOne(group: string, row: PlanRow): Promise<void> {
    if (this.state.stopRequested?.()) throw new StopRequestedError();
    if (!voidable.has(row.qbo.entity)) {
      await this.problem(
        row,
        null,
        'failed',
        'run.void-not-supported',
        runMessage('run.void-not-supported', { record: recordLabel(row), entity: row.qbo.entity, qboId: row.qbo.id ?? '' }),
      );
      this.tick(group);
      return;
    }
    const p = await this.prepare(row, null);
    if (!p) {
      this.tick(group);
      return;
    }
    const entity = row.qbo.entity as EntityName;
    const id = String(p.body['Id']);
    // Read first: a void must not land on a document someone changed by hand since our last write.
    const current = (await this.deps.client.read(entity, id)) as QboRow;
    if (String(current.SyncToken) !== p.entry.baseSyncToken && !(await this.sameAsWeLeftIt(row, id, p.entry.baseSyncToken ?? ''))) {
      await this.diverged(row, null, id, `QuickBooks SyncToken ${current.SyncToken}, ours ${p.entry.baseSyncToken}`);
      this.tick(group);
      return;
    }
    if (String(current.SyncToken) !== p.entry.baseSyncToken) {
      p.entry.baseSyncToken = String(current.SyncToken);
      p.body = { Id: id, SyncToken: String(current.SyncToken) };
      p.entry.body = JSON.stringify(p.body);
    }
    if (this.state.lockLost?.()) throw new LockLostError();
    this.deps.crash('before-journal', group);
    const [journalId] = await journalWrites(this.deps.db, [p.entry], this.now(), this.deps.lease);
    this.deps.crash('after-journal-before-send', group);
    try {
      const e = (await this.deps.client.void(entity, { Id: id, SyncToken: p.entry.baseSyncToken! }, { requestId: p.entry.requestId })) as QboRow;
      this.deps.crash('after-response-before-commit', group);
      await resolveWrite(
        this.deps.db,
        this.resolution(row, journalId!, {
          action: 'void',
          payloadHash: row.payloadHash ?? '',
          qboId: id,
          syncToken: String(e.SyncToken ?? '0'),
          qboTotalCents: totalCents(e),
          linkState: 'voided',
          counter: 'voided',
        }),
        this.now(),
        this.deps.lease,
      );
    } catch (err) {
      const refused = connectionRefusal(err, this.state.realmId);
      if (refused) throw await notSentAfterRefusal(this.deps.db, [journalId!], refused, this.now(), this.deps.lease);
      if (err instanceof QboFault) {
        await this.problem(
          row,
          journalId!,
          'failed',
          'run.qbo-refused',
          runMessage('run.qbo-refused', { record: recordLabel(row), field: err.element, detail: err.errors[0]?.message }),
        );
      } else {
        await settleWrites(this.deps, this.state.realmId, this.state.runId, await journalRowsById(this.deps.db, [journalId!]));
      }
    }
    this.tick(group);
  }
}
