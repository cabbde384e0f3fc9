/**
 * What QBO told us changed (issue 16): the 'company-changes' job (jobs/tasks/company-changes.ts) runs
 * this after QBO's webhook named the company. It asks QBO's change data capture what changed since
 * the company's cursor, and
 * - notes on each linked record whose QBO copy moved away from what we left there — field by field
 *   against the link's base (`sent_fields`, the preview's three-way base), so a SyncToken moved only by
 *   our own payment or credit application notes nothing — which fields QBO changed, and when
 *   (`links.qbo_changed_at` / `qbo_changed_fields`); a record back to our values is cleared. The
 *   preview's three-way comparison still decides what is held as diverged; this makes the change
 *   visible at once, without waiting for someone to open a preview;
 * - imports payments entered in QBO when the company imports payments: as a run of its own under
 *   the company's lock (connect/run/sync.ts `only: 'payments-import'`), so it is in the history.
 * Idempotent: a second run over the same changes writes nothing (values are compared before they
 * are written, and an imported payment is linked, so it is not imported again).
 */
import type { Clock } from '../../context.js';
import type { Logger } from '../../log.js';
import type { CdcRow, CompanyClient } from '../../qbo/client.js';
import type { EntityName } from '../../qbo/wire-types.js';
import type { Db } from '../../store/db.js';
import { lastLinkWrite, linksByQboId, type Link } from '../links.js';
import { baseOf, basesOf, normalizeField, same } from '../plan/index.js';
import { getSettings } from '../settings/store.js';

/** CDC answers at most 30 days back; stay a day inside it (as the preview does, plan/qbo-check.ts). */
const CDC_WINDOW_MS = 29 * 86_400_000;
/** Asked a minute before the cursor: clocks differ and CDC's window edges are not documented as exact. */
const OVERLAP_MS = 60_000;

export interface ChangesDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  client: CompanyClient;
  /** Runs an import-only run of the company (under its lock, in the history); absent: payments are not imported. */
  importPayments?: () => Promise<{ runId: string; status: string }>;
}

export interface ChangesResult {
  /** 'blind': too long since the cursor for CDC (the preview reads by Id then); 'first': no cursor and nothing synced yet. */
  outcome: 'applied' | 'blind' | 'first';
  marked: number;
  cleared: number;
  /** QBO payments not linked to any practice record, seen in this window. */
  newPayments: number;
  importRun?: { runId: string; status: string };
}

export async function applyQboChanges(deps: ChangesDeps, realmId: string): Promise<ChangesResult> {
  const { db, clock } = deps;
  const now = clock();
  const cursor = await db.selectFrom('qbo_change_cursors').select('changed_since').where('realm_id', '=', realmId).executeTakeFirst();
  const since = cursor?.changed_since ?? (await lastLinkWrite(db, realmId));
  if (!since) {
    await saveCursor(db, realmId, now.toISOString(), now);
    return { outcome: 'first', marked: 0, cleared: 0, newPayments: 0 };
  }
  if (now.getTime() - Date.parse(since) >= CDC_WINDOW_MS) {
    // CDC cannot look back that far; the preview reads the records it writes by Id in that case.
    await saveCursor(db, realmId, now.toISOString(), now);
    return { outcome: 'blind', marked: 0, cleared: 0, newPayments: 0 };
  }

  const linkedEntities = (await db.selectFrom('links').select('qbo_entity').distinct().where('realm_id', '=', realmId).where('state', '!=', 'voided').execute()).map(
    (r) => r.qbo_entity as EntityName,
  );
  const settings = await getSettings(db, realmId, clock);
  const importing = settings.payments.direction === 'import' && deps.importPayments !== undefined;
  const entities = [...new Set([...linkedEntities, ...(importing ? (['Payment'] as EntityName[]) : [])])];
  if (!entities.length) {
    await saveCursor(db, realmId, now.toISOString(), now);
    return { outcome: 'applied', marked: 0, cleared: 0, newPayments: 0 };
  }
  const cdc = await deps.client.cdc(entities, new Date(Date.parse(since) - OVERLAP_MS).toISOString());
  if (cdc.anyTruncated) deps.logger.warn({ realmId }, 'QBO change data capture hit its 1,000-object cap: some changes are noted only at the next preview');

  let marked = 0;
  let cleared = 0;
  let newPayments = 0;
  for (const [entity, rows] of Object.entries(cdc.changes) as Array<[EntityName, CdcRow[] | undefined]>) {
    if (!rows?.length) continue;
    const links = await linksByQboId(
      db,
      realmId,
      entity,
      rows.map((r) => r.Id),
    );
    const bases = await basesOf(db, realmId, [...links.values()]);
    for (const row of rows) {
      const link = links.get(row.Id);
      if (!link) {
        if (entity === 'Payment' && row.status !== 'Deleted') newPayments += 1;
        continue;
      }
      if (link.state === 'voided') continue;
      const fields = changedFields(link, row, baseOf(bases, link));
      const r = await note(db, link, fields, row, now);
      if (r === 'marked') marked += 1;
      if (r === 'cleared') cleared += 1;
    }
  }

  let importRun: ChangesResult['importRun'];
  if (importing && newPayments > 0) importRun = await deps.importPayments!();
  // Only after the work is done: a failed job is retried from the same point.
  await saveCursor(db, realmId, cdc.time, now);
  deps.logger.info({ realmId, marked, cleared, newPayments, importRun: importRun?.runId }, 'QBO changes applied');
  return { outcome: 'applied', marked, cleared, newPayments, ...(importRun ? { importRun } : {}) };
}

