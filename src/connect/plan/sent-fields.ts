/**
 * Three-way field comparison for updates: what we last sent (stored per link in `links.sent_fields`,
 * migration 0010), what QBO holds now (read in bulk by the preview), and what the practice holds now.
 *
 * An update sends only the fields the practice changed since the last sync; a field QBO changed too
 * (to something else) holds the row as diverged, each such field shown side by side; a field only QBO
 * changed is left out of the update, so the accountant's edit survives (QBO keeps what a sparse
 * update leaves out). Fields we never send are never named in an update at all.
 *
 * Per field the base keeps two values: `sent`, our payload's value, and `qbo`, QBO's value right
 * after our write. The practice is compared with `sent` and QBO with `qbo`, so QBO's own additions
 * (line Ids, Qty × UnitPrice, an address Id, a balance moved by our own payment or credit
 * application) never read as someone else's change: only values are compared, never SyncTokens.
 */
import { toCents } from '../../qbo/money.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** One field of the base: our payload's value and QBO's value just after our write (normalized). */
export interface BaseValue {
  sent: Json;
  qbo: Json;
}
export type SentFields = Record<string, BaseValue>;

/** A field both sides changed since the last sync, to different values: shown side by side. */
export interface FieldConflict {
  field: string;
  lastSent: Json;
  qboNow: Json;
  practiceNow: Json;
}

/** What the plan carries on an update row so the run can store the new base after the write. */
export interface RowFields {
  base: SentFields;
  /** The practice's value of every managed field (normalized). */
  practice: Record<string, Json>;
  /** QBO's value of every managed field at preview time (normalized). */
  qbo: Record<string, Json>;
  /** The fields this update sends. */
  send: string[];
  /** Non-empty: the row is held as diverged and nothing is sent. */
  conflicts: FieldConflict[];
  /** True when the base came from QBO's current values (a link from before migration 0010 with no journal body). */
  legacyBase?: boolean;
  /** A held row only: the sparse body of every field the practice changed, conflicts included (connect/held "send ours"). */
  ours?: Record<string, unknown>;
}

/**
 * The fields our mappers may send, per QBO entity. A field listed here but absent from a draft is
 * still tracked (QBO's value after our write is stored), so a value the practice adds later is
 * compared with what QBO had, not with nothing.
 */
export const managedFields: Record<string, readonly string[]> = {
  Invoice: ['DocNumber', 'TxnDate', 'DueDate', 'CustomerRef', 'Line', 'CustomerMemo', 'PrivateNote', 'GlobalTaxCalculation'],
  CreditMemo: ['DocNumber', 'TxnDate', 'CustomerRef', 'Line', 'CustomerMemo', 'PrivateNote', 'GlobalTaxCalculation'],
  Bill: ['DocNumber', 'TxnDate', 'DueDate', 'VendorRef', 'Line', 'PrivateNote', 'GlobalTaxCalculation'],
  Payment: ['TxnDate', 'TotalAmt', 'PaymentRefNum', 'CustomerRef', 'PaymentMethodRef', 'DepositToAccountRef', 'Line', 'PrivateNote'],
  Customer: ['DisplayName', 'CompanyName', 'PrimaryEmailAddr', 'PrimaryPhone', 'BillAddr', 'BusinessNumber', 'Notes'],
  Vendor: ['DisplayName', 'CompanyName', 'PrintOnCheckName', 'AcctNum', 'PrimaryEmailAddr', 'Notes'],
};

/** Sent whenever the field they belong to is sent, never compared on their own (QBO computes them). */
const companions: Record<string, readonly string[]> = { Line: ['TxnTaxDetail'] };

/** What a sparse update sends to clear a field the practice emptied (QBO keeps a field left out). */
const blankOf: Record<string, unknown> = {
  CustomerMemo: { value: '' },
  PrimaryEmailAddr: { Address: '' },
  PrimaryPhone: { FreeFormNumber: '' },
  BillAddr: { Line1: '' },
  PrivateNote: '',
  Notes: '',
  BusinessNumber: '',
  CompanyName: '',
  PrintOnCheckName: '',
  AcctNum: '',
};

/** Keys QBO adds that say nothing about content. */
const noise = new Set(['Id', 'LineNum', 'name', 'domain', 'sparse', 'MetaData', 'Lat', 'Long', 'type']);

function plain(v: unknown): Json {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'number') return Number.isInteger(v) ? v : Math.round(v * 100) / 100;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    // A reference ({ value, name }): its Id is what matters.
    if (typeof o['value'] === 'string' && Object.keys(o).every((k) => k === 'value' || k === 'name' || k === 'type')) return o['value'] === '' ? null : o['value'];
    const out: Record<string, Json> = {};
    for (const k of Object.keys(o).sort()) {
      if (noise.has(k)) continue;
      const x = plain(o[k]);
      if (x !== null) out[k] = x;
    }
    return Object.keys(out).length ? out : null;
  }
  return null;
}

