/**
 * What a person does about a held record (list.ts says which records are held and what each offers):
 *
 * - **keep QBO's**: the practice's values of the fields in conflict are not sent. The link's base
 *   (plan/sent-fields.ts) records them as sent and QBO's as its answer, so the row stops being held;
 *   when the practice changes that field again, the three-way comparison sends the new value. For an
 *   adopt mismatch it links QBO's record as it is.
 * - **send ours**: the practice's values go now, on QBO's current SyncToken, as a batch of one so a
 *   5010 (stale object: QBO changed again meanwhile) comes back to us instead of being retried over
 *   that change (qbo/client.ts sparseUpdate would re-read and retry). Then it is re-read and stays
 *   held, with the new values named. Its requestid is deterministic, so a retry is the same write.
 *   Not journaled: an update that landed unseen leaves QBO holding the practice's values, which the
 *   next preview reads as agreed (nothing sent, nothing held).
 * - **re-link**: to another QBO record of the same entity that exists, is live and is linked to no
 *   other practice record; the link's base becomes adopted values (neither side's change).
 * - **skip**: connect/skips.ts, with the rows that need it (plan/skip.ts skipWithLinked).
 *
 * Each is audited in `held_actions` (store.ts) with who, when, the fields side by side and the state
 * it replaced, and can be undone until the next sync of the company starts.
 */
import crypto from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Database } from '../../store/schema.js';
import { contentHash } from '../../hash.js';
import { OutcomeUnknownError } from '../../qbo/fault.js';
import { toCents } from '../../qbo/money.js';
import { isQboFailure } from '../../qbo/reasons.js';
import type { EntityName } from '../../qbo/wire-types.js';
import { hasForbiddenCharacters } from '../../practice/schemas.js';
import { rowKinds } from '../kinds.js';
import { linkOf, type Link } from '../links.js';
import {
  adoptedFields,
  conflictText,
  nextBase,
  normalizeField,
  same,
  skipWithLinked,
  sparseBody,
  unresolvedRowRefs,
  type Json,
  type Plan,
  type PlanRow,
  type SentFields,
} from '../plan/index.js';
import { skip, unskipMany, type RecordRef } from '../skips.js';
import { skipIdOf, skipKindOf } from '../kinds.js';
import { heldActionNames, heldOf, planFor, type HeldActionName, type HeldDeps, type HeldRecord } from './list.js';
import { refusal } from './reasons.js';
import { ActionInTheWay, actionRow, completeAction, dropClaim, lastAction, latestStanding, markUndone, recordAction, runSince, type HeldActionRow } from './store.js';
import { contentDifferences } from '../run/recover.js';
import { hasMarker, markerOf } from '../run/context.js';

export interface HeldActionInput {
  realmId: string;
  kind: unknown;
  id: unknown;
  action: unknown;
  /** relink: the QBO Id (`130`, or `Invoice:130`). */
  qboId?: unknown;
  /**
   * keep-qbo and send-ours: QBO's SyncToken as the person saw it (the listing shows it). Required when
   * QBO's record is known; another one now means QBO changed since, and nothing is done.
   */
  syncToken?: unknown;
  actor: string;
}

export interface HeldActionResult {
  actionId: number;
  action: HeldActionName;
  record: { kind: string; id: string; label: string };
  message: string;
}

type Tx = Transaction<Database>;
const hex = (s: string) => crypto.createHash('sha256').update(s).digest('hex').slice(0, 32);
/** `qch-` + 32 hex: 36 characters, a batch's limit (docs/qbo-api.md §requestid). */
const heldRequestId = (...parts: string[]) => `qch-${hex(parts.join('\u0000'))}`;
const rows = (plan: Plan) => plan.groups.flatMap((g) => g.rows);
const rowOf = (plan: Plan, kind: string, id: string): PlanRow | undefined => rows(plan).find((r) => r.record.kind === kind && r.record.id === id);
const recordName = (kind: string, id: string) => `${kind} ${id}`;

function parseKindAndId(kind: unknown, id: unknown): { kind: string; id: string } {
  if (typeof kind !== 'string' || !(rowKinds as readonly string[]).includes(kind)) throw refusal('held.unknown-kind', { value: kind, list: rowKinds }, 'kind');
  if (typeof id !== 'string' || id.trim() === '' || id.length > 200 || hasForbiddenCharacters(id)) throw refusal('held.invalid-id', { value: id }, 'id');
  return { kind, id: id.trim() };
}

