import { describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../test/helpers/db.js';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';
import { AttemptLimiter } from './rate-limit.js';
import { createSession, endSessionsOfUser, sessionFromCookie, sessionIdOf, SESSION_IDLE_MS, SESSION_MAX_MS } from './sessions.js';
import { createUser, disableUser, listUsers } from './users.js';

describe('passwords', () => {
  it('hashes with scrypt parameters in the hash and a fresh salt, and verifies', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('correct horse');
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
  });

  it('refuses malformed stored values without throwing', async () => {
    for (const bad of [null, '', 'plain', 'scrypt$x$8$1$aa$bb', 'bcrypt$1$2$3$4$5', 'scrypt$99999999$8$1$aa$bb']) {
      expect(await verifyPassword('anything long', bad)).toBe(false);
    }
  });

  it('asks for 10 to 200 characters', () => {
    expect(passwordProblem('short')).toMatch(/at least 10/);
    expect(passwordProblem('x'.repeat(201))).toMatch(/at most 200/);
    expect(passwordProblem('password12')).toMatch(/too easy to guess/);
    expect(passwordProblem('aaaaaaaaaa')).toMatch(/repeats/);
    expect(passwordProblem('kettle harbour violin')).toBeUndefined();
  });
});

describe('attempt limiter', () => {
  it('counts attempts as they start, refuses after max within the window and forgets them after it', () => {
    const l = new AttemptLimiter({ max: 3, windowMs: 1000 });
    for (let t = 0; t < 3; t++) expect(l.attempt('k', t)).toBe(0);
    expect(l.attempt('k', 10)).toBe(990);
    expect(l.retryAfter('other', 10)).toBe(0);
    expect(l.retryAfter('k', 1000)).toBe(0);
    expect(l.attempt('k', 1001)).toBe(0);
    l.succeed('k');
    expect(l.retryAfter('k', 1002)).toBe(0);
  });

  it('makes each attempt after the free ones wait twice as long as the one before', () => {
    const l = new AttemptLimiter({ max: 10, windowMs: 60_000, free: 2, baseDelayMs: 100 });
    expect(l.attempt('k', 0)).toBe(0);
    expect(l.attempt('k', 0)).toBe(0);
    expect(l.attempt('k', 0)).toBe(100);
    expect(l.attempt('k', 100)).toBe(0);
    expect(l.attempt('k', 150)).toBe(150);
    expect(l.attempt('k', 300)).toBe(0);
    expect(l.attempt('k', 301)).toBe(399);
  });
});

describeEachDialect('sessions', (ctx) => {
  it('stores only a hash of the cookie, slides the idle expiry, and caps the lifetime', async () => {
    const user = await createUser(ctx.db, { email: 's@example.com', name: 'S', role: 'viewer' });
    const t0 = new Date('2026-01-01T00:00:00Z');
    const { cookieValue, session } = await createSession(ctx.db, user, t0);
    expect(session.id).toBe(sessionIdOf(cookieValue));
    const rows = await ctx.db.selectFrom('sessions').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(cookieValue);
    expect((await sessionFromCookie(ctx.db, cookieValue, new Date(t0.getTime() + 60_000)))?.user.email).toBe('s@example.com');
    // Used every few hours: still alive after the idle time has passed several times over.
    let t = t0.getTime();
    for (let i = 0; i < 5; i++) {
      t += SESSION_IDLE_MS - 60_000;
      expect(await sessionFromCookie(ctx.db, cookieValue, new Date(t))).toBeDefined();
    }
    expect(await sessionFromCookie(ctx.db, cookieValue, new Date(t0.getTime() + SESSION_MAX_MS))).toBeUndefined();
    expect(await sessionFromCookie(ctx.db, 'not-a-session', t0)).toBeUndefined();
  });

  it('ends sessions when idle, on request, and when the user is disabled', async () => {
    const admin = await createUser(ctx.db, { email: 'a@example.com', name: 'A', role: 'administrator' });
    const user = await createUser(ctx.db, { email: 'd@example.com', name: 'D', role: 'bookkeeper' });
    const t0 = new Date('2026-02-01T00:00:00Z');
    const idle = await createSession(ctx.db, user, t0);
    expect(await sessionFromCookie(ctx.db, idle.cookieValue, new Date(t0.getTime() + SESSION_IDLE_MS + 1))).toBeUndefined();
    const a = await createSession(ctx.db, user, t0);
    await endSessionsOfUser(ctx.db, user.id);
    expect(await sessionFromCookie(ctx.db, a.cookieValue, t0)).toBeUndefined();
    const b = await createSession(ctx.db, user, t0);
    await disableUser(ctx.db, user.id, t0);
    expect(await sessionFromCookie(ctx.db, b.cookieValue, t0)).toBeUndefined();
    expect((await listUsers(ctx.db)).find((u) => u.id === user.id)?.disabledAt).not.toBeNull();
    await expect(disableUser(ctx.db, admin.id, t0)).rejects.toThrow('last administrator');
  });
});
