/**
 * Authorization codes, grants, access and refresh tokens, on the emulator's clock.
 *
 * Only SHA-256 digests of codes and tokens are kept (in memory and in the persisted snapshot): the
 * emulator never needs a token back, it only has to recognise one. A grant is one company's consent
 * for one client; revoking any of its tokens ends the grant, as Intuit's revoke disconnects the app.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { EmulatorClock } from '../run/clock.js';

export interface TokenLifetimes {
  /** Access token lifetime (Intuit: 3600). */
  accessSeconds: number;
  /** Rolling refresh-token lifetime, renewed on each use (Intuit's mocks: 8726400 = 101 days). */
  refreshSeconds: number;
  /** Absolute refresh-token cap from the first consent (Intuit, 2025: 5 years). */
  refreshHardSeconds: number;
  /** How long a rotated-out refresh token keeps working (Intuit: about 24 h). */
  refreshGraceSeconds: number;
  /** A refresh rotates the refresh token only once it is at least this old (0 = every refresh). */
  refreshRotateAfterSeconds: number;
  /** Authorization code lifetime. */
  codeSeconds: number;
}

export const defaultLifetimes: TokenLifetimes = {
  accessSeconds: 3600,
  refreshSeconds: 8_726_400,
  refreshHardSeconds: 5 * 365 * 24 * 3600,
  refreshGraceSeconds: 24 * 3600,
  refreshRotateAfterSeconds: 0,
  codeSeconds: 600,
};

export const lifetimesPatchSchema = z
  .object({
    accessSeconds: z.number().positive(),
    refreshSeconds: z.number().positive(),
    refreshHardSeconds: z.number().positive(),
    refreshGraceSeconds: z.number().min(0),
    refreshRotateAfterSeconds: z.number().min(0),
    codeSeconds: z.number().positive(),
  })
  .partial()
  .strict();

export interface TokenSet {
  token_type: 'bearer';
  access_token: string;
  refresh_token: string;
  expires_in: number;
  x_refresh_token_expires_in: number;
  x_refresh_token_hard_expires_in?: number;
}

export type GrantError = 'invalid_grant';

export type AccessCheck = { ok: true; realmId: string; clientId: string } | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'wrong-realm' };

const grantSchema = z.object({
  id: z.string(),
  clientId: z.string(),
  realmId: z.string(),
  createdAt: z.number(),
  revoked: z.boolean(),
  refreshHash: z.string(),
  refreshIssuedAt: z.number(),
  refreshExpiresAt: z.number(),
  previous: z.array(z.object({ hash: z.string(), diesAt: z.number() })),
});
type Grant = z.infer<typeof grantSchema>;

const snapshotSchema = z.object({
  grants: z.array(grantSchema),
  access: z.array(z.object({ hash: z.string(), grantId: z.string(), expiresAt: z.number() })),
  lifetimes: lifetimesPatchSchema.optional(),
});
export type TokenStoreSnapshot = z.infer<typeof snapshotSchema>;

interface CodeEntry {
  clientId: string;
  redirectUri: string;
  realmId: string;
  expiresAt: number;
}

export interface TokenStore {
  lifetimes(): TokenLifetimes;
  setLifetimes(patch: Partial<TokenLifetimes>): TokenLifetimes;
  issueCode(clientId: string, redirectUri: string, realmId: string): string;
  /** Single use: the code is gone after the first attempt, whether or not it succeeded. */
  exchangeCode(clientId: string, code: string, redirectUri: string, withHardExpiry: boolean): TokenSet | GrantError;
  refresh(clientId: string, refreshToken: string, withHardExpiry: boolean): { tokens: TokenSet; realmId: string } | GrantError;
  /** Revokes the grant the token belongs to; false when the token is not this client's. */
  revoke(clientId: string, token: string): boolean;
  checkAccess(token: string, realmId: string): AccessCheck;
  /** Ends every access token now (of one company, or all): the next API call gets 401. */
  expireAccessTokens(realmId?: string): number;
  /** Forgets every grant of a company (control reset). */
  forgetCompany(realmId: string): void;
  /** Whether some app holds a live grant (not revoked, refresh token not expired) for the company. */
  connected(realmId: string): boolean;
  snapshot(): TokenStoreSnapshot;
  restore(snapshot: unknown): void;
}

