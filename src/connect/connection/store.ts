/**
 * QBO connections in the database: the TokenStore the client declares, plus what the connect flow
 * needs (save a new connection, list, disconnect, single-use OAuth states).
 *
 * The refresh lock is a row claim that works the same on SQLite and Postgres:
 * `UPDATE connections SET lock_owner = me, lock_until = now + ttl WHERE realm_id = ? AND
 * (lock_until IS NULL OR lock_until < now)` — one row changed means the lock is ours. It expires on its
 * own if a process dies holding it. Timestamps are UTC ISO text, which sorts as time does.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { Db } from '../../store/db.js';
import { RefreshLockBusyError, type StoredTokens, type TokenStore } from '../../qbo/token-store.js';
import type { TokenSet } from '../../qbo/oauth.js';
import { createOAuthState } from '../../qbo/oauth.js';
import type { TokenCipher } from './crypto.js';

export interface ConnectionInfo {
  realmId: string;
  companyName: string | null;
  region: string | null;
  status: 'connected' | 'disconnected';
  accessExpiresAt: Date | null;
  refreshExpiresAt: Date | null;
  refreshHardExpiresAt: Date | null;
  connectedAt: Date;
  connectedBy: string | null;
  disconnectedReason: string | null;
  updatedAt: Date;
}

export interface NewConnection {
  realmId: string;
  companyName?: string | null;
  region?: string | null;
  tokens: TokenSet;
  connectedBy?: string | null;
  /** The practice the company is connected to (on its first connection; a reconnect never moves it). Default: the default practice. */
  practiceId?: string;
}

