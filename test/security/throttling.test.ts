/**
 * Issue 12 §1: password guesses are counted before the password is checked, per account and per
 * address, so a burst sent together over HTTP is limited like guesses sent one by one; the current
 * password on /account/password is under the same limit; behind a trusted reverse proxy the limit
 * is per client, not one count for everyone; and password checks run a few at a time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { hashPassword, passwordChecksInFlight, verifyPassword } from '../../src/accounts/passwords.js';
import { makeBench, type Bench } from './harness.js';
import { serve, tally, type Served } from './over-http.js';

let b: Bench | undefined;
let s: Served | undefined;
afterEach(async () => {
  await s?.server.close();
  await b?.close();
  s = undefined;
  b = undefined;
});

describe('security: sign-in throttling holds under concurrency', () => {
  // The product's clock stands still here, so the growing delay never runs out during the burst.
  const frozen = () => new Date('2026-11-26T01:00:00Z');

  it('a burst of 60 parallel guesses at one account gets 3 answers, and the right password is refused after it', async () => {
    b = await makeBench({ clock: frozen });
    s = await serve(b);
    const victim = b.people.viewer;
    const { cookie, csrf } = await s.preSession();
    // With the old check-then-record limiter, 55 of these were checked (and a right one got in).
    const guesses = Array.from({ length: 60 }, (_, i) => `wrong guess number ${i}`);
    const answers = await Promise.all(guesses.map((password) => s!.form('/signin', { _csrf: csrf, email: victim.email, password }, { cookie })));
    const counts = tally(answers.map((r) => r.status));
    expect(counts[401] ?? 0, `statuses ${JSON.stringify(counts)}`).toBeLessThanOrEqual(3);
    expect(counts[429], `statuses ${JSON.stringify(counts)}`).toBeGreaterThanOrEqual(57);
    const limited = answers.find((r) => r.status === 429)!;
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    // And the account stays shut for the right password straight afterwards.
    const after = await s.form('/signin', { _csrf: csrf, email: victim.email, password: victim.password }, { cookie });
    expect(after.status).toBe(429);
  });

  it('12 parallel wrong current passwords on /account/password: at most 3 are checked', async () => {
    b = await makeBench({ clock: frozen });
    s = await serve(b);
    const me = b.people.bookkeeper;
    const cookie = `qbc_session=${me.cookie}`;
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => s!.form('/account/password', { _csrf: me.csrf, current: `not it ${i} at all`, password: 'violet harbour kettle drum' }, { cookie })),
    );
    const counts = tally(answers.map((r) => r.status));
    expect(counts[400] ?? 0, JSON.stringify(counts)).toBeLessThanOrEqual(3);
    expect(counts[429] ?? 0, JSON.stringify(counts)).toBeGreaterThanOrEqual(9);
    expect(counts[200] ?? 0).toBe(0);
  });

  it('behind the trusted proxy one client’s failures do not lock another client out', async () => {
    b = await makeBench({ env: { QBO_CONNECT_TRUSTED_PROXY: '127.0.0.1' } });
    s = await serve(b);
    const { cookie, csrf } = await s.preSession();
    // 25 failures from one client, each at a different (unknown) account, so only the address limit counts.
    for (let i = 0; i < 25; i++) {
      await s.form('/signin', { _csrf: csrf, email: `nobody${i}@example.com`, password: 'wrong wrong wrong' }, { cookie, headers: { 'x-forwarded-for': '203.0.113.7' } });
    }
    const stillLimited = await s.form(
      '/signin',
      { _csrf: csrf, email: 'nobody-else@example.com', password: 'wrong wrong wrong' },
      { cookie, headers: { 'x-forwarded-for': '203.0.113.7' } },
    );
    expect(stillLimited.status).toBe(429);
    const other = b.people.administrator;
    // What the client itself puts first in X-Forwarded-For is never read: only the proxy's last entry.
    const ok = await s.form('/signin', { _csrf: csrf, email: other.email, password: other.password }, { cookie, headers: { 'x-forwarded-for': '203.0.113.7, 198.51.100.9' } });
    expect(ok.status).toBe(303);
  });

  it('behind the trusted proxy a forwarded address with a port or in brackets still names its own client', async () => {
    b = await makeBench({ env: { QBO_CONNECT_TRUSTED_PROXY: '127.0.0.1' } });
    s = await serve(b);
    const { cookie, csrf } = await s.preSession();
    // The attacker's address arrives as proxies often write it, with its port; before the fix it
    // failed the IP check and every client was counted as the proxy, so all were locked out.
    for (let i = 0; i < 25; i++) {
      await s.form('/signin', { _csrf: csrf, email: `nobody${i}@example.com`, password: 'wrong wrong wrong' }, { cookie, headers: { 'x-forwarded-for': '203.0.113.7:5555' } });
    }
    const attacker = await s.form(
      '/signin',
      { _csrf: csrf, email: 'nobody-else@example.com', password: 'wrong wrong wrong' },
      { cookie, headers: { 'x-forwarded-for': '203.0.113.7:6666' } },
    );
    expect(attacker.status).toBe(429);
    const other = b.people.administrator;
    for (const forwarded of ['[2001:db8::1]:443', '[2001:db8::2]', '198.51.100.9:80', 'garbage']) {
      const ok = await s.form('/signin', { _csrf: csrf, email: other.email, password: other.password }, { cookie, headers: { 'x-forwarded-for': forwarded } });
      expect(ok.status, forwarded).toBe(303);
    }
  });

  it('without a trusted proxy X-Forwarded-For is ignored: a new value per request does not reset the count', async () => {
    b = await makeBench();
    s = await serve(b);
    const { cookie, csrf } = await s.preSession();
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) {
      const r = await s.form(
        '/signin',
        { _csrf: csrf, email: `nobody${i}@example.com`, password: 'wrong wrong wrong' },
        { cookie, headers: { 'x-forwarded-for': `203.0.113.${i + 1}` } },
      );
      statuses.push(r.status);
    }
    expect(statuses).toContain(429);
  });

  it('runs at most two scrypt checks at once; the rest queue', async () => {
    const stored = await hashPassword('a password to check');
    const checks = Array.from({ length: 8 }, () => verifyPassword('a password to check', stored));
    await new Promise((r) => setImmediate(r));
    const seen = passwordChecksInFlight();
    expect(seen.running).toBeLessThanOrEqual(2);
    expect(seen.waiting).toBeGreaterThanOrEqual(5);
    expect(await Promise.all(checks)).toEqual(Array(8).fill(true));
    expect(passwordChecksInFlight()).toEqual({ running: 0, waiting: 0 });
  });
});