const digest = (token: string) => createHash('sha256').update(token).digest('base64url');
const newToken = (prefix: string, bytes: number) => prefix + randomBytes(bytes).toString('base64url');

export function createTokenStore(clock: EmulatorClock, initial: Partial<TokenLifetimes> = {}): TokenStore {
  let life: TokenLifetimes = { ...defaultLifetimes, ...initial };
  const codes = new Map<string, CodeEntry>();
  const grants = new Map<string, Grant>();
  const byRefresh = new Map<string, string>();
  const access = new Map<string, { grantId: string; expiresAt: number }>();
  let grantSeq = 0;

  const sec = (s: number) => s * 1000;

  function pruneAccess(now: number) {
    // Keeps the map bounded on long runs; expired tokens are still told apart from unknown ones
    // until they are a day past expiry, so a 401 can say "Token expired".
    for (const [h, a] of access) if (a.expiresAt + 86_400_000 < now) access.delete(h);
  }

  // `now` is the instant of the request, so the lifetimes answered are exact, not a millisecond short.
  function mint(grant: Grant, refreshToken: string, withHard: boolean, now: number): TokenSet {
    pruneAccess(now);
    const at = newToken('eyJ', 48);
    access.set(digest(at), { grantId: grant.id, expiresAt: now + sec(life.accessSeconds) });
    const hardAt = grant.createdAt + sec(life.refreshHardSeconds);
    const set: TokenSet = {
      token_type: 'bearer',
      access_token: at,
      refresh_token: refreshToken,
      expires_in: life.accessSeconds,
      x_refresh_token_expires_in: Math.max(0, Math.floor((grant.refreshExpiresAt - now) / 1000)),
    };
    if (withHard) set.x_refresh_token_hard_expires_in = Math.max(0, Math.floor((hardAt - now) / 1000));
    return set;
  }

  function rotate(grant: Grant, now: number): string {
    const rt = newToken('AB11', 36);
    grant.previous = grant.previous.filter((p) => p.diesAt > now);
    grant.previous.push({ hash: grant.refreshHash, diesAt: now + sec(life.refreshGraceSeconds) });
    byRefresh.set(grant.previous[grant.previous.length - 1]!.hash, grant.id);
    grant.refreshHash = digest(rt);
    grant.refreshIssuedAt = now;
    byRefresh.set(grant.refreshHash, grant.id);
    return rt;
  }

  function rollingExpiry(grant: Grant, now: number): number {
    return Math.min(now + sec(life.refreshSeconds), grant.createdAt + sec(life.refreshHardSeconds));
  }

  // Access tokens stay known until pruned, so a call with one answers "revoked", not "invalid".
  function endGrant(grant: Grant) {
    grant.revoked = true;
  }

  return {
    lifetimes: () => ({ ...life }),
    setLifetimes(patch) {
      life = { ...life, ...lifetimesPatchSchema.parse(patch) };
      return { ...life };
    },
    issueCode(clientId, redirectUri, realmId) {
      const now = clock.nowMs();
      for (const [h, c] of codes) if (c.expiresAt < now) codes.delete(h);
      const code = newToken('AB1', 30);
      codes.set(digest(code), { clientId, redirectUri, realmId, expiresAt: now + sec(life.codeSeconds) });
      return code;
    },
    exchangeCode(clientId, code, redirectUri, withHard) {
      const h = digest(code);
      const entry = codes.get(h);
      codes.delete(h);
      const now = clock.nowMs();
      if (!entry || entry.clientId !== clientId || entry.redirectUri !== redirectUri || entry.expiresAt < now) return 'invalid_grant';
      const rt = newToken('AB11', 36);
      const grant: Grant = {
        id: `g${++grantSeq}-${randomBytes(4).toString('hex')}`,
        clientId,
        realmId: entry.realmId,
        createdAt: now,
        revoked: false,
        refreshHash: digest(rt),
        refreshIssuedAt: now,
        refreshExpiresAt: now + sec(life.refreshSeconds),
        previous: [],
      };
      grant.refreshExpiresAt = rollingExpiry(grant, now);
      grants.set(grant.id, grant);
      byRefresh.set(grant.refreshHash, grant.id);
      return mint(grant, rt, withHard, now);
    },
    refresh(clientId, refreshToken, withHard) {
      const h = digest(refreshToken);
      const grant = grants.get(byRefresh.get(h) ?? '');
      const now = clock.nowMs();
      if (!grant || grant.revoked || grant.clientId !== clientId) return 'invalid_grant';
      if (grant.refreshExpiresAt <= now || grant.createdAt + sec(life.refreshHardSeconds) <= now) return 'invalid_grant';
      let rt: string;
      if (grant.refreshHash === h) {
        rt = now - grant.refreshIssuedAt >= sec(life.refreshRotateAfterSeconds) ? rotate(grant, now) : refreshToken;
      } else {
        const prev = grant.previous.find((p) => p.hash === h);
        if (!prev || prev.diesAt <= now) {
          byRefresh.delete(h);
          return 'invalid_grant';
        }
        // A rotated-out token inside its grace period still works; the answer carries a fresh
        // current token, since the emulator cannot hand back one it only knows by digest.
        rt = rotate(grant, now);
      }
      grant.refreshExpiresAt = rollingExpiry(grant, now);
      return { tokens: mint(grant, rt, withHard, now), realmId: grant.realmId };
    },
    revoke(clientId, token) {
      const h = digest(token);
      const grantId = byRefresh.get(h) ?? access.get(h)?.grantId;
      const grant = grantId ? grants.get(grantId) : undefined;
      if (!grant || grant.clientId !== clientId) return false;
      endGrant(grant);
      return true;
    },
    checkAccess(token, realmId) {
      const a = access.get(digest(token));
      if (!a) return { ok: false, reason: 'unknown' };
      const grant = grants.get(a.grantId);
      if (!grant || grant.revoked) return { ok: false, reason: 'revoked' };
      if (a.expiresAt <= clock.nowMs()) return { ok: false, reason: 'expired' };
      if (grant.realmId !== realmId) return { ok: false, reason: 'wrong-realm' };
      return { ok: true, realmId: grant.realmId, clientId: grant.clientId };
    },
    expireAccessTokens(realmId) {
      const now = clock.nowMs();
      let n = 0;
      for (const a of access.values()) {
        const g = grants.get(a.grantId);
        if (realmId !== undefined && g?.realmId !== realmId) continue;
        if (a.expiresAt > now) {
          a.expiresAt = now;
          n++;
        }
      }
      return n;
    },
    forgetCompany(realmId) {
      for (const g of grants.values()) if (g.realmId === realmId) endGrant(g);
    },
    connected(realmId) {
      const now = clock.nowMs();
      for (const g of grants.values()) if (g.realmId === realmId && !g.revoked && g.refreshExpiresAt > now) return true;
      return false;
    },
    snapshot() {
      const now = clock.nowMs();
      return {
        grants: [...grants.values()].filter((g) => !g.revoked && g.refreshExpiresAt > now).map((g) => ({ ...g, previous: [...g.previous] })),
        access: [...access.entries()].filter(([, a]) => a.expiresAt > now && grants.get(a.grantId)?.revoked === false).map(([hash, a]) => ({ hash, ...a })),
        lifetimes: { ...life },
      };
    },
    restore(raw) {
      const snap = snapshotSchema.parse(raw);
      grants.clear();
      byRefresh.clear();
      access.clear();
      if (snap.lifetimes) life = { ...life, ...snap.lifetimes };
      for (const g of snap.grants) {
        grants.set(g.id, { ...g });
        byRefresh.set(g.refreshHash, g.id);
        for (const p of g.previous) byRefresh.set(p.hash, g.id);
      }
      for (const a of snap.access) access.set(a.hash, { grantId: a.grantId, expiresAt: a.expiresAt });
      grantSeq = snap.grants.length;
    },
  };
}
