/**
 * Token keep-alive (issue 16): Intuit's refresh token lasts 100 days from its last use, a window that
 * rolls forward with each refresh, and — since the policy of 2025-11-12 — never more than five years
 * from the first consent (docs/qbo-api.md §oauth, §keep-alive). A company nobody syncs would
 * otherwise drift to the rolling expiry and be disconnected. Once a day this refreshes every
 * connected company whose refresh token has not been used for `refreshAfterDays` (its rolling expiry
 * is nearer than 100 − that), storing the new pair through the connection store (which encrypts it,
 * under the company's refresh lock); warns (log + 'connection-expiring' notification) when the hard
 * expiry is near or a refresh fails. A disconnected company is left alone.
 */
import { OAuthError, refreshTokens, type OAuthDeps } from '../../qbo/oauth.js';
import { endpointsFor } from './connection.js';
import { notifyConnectionExpiring, type NotifyCtx } from '../notify/index.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Intuit's rolling refresh-token window (docs/qbo-api.md §oauth). */
export const ROLLING_WINDOW_DAYS = 100;
/** Refresh a company whose token has gone this long unused: a tenth of the window, so a missed week changes nothing. */
export const REFRESH_AFTER_DAYS = 10;
/** Warn on these days before the hard (5-year) expiry; a daily job sends each once. */
export const HARD_EXPIRY_WARN_DAYS = [30, 14, 7, 3, 1] as const;

export interface KeepAliveOptions {
  refreshAfterDays?: number;
  /** A test's fetch toward Intuit's token endpoint (the emulator's in tests). */
  fetch?: typeof fetch;
}

export interface KeepAliveOutcome {
  realmId: string;
  action: 'refreshed' | 'fresh' | 'failed' | 'disconnected';
  /** Days until the hard expiry, when it is known and within the warning window. */
  hardExpiryWarnedDays?: number;
}

/** Whole days from `now` until `at`, rounded up (1 on the last day). */
const daysUntil = (at: Date, now: Date) => Math.ceil((at.getTime() - now.getTime()) / DAY_MS);

/** One pass over every connected company. Never throws for one company's failure. */
export async function keepTokensAlive(ctx: NotifyCtx, opts: KeepAliveOptions = {}): Promise<KeepAliveOutcome[]> {
  const store = ctx.qbo.connections;
  const after = opts.refreshAfterDays ?? REFRESH_AFTER_DAYS;
  const oauth: OAuthDeps = { endpoints: endpointsFor(ctx.config), clock: ctx.clock, ...(opts.fetch ? { fetch: opts.fetch } : {}) };
  const out: KeepAliveOutcome[] = [];
  for (const info of await store.list()) {
    if (info.status !== 'connected') continue;
    const now = ctx.clock();
    const outcome: KeepAliveOutcome = { realmId: info.realmId, action: 'fresh' };
    out.push(outcome);
    // The hard expiry first: no refresh extends it, so it is said whether or not we refresh.
    const hard = info.refreshHardExpiresAt;
    if (hard) {
      const left = daysUntil(hard, now);
      if (left > 0 && (HARD_EXPIRY_WARN_DAYS as readonly number[]).includes(left)) {
        outcome.hardExpiryWarnedDays = left;
        ctx.logger.warn(
          { realmId: info.realmId, hardExpiresAt: hard.toISOString(), daysLeft: left },
          'keep-alive: the QuickBooks connection reaches its 5-year limit soon; connect again',
        );
        await notifyConnectionExpiring(ctx, { realmId: info.realmId, why: 'hard-expiry', expiresAt: hard });
      }
    }
    // Unknown rolling expiry (Intuit did not say): refresh, which tells us.
    const rolling = info.refreshExpiresAt;
    const due = !rolling || rolling.getTime() - now.getTime() <= (ROLLING_WINDOW_DAYS - after) * DAY_MS;
    if (!due) continue;
    try {
      await store.withRefreshLock(info.realmId, async () => {
        const current = await store.load(info.realmId);
        if (!current || current.status !== 'connected') {
          outcome.action = 'disconnected';
          return;
        }
        // Another process refreshed it while we waited for the lock: nothing to do.
        if (current.refreshExpiresAt && current.refreshExpiresAt.getTime() - now.getTime() > (ROLLING_WINDOW_DAYS - after) * DAY_MS) return;
        try {
          const next = await refreshTokens(oauth, current.refreshToken);
          await store.saveRotated(info.realmId, next);
          outcome.action = 'refreshed';
          ctx.logger.info({ realmId: info.realmId, refreshExpiresAt: next.refreshExpiresAt?.toISOString() ?? null }, 'keep-alive: QuickBooks tokens refreshed');
        } catch (err) {
          if (err instanceof OAuthError && err.kind === 'invalid-grant') {
            // Intuit no longer takes it: the store says disconnected, which notifies (app.ts onDisconnected).
            outcome.action = 'disconnected';
            await store.markDisconnected(info.realmId, 'invalid_grant');
            ctx.logger.warn({ realmId: info.realmId, intuit_tid: err.intuitTid }, 'keep-alive: refresh token rejected (invalid_grant); connection marked disconnected');
            return;
          }
          throw err;
        }
      });
    } catch (err) {
      outcome.action = 'failed';
      const detail = err instanceof OAuthError ? `${err.kind}${err.status ? `, HTTP ${err.status}` : ''}` : err instanceof Error ? err.message.slice(0, 160) : 'failed';
      ctx.logger.warn({ realmId: info.realmId, err: detail }, 'keep-alive: QuickBooks token refresh failed; tried again tomorrow');
      await notifyConnectionExpiring(ctx, { realmId: info.realmId, why: 'refresh-failed', expiresAt: rolling, detail });
    }
  }
  return out;
}
