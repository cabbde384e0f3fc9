/**
 * Which company a command or request is about: the one named, else the single connected company
 * (the `connections` table of the QBO client part).
 */
import type { Db } from '../store/db.js';
import { refusal } from './reasons.js';
import { actingPractice } from './acting-practice.js';
import { UserFacingError } from '../user-facing-error.js';

/**
 * The companies connected now, by realm id; of one practice when it is named, or when a web or API
 * request acts on one (connect/acting-practice.ts: a request chooses among its practice's companies only).
 */
export async function connectedRealms(db: Db, practiceId?: string): Promise<string[]> {
  const practice = practiceId ?? actingPractice();
  let q = db.selectFrom('connections').select('realm_id').where('status', '=', 'connected');
  if (practice !== undefined) q = q.where('practice_id', '=', practice);
  const rows = await q.orderBy('realm_id').execute();
  return rows.map((r) => r.realm_id);
}

/**
 * The company to act on. `how` names the way to choose one (`--realm ID` on the command line,
 * `?realm=ID` in the API) so the refusal says what to do.
 */
export async function resolveRealm(db: Db, given: string | undefined, how: string, practiceId?: string): Promise<string> {
  const g = given?.trim();
  // A realm id is QBO's number for a company; anything else would only fail later, deeper down.
  // A realm given blank (`?realm=%20`) is refused too, never read as "the connected company": found
  // by the API fuzz, it started a sync of the one connected company.
  if (g !== undefined && !/^\d{1,30}$/.test(g)) throw refusal('realm.required', { value: g, how }, 'realm');
  if (g) {
    // A request names only a company of its own practice: another practice's is as unknown as a stranger's (issue 15).
    const practice = practiceId ?? actingPractice();
    if (practice !== undefined && actingPractice() !== undefined) {
      const mine = await db.selectFrom('connections').select('realm_id').where('realm_id', '=', g).where('practice_id', '=', practice).executeTakeFirst();
      if (!mine) {
        const known = (await db.selectFrom('connections').select('realm_id').where('practice_id', '=', practice).orderBy('realm_id').execute()).map((r) => r.realm_id);
        throw refusal('realm.unknown', { value: g, known, how }, 'realm');
      }
    }
    return g;
  }
  const realms = await connectedRealms(db, practiceId);
  if (realms.length === 0) {
    throw refusal('realm.required', { how }, 'realm');
  }
  if (realms.length > 1) {
    throw refusal('realm.required', { known: realms, how }, 'realm');
  }
  return realms[0]!;
}

/** The company's country as QBO reported it at connection (AU, US, …), when known. */
export async function regionOf(db: Pick<Db, 'selectFrom'>, realmId: string): Promise<string | undefined> {
  const row = await db.selectFrom('connections').select('region').where('realm_id', '=', realmId).executeTakeFirst();
  return row?.region?.toUpperCase() ?? undefined;
}

/**
 * The company a read (history, skipped records) is about: the one named, else the single connected
 * company, else — when none is connected now — the company last connected here. Disconnecting after
 * every sync is what the seed advises, so that is the resting state and its records stay readable
 * (issue 19). Only a company in `connections` (connected once, here) is chosen: the fallback never
 * invents a realm, and choosing one writes nothing.
 */
export async function resolveReadRealm(db: Db, given: string | undefined, how: string): Promise<string> {
  if (given !== undefined) return resolveRealm(db, given, how);
  if ((await connectedRealms(db)).length > 0) return resolveRealm(db, given, how);
  const last = await lastKnownRealm(db);
  if (last) return last;
  return resolveRealm(db, given, how); // refuses, saying how to name one
}

/**
 * Of the companies connected here once (none connected now), the one last worked on: the only one,
 * else the one with the newest run, else the newest skip, else the newest link. Undefined when none
 * was ever connected, or several were and nothing tells them apart.
 */
export async function lastKnownRealm(db: Db): Promise<string | undefined> {
  const practice = actingPractice();
  const known = (
    await db
      .selectFrom('connections')
      .select('realm_id')
      .$if(practice !== undefined, (q) => q.where('practice_id', '=', practice!))
      .orderBy('realm_id')
      .execute()
  ).map((r) => r.realm_id);
  if (known.length <= 1) return known[0];
  const run = await db.selectFrom('runs').select('realm_id').where('realm_id', 'in', known).orderBy('started_at', 'desc').limit(1).executeTakeFirst();
  if (run) return run.realm_id;
  const skip = await db.selectFrom('skips').select('realm_id').where('realm_id', 'in', known).orderBy('skipped_at', 'desc').limit(1).executeTakeFirst();
  if (skip) return skip.realm_id;
  const link = await db.selectFrom('links').select('realm_id').where('realm_id', 'in', known).orderBy('updated_at', 'desc').limit(1).executeTakeFirst();
  return link?.realm_id;
}

/**
 * The practice a company belongs to (issue 15): whose ledger its preview, sync, reconciliation and
 * payment import read and write. A company is connected to one practice (`connections.practice_id`);
 * one never connected here has none, and is refused rather than given some practice's ledger.
 */
export async function practiceOfRealm(db: Pick<Db, 'selectFrom'>, realmId: string): Promise<string> {
  const row = await db.selectFrom('connections').select('practice_id').where('realm_id', '=', realmId).executeTakeFirst();
  if (!row) throw refusal('realm.unknown', { value: realmId, how: '--realm' }, 'realm');
  return row.practice_id;
}

/**
 * A company named together with a practice (`--practice`): it must be that practice's, else a
 * refusal naming both; a company another practice holds is never acted on through this one.
 */
export async function checkRealmInPractice(db: Pick<Db, 'selectFrom'>, realmId: string, practiceId: string): Promise<void> {
  const row = await db.selectFrom('connections').select('practice_id').where('realm_id', '=', realmId).executeTakeFirst();
  if (row && row.practice_id !== practiceId) {
    throw new UserFacingError('realm.other-practice', `QuickBooks company ${realmId} belongs to practice "${row.practice_id}", not "${practiceId}"`, {
      field: 'realm',
      status: 404,
    });
  }
}