function parseAction(action: unknown): HeldActionName {
  if (typeof action !== 'string' || !(heldActionNames as readonly string[]).includes(action))
    throw refusal('held.unknown-action', { value: action, list: heldActionNames }, 'action');
  return action as HeldActionName;
}

/** `130` or `Invoice:130` (a JSON number such as 130 is taken as its digits). */
function parseQboId(v: unknown): { entity?: string; id: string } {
  const text = typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? String(v) : v;
  const parts = typeof text === 'string' ? text.trim().split(':') : [];
  const id = parts.at(-1) ?? '';
  const entity = parts.length === 2 ? parts[0]! : undefined;
  if (parts.length < 1 || parts.length > 2 || !/^\d{1,20}$/.test(id) || (entity !== undefined && !/^[A-Za-z]{2,40}$/.test(entity)))
    throw refusal('held.invalid-qbo-id', { value: v }, 'qboId');
  return { ...(entity ? { entity } : {}), id };
}

const linkColumns = (l: Link) => ({
  qbo_entity: l.qbo_entity,
  qbo_id: l.qbo_id,
  sync_token: l.sync_token,
  payload_hash: l.payload_hash,
  record_version: l.record_version,
  state: l.state,
  qbo_total_cents: l.qbo_total_cents,
  updated_at: l.updated_at,
  last_run_id: l.last_run_id,
  sent_fields: l.sent_fields,
});

async function setLink(trx: Tx, realmId: string, kind: string, key: string, values: Partial<ReturnType<typeof linkColumns>>) {
  await trx.updateTable('links').set(values).where('realm_id', '=', realmId).where('record_kind', '=', kind).where('record_key', '=', key).execute();
}

/** The held record and the plan it was found in; refuses an unknown record or one not held now. */
async function findHeld(deps: HeldDeps, realmId: string, kind: string, id: string, actor: string): Promise<{ rec: HeldRecord; plan: Plan }> {
  const plan = await planFor(deps, realmId, actor);
  const held = await heldOf(deps, realmId, plan);
  const rec = held.find((h) => h.kind === kind && h.id === id);
  if (rec) return { rec, plan };
  const known =
    rowOf(plan, kind, id) ??
    (await linkOf(deps.db, realmId, kind, id)) ??
    (await deps.db.selectFrom('journal').select('id').where('realm_id', '=', realmId).where('record_kind', '=', kind).where('record_key', '=', id).executeTakeFirst());
  throw refusal(known ? 'held.not-held' : 'held.unknown-record', { record: recordName(kind, id), realmId }, 'id');
}

/** The SyncToken as given: a string or a whole number; undefined when not given. */
function parseSyncToken(v: unknown, record: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const t = typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? String(v) : typeof v === 'string' ? v.trim() : '';
  if (!/^\d{1,20}$/.test(t)) throw refusal('held.sync-token-missing', { record, detail: `not ${JSON.stringify(v)}` }, 'syncToken');
  return t;
}

/** "action 12 (keep-qbo) by user:ann@… at …" — or the record's newest action, read now when the transaction that lost could not. */
async function inTheWay(deps: HeldDeps, realmId: string, rec: { kind: string; id: string; label: string }, other: HeldActionRow | undefined) {
  const o = other ?? (await lastAction(deps.db, realmId, rec.kind, rec.id));
  const pending = o ? (JSON.parse(o.detail) as { pending?: boolean }).pending === true : false;
  const detail = o
    ? pending
      ? `action ${o.id} (${o.action}) by ${o.actor} is being taken on it right now`
      : `already resolved by action ${o.id} (${o.action}) by ${o.actor} at ${o.at}, after you looked`
    : 'another action was taken on it at the same moment';
  return refusal('held.already-resolved', { record: `${rec.label} (${rec.kind} ${rec.id})`, detail }, 'id');
}

/** Runs `f`; another person's action on the record since `seenSeq` comes out as held.already-resolved. */
async function guarded<T>(deps: HeldDeps, realmId: string, rec: HeldRecord, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof ActionInTheWay) throw await inTheWay(deps, realmId, rec, err.other);
    throw err;
  }
}