export interface ConnectionStoreOptions {
  db: Db;
  cipher: TokenCipher;
  clock?: () => Date;
  /** How long a refresh lock lives if its holder dies (default 30 s; a refresh POST times out sooner). */
  lockTtlMs?: number;
  /** How long to wait for another holder before giving up (default 45 s). */
  lockWaitMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
const iso = (d: Date) => d.toISOString();
const dateOrNull = (s: string | null) => (s === null ? null : new Date(s));

export class ConnectionStore implements TokenStore {
  private readonly db: Db;
  private readonly cipher: TokenCipher;
  private readonly clock: () => Date;
  private readonly lockTtlMs: number;
  private readonly lockWaitMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly ownerPrefix = `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;

  constructor(opts: ConnectionStoreOptions) {
    this.db = opts.db;
    this.cipher = opts.cipher;
    this.clock = opts.clock ?? (() => new Date());
    this.lockTtlMs = opts.lockTtlMs ?? 30_000;
    this.lockWaitMs = opts.lockWaitMs ?? 45_000;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  private enc(realmId: string, column: string, value: string): string {
    return this.cipher.encrypt(value, `${realmId}|${column}`);
  }

  private dec(realmId: string, column: string, value: string): string {
    return this.cipher.decrypt(value, `${realmId}|${column}`);
  }

  private tokenColumns(realmId: string, t: TokenSet) {
    return {
      access_token_enc: this.enc(realmId, 'access_token', t.accessToken),
      refresh_token_enc: this.enc(realmId, 'refresh_token', t.refreshToken),
      access_expires_at: iso(t.accessExpiresAt),
      refresh_expires_at: t.refreshExpiresAt ? iso(t.refreshExpiresAt) : null,
      refresh_hard_expires_at: t.refreshHardExpiresAt ? iso(t.refreshHardExpiresAt) : null,
    };
  }

  /** Stores a newly connected (or reconnected) company and its first tokens. */
  async saveConnection(c: NewConnection): Promise<void> {
    const now = iso(this.clock());
    const row = {
      realm_id: c.realmId,
      company_name: c.companyName ?? null,
      region: c.region ?? null,
      status: 'connected' as const,
      ...this.tokenColumns(c.realmId, c.tokens),
      connected_at: now,
      connected_by: c.connectedBy ?? null,
      disconnected_reason: null,
      updated_at: now,
    };
    // A practice's first company takes its whole ledger; a further one starts taking no documents
    // (offices `[]`) until someone chooses its offices: two whole-ledger companies would overlap, and
    // the preview would refuse both (connect/plan/office-routing.ts). A reconnect keeps its offices.
    const practiceId = c.practiceId ?? 'default';
    const others = await this.db.selectFrom('connections').select('realm_id').where('practice_id', '=', practiceId).where('realm_id', '!=', c.realmId).executeTakeFirst();
    await this.db
      .insertInto('connections')
      .values({ ...row, lock_owner: null, lock_until: null, practice_id: practiceId, offices: others ? '[]' : null })
      .onConflict((oc) => oc.column('realm_id').doUpdateSet(row))
      .execute();
  }

  /** Company facts learned after connecting (name, region) without touching the tokens. */
  async updateCompany(realmId: string, facts: { companyName?: string | null; region?: string | null }): Promise<void> {
    await this.db
      .updateTable('connections')
      .set({
        ...(facts.companyName !== undefined ? { company_name: facts.companyName } : {}),
        ...(facts.region !== undefined ? { region: facts.region } : {}),
        updated_at: iso(this.clock()),
      })
      .where('realm_id', '=', realmId)
      .execute();
  }

  async get(realmId: string): Promise<ConnectionInfo | undefined> {
    const r = await this.db.selectFrom('connections').selectAll().where('realm_id', '=', realmId).executeTakeFirst();
    return r ? toInfo(r) : undefined;
  }

  async list(): Promise<ConnectionInfo[]> {
    const rows = await this.db.selectFrom('connections').selectAll().orderBy('company_name').orderBy('realm_id').execute();
    return rows.map(toInfo);
  }

  async load(realmId: string): Promise<StoredTokens | undefined> {
    const r = await this.db.selectFrom('connections').selectAll().where('realm_id', '=', realmId).executeTakeFirst();
    if (!r) return undefined;
    if (r.status !== 'connected' || !r.access_token_enc || !r.refresh_token_enc || !r.access_expires_at) {
      return {
        realmId,
        status: 'disconnected',
        accessToken: '',
        refreshToken: '',
        accessExpiresAt: new Date(0),
        refreshExpiresAt: null,
        refreshHardExpiresAt: null,
      };
    }
    return {
      realmId,
      status: 'connected',
      accessToken: this.dec(realmId, 'access_token', r.access_token_enc),
      refreshToken: this.dec(realmId, 'refresh_token', r.refresh_token_enc),
      accessExpiresAt: new Date(r.access_expires_at),
      refreshExpiresAt: dateOrNull(r.refresh_expires_at),
      refreshHardExpiresAt: dateOrNull(r.refresh_hard_expires_at),
    };
  }

  async saveRotated(realmId: string, tokens: TokenSet): Promise<void> {
    // One statement in one transaction: the access token, the rotated refresh token and their
    // expiries land together or not at all. Written even if our lock lapsed: the newest token
    // Intuit handed out is the one that works, and losing it is what causes invalid_grant.
    await this.db.transaction().execute(async (trx) => {
      const res = await trx
        .updateTable('connections')
        .set({ ...this.tokenColumns(realmId, tokens), updated_at: iso(this.clock()) })
        .where('realm_id', '=', realmId)
        .where('status', '=', 'connected')
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) !== 1) throw new Error(`company ${realmId} is not connected; its refreshed tokens were not saved`);
    });
  }

  async withRefreshLock<T>(realmId: string, fn: () => Promise<T>): Promise<T> {
    const owner = `${this.ownerPrefix}:${crypto.randomBytes(6).toString('hex')}`;
    const started = this.clock().getTime();
    for (;;) {
      const now = this.clock();
      const res = await this.db
        .updateTable('connections')
        .set({ lock_owner: owner, lock_until: iso(new Date(now.getTime() + this.lockTtlMs)) })
        .where('realm_id', '=', realmId)
        .where((eb) => eb.or([eb('lock_until', 'is', null), eb('lock_until', '<', iso(now))]))
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 1) break;
      const exists = await this.db.selectFrom('connections').select('realm_id').where('realm_id', '=', realmId).executeTakeFirst();
      if (!exists) throw new Error(`company ${realmId} has not been connected`);
      if (this.clock().getTime() - started > this.lockWaitMs) {
        throw new RefreshLockBusyError(`Another process has been refreshing the QuickBooks tokens for company ${realmId} for too long; try again in a minute`);
      }
      await this.sleep(20 + Math.floor(Math.random() * 40));
    }
    try {
      return await fn();
    } finally {
      await this.db.updateTable('connections').set({ lock_owner: null, lock_until: null }).where('realm_id', '=', realmId).where('lock_owner', '=', owner).execute();
    }
  }

  /**
   * Told when a connected company becomes disconnected here (a person's disconnect or log-out, or
   * Intuit refusing its refresh token): `createApp` points it at the notifications. Must not throw.
   */
  onDisconnected: ((realmId: string, reason: string, actor?: string) => Promise<void>) | undefined;

  /** `actor`: who disconnected, when a person did (the notice names them). */
  async markDisconnected(realmId: string, reason: string, actor?: string): Promise<void> {
    const was = await this.db.selectFrom('connections').select('status').where('realm_id', '=', realmId).executeTakeFirst();
    // The tokens are useless now; not keeping them is one less secret at rest.
    await this.db
      .updateTable('connections')
      .set({
        status: 'disconnected',
        disconnected_reason: reason,
        access_token_enc: null,
        refresh_token_enc: null,
        access_expires_at: null,
        updated_at: iso(this.clock()),
      })
      .where('realm_id', '=', realmId)
      .execute();
    if (was?.status === 'connected') await this.onDisconnected?.(realmId, reason, actor).catch(() => {});
  }

  /** A new single-use OAuth state, bound to the browser session; only its hash is stored. */
  async createState(opts: { sessionId?: string | null; ttlMs?: number; practiceId?: string | null } = {}): Promise<string> {
    const state = createOAuthState();
    const now = this.clock();
    await this.db
      .insertInto('oauth_states')
      .values({
        state_hash: sha256(state),
        created_at: iso(now),
        expires_at: iso(new Date(now.getTime() + (opts.ttlMs ?? 10 * 60_000))),
        used_at: null,
        session_id: opts.sessionId ?? null,
        practice_id: opts.practiceId ?? null,
      })
      .execute();
    return state;
  }

  /**
   * Spends a state: true exactly once, for an unexpired state issued to this session. The
   * conditional UPDATE makes two simultaneous callbacks with the same state see one success.
   */
  async consumeState(state: string, sessionId: string | null): Promise<boolean> {
    const now = iso(this.clock());
    let q = this.db.updateTable('oauth_states').set({ used_at: now }).where('state_hash', '=', sha256(state)).where('used_at', 'is', null).where('expires_at', '>', now);
    q = sessionId === null ? q.where('session_id', 'is', null) : q.where('session_id', '=', sessionId);
    const res = await q.executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Forgets states that can no longer be used. */
  async pruneStates(): Promise<number> {
    const res = await this.db.deleteFrom('oauth_states').where('expires_at', '<', iso(this.clock())).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}

type Row = {
  realm_id: string;
  company_name: string | null;
  region: string | null;
  status: 'connected' | 'disconnected';
  access_expires_at: string | null;
  refresh_expires_at: string | null;
  refresh_hard_expires_at: string | null;
  connected_at: string;
  connected_by: string | null;
  disconnected_reason: string | null;
  updated_at: string;
};

function toInfo(r: Row): ConnectionInfo {
  return {
    realmId: r.realm_id,
    companyName: r.company_name,
    region: r.region,
    status: r.status,
    accessExpiresAt: dateOrNull(r.access_expires_at),
    refreshExpiresAt: dateOrNull(r.refresh_expires_at),
    refreshHardExpiresAt: dateOrNull(r.refresh_hard_expires_at),
    connectedAt: new Date(r.connected_at),
    connectedBy: r.connected_by,
    disconnectedReason: r.disconnected_reason,
    updatedAt: new Date(r.updated_at),
  };
}
