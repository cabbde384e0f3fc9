/**
 * A snapshot of whole tables, to prove that a refused request changed nothing already stored:
 * every row of each table, sorted by its JSON text so the order rows come back in does not matter.
 */
import type { Db } from '../../src/store/db.js';

/** The tables that hold what people and syncs have stored (not sessions, which sign-ins touch). */
export const storedTables = [
  'users',
  'api_tokens',
  'practice_records',
  'connections',
  'oauth_states',
  'connect_settings',
  'settings_audit',
  'skips',
  'links',
  'journal',
  'runs',
  'run_records',
  'sync_locks',
  'app_meta',
] as const;

/** Bookkeeping every authenticated request updates (an API token's last use), not stored content. */
const usageColumns = new Set(['last_used_at', 'last_seen_at']);

export async function snapshotTables(db: Db, tables: readonly string[] = storedTables): Promise<string> {
  const out: Record<string, string[]> = {};
  for (const t of tables) {
    const rows = await db
      .selectFrom(t as 'users')
      .selectAll()
      .execute();
    out[t] = rows.map((r) => JSON.stringify(r, (k, v: unknown) => (usageColumns.has(k) ? undefined : typeof v === 'bigint' ? v.toString() : v))).sort();
  }
  return JSON.stringify(out);
}

/** Which tables differ between two snapshots, with the rows only one side has (for failure messages). */
export function changedTables(before: string, after: string): Record<string, { gone: string[]; added: string[] }> {
  const a = JSON.parse(before) as Record<string, string[]>;
  const b = JSON.parse(after) as Record<string, string[]>;
  const out: Record<string, { gone: string[]; added: string[] }> = {};
  for (const t of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = new Set(a[t] ?? []);
    const y = new Set(b[t] ?? []);
    const gone = [...x].filter((r) => !y.has(r));
    const added = [...y].filter((r) => !x.has(r));
    if (gone.length || added.length) out[t] = { gone, added };
  }
  return out;
}
