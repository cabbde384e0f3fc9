/**
 * What the client needs from token persistence. qbo/ declares it; connect/ implements it on the
 * database (ConnectionStore), so the client never knows about tables or encryption.
 */
import type { TokenSet } from './oauth.js';

export interface StoredTokens extends TokenSet {
  realmId: string;
  status: 'connected' | 'disconnected';
}

export interface TokenStore {
  /** The company's current tokens, decrypted; undefined when the company was never connected. */
  load(realmId: string): Promise<StoredTokens | undefined>;
  /**
   * Writes a refresh's result: access and rotated refresh token with their expiries, in one atomic
   * write. Called only inside `withRefreshLock`; the lost rotated refresh token is the classic
   * cause of `invalid_grant`, so this must not return before the write is durable.
   */
  saveRotated(realmId: string, tokens: TokenSet): Promise<void>;
  /**
   * Runs `fn` while holding the company's refresh lock across every process that shares the
   * database. Waits for another holder; throws if the lock cannot be had in reasonable time.
   */
  withRefreshLock<T>(realmId: string, fn: () => Promise<T>): Promise<T>;
  /** The connection is over (invalid_grant after a re-read): the UI asks someone to connect again. */
  markDisconnected(realmId: string, reason: string): Promise<void>;
}

/**
 * What `withRefreshLock` throws when another process holds the company's refresh lock for too long.
 * Declared here, beside the interface that may throw it, so qbo/reasons.ts knows it as a QuickBooks
 * failure ("try again in a minute") without knowing who implements the store.
 */
export class RefreshLockBusyError extends Error {
  override name = 'RefreshLockBusyError';
}
