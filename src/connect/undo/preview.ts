/**
 * The preview of undoing a sync (issue 18): what the run created that is still ours, and for each
 * whether it will be voided, deleted, made inactive, or cannot be undone and why. Read in bulk: the
 * documents changed since the run started (one query per entity — everything the run created, and
 * everything that could have come to use it since, was written after it started), the names it
 * created by Id, and QBO's closing date. Writes nothing.
 *
 * What QBO allows (docs/qbo-api.md §operations, §void):
 * - Invoice: `POST /invoice?operation=void`; Payment: `?operation=update&include=void` (sparse).
 * - CreditMemo: QBO's API has no void for it — Intuit's SDK maintainer: "The Operation Void for
 *   CreditMemo is not supported for Quickbooks Online" (intuit/QuickBooks-V3-PHP-SDK issue #133,
 *   https://github.com/intuit/QuickBooks-V3-PHP-SDK/issues/133); qbo_api's voidable list is
 *   BillPayment, Invoice, Payment, SalesReceipt only. So a credit memo is deleted, on this
 *   explicit request only, and listed as such.
 * - Bill: cannot be voided at all; deleted on this explicit request only.
 * - Customer, Vendor, Item: never deleted through the API, only made inactive (sparse `Active: false`).
 */
import type { Db } from '../../store/db.js';
import type { CompanyClient } from '../../qbo/client.js';
import type { EntityName } from '../../qbo/wire-types.js';
import { toCents } from '../../qbo/money.js';
import { normalizeField, parseSentFields, same } from '../plan/index.js';
import type { Link } from '../links.js';
import { refusal, sentence, type UndoReason } from './reasons.js';

type QboRow = Record<string, unknown> & { Id: string; SyncToken?: string };

export type UndoAction = 'void' | 'delete' | 'inactivate' | 'keep' | 'refuse';

export interface UndoItem {
  recordKind: string;
  recordKey: string;
  label: string;
  qboEntity: string;
  qboId: string;
  /** What the undo will do; `keep` (a name still in use) and `refuse` are not written. */
  action: UndoAction;
  code: UndoReason | null;
  /** Why it is kept or refused, or what the undo will do, as a sentence. */
  message: string;
  /** The SyncToken QBO holds now (the base of the write). */
  syncToken: string | null;
  txnDate: string | null;
  /** A name the run made active again (an earlier undo had made it inactive), not one it created. */
  reactivated?: boolean;
}

export interface UndoPreview {
  realmId: string;
  runId: string;
  runStartedAt: string;
  /** QBO's closing date, when the books are closed. */
  bookCloseDate: string | null;
  items: UndoItem[];
  counts: Record<UndoAction, number>;
  /** QBO requests the preview made. */
  requests: number;
}

/** Transactions the run may have created, in the order the undo writes them: what is applied to a document goes before it. */
export const undoOrder: readonly string[] = ['Payment', 'CreditMemo', 'Invoice', 'Bill', 'Item', 'Customer', 'Vendor'];
const nameEntities = new Set(['Customer', 'Vendor', 'Item', 'Employee']);
/** Every transaction that can refer to a name or be applied to a document (read since the run started). */
const scanned: EntityName[] = ['Invoice', 'CreditMemo', 'Payment', 'Bill'];
/** Transactions the product never writes but a person may have entered using one of our names (or applied to a bill). */
const scannedRaw = ['BillPayment', 'SalesReceipt', 'Estimate', 'Purchase', 'VendorCredit'];

export function operationFor(entity: string): 'void' | 'delete' | 'inactivate' {
  if (nameEntities.has(entity)) return 'inactivate';
  return entity === 'Invoice' || entity === 'Payment' ? 'void' : 'delete';
}

/**
 * The records the run created, from its journal (also those a later recovery settled), with their
 * links; and the names it made active again (a name an earlier undo made inactive, wanted again:
 * a sparse `Active: true` update, execute.ts reactivate), which the undo makes inactive again.
 */