/** Takes one action on a held record of the company, audited under `actor`. */
export async function actOnHeld(deps: HeldDeps, input: HeldActionInput): Promise<HeldActionResult> {
  const action = parseAction(input.action);
  const { kind, id } = parseKindAndId(input.kind, input.id);
  const target = action === 'relink' ? parseQboId(input.qboId) : undefined;
  const shownToken = parseSyncToken(input.syncToken, recordName(kind, id));
  // What the person acts on is the record as held now, with no other action since this moment: each
  // action records itself as the record's next (store.ts recordAction), or is refused.
  const seenSeq = Number((await lastAction(deps.db, input.realmId, kind, id))?.seq ?? 0);
  const { rec, plan } = await findHeld(deps, input.realmId, kind, id, input.actor);
  if (!rec.actions.includes(action)) {
    const why =
      rec.why === 'ambiguous-lookup'
        ? `QuickBooks holds several records that may be it (Ids ${rec.candidates.join(', ')}); say which one is ours.`
        : `it is held because ${rec.why === 'write-held' ? 'its write could not be stored' : 'of a look-up'}, not because both sides changed it.`;
    throw refusal('held.action-not-offered', { record: rec.label, value: action, detail: why, list: rec.actions }, 'action');
  }
  const row = rowOf(plan, kind, id);
  if (action === 'keep-qbo' || action === 'send-ours') checkShown(rec, shownToken, input.syncToken);
  const act = { ...input, seenSeq, shownToken };
  return guarded(deps, input.realmId, rec, async () => {
    switch (action) {
      case 'keep-qbo':
        if (rec.why === 'adopt-mismatch') return relink(deps, act, rec, row, { id: rec.qbo.id! }, 'keep-qbo');
        return keepQbo(deps, act, rec, row!);
      case 'send-ours':
        return sendOurs(deps, act, rec, row!);
      case 'relink':
        return relink(deps, act, rec, row, target!, 'relink');
      case 'skip':
        return skipHeld(deps, act, rec, plan, row);
    }
  });
}

type ActInput = HeldActionInput & { seenSeq: number; shownToken: string | undefined };

/** QBO's fields at stake as they are now, with the SyncToken: what a person must see again. */
const qboNowText = (rec: HeldRecord) => rec.fields.map((f) => `${f.field} "${f.shown.qboNow}"`).join(', ');

/**
 * keep QBO's / send ours act on what the person saw: QBO's SyncToken as shown must be QBO's now (the
 * plan just read it), or QBO changed since and nothing is done — an edit made in QuickBooks after the
 * page was shown is never overwritten, nor kept, unseen.
 */
function checkShown(rec: HeldRecord, shown: string | undefined, given: unknown): void {
  const now = rec.qbo.syncToken;
  if (now === undefined) return;
  const record = `${rec.label} (${rec.kind} ${rec.id})`;
  if (shown === undefined) throw refusal('held.sync-token-missing', { record, detail: `now ${now}${given === undefined ? '' : `; not ${JSON.stringify(given)}`}` }, 'syncToken');
  if (shown !== now)
    throw refusal(
      'held.changed-since-shown',
      { record, entity: rec.qbo.entity, qboId: rec.qbo.id, detail: `(SyncToken ${shown} when you looked, ${now} now; QBO now: ${qboNowText(rec) || 'see the record'})` },
      'syncToken',
    );
}

async function keepQbo(deps: HeldDeps, input: ActInput, rec: HeldRecord, row: PlanRow): Promise<HeldActionResult> {
  const link = (await linkOf(deps.db, input.realmId, rec.kind, rec.id))!;
  const base: SentFields = { ...row.fields!.base };
  // The practice's value as if sent, QBO's as its answer: neither reads as a change any more.
  for (const c of row.fields!.conflicts) base[c.field] = { sent: c.practiceNow, qbo: c.qboNow };
  const now = deps.clock();
  const actionId = await deps.db.transaction().execute(async (trx) => {
    await setLink(trx, input.realmId, rec.kind, rec.id, { sent_fields: JSON.stringify(base), state: 'linked', updated_at: now.toISOString() });
    return recordAction(trx, { ...auditOf(input, rec, 'keep-qbo', now), detail: { fields: rec.fields }, oldLink: link, oldJournal: null });
  });
  return {
    actionId,
    action: 'keep-qbo',
    record: recordOf(rec),
    message: `${rec.label}: QuickBooks' ${rec.fields.map((f) => f.field).join(', ')} kept; the practice's change is not sent (until the practice changes it again). Undo with action ${actionId} until the next sync.`,
  };
}

