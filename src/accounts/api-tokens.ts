/**
 * API tokens for the JSON API (`Authorization: Bearer qbc_…`). The token is shown once when made;
 * only its SHA-256 is stored, so a copy of the database gives nobody access.
 */
import crypto from 'node:crypto';
import type { Db } from '../store/db.js';
import type { User } from './users.js';

const PREFIX = 'qbc_';

function hash(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

export interface ApiTokenInfo {
  id: string;
  /** The one practice the token acts on. */
  practiceId: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** When it stops working; null: never. */
  expiresAt: string | null;
  /** Past its expiry at listing time. */
  expired: boolean;
}

/** The lifetimes offered when making a token (days; null: never). */
export const TOKEN_LIFETIMES: Record<string, { label: string; days: number | null }> = {
  '30': { label: '30 days', days: 30 },
  '90': { label: '90 days', days: 90 },
  '365': { label: 'a year', days: 365 },
  never: { label: 'never', days: null },
};

/**
 * The lifetime a form value names, or undefined. An own-property lookup: a plain `TOKEN_LIFETIMES[v]`
 * answers `constructor`, `toString` or `__proto__` with an Object member whose `days` is undefined,
 * which createApiToken's default turned into a token that never expires.
 */
export function tokenLifetime(choice: string): { label: string; days: number | null } | undefined {
  return Object.hasOwn(TOKEN_LIFETIMES, choice) ? TOKEN_LIFETIMES[choice] : undefined;
}

/**
 * Makes a token for a user, acting on one practice (the installation's `default` when not said); returns
 * the token itself (shown once) and its listing.
 */
export async function createApiToken(
  db: Db,
  userId: string,
  name: string,
  now: Date = new Date(),
  days: number | null = null,
  practiceId = 'default',
): Promise<{ token: string; info: ApiTokenInfo }> {
  const token = PREFIX + crypto.randomBytes(32).toString('base64url');
  const row = {
    id: crypto.randomUUID(),
    user_id: userId,
    practice_id: practiceId,
    name: name.trim().slice(0, 100) || 'API token',
    token_hash: hash(token),
    prefix: token.slice(0, PREFIX.length + 6),
    created_at: now.toISOString(),
    last_used_at: null,
    revoked_at: null,
    expires_at: days === null ? null : new Date(now.getTime() + days * 86_400_000).toISOString(),
  };
  await db.insertInto('api_tokens').values(row).execute();
  return {
    token,
    info: { id: row.id, practiceId, name: row.name, prefix: row.prefix, createdAt: row.created_at, lastUsedAt: null, revokedAt: null, expiresAt: row.expires_at, expired: false },
  };
}

/** A user as a token names them: the practice the token acts on comes with them. */
export type TokenUser = User & { tokenPracticeId: string };

/** The user a bearer token belongs to, or undefined when it is unknown, revoked, expired or its user disabled. */
export async function userForApiToken(db: Db, token: string, now: Date = new Date()): Promise<TokenUser | undefined> {
  if (!token.startsWith(PREFIX) || token.length > 200) return undefined;
  const row = await db
    .selectFrom('api_tokens')
    .innerJoin('users', 'users.id', 'api_tokens.user_id')
    .select(['api_tokens.id as token_id', 'api_tokens.practice_id', 'users.id', 'users.email', 'users.name', 'users.role'])
    .where('api_tokens.token_hash', '=', hash(token))
    .where('api_tokens.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('api_tokens.expires_at', 'is', null), eb('api_tokens.expires_at', '>', now.toISOString())]))
    .where('users.disabled_at', 'is', null)
    .executeTakeFirst();
  if (!row) return undefined;
  try {
    await db.updateTable('api_tokens').set({ last_used_at: now.toISOString() }).where('id', '=', row.token_id).execute();
  } catch (err) {
    // "Last used" is a hint: while another process holds the SQLite file's write lock (a CLI import),
    // the request goes on without it rather than fail; the request's own write then answers "busy".
    const code = (err as { code?: unknown } | null)?.code;
    if (!(typeof code === 'string' && code.startsWith('SQLITE_BUSY'))) throw err;
  }
  return { id: row.id, email: row.email, name: row.name, role: row.role, tokenPracticeId: row.practice_id };
}

export async function listApiTokens(db: Db, userId: string, now: Date = new Date()): Promise<ApiTokenInfo[]> {
  const rows = await db.selectFrom('api_tokens').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').execute();
  return rows.map((r) => ({
    id: r.id,
    practiceId: r.practice_id,
    name: r.name,
    prefix: r.prefix,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
    expiresAt: r.expires_at,
    expired: r.expires_at !== null && r.expires_at <= now.toISOString(),
  }));
}

/** Revokes every live token of a user (after a password change, when they ask); answers how many. */
export async function revokeAllApiTokens(db: Db, userId: string, now: Date = new Date()): Promise<number> {
  const r = await db.updateTable('api_tokens').set({ revoked_at: now.toISOString() }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function revokeApiToken(db: Db, userId: string, tokenId: string, now: Date = new Date()): Promise<boolean> {
  const r = await db
    .updateTable('api_tokens')
    .set({ revoked_at: now.toISOString() })
    .where('id', '=', tokenId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}
