import { describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/db.js';
import { ConnectionStore } from './store.js';
import { createTokenCipher } from './crypto.js';
import { endpointsFromConfig } from '../../qbo/endpoints.js';
import { createTokenSource } from '../../qbo/tokens.js';
import { ConnectionLostError, QboUnavailableError } from '../../qbo/fault.js';
import { silentLogger } from '../../qbo/log.js';
import type { TokenSet } from '../../qbo/oauth.js';
import crypto from 'node:crypto';
import { sql } from 'kysely';

const key = crypto.randomBytes(32);
const cipher = createTokenCipher(key);
const endpoints = endpointsFromConfig({ qboEnv: 'emulator', emulatorUrl: 'http://127.0.0.1:1', publicUrl: 'http://127.0.0.1:3000' });

let seq = 0;
function tokens(now: Date, accessMs = 3600_000): TokenSet {
  seq++;
  return {
    accessToken: `access-SECRET-${seq}-${crypto.randomBytes(8).toString('hex')}`,
    refreshToken: `refresh-SECRET-${seq}-${crypto.randomBytes(8).toString('hex')}`,
    accessExpiresAt: new Date(now.getTime() + accessMs),
    refreshExpiresAt: new Date(now.getTime() + 100 * 86400_000),
    refreshHardExpiresAt: new Date(now.getTime() + 5 * 365 * 86400_000),
  };
}

/** A token endpoint that counts calls and answers as told. */
function fakeTokenEndpoint(answer: (refreshToken: string) => { status: number; body: unknown } | Promise<{ status: number; body: unknown }>) {
  const calls: string[] = [];
  const fetchImpl = (async (_url: string | URL | Request, init?: RequestInit) => {
    const form = new URLSearchParams(String(init?.body));
    const rt = form.get('refresh_token') ?? '';
    calls.push(rt);
    await new Promise((r) => setTimeout(r, 20));
    const a = await answer(rt);
    return new Response(JSON.stringify(a.body), { status: a.status, headers: { 'content-type': 'application/json' } });
  }) as typeof fetch;
  return { calls, fetchImpl };
}

describeEachDialect('connection store', (ctx) => {
  const store = () => new ConnectionStore({ db: ctx.db, cipher });
  let realmCounter = 4620816365000000;
  const nextRealm = () => String(realmCounter++);

  it('saves and loads tokens, encrypted at rest', async () => {
    const s = store();
    const realmId = nextRealm();
    const t = tokens(new Date());
    await s.saveConnection({ realmId, companyName: 'Kookaburra Pty', region: 'AU', tokens: t, connectedBy: 'u1' });
    const loaded = await s.load(realmId);
    expect(loaded).toMatchObject({ realmId, status: 'connected', accessToken: t.accessToken, refreshToken: t.refreshToken });
    expect(loaded?.accessExpiresAt.toISOString()).toBe(t.accessExpiresAt.toISOString());
    const raw = await ctx.db.selectFrom('connections').selectAll().where('realm_id', '=', realmId).executeTakeFirstOrThrow();
    const rawText = JSON.stringify(raw);
    expect(rawText).not.toContain(t.accessToken);
    expect(rawText).not.toContain(t.refreshToken);
    expect(rawText).not.toContain('SECRET');
    expect(await s.get(realmId)).toMatchObject({ companyName: 'Kookaburra Pty', region: 'AU', status: 'connected', connectedBy: 'u1' });
    expect(await s.load(nextRealm())).toBeUndefined();
  });

  it('writes rotated tokens and marks a connection disconnected without keeping its tokens', async () => {
    const s = store();
    const realmId = nextRealm();
    await s.saveConnection({ realmId, tokens: tokens(new Date()) });
    const t2 = tokens(new Date());
    await s.saveRotated(realmId, t2);
    expect((await s.load(realmId))?.refreshToken).toBe(t2.refreshToken);
    await s.markDisconnected(realmId, 'invalid_grant');
    expect(await s.load(realmId)).toMatchObject({ status: 'disconnected', accessToken: '' });
    expect(await s.get(realmId)).toMatchObject({ status: 'disconnected', disconnectedReason: 'invalid_grant' });
    const raw = await ctx.db.selectFrom('connections').select(['access_token_enc', 'refresh_token_enc']).where('realm_id', '=', realmId).executeTakeFirstOrThrow();
    expect(raw).toEqual({ access_token_enc: null, refresh_token_enc: null });
    await expect(s.saveRotated(realmId, tokens(new Date()))).rejects.toThrow(/not connected/);
  });

  it('lets one holder at a time have the refresh lock, across store instances', async () => {
    const realmId = nextRealm();
    await store().saveConnection({ realmId, tokens: tokens(new Date()) });
    const a = store();
    const b = store();
    let inside = 0;
    let maxInside = 0;
    const work = (s: ConnectionStore) =>
      s.withRefreshLock(realmId, async () => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        await new Promise((r) => setTimeout(r, 30));
        inside--;
      });
    await Promise.all([work(a), work(b), work(a), work(b)]);
    expect(maxInside).toBe(1);
    const row = await ctx.db.selectFrom('connections').select(['lock_owner', 'lock_until']).where('realm_id', '=', realmId).executeTakeFirstOrThrow();
    expect(row).toEqual({ lock_owner: null, lock_until: null });
  });

  it('takes over a lock whose holder died, and releases it after an error', async () => {
    const realmId = nextRealm();
    await store().saveConnection({ realmId, tokens: tokens(new Date()) });
    await ctx.db
      .updateTable('connections')
      .set({ lock_owner: 'dead-process', lock_until: new Date(Date.now() - 1000).toISOString() })
      .where('realm_id', '=', realmId)
      .execute();
    await expect(store().withRefreshLock(realmId, async () => 'got it')).resolves.toBe('got it');
    await expect(store().withRefreshLock(realmId, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(store().withRefreshLock(realmId, async () => 'again')).resolves.toBe('again');
    // A live holder makes a short-waiting caller give up with a clear error.
    await ctx.db
      .updateTable('connections')
      .set({ lock_owner: 'live', lock_until: new Date(Date.now() + 60_000).toISOString() })
      .where('realm_id', '=', realmId)
      .execute();
    await expect(new ConnectionStore({ db: ctx.db, cipher, lockWaitMs: 100 }).withRefreshLock(realmId, async () => 1)).rejects.toThrow(/too long/);
  });

  it('spends an OAuth state once, for its own session, before it expires', async () => {
    let now = new Date('2026-03-01T00:00:00Z');
    const s = new ConnectionStore({ db: ctx.db, cipher, clock: () => now });
    const st = await s.createState({ sessionId: 'sess-1' });
    expect(await s.consumeState(st, 'sess-2')).toBe(false);
    expect(await s.consumeState(st, 'sess-1')).toBe(true);
    expect(await s.consumeState(st, 'sess-1')).toBe(false);
    const late = await s.createState({ sessionId: 'sess-1', ttlMs: 1000 });
    now = new Date(now.getTime() + 2000);
    expect(await s.consumeState(late, 'sess-1')).toBe(false);
    expect(await s.consumeState('never-issued', 'sess-1')).toBe(false);
    const stored = await ctx.db.selectFrom('oauth_states').select('state_hash').execute();
    expect(stored.map((r) => r.state_hash)).not.toContain(st);
    expect(await s.pruneStates()).toBeGreaterThanOrEqual(1);
  });

  describe('token source over the store', () => {
    it('refreshes an expired token once for many concurrent callers and stores the rotation', async () => {
      const s = store();
      const realmId = nextRealm();
      const now = new Date();
      const first = tokens(now, -1000);
      await s.saveConnection({ realmId, tokens: first });
      const { calls, fetchImpl } = fakeTokenEndpoint(() => ({
        status: 200,
        body: { access_token: 'new-access', refresh_token: 'new-refresh', expires_in: 3600, x_refresh_token_expires_in: 8726400, x_refresh_token_hard_expires_in: 157680000 },
      }));
      const source = createTokenSource({ store: s, oauth: { endpoints, fetch: fetchImpl }, logger: silentLogger });
      const got = await Promise.all(Array.from({ length: 8 }, () => source.accessToken(realmId)));
      expect(new Set(got)).toEqual(new Set(['new-access']));
      expect(calls).toEqual([first.refreshToken]);
      const after = await s.load(realmId);
      expect(after).toMatchObject({ accessToken: 'new-access', refreshToken: 'new-refresh' });
      expect(after?.refreshHardExpiresAt).not.toBeNull();
    });

    it('two sources (two processes) refresh once: the second re-reads after the lock', async () => {
      const realmId = nextRealm();
      await store().saveConnection({ realmId, tokens: tokens(new Date(), -1000) });
      let n = 0;
      const { calls, fetchImpl } = fakeTokenEndpoint(() => ({ status: 200, body: { access_token: `acc-${++n}`, refresh_token: `ref-${n}`, expires_in: 3600 } }));
      const mk = () => createTokenSource({ store: store(), oauth: { endpoints, fetch: fetchImpl }, logger: silentLogger });
      const [a, b] = await Promise.all([mk().accessToken(realmId), mk().accessToken(realmId)]);
      expect(calls).toHaveLength(1);
      expect(a).toBe('acc-1');
      expect(b).toBe('acc-1');
    });

    it('marks the connection disconnected on invalid_grant, after one re-read', async () => {
      const s = store();
      const realmId = nextRealm();
      await s.saveConnection({ realmId, tokens: tokens(new Date(), -1000) });
      const { calls, fetchImpl } = fakeTokenEndpoint(() => ({ status: 400, body: { error: 'invalid_grant' } }));
      const source = createTokenSource({ store: s, oauth: { endpoints, fetch: fetchImpl }, logger: silentLogger });
      const err = await source.accessToken(realmId).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConnectionLostError);
      expect(String((err as Error).message)).not.toMatch(/SECRET/);
      expect(calls).toHaveLength(1);
      expect(await s.get(realmId)).toMatchObject({ status: 'disconnected', disconnectedReason: 'invalid_grant' });
    });

    it('uses a token another process rotated in when Intuit says invalid_grant to ours', async () => {
      const s = store();
      const realmId = nextRealm();
      const mine = tokens(new Date(), -1000);
      await s.saveConnection({ realmId, tokens: mine });
      const theirs = tokens(new Date(), -1000);
      const { calls, fetchImpl } = fakeTokenEndpoint(async (rt) => {
        if (rt === mine.refreshToken) {
          // Another process rotated the token while our request was in flight.
          await s.saveRotated(realmId, theirs);
          return { status: 400, body: { error: 'invalid_grant' } };
        }
        return { status: 200, body: { access_token: 'after-reread', refresh_token: 'r3', expires_in: 3600 } };
      });
      const source = createTokenSource({ store: s, oauth: { endpoints, fetch: fetchImpl }, logger: silentLogger });
      await expect(source.accessToken(realmId)).resolves.toBe('after-reread');
      expect(calls).toEqual([mine.refreshToken, theirs.refreshToken]);
      expect((await s.get(realmId))?.status).toBe('connected');
    });

    it('never disconnects on 429, 5xx or a network error', async () => {
      const s = store();
      for (const failure of ['429', '503', 'network'] as const) {
        const realmId = nextRealm();
        await s.saveConnection({ realmId, tokens: tokens(new Date(), -1000) });
        const fetchImpl = (async () => {
          if (failure === 'network') throw new TypeError('fetch failed');
          return new Response('<html>busy</html>', { status: Number(failure) });
        }) as typeof fetch;
        const source = createTokenSource({ store: s, oauth: { endpoints, fetch: fetchImpl }, logger: silentLogger });
        await expect(source.accessToken(realmId)).rejects.toBeInstanceOf(QboUnavailableError);
        expect((await s.get(realmId))?.status).toBe('connected');
      }
    });
  });

  it('the raw table never holds token text (bytes of every column)', async () => {
    const rows = await sql<Record<string, unknown>>`select * from connections`.execute(ctx.db);
    expect(rows.rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows.rows)).not.toMatch(/SECRET|new-access|new-refresh|acc-1|after-reread/);
  });
});
