/**
 * The practice ledger's store: create, update, get and list records of every kind, and the read the
 * preview uses (documents in an export window with their references resolved). One transaction per
 * write; a record's version moves only when its content changes.
 */
import crypto from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import { canonicalJson, sha256Hex } from '../hash.js';
import type { Db } from '../store/db.js';
import { dialectOf } from '../store/dialect.js';
import type { Database } from '../store/schema.js';
import { documentKinds, kindInfo, kinds, type DocumentKind, type Kind, type RecordOf } from './kinds.js';
import { issue, reasonCodes, say, type PracticeIssue, type ReasonCode } from './reasons.js';
import { UserFacingError, type RefusalBody } from '../user-facing-error.js';
import type { RecordState, Stage } from './schemas.js';
import { hasForbiddenCharacters } from './schemas.js';
import { noPause, type Pause } from './time-slice.js';
import { checkReferencesOf, checkSchemas, ReferenceIndex, validateRecords, type InputRecord, type Omitted, type ValidRecord } from './validate.js';

type Executor = Db | Transaction<Database>;

/** A record as stored: its content plus the ledger's bookkeeping. */
export interface StoredRecord<K extends Kind = Kind> {
  id: string;
  kind: K;
  key: string;
  state: RecordState;
  version: number;
  contentHash: string;
  createdAt: string;
  updatedAt: string;
  record: RecordOf[K];
}

/**
 * Refused input: every problem, each naming record and field. The first problem gives the refusal
 * its code and field; `status` is the HTTP status to answer with. The API's body adds the record and,
 * when there are several, every issue.
 */
export class PracticeError extends UserFacingError<ReasonCode> {
  override name = 'PracticeError';
  constructor(
    readonly issues: PracticeIssue[],
    status: 400 | 404 | 409 = 400,
    /** What a capped list leaves out (validate.ts MAX_ISSUES). */
    readonly omitted: Omitted = { issues: 0, records: 0 },
  ) {
    super(issues[0]?.code ?? reasonCodes.invalid, issues.length === 1 ? issues[0]!.message : `${issues.length} problems; the first: ${issues[0]?.message ?? ''}`, {
      field: issues[0]?.field ?? '',
      status,
    });
  }

  override body(): RefusalBody {
    const first = this.issues[0];
    if (!first) return super.body();
    return {
      code: first.code,
      message: first.message,
      ...(first.kind ? { record: { kind: first.kind, key: first.key ?? null } } : {}),
      field: first.field,
      ...(this.issues.length > 1 ? { issues: this.issues } : {}),
    };
  }
}

/**
 * The database is held by another writer (on SQLite, another process on the same file: the CLI beside
 * the server) past the busy timeout (db.ts). Nothing was written; sending the same input again is safe.
 */
export class PracticeBusyError extends Error {
  override name = 'PracticeBusyError';
  readonly code = 'practice.busy';
  readonly retryAfterSeconds = 30;
  constructor() {
    super(`the practice ledger is busy with another import or write (another qbo-connect process on the same database?); nothing was written: try again in ${30} seconds`);
  }
}

/**
 * A write transaction. On SQLite it takes the write lock at its start (BEGIN IMMEDIATE), waiting for it
 * up to the busy timeout (db.ts): kysely begins SQLite transactions deferred, so one that read first
 * and wrote later failed with SQLITE_BUSY_SNAPSHOT whenever another process (the CLI beside the
 * server) had committed in between — an import refused with a 500 after all its work. If the lock
 * cannot be had, PracticeBusyError; nothing was written. PostgreSQL needs neither (its own locks).
 */
async function writeTransaction<T>(db: Db, body: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  try {
    if (dialectOf(db) === 'postgres') return await db.transaction().execute(body);
    // One connection (kysely's SQLite driver has only one; its mutex holds this process's other queries until the commit).
    return await db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        const out = await body(conn as Transaction<Database>);
        await sql`commit`.execute(conn);
        return out;
      } catch (err) {
        await sql`rollback`.execute(conn).catch(() => undefined);
        throw err;
      }
    });
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) throw new PracticeBusyError();
    throw err;
  }
}