/** The `…Ref` values of a line's detail object (item, account, tax code, class, customer). */
function refsOf(detail: unknown): Record<string, Json> {
  const out: Record<string, Json> = {};
  if (!detail || typeof detail !== 'object') return out;
  for (const k of Object.keys(detail).sort()) {
    if (!k.endsWith('Ref')) continue;
    const v = (detail as Record<string, unknown>)[k] as { value?: unknown } | undefined;
    if (v && typeof v.value === 'string') out[k] = v.value;
  }
  return out;
}

/** The lines as content: kind, description, amount in cents, the refs of the detail, linked transactions. QBO's subtotal line, Ids, Qty and UnitPrice are left out. */
function lines(v: unknown): Json {
  if (!Array.isArray(v)) return null;
  const out = v
    .filter((l): l is Record<string, unknown> => !!l && typeof l === 'object' && (l as Record<string, unknown>)['DetailType'] !== 'SubTotalLineDetail')
    .map((l) => {
      const dt = typeof l['DetailType'] === 'string' ? l['DetailType'] : null;
      const linked = Array.isArray(l['LinkedTxn']) ? (l['LinkedTxn'] as Array<Record<string, unknown>>).map((t) => `${String(t['TxnType'])}:${String(t['TxnId'])}`) : [];
      const line: Record<string, Json> = {
        DetailType: dt,
        Description: typeof l['Description'] === 'string' && l['Description'] !== '' ? l['Description'] : null,
        Amount: typeof l['Amount'] === 'number' ? toCents(l['Amount'], 'half-up') : null,
        ...(dt ? refsOf(l[dt]) : {}),
      };
      if (linked.length) line['LinkedTxn'] = linked;
      return line;
    });
  return out.length ? out : null;
}

/** One field's value as compared (the same function for our payload and for QBO's copy). */
export function normalizeField(field: string, value: unknown): Json {
  if (field === 'Line') return lines(value);
  if (field === 'TotalAmt') return typeof value === 'number' ? toCents(value, 'half-up') : null;
  return plain(value);
}

export function same(a: Json, b: Json): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The fields compared for an entity: the managed list plus anything else the draft carries. */
export function fieldsOf(entity: string, draft: Record<string, unknown>): string[] {
  const skip = new Set(['Id', 'SyncToken', 'sparse', ...Object.values(companions).flat()]);
  return [...new Set([...(managedFields[entity] ?? []), ...Object.keys(draft)])].filter((f) => !skip.has(f));
}

export function normalizeAll(fields: readonly string[], entity: Record<string, unknown>): Record<string, Json> {
  return Object.fromEntries(fields.map((f) => [f, normalizeField(f, entity[f])]));
}

/** The stored base, or null when the link has none (written before migration 0010) or it does not parse. */
export function parseSentFields(text: string | null | undefined): SentFields | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as SentFields) : null;
  } catch {
    return null;
  }
}

/**
 * The base of a link written before migration 0010, from the journal's bodies of our resolved writes
 * (the create, then each update over it; a full body is what we sent, a sparse one only its fields).
 * QBO's side is taken to equal what we sent: the journal does not say what QBO answered.
 * Null when the journal holds no body for it (an adopted record, which we never wrote).
 */
export function baseFromJournal(entity: string, bodies: readonly string[]): SentFields | null {
  let merged = null as Record<string, unknown> | null;
  for (const text of bodies) {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      continue;
    }
    // A sparse update over nothing known (its create was never journaled) tells too little to be a base.
    if (body['sparse'] !== true) merged = body;
    else if (merged) merged = { ...merged, ...body };
  }
  if (!merged) return null;
  const out: SentFields = {};
  for (const f of fieldsOf(entity, merged)) {
    const v = normalizeField(f, merged[f]);
    out[f] = { sent: v, qbo: v };
  }
  return out;
}

/**
 * The three-way decision for one record. `base` null: no record of what we sent (see
 * `legacyBase`); QBO's current value is taken as the base, the conservative choice that never
 * calls a difference a conflict it cannot prove, so only fields where the practice differs from QBO
 * are sent.
 */
export function compareFields(entity: string, draft: Record<string, unknown>, qboNow: Record<string, unknown>, stored: SentFields | null): RowFields {
  const fields = fieldsOf(entity, draft);
  const practice = normalizeAll(fields, draft);
  const qbo = normalizeAll(fields, qboNow);
  const legacyBase = stored === null;
  const base: SentFields = {};
  for (const f of fields) base[f] = stored?.[f] ?? { sent: qbo[f]!, qbo: qbo[f]! };
  const send: string[] = [];
  const conflicts: FieldConflict[] = [];
  for (const f of fields) {
    const b = base[f]!;
    const p = practice[f]!;
    const q = qbo[f]!;
    // Without a stored value for the field we cannot tell who changed it: the practice's value goes
    // only when it has one that QBO lacks; an empty practice field never blanks QBO's.
    const practiceChanged = stored?.[f] ? !same(p, b.sent) : p !== null && !same(p, q);
    if (!practiceChanged) continue;
    if (same(p, q)) continue; // QBO already holds the practice's value
    const qboChanged = stored?.[f] ? !same(q, b.qbo) : false;
    if (qboChanged) conflicts.push({ field: f, lastSent: b.sent, qboNow: q, practiceNow: p });
    else send.push(f);
  }
  return { base, practice, qbo, send, conflicts, ...(legacyBase ? { legacyBase } : {}) };
}

