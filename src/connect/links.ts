/**
 * The `links` table (which QBO record holds each practice record, and what we last wrote there), as
 * the preview and the sync read and change it. The preview reads in bulk, by key, never one query per
 * record; the sync reads and marks one link at a time around each write. A link is created and moved
 * on with its run's result in run/journal.ts resolveWrite (one transaction with the journal row).
 */
import type { Selectable, Transaction } from 'kysely';
import type { Db } from '../store/db.js';
import type { Database } from '../store/schema.js';
import type { SyncTables } from '../store/tables/sync.js';

export type Link = Selectable<SyncTables['links']>;

const chunk = <T>(xs: T[], n = 500): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

/** Links of one practice kind by record key. */
export async function linksByKey(db: Db, realmId: string, kind: string, keys: Iterable<string>): Promise<Map<string, Link>> {
  const out = new Map<string, Link>();
  for (const part of chunk([...new Set(keys)])) {
    const rows = await db.selectFrom('links').selectAll().where('realm_id', '=', realmId).where('record_kind', '=', kind).where('record_key', 'in', part).execute();
    for (const r of rows) out.set(r.record_key, r);
  }
  return out;
}

/**
 * Links of one practice kind by record key in any of `realmIds` (the other companies of a practice:
 * a document synced to one of them is never created again in another; plan/office-routing.ts).
 */
export async function linksInRealms(db: Db, realmIds: string[], kind: string, keys: Iterable<string>): Promise<Map<string, Link>> {
  const out = new Map<string, Link>();
  if (realmIds.length === 0) return out;
  for (const part of chunk([...new Set(keys)])) {
    const rows = await db
      .selectFrom('links')
      .selectAll()
      .where('realm_id', 'in', realmIds)
      .where('record_kind', '=', kind)
      .where('record_key', 'in', part)
      .orderBy('realm_id')
      .execute();
    for (const r of rows) if (!out.has(r.record_key)) out.set(r.record_key, r);
  }
  return out;
}

/** Every link of the given kinds (names and items: a few thousand at most). */
export async function linksOfKinds(db: Db, realmId: string, kinds: string[]): Promise<Map<string, Link>> {
  const rows = await db.selectFrom('links').selectAll().where('realm_id', '=', realmId).where('record_kind', 'in', kinds).execute();
  return new Map(rows.map((r) => [`${r.record_kind}:${r.record_key}`, r]));
}

/** Links by the QBO entity they point at (for imports: which practice invoice a QBO invoice is). */
export async function linksByQboId(db: Db, realmId: string, entity: string, ids: Iterable<string>): Promise<Map<string, Link>> {
  const out = new Map<string, Link>();
  for (const part of chunk([...new Set(ids)])) {
    const rows = await db.selectFrom('links').selectAll().where('realm_id', '=', realmId).where('qbo_entity', '=', entity).where('qbo_id', 'in', part).execute();
    for (const r of rows) out.set(r.qbo_id, r);
  }
  return out;
}

/** When this company was last written by a sync: the newest link. Null before the first sync. */
export async function lastLinkWrite(db: Db, realmId: string): Promise<string | null> {
  const r = await db
    .selectFrom('links')
    .select((eb) => eb.fn.max('updated_at').as('at'))
    .where('realm_id', '=', realmId)
    .executeTakeFirst();
  return (r?.at as string | null | undefined) ?? null;
}

/** The link of one practice record, if any. */
export async function linkOf(db: Db, realmId: string, kind: string, key: string): Promise<Link | undefined> {
  return db.selectFrom('links').selectAll().where('realm_id', '=', realmId).where('record_kind', '=', kind).where('record_key', '=', key).executeTakeFirst();
}

/** The QBO Id a practice record was written to; undefined unless exactly one link holds it. */
export async function linkedQboId(db: Db, realmId: string, kinds: readonly string[], key: string): Promise<string | undefined> {
  const found = await db.selectFrom('links').select('qbo_id').where('realm_id', '=', realmId).where('record_kind', 'in', kinds).where('record_key', '=', key).execute();
  return found.length === 1 ? found[0]!.qbo_id : undefined;
}

/** Stores the values both sides held after a write, field by field: the base of the next three-way comparison. */
export async function setSentFields(trx: Db | Transaction<Database>, realmId: string, kind: string, key: string, fields: unknown): Promise<void> {
  await trx
    .updateTable('links')
    .set({ sent_fields: JSON.stringify(fields) })
    .where('realm_id', '=', realmId)
    .where('record_kind', '=', kind)
    .where('record_key', '=', key)
    .execute();
}

/** Holds a record as changed by hand in QBO: nothing is sent for it until QBO again holds what we wrote. */
export async function markDiverged(db: Db, realmId: string, kind: string, key: string, at: Date): Promise<void> {
  await db
    .updateTable('links')
    .set({ state: 'diverged', updated_at: at.toISOString() })
    .where('realm_id', '=', realmId)
    .where('record_kind', '=', kind)
    .where('record_key', '=', key)
    .execute();
}