export async function createdBy(db: Db, realmId: string, runId: string) {
  const written = await db
    .selectFrom('journal')
    .select(['record_kind', 'record_key', 'label', 'qbo_entity', 'qbo_id', 'body', 'operation'])
    .where('realm_id', '=', realmId)
    .where('run_id', '=', runId)
    .where('operation', 'in', ['create', 'update'])
    .where('status', '=', 'resolved')
    .orderBy('id')
    .execute();
  const links = await db.selectFrom('links').selectAll().where('realm_id', '=', realmId).execute();
  const byKey = new Map(links.map((l) => [`${l.record_kind}\u0000${l.record_key}`, l]));
  const undone = await db.selectFrom('undone_records').select(['qbo_entity', 'qbo_id', 'undone_run_id']).where('realm_id', '=', realmId).execute();
  const gone = new Map(undone.map((u) => [`${u.qbo_entity}:${u.qbo_id}`, u.undone_run_id]));
  return written
    .map((w) => ({ ...w, reactivated: w.operation === 'update' && isReactivation(w.qbo_entity, w.body) }))
    .filter((w) => w.operation === 'create' || w.reactivated)
    .filter((w) => {
      if (w.qbo_id === null) return false;
      const undoneBy = gone.get(`${w.qbo_entity}:${w.qbo_id}`);
      // A reactivated name was undone once already (by an earlier run's undo); it is gone only when this run's undo made it inactive again.
      return undoneBy === undefined || (w.reactivated && undoneBy !== runId);
    })
    .map((w) => ({ ...w, qbo_id: w.qbo_id!, link: byKey.get(`${w.record_kind}\u0000${w.record_key}`) }));
}

/** A sync's sparse `Active: true` on a name: the reactivation of a name an undo made inactive. */
function isReactivation(entity: string, body: string): boolean {
  if (!nameEntities.has(entity)) return false;
  try {
    const b = JSON.parse(body) as Record<string, unknown>;
    return b['Active'] === true && b['sparse'] === true;
  } catch {
    return false;
  }
}

const refOf = (v: unknown): string | undefined => (v && typeof v === 'object' ? ((v as { value?: unknown }).value as string | undefined) : undefined);
const tokenOf = (r: QboRow | undefined) => (r?.SyncToken === undefined ? null : String(r.SyncToken));
const lineSignature = (lines: unknown) =>
  JSON.stringify(
    (Array.isArray(lines) ? lines : [])
      .filter((l: Record<string, unknown>) => l['DetailType'] !== 'SubTotalLineDetail')
      .map((l: Record<string, unknown>) => [l['Amount'], l['Description'] ?? null]),
  );

/**
 * What moved in QBO since the run wrote the record, or null: the SyncToken when it is the one the
 * run recorded; otherwise the fields the run sent, compared with QBO's value right after that write
 * (our own payments move an invoice's SyncToken and Balance, none of these); for a link with no such
 * base (a write a recovery adopted), the fields of the body the run sent.
 */
export function changedSince(link: Link, current: QboRow, sentBody: Record<string, unknown>): string | null {
  if (tokenOf(current) === link.sync_token) return null;
  const base = parseSentFields(link.sent_fields);
  if (base) {
    const moved = Object.entries(base)
      .filter(([f, b]) => !same(normalizeField(f, current[f]), b.qbo))
      .map(([f]) => f);
    return moved.length ? `${moved.join(', ')} changed` : null;
  }
  const moved: string[] = [];
  for (const f of ['TxnDate', 'DocNumber', 'DisplayName', 'Name', 'PrivateNote']) if (sentBody[f] !== undefined && current[f] !== sentBody[f]) moved.push(f);
  for (const f of ['CustomerRef', 'VendorRef']) if (sentBody[f] !== undefined && refOf(current[f]) !== refOf(sentBody[f])) moved.push(f);
  if (link.qbo_total_cents !== null && typeof current['TotalAmt'] === 'number' && toCents(current['TotalAmt'] as number, 'half-up') !== Number(link.qbo_total_cents))
    moved.push('TotalAmt');
  if (Array.isArray(sentBody['Line']) && lineSignature(current['Line']) !== lineSignature(sentBody['Line'])) moved.push('Line');
  if (current['Active'] === false) moved.push('Active');
  return moved.length ? `${moved.join(', ')} changed; SyncToken ${tokenOf(current) ?? '?'}, the run recorded ${link.sync_token}` : null;
}