const auditOf = (input: ActInput, rec: HeldRecord, action: HeldActionName, at: Date) => ({
  seenSeq: input.seenSeq,
  realmId: input.realmId,
  kind: rec.kind,
  recordId: rec.id,
  label: rec.label,
  action,
  actor: input.actor,
  at,
});
const recordOf = (rec: HeldRecord) => ({ kind: rec.kind, id: rec.id, label: rec.label });

/** "TxnDate: last sent …, QBO now …, practice now …" for the fields at stake against QBO's copy `current`. */
function againText(row: PlanRow, current: Record<string, unknown>): string {
  const fields = row.fields!;
  const at = [...fields.conflicts.map((c) => c.field), ...fields.send];
  const moved = at.filter((f) => !same(normalizeField(f, current[f]), fields.qbo[f] ?? null));
  const shown = (moved.length ? moved : at).map((f) => ({
    field: f,
    lastSent: fields.base[f]?.sent ?? null,
    qboNow: normalizeField(f, current[f]),
    practiceNow: fields.practice[f] ?? null,
  }));
  return `SyncToken ${String(current['SyncToken'])}; ${conflictText(shown)}`;
}

async function sendOurs(deps: HeldDeps, input: ActInput, rec: HeldRecord, row: PlanRow): Promise<HeldActionResult> {
  const fields = row.fields!;
  const ours = fields.ours ?? {};
  const pending = unresolvedRowRefs(ours);
  if (pending.length) throw refusal('held.needs-sync-first', { record: rec.label, detail: pending.join(', ') });
  const entity = row.qbo.entity as EntityName;
  const qboId = row.qbo.id!;
  // QBO's current copy: its SyncToken is the one we send on, its values what an undo puts back.
  const before = (await deps.client.read(entity, qboId)) as Record<string, unknown>;
  if (input.shownToken !== undefined && String(before['SyncToken']) !== input.shownToken) {
    throw refusal(
      'held.changed-since-shown',
      { record: `${rec.label} (${rec.kind} ${rec.id})`, entity, qboId, detail: `(SyncToken ${input.shownToken} when you looked; ${againText(row, before)})` },
      'syncToken',
    );
  }
  const stillAsShown = fields.conflicts.every((c) => same(normalizeField(c.field, before[c.field]), c.qboNow));
  if (!stillAsShown) throw refusal('held.qbo-changed-again', { record: rec.label, entity, qboId, detail: againText(row, before) }, fields.conflicts[0]?.field);
  const link = (await linkOf(deps.db, input.realmId, rec.kind, rec.id))!;
  const now = deps.clock();
  // The action is claimed before QBO is written: a second action on the record meanwhile (keep QBO's,
  // send ours again) is refused instead of both "succeeding" against one QBO record.
  const actionId = await recordAction(deps.db, {
    ...auditOf(input, rec, 'send-ours', now),
    detail: { pending: true, fields: rec.fields, entity, qboId },
    oldLink: link,
    oldJournal: null,
  });
  let returned: Record<string, unknown>;
  const body = { ...ours, Id: qboId, SyncToken: String(before['SyncToken']), sparse: true };
  try {
    // The SyncToken is part of it: the content hash leaves it out, and a retry on a newer one is another write.
    const requestId = heldRequestId(input.realmId, rec.kind, rec.id, contentHash(body), String(body.SyncToken), 'send-ours');
    const [result] = await deps.client.batch([{ bId: 'r0', operation: 'update', entity, body }], { requestId });
    if (!result!.ok) {
      if (result!.fault.code === '5010') {
        // QBO changed again between our read and our write: read it once more and leave it held.
        const current = (await deps.client.read(entity, qboId)) as Record<string, unknown>;
        throw refusal('held.qbo-changed-again', { record: rec.label, entity, qboId, detail: againText(row, current) }, fields.conflicts[0]?.field);
      }
      throw result!.fault;
    }
    returned = result!.value;
  } catch (err) {
    // Nothing was written (a refusal, or QBO's fault): the claim goes. An answer lost on the way
    // leaves QBO maybe holding ours, which the next preview reads as agreed; the person is told so,
    // in a sentence, never a server error.
    await dropClaim(deps.db, actionId);
    if (err instanceof OutcomeUnknownError) throw refusal('held.outcome-unknown', { record: rec.label, entity, qboId, detail: err.message.slice(0, 200) });
    throw err;
  }
  const sentKeys = Object.keys(ours);
  const qboBefore = Object.fromEntries(sentKeys.filter((k) => before[k] !== undefined).map((k) => [k, before[k]]));
  const total = typeof returned['TotalAmt'] === 'number' ? toCents(returned['TotalAmt'], 'half-up') : link.qbo_total_cents;
  await deps.db.transaction().execute(async (trx) => {
    await setLink(trx, input.realmId, rec.kind, rec.id, {
      sync_token: String(returned['SyncToken']),
      sent_fields: JSON.stringify(nextBase(entity, body, returned, fields)),
      record_version: row.record.version ?? link.record_version,
      payload_hash: contentHash(body),
      state: 'linked',
      qbo_total_cents: total,
      updated_at: deps.clock().toISOString(),
    });
    await completeAction(trx, actionId, {
      fields: rec.fields,
      entity,
      qboId,
      sent: body,
      sentKeys,
      qboBefore,
      syncTokenBefore: String(before['SyncToken']),
      syncTokenAfter: String(returned['SyncToken']),
    });
  });
  return {
    actionId,
    action: 'send-ours',
    record: recordOf(rec),
    message: `${rec.label}: the practice's ${sentKeys.filter((k) => k !== 'TxnTaxDetail').join(', ')} sent to QuickBooks ${entity} ${qboId} (SyncToken ${String(before['SyncToken'])} → ${String(returned['SyncToken'])}). Undo with action ${actionId} until the next sync.`,
  };
}