// ---- the one door to the table ---------------------------------------------------------------------

/**
 * Every query of `practice_records` goes through here, and here alone names the table (issue 15:
 * isolation is enforced in one place, not remembered in each query). `select()` starts a query that
 * already reads only this practice's rows; `upsert()` writes rows into this practice, its natural key
 * being (practice, kind, key). src/practice/ledger-door.test.ts fails on any other query of the table.
 */
// ledger-door:start
type Row = Database['practice_records'];

function recordsOf(db: Executor, practiceId: string) {
  return {
    select: () => db.selectFrom('practice_records').where('practice_id', '=', practiceId),
    upsert: (rows: Array<Omit<Row, 'practice_id'>>) =>
      db
        .insertInto('practice_records')
        .values(rows.map((r) => ({ ...r, practice_id: practiceId })))
        .onConflict((oc) =>
          oc.columns(['practice_id', 'kind', 'key']).doUpdateSet((eb) => ({
            state: eb.ref('excluded.state'),
            version: eb.ref('excluded.version'),
            content_hash: eb.ref('excluded.content_hash'),
            content: eb.ref('excluded.content'),
            date: eb.ref('excluded.date'),
            party_key: eb.ref('excluded.party_key'),
            project_key: eb.ref('excluded.project_key'),
            total_cents: eb.ref('excluded.total_cents'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .execute(),
  };
}
// ledger-door:end

function fromRow<K extends Kind>(row: Omit<Row, 'practice_id'>): StoredRecord<K> {
  return {
    id: row.id,
    kind: row.kind as K,
    key: row.key,
    state: row.state as RecordState,
    version: Number(row.version),
    contentHash: row.content_hash,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    record: JSON.parse(row.content) as RecordOf[K],
  };
}

// ---- reference index ---------------------------------------------------------------------------

const CHUNK = 500;
function chunks<T>(xs: T[], n = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/**
 * What exists already, for reference checks: every list and name record in full (there are few), and
 * of the invoices only those the inputs name (there may be 50,000).
 */
/**
 * A key that could be stored: text without control characters (schemas.ts refuses them). Keys from a
 * URL or from a record that failed its schema are checked before they reach a query, because
 * PostgreSQL refuses NUL in a parameter with an error (a 500) where SQLite just finds nothing.
 */
function storableKey(key: unknown): key is string {
  return typeof key === 'string' && !hasForbiddenCharacters(key);
}

/** Rows of list records read per query: with 300,000 offices stored, one query and parse of them all held the server 2.4 s. */
const INDEX_PAGE = 1000;

export async function loadReferenceIndex(db: Executor, practiceId: string, inputs: InputRecord[], pause: Pause = noPause): Promise<ReferenceIndex> {
  const index = new ReferenceIndex();
  const lists = kinds.filter((k) => !kindInfo[k].document);
  // Page by page in key order (keyset, so each page is an index seek), yielding between pages.
  for (const kind of lists) {
    let after: string | undefined;
    for (;;) {
      let q = recordsOf(db, practiceId).select().select(['key', 'content']).where('kind', '=', kind);
      if (after !== undefined) q = q.where('key', '>', after);
      const rows = await q.orderBy('key').limit(INDEX_PAGE).execute();
      for (const r of rows) index.set(kind, r.key, JSON.parse(r.content));
      await pause();
      if (rows.length < INDEX_PAGE) break;
      after = rows[rows.length - 1]!.key;
    }
  }
  const invoiceNumbers = new Set<string>();
  for (const i of inputs) {
    const v = i.value as Record<string, unknown> | null;
    if (!v || typeof v !== 'object') continue;
    if (i.kind === 'credit-note' && storableKey(v.invoiceNumber)) invoiceNumbers.add(v.invoiceNumber);
    if (i.kind === 'payment' && Array.isArray(v.allocations)) {
      for (const a of v.allocations as Array<Record<string, unknown> | null>) if (a && storableKey(a.invoiceNumber)) invoiceNumbers.add(a.invoiceNumber);
    }
  }
  for (const part of chunks([...invoiceNumbers])) {
    const inv = await recordsOf(db, practiceId).select().select(['key', 'party_key', 'total_cents']).where('kind', '=', 'invoice').where('key', 'in', part).execute();
    for (const r of inv) index.set('invoice', r.key, { number: r.key, contactCode: r.party_key, totalCents: Number(r.total_cents) });
  }
  return index;
}

// ---- writes --------------------------------------------------------------------------------------

export interface WriteSummary {
  created: number;
  updated: number;
  unchanged: number;
  /** Per kind: how many were created / updated / unchanged. */
  byKind: Partial<Record<Kind, { created: number; updated: number; unchanged: number }>>;
}

export interface WriteOptions {
  /** Awaited between batches (an import yields there, see time-slice.ts). */
  pause?: Pause;
  /** Answer each written record as stored (one-record writes answer it; an import does not need 50,000 copies). */
  keepStored?: boolean;
}

/**
 * Writes validated records: inserts new keys, updates changed content (version + 1), leaves equal
 * content alone. Batch by batch (500 records): look up what is stored, build the rows, upsert, pause;
 * so only one batch's rows and content text are held at a time.
 */
export async function writeRecords(
  trx: Executor,
  practiceId: string,
  valid: ValidRecord[],
  now: Date,
  opts: WriteOptions = {},
): Promise<WriteSummary & { stored: StoredRecord[] }> {
  const { pause = noPause, keepStored = true } = opts;
  const at = now.toISOString();
  const summary: WriteSummary & { stored: StoredRecord[] } = { created: 0, updated: 0, unchanged: 0, byKind: {}, stored: [] };
  const byKind = new Map<Kind, ValidRecord[]>();
  for (const v of valid) {
    const list = byKind.get(v.kind) ?? [];
    list.push(v);
    byKind.set(v.kind, list);
  }
  for (const [kind, list] of byKind) {
    const counts = { created: 0, updated: 0, unchanged: 0 };
    summary.byKind[kind] = counts;
    for (const part of chunks(list)) {
      const existing = new Map<string, { id: string; hash: string; version: number; created_at: string }>();
      const rows = await recordsOf(trx, practiceId)
        .select()
        .select(['id', 'key', 'content_hash', 'version', 'created_at'])
        .where('kind', '=', kind)
        .where(
          'key',
          'in',
          part.map((v) => v.key),
        )
        .execute();
      for (const r of rows) existing.set(r.key, { id: r.id, hash: r.content_hash, version: Number(r.version), created_at: r.created_at });
      const writes: Array<Omit<Row, 'practice_id'>> = [];
      for (const v of part) {
        await pause();
        const content = canonicalJson(v.record);
        const hash = sha256Hex(content);
        const old = existing.get(v.key);
        if (old && old.hash === hash) {
          counts.unchanged++;
          continue;
        }
        const cols = (kindInfo[kind].columns as (r: unknown) => ReturnType<(typeof kindInfo)['invoice']['columns']>)(v.record);
        const row: Omit<Row, 'practice_id'> = {
          id: old?.id ?? crypto.randomUUID(),
          kind,
          key: v.key,
          state: (v.record as { state?: RecordState }).state ?? 'active',
          version: old ? old.version + 1 : 1,
          content_hash: hash,
          content,
          date: cols.date,
          party_key: cols.partyKey,
          project_key: cols.projectKey,
          total_cents: cols.totalCents,
          created_at: old?.created_at ?? at,
          updated_at: at,
        };
        if (old) counts.updated++;
        else counts.created++;
        writes.push(row);
        if (keepStored) summary.stored.push(fromRow(row));
      }
      // New and changed rows alike: an upsert on the natural key keeps id and created_at of existing
      // rows. 14 columns × 500 rows stays under both dialects' bound-parameter limits.
      if (writes.length) await recordsOf(trx, practiceId).upsert(writes);
      await pause();
    }
    summary.created += counts.created;
    summary.updated += counts.updated;
    summary.unchanged += counts.unchanged;
  }
  return summary;
}

/**
 * Whole-ledger writes (imports) one at a time per database. SQLite needs nothing: kysely holds its
 * one connection for the whole transaction, so this process's other queries wait for the commit, and
 * another process's write makes ours fail (SQLITE_BUSY) rather than interleave. PostgreSQL runs
 * transactions side by side (READ COMMITTED): two imports from two hosts or a CLI could both read a
 * key as absent, both write version 1 and lose a version step, or one could validate against records
 * the other is changing. A transaction-scoped advisory lock makes the second wait for the first's
 * commit (or rollback), then validate against what the first stored. Readers (a sync, a preview) are
 * not held: they see the ledger before the import until it commits, never half of it.
 */
const PRACTICE_IMPORT_LOCK = 0x71_62_6f_49; // "qboI": any constant this product alone uses
async function oneImportAtATime(trx: Transaction<Database>): Promise<void> {
  if (dialectOf(trx) === 'postgres') await sql`select pg_advisory_xact_lock(${PRACTICE_IMPORT_LOCK})`.execute(trx);
}

/**
 * Validates and writes many records of any kinds in ONE transaction: all or nothing. Throws a
 * PracticeError listing every problem, and then nothing was written. Every record is checked before
 * anything is written: schemas first, outside the transaction (they need nothing stored, and SQLite's
 * one connection is then held only for what needs it), then references against what is stored,
 * inside it. `pause` lets a large import yield between records and between write batches: inside
 * the transaction that is safe on both dialects (see oneImportAtATime), and the transaction still
 * commits or rolls back as one.
 */
export async function putRecords(db: Db, practiceId: string, inputs: InputRecord[], now: Date, pause: Pause = noPause): Promise<WriteSummary> {
  const checked = await checkSchemas(inputs, pause);
  if (checked.issues.length) {
    // Refused already; the references are still checked (nothing is written), so the report names every problem.
    const { issues, more } = await checkReferencesOf(checked, await loadReferenceIndex(db, practiceId, inputs, pause), pause);
    throw new PracticeError([...checked.issues, ...issues], 400, { issues: more, records: checked.unchecked });
  }
  return concurrentWrite(undefined, undefined, () =>
    writeTransaction(db, async (trx) => {
      await oneImportAtATime(trx);
      const index = await loadReferenceIndex(trx, practiceId, inputs, pause);
      const { valid, issues, more } = await checkReferencesOf(checked, index, pause);
      if (issues.length) throw new PracticeError(issues, 400, { issues: more, records: 0 });
      const { stored: _s, ...summary } = await writeRecords(trx, practiceId, valid, now, { pause, keepStored: false });
      return summary;
    }),
  );
}

/** True for a unique-key violation on either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Two writers creating the same key at once: the loser's insert hits the unique constraint. That is
 * a conflict (409, try again), not a server error.
 */
async function concurrentWrite<T>(kind: Kind | undefined, key: string | undefined, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    throw new PracticeError(
      [
        issue(
          reasonCodes.exists,
          kind,
          key,
          kind ? kindInfo[kind].keyField : '',
          'was created by another write at the same moment: send the request again (it will update the record)',
        ),
      ],
      409,
    );
  }
}

/** Validation only, nothing written: every problem of the inputs against what is stored. */
export async function checkRecords(db: Db, practiceId: string, inputs: InputRecord[], pause: Pause = noPause): Promise<{ issues: PracticeIssue[]; omitted: Omitted }> {
  const index = await loadReferenceIndex(db, practiceId, inputs, pause);
  const { issues, omitted } = await validateRecords(inputs, index, pause);
  return { issues, omitted };
}

async function exists(db: Executor, practiceId: string, kind: Kind, key: string): Promise<boolean> {
  if (!storableKey(key)) return false;
  return !!(await recordsOf(db, practiceId).select().select('id').where('kind', '=', kind).where('key', '=', key).executeTakeFirst());
}

/** Creates one record; 409 when its key is taken. */
export async function createRecord<K extends Kind>(db: Db, practiceId: string, kind: K, input: unknown, now: Date): Promise<StoredRecord<K>> {
  const key = input && typeof input === 'object' ? String((input as Record<string, unknown>)[kindInfo[kind].keyField]) : undefined;
  return concurrentWrite(kind, key, () =>
    writeTransaction(db, async (trx) => {
      const index = await loadReferenceIndex(trx, practiceId, [{ kind, value: input }]);
      const { valid, issues } = await validateRecords([{ kind, value: input }], index);
      if (issues.length) throw new PracticeError(issues);
      const v = valid[0]!;
      if (await exists(trx, practiceId, kind, v.key)) throw new PracticeError([issue(reasonCodes.exists, kind, v.key, kindInfo[kind].keyField, say.exists())], 409);
      const { stored } = await writeRecords(trx, practiceId, valid, now);
      return stored[0] as StoredRecord<K>;
    }),
  );
}

/**
 * Replaces a record's content (the whole record, as on create). The version moves only when the
 * content changed; cancelling is an update with `state: "cancelled"`. 404 when there is no such record.
 */
export async function updateRecord<K extends Kind>(
  db: Db,
  practiceId: string,
  kind: K,
  key: string,
  input: unknown,
  now: Date,
): Promise<{ stored: StoredRecord<K>; changed: boolean }> {
  return writeTransaction(db, async (trx) => {
    const keyField = kindInfo[kind].keyField;
    if (!(await exists(trx, practiceId, kind, key))) throw new PracticeError([issue(reasonCodes.notFound, kind, key, '', say.notFound())], 404);
    const isObject = !!input && typeof input === 'object' && !Array.isArray(input);
    // The key comes from the URL; a body may repeat it, but never change it.
    const value = isObject ? { [keyField]: key, ...(input as object) } : input;
    const given = isObject ? (value as Record<string, unknown>)[keyField] : key;
    if (given !== key) throw new PracticeError([issue(reasonCodes.keyChanged, kind, key, keyField, say.keyChanged(key, String(given)))]);
    const index = await loadReferenceIndex(trx, practiceId, [{ kind, value }]);
    const { valid, issues } = await validateRecords([{ kind, value }], index);
    if (issues.length) throw new PracticeError(issues);
    const { stored, updated } = await writeRecords(trx, practiceId, valid, now);
    if (updated) return { stored: stored[0] as StoredRecord<K>, changed: true };
    return { stored: (await getRecord(trx, practiceId, kind, key))!, changed: false };
  });
}

// ---- reads ---------------------------------------------------------------------------------------

export async function getRecord<K extends Kind>(db: Executor, practiceId: string, kind: K, key: string): Promise<StoredRecord<K> | undefined> {
  if (!storableKey(key)) return undefined;
  const row = await recordsOf(db, practiceId).select().selectAll().where('kind', '=', kind).where('key', '=', key).executeTakeFirst();
  return row ? fromRow<K>(row) : undefined;
}

/** Records of a kind by natural key (missing keys are absent from the map). */
export async function getRecordsByKeys<K extends Kind>(db: Executor, practiceId: string, kind: K, keys: Iterable<string>): Promise<Map<string, StoredRecord<K>>> {
  const out = new Map<string, StoredRecord<K>>();
  for (const part of chunks([...new Set(keys)].filter(storableKey))) {
    const rows = await recordsOf(db, practiceId).select().selectAll().where('kind', '=', kind).where('key', 'in', part).execute();
    for (const r of rows) out.set(r.key, fromRow<K>(r));
  }
  return out;
}

export interface ListOptions {
  /** Documents dated on or after (YYYY-MM-DD). */
  from?: string | undefined;
  /** Documents dated on or before (YYYY-MM-DD). */
  to?: string | undefined;
  state?: RecordState | undefined;
  /** Page size, 1–1000 (default 100). */
  limit?: number | undefined;
  offset?: number | undefined;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
  /** The offset of the next page, or null on the last page. */
  nextOffset: number | null;
}

/** One page of a kind: documents by date then number, everything else by key. */
export async function listRecords<K extends Kind>(db: Executor, practiceId: string, kind: K, opts: ListOptions = {}): Promise<Page<StoredRecord<K>>> {
  const limit = Math.min(Math.max(Math.trunc(opts.limit ?? 100), 1), 1000);
  const offset = Math.max(Math.trunc(opts.offset ?? 0), 0);
  let q = recordsOf(db, practiceId).select().where('kind', '=', kind);
  if (opts.from) q = q.where('date', '>=', opts.from);
  if (opts.to) q = q.where('date', '<=', opts.to);
  if (opts.state) q = q.where('state', '=', opts.state);
  const { n } = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await q.selectAll().orderBy('date').orderBy('key').limit(limit).offset(offset).execute();
  const total = Number(n);
  return { items: rows.map((r) => fromRow<K>(r)), total, limit, offset, nextOffset: offset + rows.length < total ? offset + rows.length : null };
}

/** Counts per kind (all states): for the home page, the CLI and tests. */
export async function countRecords(db: Executor, practiceId: string): Promise<Partial<Record<Kind, number>>> {
  const rows = await recordsOf(db, practiceId)
    .select()
    .select(['kind', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('kind')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.kind, Number(r.n)]));
}

// ---- the preview's read ------------------------------------------------------------------------------

/** A line's references, resolved. Absent when the line does not name one (or it no longer exists). */
export interface ResolvedLine {
  project?: StoredRecord<'project'>;
  stage?: Stage;
  costCentre?: StoredRecord<'cost-centre'>;
  discipline?: StoredRecord<'discipline'>;
  expenseType?: StoredRecord<'expense-type'>;
  taxCode?: StoredRecord<'tax-code'>;
}

export interface ExportDocument<K extends DocumentKind = DocumentKind> {
  stored: StoredRecord<K>;
  /** The client (invoices, credit notes, payments) or supplier (bills). */
  contact?: StoredRecord<'contact'>;
  /** Staff expenses: the staff member. */
  staff?: StoredRecord<'staff'>;
  /** The header's project (invoices, credit notes, staff expenses). */
  project?: StoredRecord<'project'>;
  /** Credit notes: the original invoice. */
  invoice?: StoredRecord<'invoice'>;
  /** Payments: the payment type. */
  paymentType?: StoredRecord<'payment-type'>;
  /** One per line (staff expenses: one, for the expense itself). */
  lines: ResolvedLine[];
  /** Payments: one per allocation, the invoice it pays. */
  allocations: Array<{ invoice?: StoredRecord<'invoice'> }>;
}

export interface ExportQuery<K extends DocumentKind> {
  kind: K;
  /** The export-from date: documents dated on or after it. */
  fromDate: string;
  toDate?: string;
  /** Default: active and cancelled (the engine decides what a cancelled, synced document means). */
  states?: RecordState[];
}

/**
 * Documents of one kind in the export window, oldest first, with every reference resolved in bulk
 * (a handful of queries whatever the number of documents).
 */
export async function listDocumentsForExport<K extends DocumentKind>(db: Executor, practiceId: string, q: ExportQuery<K>): Promise<ExportDocument<K>[]> {
  if (!(documentKinds as readonly string[]).includes(q.kind)) throw new Error(`${q.kind} is not a document kind`);
  let sel = recordsOf(db, practiceId).select().selectAll().where('kind', '=', q.kind).where('date', '>=', q.fromDate);
  if (q.toDate) sel = sel.where('date', '<=', q.toDate);
  if (q.states?.length) sel = sel.where('state', 'in', q.states);
  const docs = (await sel.orderBy('date').orderBy('key').execute()).map((r) => fromRow<K>(r));

  // Every list and name record is small enough to read whole; invoices only by the keys named.
  const all = new Map<Kind, Map<string, StoredRecord>>();
  const lists = kinds.filter((k) => !kindInfo[k].document);
  const rows = await recordsOf(db, practiceId).select().selectAll().where('kind', 'in', lists).execute();
  for (const r of rows) {
    const m = all.get(r.kind as Kind) ?? new Map<string, StoredRecord>();
    m.set(r.key, fromRow(r));
    all.set(r.kind as Kind, m);
  }
  const invoiceKeys: string[] = [];
  for (const d of docs) {
    const r = d.record as unknown as Record<string, unknown>;
    if (typeof r.invoiceNumber === 'string') invoiceKeys.push(r.invoiceNumber);
    if (Array.isArray(r.allocations)) for (const a of r.allocations as Array<{ invoiceNumber: string }>) invoiceKeys.push(a.invoiceNumber);
  }
  const invoices = invoiceKeys.length ? await getRecordsByKeys(db, practiceId, 'invoice', invoiceKeys) : new Map<string, StoredRecord<'invoice'>>();
  const find = <T extends Kind>(kind: T, key: string | null | undefined) => (key ? (all.get(kind)?.get(key) as StoredRecord<T> | undefined) : undefined);
  const opt = <T>(name: string, v: T | undefined): Record<string, T> => (v === undefined ? {} : { [name]: v });

  const resolveLine = (
    l: { projectNumber?: string | null; stageCode?: string | null; expenseTypeCode?: string; taxCode: string },
    headerProject: string | null | undefined,
  ): ResolvedLine => {
    const project = find('project', l.projectNumber ?? headerProject);
    const stage = l.stageCode ? project?.record.stages.find((s) => s.code === l.stageCode) : undefined;
    return {
      ...opt('project', project),
      ...opt('stage', stage),
      ...opt('costCentre', find('cost-centre', stage?.costCentreCode)),
      ...opt('discipline', find('discipline', stage?.disciplineCode)),
      ...opt('expenseType', find('expense-type', l.expenseTypeCode)),
      ...opt('taxCode', find('tax-code', l.taxCode)),
    };
  };

  return docs.map((stored) => {
    const out: ExportDocument<K> = { stored, lines: [], allocations: [] };
    const r = stored.record;
    switch (stored.kind) {
      case 'invoice':
      case 'credit-note': {
        const d = r as RecordOf['invoice'] | RecordOf['credit-note'];
        Object.assign(out, opt('contact', find('contact', d.contactCode)), opt('project', find('project', d.projectNumber)));
        if ('invoiceNumber' in d && d.invoiceNumber) Object.assign(out, opt('invoice', invoices.get(d.invoiceNumber)));
        out.lines = d.lines.map((l) => resolveLine(l, d.projectNumber));
        break;
      }
      case 'payment': {
        const d = r as RecordOf['payment'];
        Object.assign(out, opt('contact', find('contact', d.contactCode)), opt('paymentType', find('payment-type', d.paymentTypeCode)));
        out.allocations = d.allocations.map((a) => opt('invoice', invoices.get(a.invoiceNumber)));
        break;
      }
      case 'bill': {
        const d = r as RecordOf['bill'];
        Object.assign(out, opt('contact', find('contact', d.supplierCode)));
        out.lines = d.lines.map((l) => resolveLine(l, undefined));
        break;
      }
      case 'staff-expense': {
        const d = r as RecordOf['staff-expense'];
        Object.assign(out, opt('staff', find('staff', d.staffUniqueId)), opt('project', find('project', d.projectNumber)));
        out.lines = [resolveLine(d, d.projectNumber)];
        break;
      }
    }
    return out;
  });
}

/** The whole ledger of one practice, kind by kind in key order, as records (what an export writes). */
export async function allRecordsOf(db: Executor, practiceId: string, kind: Kind): Promise<unknown[]> {
  const rows = await recordsOf(db, practiceId).select().select('content').where('kind', '=', kind).orderBy('key').execute();
  return rows.map((r) => JSON.parse(r.content) as unknown);
}