/** The transactions applied to a document (its LinkedTxn), as `Entity:Id`. */
function appliedTo(row: QboRow): string[] {
  const linked = Array.isArray(row['LinkedTxn']) ? (row['LinkedTxn'] as Array<{ TxnId?: unknown; TxnType?: unknown }>) : [];
  return linked.map((t) => `${String(t.TxnType)}:${String(t.TxnId)}`);
}

/** The names a transaction refers to, as `Entity:Id` (party and line items). */
function namesUsedBy(entity: string, row: QboRow): string[] {
  const out: string[] = [];
  const c = refOf(row['CustomerRef']);
  if (c) out.push(`Customer:${c}`);
  const v = refOf(row['VendorRef']);
  if (v) out.push(`Vendor:${v}`);
  const e = row['EntityRef'] as { value?: string; type?: string } | undefined;
  if (e?.value) out.push(`${e.type ?? (entity === 'Purchase' ? 'Vendor' : 'Customer')}:${e.value}`);
  for (const l of Array.isArray(row['Line']) ? (row['Line'] as Array<Record<string, unknown>>) : []) {
    for (const d of ['SalesItemLineDetail', 'ItemBasedExpenseLineDetail']) {
      const item = refOf((l[d] as Record<string, unknown> | undefined)?.['ItemRef']);
      if (item) out.push(`Item:${item}`);
    }
    const cust = refOf((l['AccountBasedExpenseLineDetail'] as Record<string, unknown> | undefined)?.['CustomerRef']);
    if (cust) out.push(`Customer:${cust}`);
  }
  return out;
}

/** What the undo will do to an item, as the preview says it. */
export function willText(item: Pick<UndoItem, 'action' | 'label' | 'qboEntity' | 'qboId' | 'reactivated'>): string {
  const what = `${item.label}: ${item.qboEntity} ${item.qboId}`;
  if (item.action === 'void') return `${what} will be voided (it stays in QuickBooks with amounts of zero).`;
  if (item.action === 'delete')
    return item.qboEntity === 'CreditMemo'
      ? `${what} will be deleted: QuickBooks' API cannot void a credit memo, so deleting it is the only way to take it back.`
      : `${what} will be deleted: QuickBooks cannot void a ${item.qboEntity}, so deleting it is the only way to take it back.`;
  if (item.reactivated) return `${what} will be made inactive again (the sync made it active again; nothing else uses it).`;
  return `${what} will be made inactive (nothing else uses it).`;
}

const queryTime = (d: Date) => `${d.toISOString().slice(0, 19)}+00:00`;

export interface UndoPreviewDeps {
  db: Db;
  client: CompanyClient;
  requestCount?: () => number;
}

/** The run, checked: it exists for this company, is a sync, and is over. */
export async function undoableRun(db: Db, realmId: string, runId: string) {
  const run = await db.selectFrom('runs').selectAll().where('id', '=', runId).where('realm_id', '=', realmId).executeTakeFirst();
  if (!run) throw refusal('undo.no-such-run', { runId }, 'run');
  if (run.kind === 'undo') throw refusal('undo.not-a-sync', { runId }, 'run');
  if (run.status === 'running') throw refusal('undo.still-running', { runId }, 'run');
  return run;
}