/**
 * What the practice would have QBO's record be, for the adopt check (run/recover.ts
 * contentDifferences): a held write's body and expected total; else the practice's values now (party,
 * date, name) and the total QBO would compute from them.
 */
function oursForCheck(
  row: PlanRow | undefined,
  journal: { body: string; expected_total_cents: number | string | null } | undefined,
): { ours: Record<string, unknown>; totalCents: number | null } | undefined {
  if (journal)
    return { ours: JSON.parse(journal.body) as Record<string, unknown>, totalCents: journal.expected_total_cents === null ? null : Number(journal.expected_total_cents) };
  if (row?.fields) {
    const ours: Record<string, unknown> = {};
    for (const [f, v] of Object.entries(row.fields.practice)) {
      // A reference to a record not in QBO yet (`@row:`) names no QBO party to compare.
      if (f.endsWith('Ref') && typeof v === 'string' && !v.startsWith('@row:')) ours[f] = { value: v };
      else if ((f === 'TxnDate' || f === 'DisplayName' || f === 'Name') && typeof v === 'string') ours[f] = v;
    }
    return { ours, totalCents: row.qboTotalCents };
  }
  if (row?.payload) return { ours: row.payload, totalCents: row.qboTotalCents };
  return undefined;
}

const fieldWords: Record<string, string> = {
  CustomerRef: 'party (customer)',
  VendorRef: 'party (supplier)',
  EntityRef: 'party',
  TxnDate: 'date',
  TotalAmt: 'total',
  DisplayName: 'name',
  Name: 'name',
};