/**
 * The fields QBO changed since our last write, against the link's base (QBO's values right after it);
 * null when QBO holds what we left there. Without a base (a record adopted, never written by us), a
 * moved SyncToken is a change of fields not known (an empty list).
 */
export function changedFields(link: Link, row: CdcRow, base: ReturnType<typeof baseOf>): string[] | null {
  if (row.status === 'Deleted') return ['deleted'];
  if (row.SyncToken !== undefined && row.SyncToken === link.sync_token) return null;
  if (!base) return row.SyncToken === undefined ? null : [];
  const out = Object.keys(base).filter((f) => !same(base[f]!.qbo, normalizeField(f, row[f])));
  if (
    link.qbo_total_cents !== null &&
    typeof row['TotalAmt'] === 'number' &&
    row['TotalAmt'] === 0 &&
    Number(link.qbo_total_cents) !== 0 &&
    /Voided/i.test(String(row['PrivateNote'] ?? ''))
  ) {
    return ['voided'];
  }
  return out.length ? out : null;
}

async function note(db: Db, link: Link, fields: string[] | null, row: CdcRow, now: Date): Promise<'marked' | 'cleared' | 'same'> {
  const where = db.updateTable('links').where('realm_id', '=', link.realm_id).where('record_kind', '=', link.record_kind).where('record_key', '=', link.record_key);
  if (fields === null) {
    if (link.qbo_changed_at === null) return 'same';
    await where.set({ qbo_changed_at: null, qbo_changed_fields: null }).execute();
    return 'cleared';
  }
  const text = JSON.stringify(fields);
  if (link.qbo_changed_fields === text && link.qbo_changed_at !== null) return 'same';
  const meta = row['MetaData'] as { LastUpdatedTime?: unknown } | undefined;
  const at = typeof meta?.LastUpdatedTime === 'string' && !Number.isNaN(Date.parse(meta.LastUpdatedTime)) ? new Date(meta.LastUpdatedTime).toISOString() : now.toISOString();
  // `updated_at` is left alone: it is when we last wrote the link (lastLinkWrite reads it).
  await where.set({ qbo_changed_at: link.qbo_changed_at ?? at, qbo_changed_fields: text }).execute();
  return 'marked';
}

async function saveCursor(db: Db, realmId: string, changedSince: string, now: Date): Promise<void> {
  const at = now.toISOString();
  const updated = await db.updateTable('qbo_change_cursors').set({ changed_since: changedSince, updated_at: at }).where('realm_id', '=', realmId).executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) await db.insertInto('qbo_change_cursors').values({ realm_id: realmId, changed_since: changedSince, updated_at: at }).execute();
}
