/**
 * The company an API request is about, refused unless this installation knows it (issue 12 §10):
 * a realm id that was never connected here would otherwise make a read write (a settings row made
 * for it) or a sync record a failed run for it. Known = a row in `connections`, connected or not.
 */
import type { Db } from '../../store/db.js';
import { resolveRealm } from '../../connect/realm.js';
import { refusal } from '../../connect/reasons.js';

export async function resolveKnownRealm(db: Db, given: string | undefined, how: string): Promise<string> {
  const realmId = await resolveRealm(db, given, how);
  const row = await db.selectFrom('connections').select('realm_id').where('realm_id', '=', realmId).executeTakeFirst();
  if (!row) {
    const known = (await db.selectFrom('connections').select('realm_id').orderBy('realm_id').execute()).map((r) => r.realm_id);
    throw refusal('realm.unknown', { value: realmId, known, how }, 'realm');
  }
  return realmId;
}