async function relink(
  deps: HeldDeps,
  input: ActInput,
  rec: HeldRecord,
  row: PlanRow | undefined,
  target: { entity?: string; id: string },
  action: 'relink' | 'keep-qbo',
): Promise<HeldActionResult> {
  const entity = rec.qbo.entity;
  if (target.entity && target.entity !== entity) throw refusal('held.relink-other-type', { record: rec.label, entity, value: input.qboId, detail: target.entity }, 'qboId');
  const link = await linkOf(deps.db, input.realmId, rec.kind, rec.id);
  if (link && link.qbo_entity === entity && link.qbo_id === target.id) throw refusal('held.relink-same', { record: rec.label, entity, qboId: target.id }, 'qboId');
  let e: Record<string, unknown>;
  try {
    e = (await deps.client.read(entity as EntityName, target.id)) as Record<string, unknown>;
  } catch (err) {
    // Only QuickBooks' own answer (a fault, no answer) means "not there"; a bug stays a bug.
    if (!isQboFailure(err)) throw err;
    throw refusal('held.relink-not-found', { record: rec.label, entity, qboId: target.id, detail: err.message }, 'qboId');
  }
  if (e['status'] === 'Deleted' || e['Active'] === false || e['PrivateNote'] === 'Voided') {
    const state = e['status'] === 'Deleted' ? 'deleted' : e['PrivateNote'] === 'Voided' ? 'voided' : 'inactive';
    throw refusal('held.relink-inactive', { record: rec.label, entity, qboId: target.id, detail: state }, 'qboId');
  }
  const other = await deps.db
    .selectFrom('links')
    .select(['record_kind', 'record_key'])
    .where('realm_id', '=', input.realmId)
    .where('qbo_entity', '=', entity)
    .where('qbo_id', '=', target.id)
    .executeTakeFirst();
  if (other && !(other.record_kind === rec.kind && other.record_key === rec.id)) {
    throw refusal('held.relink-linked-elsewhere', { record: rec.label, entity, qboId: target.id, detail: recordName(other.record_kind, other.record_key) }, 'qboId');
  }
  const journal = rec.journalId !== undefined ? await deps.db.selectFrom('journal').selectAll().where('id', '=', rec.journalId).executeTakeFirst() : undefined;
  // Checked as a sync's adopt is (README "after its date, party and total are checked"): a record
  // with another party, date or total is another record, and a later void or update would hit it.
  // Keep QBO's on an adopt mismatch is the person accepting exactly that record's differences.
  const check = action === 'relink' ? oursForCheck(row, journal) : undefined;
  const diffs = check ? contentDifferences(entity, check.ours, check.totalCents, e) : [];
  if (diffs.length) {
    const detail = diffs.map((d) => `${fieldWords[d.field] ?? d.field} differs (${d.field}: QuickBooks ${d.theirs}, here ${d.ours})`).join('; ');
    throw refusal('held.relink-differs', { record: rec.label, entity, qboId: target.id, detail }, 'qboId');
  }
  // The record it leaves: one carrying our marker was written for this practice record, and is
  // linked to nothing once we move — said in the result, so a person voids or deletes it in QBO.
  let orphan = '';
  if (link && link.qbo_entity === entity && link.qbo_id !== target.id) {
    const old = (await deps.client.read(entity as EntityName, link.qbo_id).catch(() => undefined)) as Record<string, unknown> | undefined;
    if (old && old['status'] !== 'Deleted' && hasMarker(old['PrivateNote'], markerOf(rec.kind, rec.id))) {
      orphan = ` QuickBooks ${entity} ${link.qbo_id} carries this record's marker (QBO Connect wrote it) and is now linked to nothing: void or delete it in QuickBooks if it is a duplicate.`;
    }
  }
  // Adopted values: the practice's as if sent, QBO's as its answer (plan/sent-fields.ts adoptedFields).
  let base: SentFields | null = null;
  if (row?.fields) base = Object.fromEntries(Object.entries(row.fields.practice).map(([f, p]) => [f, { sent: p, qbo: normalizeField(f, e[f]) as Json }]));
  else if (row?.payload && row.action === 'create') base = adoptedFields(entity, row.payload, e).base;
  const now = deps.clock();
  const at = now.toISOString();
  const values = {
    qbo_entity: entity,
    qbo_id: target.id,
    sync_token: String(e['SyncToken'] ?? '0'),
    payload_hash: row?.payloadHash ?? link?.payload_hash ?? journal?.payload_hash ?? '',
    record_version: row?.record.version ?? (journal ? Number(journal.record_version) : Number(link?.record_version ?? 0)),
    state: 'linked',
    qbo_total_cents: typeof e['TotalAmt'] === 'number' ? toCents(e['TotalAmt'], 'half-up') : null,
    updated_at: at,
    sent_fields: base ? JSON.stringify(base) : null,
  };
  const message = `${rec.label}: linked to QuickBooks ${entity} ${target.id}${link ? ` (was ${link.qbo_entity} ${link.qbo_id})` : ''} by ${input.actor}; nothing was sent.${orphan}`;
  const actionId = await deps.db.transaction().execute(async (trx) => {
    if (link) await setLink(trx, input.realmId, rec.kind, rec.id, values);
    else
      await trx
        .insertInto('links')
        .values({ realm_id: input.realmId, record_kind: rec.kind, record_key: rec.id, created_at: at, last_run_id: null, ...values })
        .execute();
    if (journal) {
      await trx
        .updateTable('journal')
        .set({ status: 'resolved', resolved_at: at, qbo_id: target.id, outcome_code: 'held.relinked', outcome_message: message })
        .where('id', '=', journal.id)
        .execute();
    }
    return recordAction(trx, {
      ...auditOf(input, rec, action, now),
      detail: { fields: rec.fields, why: rec.why, entity, from: link?.qbo_id ?? null, to: target.id },
      oldLink: link ?? null,
      oldJournal: journal
        ? {
            id: Number(journal.id),
            status: journal.status,
            resolved_at: journal.resolved_at,
            qbo_id: journal.qbo_id,
            outcome_code: journal.outcome_code,
            outcome_message: journal.outcome_message,
          }
        : null,
    });
  });
  return { actionId, action, record: recordOf(rec), message: `${message} Undo with action ${actionId} until the next sync.` };
}

