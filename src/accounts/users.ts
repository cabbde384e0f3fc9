/** Users of QBO Connect: who may do what (roles), by email. */
import crypto from 'node:crypto';
import { z } from 'zod';
import type { Db } from '../store/db.js';
import type { Role } from '../store/tables/accounts.js';

export type { Role };
export const roles = ['administrator', 'bookkeeper', 'viewer'] as const satisfies readonly Role[];

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export const newUserSchema = z.object({
  email: z
    .email({ error: 'must be an email address, e.g. ann@example.com' })
    .max(254)
    .transform((e) => e.toLowerCase()),
  name: z.string().trim().min(1, { error: 'must not be empty' }).max(100, { error: 'must be at most 100 characters' }),
  role: z.enum(roles, { error: 'must be one of administrator, bookkeeper, viewer' }),
});

export class AccountError extends Error {
  override name = 'AccountError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * Makes a person and makes them a member of one practice with the role (`practiceId`, the installation's
 * `default` practice when not said: an installation of one practice is used as before); `owner` makes them
 * an owner of the firm too. `actor` is who did it, for the membership audit.
 */
export async function createUser(
  db: Db,
  input: { email: string; name: string; role: string; passwordHash?: string | null; practiceId?: string; owner?: boolean; actor?: string },
  now: Date = new Date(),
): Promise<User> {
  const parsed = newUserSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0]);
    throw new AccountError(`user ${input.email || '(no email)'}: ${field} ${issue.message}`, field);
  }
  const existing = await db.selectFrom('users').select('id').where('email', '=', parsed.data.email).executeTakeFirst();
  if (existing) throw new AccountError(`user ${parsed.data.email}: email is already in use`, 'email');
  const user: User = { id: crypto.randomUUID(), ...parsed.data };
  await db
    .insertInto('users')
    .values({ ...user, firm_role: input.owner ? 'owner' : null, password_hash: input.passwordHash ?? null, created_at: now.toISOString(), disabled_at: null })
    .execute();
  const practiceId = input.practiceId ?? 'default';
  const actor = input.actor ?? 'qbo-connect';
  await db.insertInto('memberships').values({ user_id: user.id, practice_id: practiceId, role: user.role, created_at: now.toISOString(), created_by: actor }).execute();
  await db
    .insertInto('membership_audit')
    .values({ id: crypto.randomUUID(), practice_id: practiceId, user_id: user.id, action: 'added', role: user.role, actor, at: now.toISOString() })
    .execute();
  return user;
}

export async function findUserByEmail(db: Db, email: string): Promise<User | undefined> {
  return db.selectFrom('users').select(['id', 'email', 'name', 'role']).where('email', '=', email.toLowerCase()).where('disabled_at', 'is', null).executeTakeFirst();
}

export async function countUsers(db: Db): Promise<number> {
  const r = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export interface UserListing extends User {
  createdAt: string;
  disabledAt: string | null;
  hasPassword: boolean;
}

export async function findUserById(db: Db, id: string): Promise<User | undefined> {
  return db.selectFrom('users').select(['id', 'email', 'name', 'role']).where('id', '=', id).where('disabled_at', 'is', null).executeTakeFirst();
}

/** The stored password hash of an enabled user, for sign-in; undefined when unknown or disabled. */
export async function credentialsFor(db: Db, email: string): Promise<{ user: User; passwordHash: string | null } | undefined> {
  const row = await db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'role', 'password_hash'])
    .where('email', '=', email.trim().toLowerCase())
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  const { password_hash, ...user } = row;
  return { user, passwordHash: password_hash };
}

export async function listUsers(db: Db): Promise<UserListing[]> {
  const rows = await db.selectFrom('users').selectAll().orderBy('email').execute();
  return rows.map((r) => ({ id: r.id, email: r.email, name: r.name, role: r.role, createdAt: r.created_at, disabledAt: r.disabled_at, hasPassword: r.password_hash !== null }));
}

export async function setPasswordHash(db: Db, userId: string, passwordHash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
}

/**
 * Disables a user (kept for the audit trail, never deleted). Refuses to disable the last enabled
 * administrator, which would leave nobody able to manage users or the connection.
 */
export async function disableUser(db: Db, userId: string, now: Date = new Date()): Promise<void> {
  const target = await findUserById(db, userId);
  if (!target) throw new AccountError(`user ${userId}: no enabled user with this id`, 'user');
  if (target.role === 'administrator') {
    const admins = await db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('role', '=', 'administrator')
      .where('disabled_at', 'is', null)
      .executeTakeFirstOrThrow();
    if (Number(admins.n) <= 1) throw new AccountError(`user ${target.email}: is the last administrator; make another administrator first`, 'user');
  }
  // And per practice: no practice is left without an enabled administrator (attack finding: the
  // installation-wide count let an owner disable a practice's only one).
  const adminOf = await db.selectFrom('memberships').select('practice_id').where('user_id', '=', userId).where('role', '=', 'administrator').execute();
  for (const { practice_id } of adminOf) {
    const others = await db
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('memberships.practice_id', '=', practice_id)
      .where('memberships.role', '=', 'administrator')
      .where('users.disabled_at', 'is', null)
      .where('users.id', '!=', userId)
      .executeTakeFirstOrThrow();
    if (Number(others.n) === 0)
      throw new AccountError(`user ${target.email}: is the last administrator of practice ${practice_id}; make another administrator there first`, 'user');
  }
  await db.updateTable('users').set({ disabled_at: now.toISOString() }).where('id', '=', userId).execute();
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}
