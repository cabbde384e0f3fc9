/**
 * The practice side of the report: its documents from the earliest date needed (the period's start
 * or a kind's export-from date, whichever is earlier) to the period's end, every link of the company,
 * and what is skipped. A few queries whatever the number of records (1,000 a page).
 */
import type { Db } from '../../store/db.js';
import { listRecords, type StoredRecord } from '../../practice/store.js';
import type { DocumentKind } from '../kinds.js';
import type { Link } from '../links.js';
import { listSkipped } from '../skips.js';

export async function documentsBetween<K extends DocumentKind>(db: Db, practiceId: string, kind: K, from: string, to: string): Promise<StoredRecord<K>[]> {
  const out: StoredRecord<K>[] = [];
  for (let offset = 0; ;) {
    const page = await listRecords(db, practiceId, kind, { from, to, limit: 1000, offset });
    out.push(...page.items);
    if (page.nextOffset === null) return out;
    offset = page.nextOffset;
  }
}

/** Every link of the company (documents, names, items: a few thousand rows). */
export async function allLinks(db: Db, realmId: string): Promise<Link[]> {
  return db.selectFrom('links').selectAll().where('realm_id', '=', realmId).execute();
}

/** What is skipped now, by `kind:id`, with who skipped it and why. */
export async function skipsByKey(db: Db, realmId: string): Promise<Map<string, { by: string; at: string; reason: string | null }>> {
  const out = new Map<string, { by: string; at: string; reason: string | null }>();
  for (const s of await listSkipped(db, realmId)) out.set(`${s.kind}:${s.recordId}`, { by: s.skippedBy, at: s.skippedAt, reason: s.reasonCode });
  return out;
}