async function skipHeld(deps: HeldDeps, input: ActInput, rec: HeldRecord, plan: Plan, row: PlanRow | undefined): Promise<HeldActionResult> {
  let refs: RecordRef[];
  // With the rows that need it (an invoice takes its payments), as the preview's skip does.
  if (row) refs = await skipWithLinked(deps.db, { realmId: input.realmId, plan, row: row.key, actor: input.actor, clock: deps.clock });
  else {
    const ref = { kind: skipKindOf(rec.kind), id: skipIdOf(rec.kind, rec.id) } as RecordRef;
    refs = (await skip(deps.db, { realmId: input.realmId, kind: ref.kind, id: ref.id, actor: input.actor, clock: deps.clock })) ? [ref] : [];
  }
  const now = deps.clock();
  const actionId = await recordAction(deps.db, { ...auditOf(input, rec, 'skip', now), detail: { fields: rec.fields, refs }, oldLink: null, oldJournal: null });
  return {
    actionId,
    action: 'skip',
    record: recordOf(rec),
    message: `${rec.label}: skipped${refs.length > 1 ? ` with ${refs.length - 1} record(s) that need it` : ''}; it stays out of syncs until added back. Undo with action ${actionId} until the next sync.`,
  };
}

/** Lines without QBO's Ids: an undo replaces the lines, whose old Ids our write retired. */
function withoutLineIds(v: unknown): unknown {
  return Array.isArray(v)
    ? v.map((l) => (l && typeof l === 'object' ? Object.fromEntries(Object.entries(l as Record<string, unknown>).filter(([k]) => k !== 'Id' && k !== 'LineNum')) : l))
    : v;
}