export async function previewUndo(deps: UndoPreviewDeps, realmId: string, runId: string): Promise<UndoPreview> {
  const at = deps.requestCount?.() ?? 0;
  const run = await undoableRun(deps.db, realmId, runId);
  const created = await createdBy(deps.db, realmId, runId);
  const counts: Record<UndoAction, number> = { void: 0, delete: 0, inactivate: 0, keep: 0, refuse: 0 };
  const empty = { realmId, runId, runStartedAt: run.started_at, bookCloseDate: null, items: [], counts, requests: 0 };
  if (!created.length) return empty;

  // ---- QBO now, in bulk ----
  const prefs = await deps.client.preferences();
  const close = prefs.AccountingInfoPrefs?.BookCloseDate ?? null;
  // A minute's slack: QBO's LastUpdatedTime and our clock need not agree to the second.
  const since = new Date(Date.parse(run.started_at) - 60_000);
  const txns = new Map<string, QboRow>();
  const wanted = new Set(created.map((c) => c.qbo_entity));
  for (const entity of scanned) {
    for await (const r of deps.client.query(entity, (q) => q.where('MetaData.LastUpdatedTime', '>=', queryTime(since)))) txns.set(`${entity}:${r.Id}`, r as QboRow);
  }
  const madeNames = created.some((c) => nameEntities.has(c.qbo_entity));
  for (const entity of scannedRaw) {
    // Bill payments matter when the run made bills; the others only to tell whether a name is used.
    if (!madeNames && !(entity === 'BillPayment' && wanted.has('Bill'))) continue;
    for (let start = 1; ; start += 1000) {
      const page = (await deps.client.rawQuery(`SELECT * FROM ${entity} WHERE MetaData.LastUpdatedTime >= '${queryTime(since)}' STARTPOSITION ${start} MAXRESULTS 1000`)) as Record<
        string,
        unknown
      >;
      const rows = (Array.isArray(page[entity]) ? page[entity] : []) as QboRow[];
      for (const r of rows) txns.set(`${entity}:${r.Id}`, r);
      if (rows.length < 1000) break;
    }
  }
  const names = new Map<string, QboRow>();
  for (const entity of ['Customer', 'Vendor', 'Item'] as const) {
    const ids = created.filter((c) => c.qbo_entity === entity).map((c) => c.qbo_id);
    if (!ids.length) continue;
    for await (const r of deps.client.queryIn(entity, 'Id', ids)) names.set(`${entity}:${r.Id}`, r as QboRow);
  }
  // Who else wrote the QBO records applied to ours: links of later runs.
  const appliedIds = new Set<string>();
  for (const r of txns.values()) for (const a of appliedTo(r)) appliedIds.add(a);
  const otherLinks = await deps.db.selectFrom('links').selectAll().where('realm_id', '=', realmId).execute();
  const linkByQbo = new Map(otherLinks.map((l) => [`${l.qbo_entity}:${l.qbo_id}`, l]));

  // ---- each record, documents first (names depend on what happens to them) ----
  const items = new Map<string, UndoItem>();
  const ours = new Set(created.map((c) => `${c.qbo_entity}:${c.qbo_id}`));
  const sorted = [...created].sort((a, b) => undoOrder.indexOf(a.qbo_entity) - undoOrder.indexOf(b.qbo_entity));
  for (const c of sorted) {
    const key = `${c.qbo_entity}:${c.qbo_id}`;
    const current = nameEntities.has(c.qbo_entity) ? names.get(key) : txns.get(key);
    const record = c.label || `${c.record_kind} ${c.record_key}`;
    const ctx = { record, entity: c.qbo_entity, qboId: c.qbo_id, runId };
    const item: UndoItem = {
      recordKind: c.record_kind,
      recordKey: c.record_key,
      label: record,
      qboEntity: c.qbo_entity,
      qboId: c.qbo_id,
      action: operationFor(c.qbo_entity),
      code: null,
      message: '',
      syncToken: tokenOf(current),
      txnDate: typeof current?.['TxnDate'] === 'string' ? (current['TxnDate'] as string) : null,
      ...(c.reactivated ? { reactivated: true } : {}),
    };
    const refuse = (code: UndoReason, extra: Record<string, string> = {}) => {
      item.action = 'refuse';
      item.code = code;
      item.message = sentence(code, { ...ctx, ...extra });
    };
    const sent = JSON.parse(c.body) as Record<string, unknown>;
    if (!c.link || c.link.qbo_id !== c.qbo_id) refuse('undo.not-linked', { detail: c.link ? `now linked to ${c.link.qbo_entity} ${c.link.qbo_id}` : 'its link was removed' });
    else if (c.link.last_run_id !== runId) refuse('undo.changed-by-later-run', { other: c.link.last_run_id ?? '?' });
    else if (c.link.state !== 'linked') refuse('undo.not-linked', { detail: `it is ${c.link.state}` });
    else if (!current) refuse('undo.gone-from-qbo');
    else {
      const moved = changedSince(c.link, current, sent);
      if (moved) refuse('undo.changed-in-qbo', { detail: moved });
      else if (close && item.txnDate && item.txnDate <= close) refuse('undo.books-closed', { date: item.txnDate, closeDate: close });
      else if (!nameEntities.has(c.qbo_entity)) {
        for (const applied of appliedTo(current)) {
          if (ours.has(applied)) {
            const mine = items.get(applied);
            if (mine?.action === 'refuse') {
              refuse('undo.depends-on-refused', { other: `${mine.qboEntity} ${mine.qboId} (${mine.label})` });
              break;
            }
            continue;
          }
          const l = linkByQbo.get(applied);
          const [entity, id] = applied.split(':');
          if (l) refuse('undo.later-run-depends', { other: `${entity} ${id} (${l.record_kind} ${l.record_key})`, runId: l.last_run_id ?? '?' });
          else refuse('undo.applied-in-qbo', { other: `${entity} ${id}` });
          break;
        }
      }
    }
    items.set(key, item);
  }

  // ---- names: made inactive only when no transaction that stays uses them ----
  // Documents an undo already voided still name their party and items; they use nothing any more.
  const undoneTxns = await deps.db.selectFrom('undone_records').select(['qbo_entity', 'qbo_id']).where('realm_id', '=', realmId).execute();
  const taken = new Set(undoneTxns.map((u) => `${u.qbo_entity}:${u.qbo_id}`));
  const staying = [...txns.entries()].filter(([k]) => {
    const i = items.get(k);
    return !taken.has(k) && (!i || i.action === 'refuse');
  });
  for (const item of items.values()) {
    if (!nameEntities.has(item.qboEntity) || item.action === 'refuse') continue;
    const key = `${item.qboEntity}:${item.qboId}`;
    const user = staying.find(([k, r]) => namesUsedBy(k.split(':')[0]!, r).includes(key));
    if (user) {
      const [entity, id] = user[0].split(':');
      const l = linkByQbo.get(user[0]);
      item.action = 'keep';
      item.code = 'undo.name-in-use';
      item.message = sentence('undo.name-in-use', {
        record: item.label,
        entity: item.qboEntity,
        qboId: item.qboId,
        other: `${entity} ${id}${l ? ` (${l.record_kind} ${l.record_key})` : ''}`,
      });
    }
  }
  for (const item of items.values()) {
    if (item.action === 'void' || item.action === 'delete' || item.action === 'inactivate') item.message = willText(item);
    counts[item.action] += 1;
  }
  const list = [...items.values()].sort((a, b) => undoOrder.indexOf(a.qboEntity) - undoOrder.indexOf(b.qboEntity));
  return { ...empty, bookCloseDate: close, items: list, counts, requests: (deps.requestCount?.() ?? 0) - at };
}
