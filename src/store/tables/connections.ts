import type { Generated } from 'kysely';

/** QBO connections (one per company) with their encrypted tokens, and single-use OAuth states. */
export interface ConnectionTables {
  connections: {
    realm_id: string;
    company_name: string | null;
    /** The company's country/region as QBO reports it (AU, US, …): drives tax handling. */
    region: string | null;
    status: 'connected' | 'disconnected';
    /** AES-256-GCM blobs (`v1:iv:tag:ciphertext`), bound to realm and column; null once disconnected. */
    access_token_enc: string | null;
    refresh_token_enc: string | null;
    access_expires_at: string | null;
    refresh_expires_at: string | null;
    refresh_hard_expires_at: string | null;
    connected_at: string;
    connected_by: string | null;
    disconnected_reason: string | null;
    updated_at: string;
    /** Cross-process refresh lock: who holds it and until when (UTC ISO); both null when free. */
    lock_owner: string | null;
    lock_until: string | null;
    /** The practice this company belongs to (`practices.id`; migration 0018). */
    practice_id: Generated<string>;
    /** The part of the practice's ledger it takes: null = all of it, else a JSON array of office codes. */
    offices: string | null;
  };
  oauth_states: {
    /** SHA-256 (hex) of the state value; the value itself is never stored. */
    state_hash: string;
    created_at: string;
    expires_at: string;
    used_at: string | null;
    session_id: string | null;
    /** The practice that started the connection (migration 0020); null on an older state: the default practice. */
    practice_id: string | null;
  };
}