/** Undoes an action on a held record, until the next sync of the company: the record is held again as it was. */
export async function undoHeldAction(deps: HeldDeps, input: { realmId: string; actionId: unknown; actor: string }): Promise<{ actionId: number; message: string }> {
  const id = typeof input.actionId === 'number' ? input.actionId : typeof input.actionId === 'string' && /^\d{1,15}$/.test(input.actionId.trim()) ? Number(input.actionId) : NaN;
  if (!Number.isSafeInteger(id) || id < 1) throw refusal('held.invalid-action-id', { value: input.actionId }, 'actionId');
  const row = await actionRow(deps.db, input.realmId, id);
  if (!row) throw refusal('held.no-such-action', { actionId: id, realmId: input.realmId }, 'actionId');
  const record = `${row.label} (${row.record_kind} ${row.record_key})`;
  if (row.undone_at) throw refusal('held.already-undone', { actionId: id, record, detail: `by ${row.undone_by ?? '?'} at ${row.undone_at}` }, 'actionId');
  const since = await runSince(deps.db, row);
  if (since) throw refusal('held.action-final', { actionId: id, record, detail: since }, 'actionId');
  const latest = await latestStanding(deps.db, input.realmId, row.record_kind, row.record_key);
  if (latest && Number(latest.id) !== id) throw refusal('held.undo-not-latest', { actionId: id, record, detail: String(latest.id) }, 'actionId');
  const detail = JSON.parse(row.detail) as Record<string, unknown>;
  const oldLink = row.old_link ? (JSON.parse(row.old_link) as Link) : null;
  const oldJournal = row.old_journal
    ? (JSON.parse(row.old_journal) as {
        id: number;
        status: string;
        resolved_at: string | null;
        qbo_id: string | null;
        outcome_code: string | null;
        outcome_message: string | null;
      })
    : null;
  const now = deps.clock();
  const realmId = input.realmId;
  switch (row.action) {
    case 'skip': {
      const refs = (detail['refs'] as RecordRef[] | undefined) ?? [];
      const restored = await unskipMany(deps.db, { realmId, refs, actor: input.actor, clock: deps.clock });
      if (refs.length && !restored.length) throw refusal('held.undo-unskipped', { actionId: id, record }, 'actionId');
      await markUndone(deps.db, id, input.actor, now);
      break;
    }
    case 'keep-qbo':
    case 'relink': {
      if (oldLink) {
        const holder = await deps.db
          .selectFrom('links')
          .select(['record_kind', 'record_key'])
          .where('realm_id', '=', realmId)
          .where('qbo_entity', '=', oldLink.qbo_entity)
          .where('qbo_id', '=', oldLink.qbo_id)
          .executeTakeFirst();
        if (holder && !(holder.record_kind === row.record_kind && holder.record_key === row.record_key)) {
          throw refusal(
            'held.undo-qbo-taken',
            { actionId: id, record, entity: oldLink.qbo_entity, qboId: oldLink.qbo_id, detail: recordName(holder.record_kind, holder.record_key) },
            'actionId',
          );
        }
      }
      await deps.db.transaction().execute(async (trx) => {
        if (oldLink) await setLink(trx, realmId, row.record_kind, row.record_key, linkColumns(oldLink));
        else await trx.deleteFrom('links').where('realm_id', '=', realmId).where('record_kind', '=', row.record_kind).where('record_key', '=', row.record_key).execute();
        if (oldJournal) {
          const { id: journalId, ...was } = oldJournal;
          await trx.updateTable('journal').set(was).where('id', '=', journalId).where('realm_id', '=', realmId).execute();
        }
        await markUndone(trx, id, input.actor, now);
      });
      break;
    }
    case 'send-ours': {
      const entity = String(detail['entity']) as EntityName;
      const qboId = String(detail['qboId']);
      const current = (await deps.client.read(entity, qboId)) as Record<string, unknown>;
      const after = String(detail['syncTokenAfter']);
      const changed = { actionId: id, record, entity, qboId, detail: `its SyncToken is ${String(current['SyncToken'])}, ours left it at ${after}` };
      if (String(current['SyncToken']) !== after) throw refusal('held.undo-qbo-changed', changed, 'actionId');
      const before = Object.fromEntries(Object.entries((detail['qboBefore'] as Record<string, unknown>) ?? {}).map(([k, v]) => [k, k === 'Line' ? withoutLineIds(v) : v]));
      const keys = ((detail['sentKeys'] as string[]) ?? []).filter((k) => k !== 'TxnTaxDetail');
      const body = { ...sparseBody(before, keys), Id: qboId, SyncToken: after, sparse: true };
      const [result] = await deps.client.batch([{ bId: 'r0', operation: 'update', entity, body }], { requestId: heldRequestId(realmId, String(id), after, 'undo') });
      if (!result!.ok) {
        if (result!.fault.code === '5010') throw refusal('held.undo-qbo-changed', changed, 'actionId');
        throw result!.fault;
      }
      await deps.db.transaction().execute(async (trx) => {
        if (oldLink) await setLink(trx, realmId, row.record_kind, row.record_key, { ...linkColumns(oldLink), sync_token: String(result!.value['SyncToken']) });
        await markUndone(trx, id, input.actor, now);
      });
      break;
    }
  }
  return { actionId: id, message: `Action ${id} (${row.action}) on ${record} undone by ${input.actor}: it is held again as it was.` };
}
