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
  email: z.email({ error: 'must be an email address, e.g. ann@example.com' }).max(254).transform((e) => e.toLowerCase()),
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

export async function createUser(
  db: Db,
  input: { email: string; name: string; role: string; passwordHash?: string | null },
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
    .values({ ...user, password_hash: input.passwordHash ?? null, created_at: now.toISOString(), disabled_at: null })
    .execute();
  return user;
}

export async function findUserByEmail(db: Db, email: string): Promise<User | undefined> {
  return db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'role'])
    .where('email', '=', email.toLowerCase())
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
}

export async function countUsers(db: Db): Promise<number> {
  const r = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}
