/**
 * The practices one installation serves (issue 15): create, list, and choose the one a command acts
 * on. Each practice owns its ledger (store.ts reads and writes one practice's records only), its QBO
 * companies (`connections.practice_id`), and through them its settings, skips, runs and history.
 * An installation starts with one, `default` (migration 0018_practices).
 */
import type { Db } from '../store/db.js';
import { UserFacingError } from '../user-facing-error.js';

/** The practice an installation starts with; an upgraded one's records and companies are its. */
export const DEFAULT_PRACTICE_ID = 'default';

/** A practice id is a slug: what `/p/{id}/…` and `--practice` name it by. */
export const PRACTICE_ID = /^[a-z0-9][a-z0-9-]{0,39}$/;
const NAME_MAX = 200;

export interface Practice {
  id: string;
  name: string;
  createdAt: string;
  createdBy: string;
}

export type PracticeReason = 'practice.invalid-id' | 'practice.invalid-name' | 'practice.exists' | 'practice.unknown' | 'practice.required';

function refuse(code: PracticeReason, message: string, field: string, status: 400 | 404 | 409 = 400): UserFacingError<PracticeReason> {
  return new UserFacingError(code, message, { field, status });
}

const shown = (v: unknown) => JSON.stringify(String(v).slice(0, 60));

/** Creates a practice (an empty ledger, no company yet). Refuses a malformed id or name, or an id taken. */
export async function createPractice(db: Db, input: { id: unknown; name: unknown }, actor: string, now: Date): Promise<Practice> {
  const { id, name } = input;
  if (typeof id !== 'string' || !PRACTICE_ID.test(id)) {
    throw refuse(
      'practice.invalid-id',
      `practice id ${shown(id)} is not allowed: 1–40 characters, lower-case letters, digits and "-", starting with a letter or digit (e.g. "smith-architects")`,
      'id',
    );
  }
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (!trimmed || trimmed.length > NAME_MAX || /[\p{Cc}]/u.test(trimmed)) {
    throw refuse('practice.invalid-name', `practice name ${shown(name ?? '')} is not allowed: 1–${NAME_MAX} characters of text, no control characters`, 'name');
  }
  const practice: Practice = { id, name: trimmed, createdAt: now.toISOString(), createdBy: actor };
  // The primary key decides a race between two creators: the loser is refused the same way.
  const row = await db
    .insertInto('practices')
    .values({ id, name: trimmed, created_at: practice.createdAt, created_by: actor })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!row) throw refuse('practice.exists', `practice "${id}" exists already: choose another id`, 'id', 409);
  return practice;
}

/** Every practice, by id. */
export async function listPractices(db: Pick<Db, 'selectFrom'>): Promise<Practice[]> {
  const rows = await db.selectFrom('practices').selectAll().orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, createdBy: r.created_by }));
}

/**
 * The practice to act on: the one named (it must exist), else the only one; with several and none
 * named, a refusal listing them. `how` says how to name one (`--practice` on the command line).
 */
export async function resolvePractice(db: Pick<Db, 'selectFrom'>, given: string | undefined, how = '--practice'): Promise<string> {
  const all = await listPractices(db);
  const known = all.map((p) => p.id).join(', ') || '(none)';
  if (given !== undefined) {
    if (all.some((p) => p.id === given)) return given;
    throw refuse('practice.unknown', `there is no practice ${shown(given)} here; the practices are: ${known}`, 'practice', 404);
  }
  if (all.length === 1) return all[0]!.id;
  if (all.length === 0) throw refuse('practice.required', `no practice exists yet: create one with \`qbo-connect practice create --id ID --name NAME\``, 'practice');
  throw refuse('practice.required', `several practices: name one with ${how} (${known})`, 'practice');
}