/**
 * The base of a record adopted (found equal in QBO, nothing sent): the practice's values as if sent,
 * QBO's as its answer. A field that already differed then (a memo typed in QBO) is neither side's
 * change later, so it is not sent and survives.
 */
export function adoptedFields(entity: string, draft: Record<string, unknown>, qboNow: Record<string, unknown>): RowFields {
  const fields = fieldsOf(entity, draft);
  const practice = normalizeAll(fields, draft);
  const qbo = normalizeAll(fields, qboNow);
  const base: SentFields = Object.fromEntries(fields.map((f) => [f, { sent: practice[f]!, qbo: qbo[f]! }]));
  return { base, practice, qbo, send: [], conflicts: [] };
}

/** The sparse body of an update: the fields to send (and their companions), blanks for emptied ones. */
export function sparseBody(draft: Record<string, unknown>, send: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of send) {
    if (draft[f] !== undefined) out[f] = draft[f];
    else if (f in blankOf) out[f] = blankOf[f];
    for (const c of companions[f] ?? []) if (draft[c] !== undefined) out[c] = draft[c];
  }
  return out;
}

/** Fields the practice emptied that QBO cannot be told to empty (no blank form): left as QBO has them. */
export function unclearable(draft: Record<string, unknown>, send: readonly string[]): string[] {
  return send.filter((f) => draft[f] === undefined && !(f in blankOf));
}

/**
 * The base after a successful write. A field we sent: our value, and QBO's answer. A field we did
 * not send: where QBO now holds the practice's value the two agree again and that is the new base;
 * otherwise the old base stays, so a change made in QBO still reads as QBO's (and survives).
 */
export function nextBase(entity: string, body: Record<string, unknown>, returned: Record<string, unknown>, row?: RowFields): SentFields {
  const fields = [...new Set([...fieldsOf(entity, body), ...Object.keys(row?.base ?? {})])];
  const out: SentFields = {};
  for (const f of fields) {
    const q = normalizeField(f, returned[f]);
    if (body[f] !== undefined) out[f] = { sent: normalizeField(f, body[f]), qbo: q };
    else if (row && f in row.practice && same(row.practice[f]!, q)) out[f] = { sent: row.practice[f]!, qbo: q };
    else if (row?.base[f] && !row.legacyBase) out[f] = row.base[f];
    else if (row?.base[f]) out[f] = { sent: row.practice[f] ?? null, qbo: q };
    else out[f] = { sent: null, qbo: q };
  }
  return out;
}

/** A field's values as a person reads them, for the side-by-side display. */
export function shownValue(v: Json): string {
  if (v === null) return '(empty)';
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.every((l) => l && typeof l === 'object' && !Array.isArray(l) && 'Amount' in l)) {
    return (v as Array<Record<string, Json>>)
      .map((l) => `${l['Description'] ?? ''}${typeof l['Amount'] === 'number' ? ` ${(l['Amount'] / 100).toFixed(2)}` : ''}`.trim())
      .join('; ');
  }
  if (!Array.isArray(v)) {
    const s = structuredText(v);
    if (s !== undefined) return s === '' ? '(empty)' : s;
  }
  return JSON.stringify(v);
}

/** Address parts in the order QBO prints them (PhysicalAddress: Line1–Line5, City, region, postcode, country). */
const ADDRESS_PARTS = ['Line1', 'Line2', 'Line3', 'Line4', 'Line5', 'City', 'CountrySubDivisionCode', 'PostalCode', 'Country'];

/**
 * QBO's structured contact fields as a person reads them (issue 19: a diverged BillAddr showed as
 * `{"Line1":"…"}`): an email (EmailAddress) is its Address, a phone (TelephoneNumber) its
 * FreeFormNumber, an address its lines joined, a reference (ReferenceType) its name, else its value.
 * Undefined for any other shape, which then shows as JSON.
 */
function structuredText(o: { [k: string]: Json }): string | undefined {
  const str = (k: string) => (typeof o[k] === 'string' || typeof o[k] === 'number' ? String(o[k]).trim() : '');
  if ('Address' in o) return str('Address');
  if ('FreeFormNumber' in o) return str('FreeFormNumber');
  if (ADDRESS_PARTS.some((k) => k in o)) return ADDRESS_PARTS.map(str).filter(Boolean).join(', ');
  if ('value' in o) return str('name') ? `${str('name')} (${str('value')})` : str('value');
  return undefined;
}

/** "CustomerMemo: last sent "A", QBO now "B", practice now "C"" for each conflicting field. */
export function conflictText(conflicts: readonly FieldConflict[]): string {
  return conflicts.map((c) => `${c.field}: last sent "${shownValue(c.lastSent)}", QBO now "${shownValue(c.qboNow)}", practice now "${shownValue(c.practiceNow)}"`).join('; ');
}
