/**
 * Fresh access tokens for the pipeline. Refresh is single-flight per company inside this process
 * (one promise, awaited by every caller) and locked per company in the database across processes;
 * after taking the lock the tokens are re-read, because another process may have refreshed already.
 * `invalid_grant` is believed only after one more re-read; 429, 5xx and network errors never end a
 * connection (docs/qbo-api.md §oauth, docs/reliability.md §token-refresh).
 */
import { ConnectionLostError, QboUnavailableError } from './fault.js';
import { OAuthError, refreshTokens, type OAuthDeps } from './oauth.js';
import type { QboLogger } from './log.js';
import type { StoredTokens, TokenStore } from './token-store.js';

export interface TokenSource {
  /** A token valid for at least the skew; refreshes when it is not. */
  accessToken(realmId: string): Promise<string>;
  /** QBO said 401 to `rejected`: get a different, fresh one (refreshing unless someone already did). */
  afterUnauthorized(realmId: string, rejected: string): Promise<string>;
}

export interface TokenSourceOptions {
  store: TokenStore;
  oauth: OAuthDeps;
  clock?: () => Date;
  logger: QboLogger;
  /** Refresh this long before the access token expires (oauth-jsclient uses 60 s). */
  skewMs?: number;
}

export function createTokenSource(opts: TokenSourceOptions): TokenSource {
  const clock = opts.clock ?? (() => new Date());
  const skew = opts.skewMs ?? 60_000;
  const inFlight = new Map<string, Promise<string>>();
  // The last tokens seen per company, so a busy run does not read and decrypt the row on every
  // request. Safe across processes: an access token stays valid until it expires even after another
  // process refreshes, and a 401 always goes back to the database.
  const cache = new Map<string, StoredTokens>();

  const usable = (t: StoredTokens, rejected?: string) => t.accessToken !== rejected && t.accessExpiresAt.getTime() - skew > clock().getTime();

  async function loadConnected(realmId: string): Promise<StoredTokens> {
    const t = await opts.store.load(realmId);
    if (!t || t.status !== 'connected') {
      cache.delete(realmId);
      throw new ConnectionLostError(realmId, t ? 'the connection was ended' : 'this company has not been connected');
    }
    cache.set(realmId, t);
    return t;
  }

  async function tryRefresh(realmId: string, current: StoredTokens): Promise<string> {
    const next = await refreshTokens(opts.oauth, current.refreshToken);
    await opts.store.saveRotated(realmId, next);
    cache.set(realmId, { ...next, realmId, status: 'connected' });
    opts.logger.info({ realmId, accessExpiresAt: next.accessExpiresAt.toISOString() }, 'qbo: access token refreshed');
    return next.accessToken;
  }

  async function refreshLocked(realmId: string, rejected: string | undefined): Promise<string> {
    return opts.store.withRefreshLock(realmId, async () => {
      const current = await loadConnected(realmId);
      if (usable(current, rejected)) return current.accessToken;
      try {
        return await tryRefresh(realmId, current);
      } catch (err) {
        if (!(err instanceof OAuthError)) throw err;
        if (err.kind === 'invalid-grant') {
          // Another process (or a lock that timed out) may have rotated the token under us.
          const again = await loadConnected(realmId);
          if (again.refreshToken !== current.refreshToken) {
            if (usable(again, rejected)) return again.accessToken;
            try {
              return await tryRefresh(realmId, again);
            } catch (err2) {
              if (!(err2 instanceof OAuthError) || err2.kind !== 'invalid-grant') throw asUnavailable(realmId, err2);
            }
          }
          await opts.store.markDisconnected(realmId, 'invalid_grant');
          cache.delete(realmId);
          opts.logger.warn({ realmId, intuit_tid: err.intuitTid }, 'qbo: refresh token rejected (invalid_grant); connection marked disconnected');
          throw new ConnectionLostError(realmId, 'Intuit no longer accepts its refresh token');
        }
        throw asUnavailable(realmId, err);
      }
    });
  }

  function asUnavailable(realmId: string, err: unknown): Error {
    if (err instanceof OAuthError) {
      if (err.kind === 'temporary') return new QboUnavailableError(realmId, 'token refresh failed temporarily', err.status, err.intuitTid);
      return err;
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  function singleFlight(realmId: string, rejected: string | undefined): Promise<string> {
    const existing = inFlight.get(realmId);
    if (existing) return existing;
    const p = refreshLocked(realmId, rejected).finally(() => inFlight.delete(realmId));
    inFlight.set(realmId, p);
    return p;
  }

  return {
    async accessToken(realmId) {
      const cached = cache.get(realmId);
      if (cached && usable(cached)) return cached.accessToken;
      const t = await loadConnected(realmId);
      if (usable(t)) return t.accessToken;
      return singleFlight(realmId, undefined);
    },
    async afterUnauthorized(realmId, rejected) {
      cache.delete(realmId);
      const t = await loadConnected(realmId);
      if (usable(t, rejected)) return t.accessToken;
      return singleFlight(realmId, rejected);
    },
  };
}
