/**
 * A snapshot of whole tables, to prove that a refused request changed nothing already stored:
 * every row of each table, sorted by its JSON text so the order rows come back in does not matter.
 */
import type { Db } from '../../src/store/db.js';

/** The tables that hold what people and syncs have stored (not sessions, which sign-ins touch). */
export const storedTables = ['users', 'api_tokens', 'practice_records', 'connections', 'oauth_states', 'connect_settings', 'settings_audit', 'skips', 'links', 'journal', 'runs', 'run_records', 'sync_locks', 'app_meta'] as const;

export async function snapshotTables(db: Db, tables: readonly string[] = storedTables): Promise<string> {
  const out: Record<string, string[]> = {};
  for (const t of tables) {
    const rows = await db.selectFrom(t as 'users').selectAll().execute();
    out[t] = rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).sort();
  }
  return JSON.stringify(out);
}
