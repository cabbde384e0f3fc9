import { describe, expect, it } from 'vitest';
import { createEmulatorClock } from '../run/clock.js';
import { createTokenStore } from './tokens.js';

function setup(lifetimes = {}) {
  let real = 0;
  const clock = createEmulatorClock({ realNow: () => real, startMs: Date.UTC(2026, 0, 1) });
  const store = createTokenStore(clock, lifetimes);
  return { store, tick: (s: number) => (real += s * 1000) };
}

function connect(store: ReturnType<typeof setup>['store']) {
  const code = store.issueCode('c', 'http://127.0.0.1:1/cb', '9');
  const t = store.exchangeCode('c', code, 'http://127.0.0.1:1/cb', true);
  if (t === 'invalid_grant') throw new Error('exchange failed');
  return t;
}

describe('token store', () => {
  it('exchanges a code once, for the same client and redirect URI only', () => {
    const { store } = setup();
    const code = store.issueCode('c', 'http://127.0.0.1:1/cb', '9');
    expect(store.exchangeCode('c', code, 'http://127.0.0.1:1/other', false)).toBe('invalid_grant');
    // A failed attempt burns the code too.
    expect(store.exchangeCode('c', code, 'http://127.0.0.1:1/cb', false)).toBe('invalid_grant');
    const code2 = store.issueCode('c', 'http://127.0.0.1:1/cb', '9');
    expect(store.exchangeCode('other', code2, 'http://127.0.0.1:1/cb', false)).toBe('invalid_grant');
  });

  it('returns Intuit lifetimes and the hard expiry only when asked', () => {
    const { store } = setup();
    const t = connect(store);
    expect(t).toMatchObject({ token_type: 'bearer', expires_in: 3600, x_refresh_token_expires_in: 8_726_400 });
    expect(t.x_refresh_token_hard_expires_in).toBe(5 * 365 * 24 * 3600);
  });

  it('expires access tokens on the emulated clock and checks the realm', () => {
    const { store, tick } = setup({ accessSeconds: 5 });
    const t = connect(store);
    expect(store.checkAccess(t.access_token, '9')).toMatchObject({ ok: true });
    expect(store.checkAccess(t.access_token, '8')).toEqual({ ok: false, reason: 'wrong-realm' });
    tick(6);
    expect(store.checkAccess(t.access_token, '9')).toEqual({ ok: false, reason: 'expired' });
  });

  it('rotates the refresh token, keeps the old one for the grace period, then refuses it', () => {
    const { store, tick } = setup({ refreshGraceSeconds: 100 });
    const t = connect(store);
    const r1 = store.refresh('c', t.refresh_token, false);
    if (r1 === 'invalid_grant') throw new Error('refresh failed');
    expect(r1.tokens.refresh_token).not.toBe(t.refresh_token);
    tick(50);
    expect(store.refresh('c', t.refresh_token, false)).not.toBe('invalid_grant');
    tick(51);
    expect(store.refresh('c', t.refresh_token, false)).toBe('invalid_grant');
  });

  it('keeps the refresh token until it is old enough to rotate', () => {
    const { store, tick } = setup({ refreshRotateAfterSeconds: 86_400 });
    const t = connect(store);
    const r1 = store.refresh('c', t.refresh_token, false);
    expect(r1 !== 'invalid_grant' && r1.tokens.refresh_token).toBe(t.refresh_token);
    tick(86_400);
    const r2 = store.refresh('c', t.refresh_token, false);
    expect(r2 !== 'invalid_grant' && r2.tokens.refresh_token).not.toBe(t.refresh_token);
  });

  it('revoking any token of a grant ends the grant', () => {
    const { store } = setup();
    const t = connect(store);
    expect(store.revoke('someone-else', t.refresh_token)).toBe(false);
    expect(store.revoke('c', t.refresh_token)).toBe(true);
    expect(store.checkAccess(t.access_token, '9')).toEqual({ ok: false, reason: 'revoked' });
    expect(store.refresh('c', t.refresh_token, false)).toBe('invalid_grant');
  });

  it('survives a snapshot and restore, keeping only digests', () => {
    const { store } = setup();
    const t = connect(store);
    const snap = store.snapshot();
    expect(JSON.stringify(snap)).not.toContain(t.access_token);
    expect(JSON.stringify(snap)).not.toContain(t.refresh_token);
    const { store: again } = setup();
    again.restore(JSON.parse(JSON.stringify(snap)));
    expect(again.checkAccess(t.access_token, '9')).toMatchObject({ ok: true });
    expect(again.refresh('c', t.refresh_token, false)).not.toBe('invalid_grant');
  });
});
