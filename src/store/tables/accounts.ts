/** People who use QBO Connect, their sessions and their API tokens. */
export type Role = 'administrator' | 'bookkeeper' | 'viewer';
/** A firm-wide role above every practice: owners create practices and invite people (issue 15). */
export type FirmRole = 'owner';

export interface AccountTables {
  users: {
    id: string;
    email: string;
    name: string;
    /**
     * The role this person was made with. Since 0021_memberships the role that counts is the
     * membership's in the practice a request acts on; this column stays for a running older release.
     */
    role: Role;
    /** 'owner': may create practices, invite people, and acts as an administrator in every practice. */
    firm_role: FirmRole | null;
    /** scrypt hash (`scrypt$N$r$p$salt$hash`); null for API-only users. */
    password_hash: string | null;
    created_at: string;
    disabled_at: string | null;
  };
  /** Bearer tokens for the JSON API; only a SHA-256 of the token is stored. */
  api_tokens: {
    id: string;
    user_id: string;
    /** The one practice the token acts on: any other practice's routes answer it 404. */
    practice_id: string;
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
  /** Who belongs to which practice, with which role there (migration 0021_memberships). */
  memberships: {
    user_id: string;
    practice_id: string;
    role: Role;
    created_at: string;
    created_by: string;
  };
  /** Every add, role change and removal of a member, and who did it. */
  membership_audit: {
    id: string;
    practice_id: string;
    user_id: string;
    action: 'added' | 'role-changed' | 'removed';
    role: Role | null;
    actor: string;
    at: string;
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
