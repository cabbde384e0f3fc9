/** People who use QBO Connect, their sessions and their API tokens. */
export type Role = 'administrator' | 'bookkeeper' | 'viewer';

export interface AccountTables {
  users: {
    id: string;
    email: string;
    name: string;
    role: Role;
    /** scrypt hash (`scrypt$N$r$p$salt$hash`); null for API-only users. */
    password_hash: string | null;
    created_at: string;
    disabled_at: string | null;
  };
  /** Bearer tokens for the JSON API; only a SHA-256 of the token is stored. */
  api_tokens: {
    id: string;
    user_id: string;
    name: string;
    token_hash: string;
    /** The first characters of the token, to tell tokens apart in lists. */
    prefix: string;
    created_at: string;
    last_used_at: string | null;
    /** When the token stops working (UTC ISO); null: never. */
    expires_at: string | null;
    revoked_at: string | null;
  };
  /** Browser sessions; the id is a SHA-256 of the cookie value. */
  sessions: {
    id: string;
    user_id: string;
    csrf_token: string;
    created_at: string;
    expires_at: string;
    last_seen_at: string;
  };
}
