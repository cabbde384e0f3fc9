/**
 * Which part of the practice ledger a QBO company takes (issue 15, "Companies"): all of it (null), or
 * the documents of chosen offices (a list of office codes; an empty list is a retired company that
 * takes nothing new). Stored on `connections.offices` (migration 0018); each change is audited like a
 * setting (settings_audit, path `company.offices`: who, old value, new value) in the transaction that
 * writes it, guarded by the value read (a compare-and-set), so two writers never lose each other's change.
 *
 * The preview routes documents with what `practiceCompanies` returns (plan/office-routing.ts).
 */
import { z } from 'zod';
import type { Clock } from '../context.js';
import { listRecords } from '../practice/store.js';
import type { Db } from '../store/db.js';
import { UserFacingError } from '../user-facing-error.js';
import { refusal } from './reasons.js';

export const OFFICES_AUDIT_PATH = 'company.offices';

/** One company of a practice and the offices it takes (null: the whole ledger). */
export interface CompanyScope {
  realmId: string;
  companyName: string | null;
  practiceId: string;
  offices: string[] | null;
}

const actorSchema = z.string().trim().min(1).max(200);

function parseOffices(text: string | null): string[] | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  } catch {
    // fall through: an unreadable value takes nothing rather than everything (never a double booking)
  }
  return [];
}

const toScope = (r: { realm_id: string; company_name: string | null; practice_id: string; offices: string | null }): CompanyScope => ({
  realmId: r.realm_id,
  companyName: r.company_name,
  practiceId: r.practice_id,
  offices: parseOffices(r.offices),
});

/** The company's scope; a refusal naming the realm when it was never connected here. */
export async function getCompanyScope(db: Db, realmId: string): Promise<CompanyScope> {
  const r = await db.selectFrom('connections').select(['realm_id', 'company_name', 'practice_id', 'offices']).where('realm_id', '=', realmId).executeTakeFirst();
  if (!r) throw refusal('realm.unknown', { value: realmId, how: '--realm ID' }, 'realm');
  return toScope(r);
}

/**
 * Every company of the practice, connected or not: disconnecting after each sync is the resting
 * state the seed advises, and a resting company still owns its offices.
 */
export async function practiceCompanies(db: Db, practiceId: string): Promise<CompanyScope[]> {
  const rows = await db
    .selectFrom('connections')
    .select(['realm_id', 'company_name', 'practice_id', 'offices'])
    .where('practice_id', '=', practiceId)
    .orderBy('realm_id')
    .execute();
  return rows.map(toScope);
}

/** The practice's office codes: the one read of the practice ledger this module makes. */
export async function practiceOfficeCodes(db: Db, practiceId: string): Promise<string[]> {
  const out: string[] = [];
  for (let offset: number | null = 0; offset !== null;) {
    const page: Awaited<ReturnType<typeof listRecords<'office'>>> = await listRecords(db, practiceId, 'office', { limit: 1000, offset });
    out.push(...page.items.map((o) => o.key));
    offset = page.nextOffset;
  }
  return out;
}

/** How a scope reads in sentences and the CLI. */
export function describeOffices(offices: string[] | null): string {
  if (offices === null) return 'all offices (the whole ledger)';
  if (offices.length === 0) return 'no office (takes no documents)';
  return `office${offices.length > 1 ? 's' : ''} ${offices.join(', ')}`;
}

export interface SetOfficesInput {
  realmId: string;
  /** null: the whole ledger; else office codes of the practice ([]: none). */
  offices: string[] | null;
  actor: string;
  clock: Clock;
}

export interface SetOfficesResult {
  realmId: string;
  changed: boolean;
  oldValue: string[] | null;
  newValue: string[] | null;
}

class Conflict extends Error {}

/**
 * Sets which offices a company takes. Each code must be an office of the company's practice (a
 * refusal names the field `offices` and the unknown code). Written with its audit row in one
 * transaction, only if the value is still the one read.
 */
export async function setCompanyOffices(db: Db, input: SetOfficesInput): Promise<SetOfficesResult> {
  const actor = actorSchema.safeParse(input.actor);
  if (!actor.success) throw refusal('settings.invalid-actor', { value: input.actor }, 'actor');
  const scope = await getCompanyScope(db, input.realmId);
  let wanted: string[] | null = null;
  if (input.offices !== null) {
    if (!Array.isArray(input.offices) || input.offices.some((x) => typeof x !== 'string')) {
      throw refusal('settings.invalid-value', { path: 'offices', value: input.offices, allowed: 'a list of office codes, [] for none, or null for all' }, 'offices');
    }
    const known = new Set(await practiceOfficeCodes(db, scope.practiceId));
    const codes = [...new Set(input.offices.map((x) => x.trim()))];
    const unknown = codes.find((c) => !known.has(c));
    if (unknown !== undefined) {
      throw new UserFacingError(
        'company.unknown-office',
        `offices: "${unknown.slice(0, 60)}" is not an office of practice ${scope.practiceId} (its offices: ${[...known].sort().join(', ') || 'none'}).`,
        { field: 'offices', status: 400 },
      );
    }
    wanted = codes.sort();
  }
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('connections').select('offices').where('realm_id', '=', input.realmId).executeTakeFirstOrThrow();
        const old = parseOffices(row.offices);
        const result = { realmId: input.realmId, oldValue: old, newValue: wanted };
        if (JSON.stringify(old) === JSON.stringify(wanted)) return { ...result, changed: false };
        const now = input.clock().toISOString();
        let upd = trx
          .updateTable('connections')
          .set({ offices: wanted === null ? null : JSON.stringify(wanted), updated_at: now })
          .where('realm_id', '=', input.realmId);
        upd = row.offices === null ? upd.where('offices', 'is', null) : upd.where('offices', '=', row.offices);
        if (Number((await upd.executeTakeFirst()).numUpdatedRows) !== 1) throw new Conflict();
        await trx
          .insertInto('settings_audit')
          .values({
            realm_id: input.realmId,
            path: OFFICES_AUDIT_PATH,
            old_value: JSON.stringify(old),
            new_value: JSON.stringify(wanted),
            actor: actor.data,
            changed_at: now,
          })
          .execute();
        return { ...result, changed: true };
      });
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
      if (attempt >= 9) throw refusal('settings.conflict', { path: OFFICES_AUDIT_PATH });
    }
  }
}
