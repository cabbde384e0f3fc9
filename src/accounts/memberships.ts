/**
 * People in practices (issue 15): a person belongs to one or more practices with a role in each
 * (administrator, bookkeeper, viewer); a firm-wide owner creates practices, invites people, and acts as
 * an administrator in every practice. Every change is audited with who made it (`membership_audit`).
 *
 * The role a request acts with is the membership's in the practice the URL names
 * (server/practice-scope.ts), never `users.role`, which only records the role a person was made with.
 */
import crypto from 'node:crypto';
import type { Db } from '../store/db.js';
import type { Role } from '../store/tables/accounts.js';
import { AccountError, createUser, roles, type User } from './users.js';

export interface Membership {
  userId: string;
  practiceId: string;
  role: Role;
}

export interface Member extends Membership {
  email: string;
  name: string;
}

/** One of a person's practices, for the switcher. */
export interface PracticeOfPerson {
  id: string;
  name: string;
  /** The person's role there ('administrator' for an owner who is not a member). */
  role: Role;
}

function checkRole(role: string, who: string): Role {
  if (!(roles as readonly string[]).includes(role)) throw new AccountError(`member ${who}: role must be one of administrator, bookkeeper, viewer`, 'role');
  return role as Role;
}

async function practiceExists(db: Db, practiceId: string): Promise<boolean> {
  return !!(await db.selectFrom('practices').select('id').where('id', '=', practiceId).executeTakeFirst());
}

async function audit(db: Db, practiceId: string, userId: string, action: 'added' | 'role-changed' | 'removed', role: Role | null, actor: string, now: Date): Promise<void> {
  await db.insertInto('membership_audit').values({ id: crypto.randomUUID(), practice_id: practiceId, user_id: userId, action, role, actor, at: now.toISOString() }).execute();
}

/** Makes a person a member of a practice with a role; refuses an unknown practice or person and a second membership. */
export async function addMember(db: Db, input: { practiceId: string; userId: string; role: string }, actor: string, now: Date = new Date()): Promise<Membership> {
  const role = checkRole(input.role, input.userId);
  if (!(await practiceExists(db, input.practiceId))) throw new AccountError(`practice ${input.practiceId}: no such practice`, 'practice');
  const user = await db.selectFrom('users').select(['id', 'email']).where('id', '=', input.userId).where('disabled_at', 'is', null).executeTakeFirst();
  if (!user) throw new AccountError(`user ${input.userId}: no enabled user with this id`, 'user');
  const existing = await membershipOf(db, input.userId, input.practiceId);
  if (existing) throw new AccountError(`user ${user.email}: email is already in use by a member of practice ${input.practiceId} (as ${existing.role})`, 'email');
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('memberships').values({ user_id: input.userId, practice_id: input.practiceId, role, created_at: now.toISOString(), created_by: actor }).execute();
    await audit(trx, input.practiceId, input.userId, 'added', role, actor, now);
  });
  return { userId: input.userId, practiceId: input.practiceId, role };
}

/**
 * Changes a member's role. Refuses to leave a practice without an administrator (nobody there could then
 * manage its connection or people; an owner can still step in, but a practice should not depend on that).
 */
export async function changeMemberRole(db: Db, input: { practiceId: string; userId: string; role: string }, actor: string, now: Date = new Date()): Promise<Membership> {
  const role = checkRole(input.role, input.userId);
  const current = await membershipOf(db, input.userId, input.practiceId);
  if (!current) throw new AccountError(`user ${input.userId}: is not a member of practice ${input.practiceId}`, 'user');
  if (current.role === 'administrator' && role !== 'administrator') await refuseLastAdministrator(db, input.practiceId, input.userId);
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('memberships').set({ role }).where('user_id', '=', input.userId).where('practice_id', '=', input.practiceId).execute();
    await audit(trx, input.practiceId, input.userId, 'role-changed', role, actor, now);
  });
  return { ...current, role };
}

/** Removes a person from a practice (the person and their other memberships stay); their tokens for it stop working. */
export async function removeMember(db: Db, input: { practiceId: string; userId: string }, actor: string, now: Date = new Date()): Promise<void> {
  const current = await membershipOf(db, input.userId, input.practiceId);
  if (!current) throw new AccountError(`user ${input.userId}: is not a member of practice ${input.practiceId}`, 'user');
  if (current.role === 'administrator') await refuseLastAdministrator(db, input.practiceId, input.userId);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('memberships').where('user_id', '=', input.userId).where('practice_id', '=', input.practiceId).execute();
    await trx
      .updateTable('api_tokens')
      .set({ revoked_at: now.toISOString() })
      .where('user_id', '=', input.userId)
      .where('practice_id', '=', input.practiceId)
      .where('revoked_at', 'is', null)
      .execute();
    await audit(trx, input.practiceId, input.userId, 'removed', null, actor, now);
  });
}

