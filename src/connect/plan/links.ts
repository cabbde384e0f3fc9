/** Reads of the `links` table the preview needs: in bulk, by key, never one query per record. */
import type { Selectable } from 'kysely';
import type { Db } from '../../store/db.js';
import type { SyncTables } from '../../store/tables/sync.js';

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
  const r = await db.selectFrom('links').select((eb) => eb.fn.max('updated_at').as('at')).where('realm_id', '=', realmId).executeTakeFirst();
  return (r?.at as string | null | undefined) ?? null;
}
