/**
 * Which company a command or request is about: the one named, else the single connected company
 * once the QBO client's `connections` table exists. Read through introspection and plain SQL so
 * this part does not depend on another part's table types.
 */
import { sql } from 'kysely';
import type { Db } from '../store/db.js';

export class RealmChoiceError extends Error {
  override name = 'RealmChoiceError';
  constructor(
    message: string,
    readonly known: string[],
  ) {
    super(message);
  }
}

/** The company ids in the connections table, or undefined when there is no such table yet. */
export async function connectedRealms(db: Db): Promise<string[] | undefined> {
  const tables = await db.introspection.getTables();
  const t = tables.find((x) => x.name === 'connections');
  if (!t || !t.columns.some((c) => c.name === 'realm_id')) return undefined;
  const rows = await sql<{ realm_id: string }>`select distinct realm_id from connections order by realm_id`.execute(db);
  return rows.rows.map((r) => String(r.realm_id));
}

/**
 * The company to act on. `how` names the way to choose one (`--realm ID` on the command line,
 * `?realm=ID` in the API) so the refusal says what to do.
 */
export async function resolveRealm(db: Db, given: string | undefined, how: string): Promise<string> {
  const g = given?.trim();
  if (g) return g;
  const realms = await connectedRealms(db);
  if (realms === undefined || realms.length === 0) {
    throw new RealmChoiceError(`No QBO company is connected: name the company with ${how}.`, []);
  }
  if (realms.length > 1) {
    throw new RealmChoiceError(`Several QBO companies are known (${realms.join(', ')}): name one with ${how}.`, realms);
  }
  return realms[0]!;
}
