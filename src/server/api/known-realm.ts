/**
 * The company an API request is about, refused unless this installation knows it (issue 12 §10):
 * a realm id that was never connected here would otherwise make a read write (a settings row made
 * for it) or a sync record a failed run for it. Known = a row in `connections`, connected or not.
 */
import type { Db } from '../../store/db.js';
import { resolveRealm } from '../../connect/realm.js';
import { refusal } from '../../connect/reasons.js';
import { actingPractice } from '../../connect/acting-practice.js';

export async function resolveKnownRealm(db: Db, given: string | undefined, how: string): Promise<string> {
  const realmId = await resolveRealm(db, given, how);
  // Only the companies of the request's practice are known to it (issue 15): another's is refused like a stranger's.
  const practice = actingPractice();
  const row = await db
    .selectFrom('connections')
    .select('realm_id')
    .where('realm_id', '=', realmId)
    .$if(practice !== undefined, (q) => q.where('practice_id', '=', practice!))
    .executeTakeFirst();
  if (!row) {
    const known = (
      await db
        .selectFrom('connections')
        .select('realm_id')
        .$if(practice !== undefined, (q) => q.where('practice_id', '=', practice!))
        .orderBy('realm_id')
        .execute()
    ).map((r) => r.realm_id);
    throw refusal('realm.unknown', { value: realmId, known, how }, 'realm');
  }
  return realmId;
}
