/**
 * Browser sessions. The cookie carries a random value; the database keeps only its SHA-256 (so a
 * copy of the database cannot be replayed as a cookie) and a per-session CSRF token. Sessions slide:
 * each use pushes the expiry out, up to an absolute cap from sign-in.
 */
import crypto from 'node:crypto';
import type { Db } from '../store/db.js';
import type { User } from './users.js';

/** Idle time after which a session ends. */
export const SESSION_IDLE_MS = 8 * 60 * 60 * 1000;
/** A session never lasts longer than this from sign-in, however active. */
export const SESSION_MAX_MS = 7 * 24 * 60 * 60 * 1000;
/** Only write last_seen_at when it moved this much, so every page view is not a write. */
const TOUCH_EVERY_MS = 60 * 1000;

export function sessionIdOf(cookieValue: string): string {
  return crypto.createHash('sha256').update(cookieValue).digest('hex');
}

export interface Session {
  /** The stored id (hash of the cookie value); safe to log or bind OAuth state to. */
  id: string;
  csrfToken: string;
  user: User;
}

/** Starts a session for a user; returns the cookie value (only ever sent to the browser) and the session. */
export async function createSession(db: Db, user: User, now: Date = new Date()): Promise<{ cookieValue: string; session: Session }> {
  const cookieValue = crypto.randomBytes(32).toString('base64url');
  const csrfToken = crypto.randomBytes(32).toString('base64url');
  const id = sessionIdOf(cookieValue);
  await db
    .insertInto('sessions')
    .values({
      id,
      user_id: user.id,
      csrf_token: csrfToken,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + SESSION_IDLE_MS).toISOString(),
      last_seen_at: now.toISOString(),
    })
    .execute();
  return { cookieValue, session: { id, csrfToken, user } };
}

/** The live session for a cookie value, or undefined when unknown, expired, or its user disabled. */
export async function sessionFromCookie(db: Db, cookieValue: string | undefined, now: Date = new Date()): Promise<Session | undefined> {
  if (!cookieValue || cookieValue.length > 100) return undefined;
  const id = sessionIdOf(cookieValue);
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'sessions.id',
      'sessions.csrf_token',
      'sessions.created_at',
      'sessions.expires_at',
      'sessions.last_seen_at',
      'users.id as user_id',
      'users.email',
      'users.name',
      'users.role',
      'users.disabled_at',
    ])
    .where('sessions.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const t = now.getTime();
  if (row.disabled_at !== null || Date.parse(row.expires_at) <= t || Date.parse(row.created_at) + SESSION_MAX_MS <= t) {
    await db.deleteFrom('sessions').where('id', '=', id).execute();
    return undefined;
  }
  if (t - Date.parse(row.last_seen_at) >= TOUCH_EVERY_MS) {
    const expires = Math.min(t + SESSION_IDLE_MS, Date.parse(row.created_at) + SESSION_MAX_MS);
    await db
      .updateTable('sessions')
      .set({ last_seen_at: now.toISOString(), expires_at: new Date(expires).toISOString() })
      .where('id', '=', id)
      .execute();
  }
  return { id, csrfToken: row.csrf_token, user: { id: row.user_id, email: row.email, name: row.name, role: row.role } };
}

export async function endSession(db: Db, sessionId: string): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', sessionId).execute();
}

export async function endSessionsOfUser(db: Db, userId: string): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}

/** Removes expired sessions; called now and then so the table does not grow without bound. */
export async function pruneSessions(db: Db, now: Date = new Date()): Promise<void> {
  await db.deleteFrom('sessions').where('expires_at', '<=', now.toISOString()).execute();
}