async function refuseLastAdministrator(db: Db, practiceId: string, userId: string): Promise<void> {
  const others = await db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select('users.id')
    .where('memberships.practice_id', '=', practiceId)
    .where('memberships.role', '=', 'administrator')
    .where('users.disabled_at', 'is', null)
    .where('users.id', '!=', userId)
    .executeTakeFirst();
  if (!others) throw new AccountError(`user ${userId}: is the last administrator of practice ${practiceId}; make another member administrator first`, 'user');
}

export async function membershipOf(db: Db, userId: string, practiceId: string): Promise<Membership | undefined> {
  const row = await db.selectFrom('memberships').select(['user_id', 'practice_id', 'role']).where('user_id', '=', userId).where('practice_id', '=', practiceId).executeTakeFirst();
  return row ? { userId: row.user_id, practiceId: row.practice_id, role: row.role } : undefined;
}

/** A practice's members (enabled people), by email. */
export async function listMembers(db: Db, practiceId: string): Promise<Member[]> {
  const rows = await db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['users.id', 'users.email', 'users.name', 'memberships.role'])
    .where('memberships.practice_id', '=', practiceId)
    .where('users.disabled_at', 'is', null)
    .orderBy('users.email')
    .execute();
  return rows.map((r) => ({ userId: r.id, practiceId, role: r.role, email: r.email, name: r.name }));
}

export async function isOwner(db: Db, userId: string): Promise<boolean> {
  const row = await db.selectFrom('users').select('firm_role').where('id', '=', userId).where('disabled_at', 'is', null).executeTakeFirst();
  return row?.firm_role === 'owner';
}

/** Makes a person an owner of the firm, or takes it away (refusing to leave the firm without one). */
export async function setOwner(db: Db, userId: string, owner: boolean): Promise<void> {
  if (!owner) {
    const others = await db.selectFrom('users').select('id').where('firm_role', '=', 'owner').where('disabled_at', 'is', null).where('id', '!=', userId).executeTakeFirst();
    if (!others) throw new AccountError(`user ${userId}: is the last owner; make another person owner first`, 'user');
  }
  await db
    .updateTable('users')
    .set({ firm_role: owner ? 'owner' : null })
    .where('id', '=', userId)
    .execute();
}

/** The practices a person may open, by name: their memberships, or every practice for an owner. */
export async function practicesOfPerson(db: Db, userId: string): Promise<PracticeOfPerson[]> {
  const mine = await db
    .selectFrom('memberships')
    .innerJoin('practices', 'practices.id', 'memberships.practice_id')
    .select(['practices.id', 'practices.name', 'memberships.role'])
    .where('memberships.user_id', '=', userId)
    .execute();
  const byId = new Map<string, PracticeOfPerson>(mine.map((r) => [r.id, { id: r.id, name: r.name, role: r.role }]));
  if (await isOwner(db, userId)) {
    for (const p of await db.selectFrom('practices').select(['id', 'name']).execute()) {
      if (!byId.has(p.id)) byId.set(p.id, { id: p.id, name: p.name, role: 'administrator' });
    }
  }
  return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/**
 * The role a person acts with in a practice: the membership's; an owner who is not a member acts as an
 * administrator; undefined — not a member, or no such practice (the caller answers both alike: 404).
 */
export async function roleIn(db: Db, userId: string, practiceId: string): Promise<Role | undefined> {
  const m = await membershipOf(db, userId, practiceId);
  if (m) return m.role;
  if ((await isOwner(db, userId)) && (await practiceExists(db, practiceId))) return 'administrator';
  return undefined;
}

/**
 * An owner or a practice's administrator invites a person: an unknown email becomes a new user (today's
 * user creation, with no password: they set one with the emailed link / `users set-password`), a known
 * one is added to the practice. Answers the person and whether they were new.
 */
export async function invitePerson(
  db: Db,
  input: { practiceId: string; email: string; name: string; role: string; passwordHash?: string | null },
  actor: string,
  now: Date = new Date(),
  /** Whether a person already in the installation may be added (an owner's call): a practice's administrator may not pull someone of another practice in, nor learn their name (issue 15, attack finding). */
  opts: { mayAddExisting?: boolean } = { mayAddExisting: true },
): Promise<{ user: User; created: boolean }> {
  const known = await db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'role'])
    .where('email', '=', input.email.trim().toLowerCase())
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  if (
    known &&
    !opts.mayAddExisting &&
    !(await db.selectFrom('memberships').select('user_id').where('user_id', '=', known.id).where('practice_id', '=', input.practiceId).executeTakeFirst())
  ) {
    throw new AccountError(
      `user ${input.email.trim().toLowerCase()}: this email belongs to a person already using this installation; an owner of the firm can add them to this practice`,
      'email',
    );
  }
  if (known) {
    await addMember(db, { practiceId: input.practiceId, userId: known.id, role: input.role }, actor, now);
    return { user: known, created: false };
  }
  if (!(await practiceExists(db, input.practiceId))) throw new AccountError(`practice ${input.practiceId}: no such practice`, 'practice');
  const user = await createUser(db, { email: input.email, name: input.name, role: input.role, passwordHash: input.passwordHash ?? null, practiceId: input.practiceId, actor }, now);
  return { user, created: true };
}
