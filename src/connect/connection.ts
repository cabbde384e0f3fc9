/**
 * The connection flow (ARCHITECTURE §6): begin (authorize URL with a single-use, short-lived state
 * bound to the browser session), complete (check state, exchange the code once, store the tokens
 * encrypted, record company name and region), disconnect (revoke and forget), status.
 */

export type DisconnectedReason = 'never-connected' | 'disconnected' | 'expired' | 'revoked';

export interface ConnectionStatus {
  state: 'connected' | 'disconnected';
  /** Why it is disconnected (absent when connected). */
  reason?: DisconnectedReason;
  realmId?: string;
  company?: string;
  /** Country code from CompanyInfo: AU, US, GB, CA… */
  region?: string;
  connectedAt?: string;
  connectedBy?: string;
  /** When the refresh token dies unless used (100-day rolling), UTC ISO. */
  refreshTokenExpiresAt?: string;
  /** The refresh token's absolute limit (5 years), when QBO told us. */
  refreshTokenHardExpiresAt?: string;
  /** Set from 14 days before either expiry: a sentence saying what to do. */
  warning?: string;
  /** One line for people: "Connected to Acme (AU)…" / "Disconnected — connect again." */
  message: string;
}

export interface ConnectionService {
  /** The authorize URL to send the person (or the CLI) to. */
  beginConnect(opts: { sessionId?: string; actor: string; company?: string }): Promise<{ url: string; redirectUri: string }>;
  /** Finishes the flow from the callback's query; throws ConnectionError with a clear message. */
  completeConnect(opts: { code?: string; state?: string; realmId?: string; error?: string; sessionId?: string }): Promise<ConnectionStatus>;
  /** Revokes at QBO (when `revoke` is not false) and forgets the tokens. */
  disconnect(realmId: string | undefined, actor: string, opts?: { revoke?: boolean }): Promise<ConnectionStatus>;
  connectionStatus(): Promise<ConnectionStatus>;
}
