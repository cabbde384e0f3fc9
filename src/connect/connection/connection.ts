/**
 * The connection flow (ARCHITECTURE §6): begin (authorize URL with a single-use, short-lived state
 * bound to the browser session), complete (check state, exchange the code once, store the tokens
 * encrypted, record company name and region), disconnect (revoke and forget), status.
 * The web app's Connect button and `qbo-connect connect` both use this.
 */
import { dbTime } from '../run/lock.js';
import { actorName, localWhen } from '../run/reasons.js';
import crypto from 'node:crypto';
import type { Config } from '../../config.js';
import type { Logger } from '../../log.js';
import type { Db } from '../../store/db.js';
import { endpointsFromConfig, type QboEndpoints } from '../../qbo/endpoints.js';
import { authorizeUrl, exchangeCode, OAuthError, revokeToken, type OAuthDeps, type TokenSet } from '../../qbo/oauth.js';
import type { TokenStore } from '../../qbo/token-store.js';
import { createQboClient } from '../../qbo/client.js';
import { ConnectionStore, type ConnectionInfo } from './store.js';
import { createTokenCipher, loadOrCreateKey } from './crypto.js';
import { DEFAULT_PRACTICE_ID } from '../../practice/practices.js';
import { refusal } from './reasons.js';

export type DisconnectedReason = 'never-connected' | 'disconnected' | 'logged-out' | 'expired' | 'revoked';

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
  /** `practiceId`: the practice the company is to be connected to (default: the default practice). */
  beginConnect(opts: { sessionId?: string; actor: string; company?: string; practiceId?: string }): Promise<{ url: string; redirectUri: string }>;
  /** Finishes the flow from the callback's query; throws a connection refusal (connection-reasons.ts) with a clear message. */
  completeConnect(opts: { code?: string; state?: string; realmId?: string; error?: string; sessionId?: string; actor?: string }): Promise<ConnectionStatus>;
  /** Revokes at QBO (when `revoke` is not false) and forgets the tokens. */
  disconnect(realmId: string | undefined, actor: string, opts?: { revoke?: boolean }): Promise<ConnectionStatus>;
  connectionStatus(): Promise<ConnectionStatus>;
}

/** A connect request lives this long: enough to sign in at Intuit, short enough to be useless if leaked. */
export const STATE_TTL_MS = 10 * 60 * 1000;
/** Warn this long before the refresh token (or its 5-year cap) runs out. */
export const EXPIRY_WARNING_MS = 14 * 24 * 60 * 60 * 1000;

export interface ConnectionDeps {
  db: Db;
  config: Pick<Config, 'qboEnv' | 'emulatorUrl' | 'emulatorPort' | 'clientId' | 'clientSecret' | 'redirectUri' | 'publicUrl' | 'secret' | 'dataDir'>;
  logger: Logger;
  clock: () => Date;
  fetch?: typeof fetch;
  /** The process's stored connections (`createApp` builds them once); without it, a store over `db` with the key read now. */
  store?: ConnectionStore;
}

/**
 * A token store holding only the tokens just received, so they can be tried before being stored.
 * A refresh during the probe (unlikely: they are fresh) keeps the rotated pair in `current`.
 */
function probeStore(realmId: string, tokens: TokenSet): TokenStore & { current: TokenSet } {
  const probe = {
    current: tokens,
    load: async () => ({ ...probe.current, realmId, status: 'connected' as const }),
    saveRotated: async (_realm: string, rotated: TokenSet) => {
      probe.current = rotated;
    },
    withRefreshLock: <T>(_realm: string, fn: () => Promise<T>) => fn(),
    markDisconnected: async () => {},
  };
  return probe;
}

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
const day = (d: Date) => d.toISOString().slice(0, 10);

function describe(info: ConnectionInfo): string {
  return `${info.companyName ?? `company ${info.realmId}`}${info.region ? ` (${info.region})` : ''}`;
}

/** The status of one stored connection at `now`. */
export function statusOf(info: ConnectionInfo | undefined, now: Date): ConnectionStatus {
  if (!info) return { state: 'disconnected', reason: 'never-connected', message: 'Not connected to QuickBooks yet — connect to start.' };
  const base = {
    realmId: info.realmId,
    ...(info.companyName ? { company: info.companyName } : {}),
    ...(info.region ? { region: info.region } : {}),
  };
  const t = now.getTime();
  const expired = (info.refreshExpiresAt && info.refreshExpiresAt.getTime() <= t) || (info.refreshHardExpiresAt && info.refreshHardExpiresAt.getTime() <= t);
  if (info.status !== 'connected' || expired) {
    const stored = info.disconnectedReason;
    const reason: DisconnectedReason = expired
      ? 'expired'
      : stored === 'invalid_grant' || stored === 'revoked'
        ? 'revoked'
        : stored === 'logged-out'
          ? 'logged-out'
          : 'disconnected';
    const why: Record<DisconnectedReason, string> = {
      'never-connected': '',
      disconnected: 'was disconnected',
      'logged-out': 'was logged out of QuickBooks',
      expired: 'expired',
      revoked: 'is no longer accepted by QuickBooks (it expired or was revoked there)',
    };
    return { state: 'disconnected', reason, ...base, message: `Disconnected — connect again. The connection to ${describe(info)} ${why[reason]}.` };
  }
  const status: ConnectionStatus = {
    state: 'connected',
    ...base,
    connectedAt: info.connectedAt.toISOString(),
    ...(info.connectedBy ? { connectedBy: info.connectedBy } : {}),
    ...(info.refreshExpiresAt ? { refreshTokenExpiresAt: info.refreshExpiresAt.toISOString() } : {}),
    ...(info.refreshHardExpiresAt ? { refreshTokenHardExpiresAt: info.refreshHardExpiresAt.toISOString() } : {}),
    message: `Connected to ${describe(info)}.`,
  };
  const hard = info.refreshHardExpiresAt;
  const rolling = info.refreshExpiresAt;
  if (hard && hard.getTime() - t <= EXPIRY_WARNING_MS) {
    status.warning = `QuickBooks ends this connection on ${day(hard)} (its 5-year limit): an administrator must connect again before then.`;
  } else if (rolling && rolling.getTime() - t <= EXPIRY_WARNING_MS) {
    status.warning = `The connection to QuickBooks expires on ${day(rolling)} unless QBO Connect uses it before then: run a preview or sync, or connect again.`;
  }
  return status;
}

/** The connection the product works with: the most recently connected live one, else the latest known. */
function current(list: ConnectionInfo[], now: Date): ConnectionInfo | undefined {
  const byRecent = [...list].sort((a, b) => b.connectedAt.getTime() - a.connectedAt.getTime());
  return byRecent.find((i) => statusOf(i, now).state === 'connected') ?? [...list].sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime())[0];
}

/** Where QuickBooks is for this configuration. Without QBO_EMULATOR_URL the emulator is the one `npm start` embeds, on QBO_EMULATOR_PORT. */
export function endpointsFor(config: ConnectionDeps['config']): QboEndpoints {
  return endpointsFromConfig({ ...config, emulatorUrl: config.emulatorUrl ?? `http://127.0.0.1:${config.emulatorPort}` });
}

export function createConnectionService(deps: ConnectionDeps): ConnectionService & { store: ConnectionStore; endpoints: QboEndpoints } {
  const endpoints = endpointsFor(deps.config);
  const store = deps.store ?? new ConnectionStore({ db: deps.db, cipher: createTokenCipher(loadOrCreateKey(deps.config)), clock: deps.clock });
  const oauth: OAuthDeps = { endpoints, clock: deps.clock, ...(deps.fetch ? { fetch: deps.fetch } : {}) };
  const log = deps.logger;

  const configured = () => {
    if (!endpoints.clientId || !endpoints.clientSecret) throw refusal('connection.not-configured');
  };

  /** Checks and spends the state; answers the practice that started the flow. */
  async function checkState(state: string, sessionId: string | undefined): Promise<string> {
    const row = await deps.db.selectFrom('oauth_states').selectAll().where('state_hash', '=', sha256(state)).executeTakeFirst();
    if (!row) throw refusal('connection.unknown-state');
    if (row.used_at) throw refusal('connection.used-state');
    if (Date.parse(row.expires_at) <= deps.clock().getTime()) throw refusal('connection.expired-state');
    // A state made for a browser session must come back in that session; one made without a
    // session (the CLI, which has server-side access) comes back wherever the browser lands.
    if (row.session_id !== null && row.session_id !== (sessionId ?? null)) throw refusal('connection.foreign-state');
    if (!(await store.consumeState(state, row.session_id))) throw refusal('connection.used-state');
    // A state made before practices existed (migration 0021) was started in the default practice.
    return row.practice_id ?? DEFAULT_PRACTICE_ID;
  }

  /** A company is connected to at most one practice (issue 15): another's is refused, naming both. */
  async function refuseOtherPractice(realmId: string, practiceId: string): Promise<void> {
    const held = await deps.db.selectFrom('connections').select('practice_id').where('realm_id', '=', realmId).executeTakeFirst();
    if (held && held.practice_id !== practiceId) throw refusal('connection.other-practice', { realmId, holder_practice: held.practice_id, practice: practiceId });
  }

  const service = {
    store,
    endpoints,

    async beginConnect(opts: { sessionId?: string; actor: string; company?: string; practiceId?: string }) {
      configured();
      await store.pruneStates();
      const state = await store.createState({ sessionId: opts.sessionId ?? null, ttlMs: STATE_TTL_MS, practiceId: opts.practiceId ?? DEFAULT_PRACTICE_ID });
      const url = new URL(authorizeUrl(endpoints, state));
      // The emulator's consent page can pick a company by name or id; Intuit ignores unknown parameters.
      if (opts.company && endpoints.env === 'emulator') url.searchParams.set('company', opts.company);
      log.info({ actor: opts.actor, env: endpoints.env }, 'QuickBooks connect started');
      return { url: url.toString(), redirectUri: endpoints.redirectUri };
    },

    async completeConnect(opts: { code?: string; state?: string; realmId?: string; error?: string; sessionId?: string; actor?: string }) {
      configured();
      if (!opts.state) throw refusal('connection.missing-state');
      // The state is spent even when QuickBooks reports an error, so a replay cannot reuse it.
      const practiceId = await checkState(opts.state, opts.sessionId);
      if (opts.error) throw refusal('connection.denied', { error: opts.error.slice(0, 60) });
      if (!opts.code) throw refusal('connection.missing-code');
      if (!opts.realmId || !/^\d{1,30}$/.test(opts.realmId)) throw refusal('connection.missing-realm');
      // Before the code is exchanged: a company another practice holds is refused with nothing changed.
      await refuseOtherPractice(opts.realmId, practiceId);
      let tokens;
      try {
        tokens = await exchangeCode(oauth, opts.code);
      } catch (err) {
        if (err instanceof OAuthError) {
          log.warn({ kind: err.kind, status: err.status, intuit_tid: err.intuitTid }, 'code exchange refused');
          if (err.kind === 'temporary') throw refusal('connection.unreachable', { detail: err.message });
          throw refusal('connection.exchange-failed', { detail: err.status ? `HTTP ${err.status}, ${err.kind}` : err.kind });
        }
        throw err;
      }
      const realmId = opts.realmId;
      // The callback's realmId is only what the browser brought back; anyone can edit it. The new
      // tokens must read that company's CompanyInfo before anything is stored (QBO answers 403,
      // fault 3100, for a company the grant does not cover); otherwise they are revoked and the
      // connection already stored for any company stays as it was.
      const probe = probeStore(realmId, tokens);
      let info;
      try {
        const client = createQboClient({ endpoints, store: probe, clock: deps.clock, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
        info = await client.company(realmId).companyInfo();
      } catch (err) {
        const detail = err instanceof Error ? err.message.slice(0, 120) : String(err);
        log.warn({ realmId, err: detail }, 'the new tokens cannot read the company the callback named; nothing stored');
        try {
          await revokeToken(oauth, probe.current.refreshToken);
        } catch (revokeErr) {
          log.warn({ realmId, err: revokeErr instanceof Error ? revokeErr.message : String(revokeErr) }, 'revoking the unused tokens failed');
        }
        throw refusal('connection.company-unreadable', {
          realmId,
          detail: err instanceof Error && 'status' in err ? `HTTP ${String((err as { status?: unknown }).status)}` : undefined,
        });
      }
      // Checked again: another practice may have connected it while this one was at Intuit. The
      // unused tokens are revoked, as for a company they cannot read.
      try {
        await refuseOtherPractice(realmId, practiceId);
      } catch (err) {
        await revokeToken(oauth, probe.current.refreshToken).catch(() => undefined);
        throw err;
      }
      await store.saveConnection({ realmId, tokens: probe.current, connectedBy: opts.actor ?? null, practiceId });
      await store.updateCompany(realmId, { companyName: info.CompanyName, region: info.Country ?? null });
      log.info({ realmId, actor: opts.actor }, 'QuickBooks connected');
      return statusOf(await store.get(realmId), deps.clock());
    },

    async disconnect(realmId: string | undefined, actor: string, opts: { revoke?: boolean } = {}) {
      const now = deps.clock();
      // Among the companies in scope (a request's practice: store.list()): a company named must be one
      // of them, and with several connected one must be named — "the most recent" disconnected another
      // practice's company from the CLI (issue 15, attack finding).
      const inScope = await store.list();
      const connected = inScope.filter((i) => i.status === 'connected');
      if (!realmId && connected.length > 1) throw refusal('connection.which-company', { detail: connected.map((i) => `${i.companyName ?? 'unnamed'} (${i.realmId})`).join(', ') });
      const target = realmId ? inScope.find((i) => i.realmId === realmId) : current(inScope, now);
      if (!target || target.status !== 'connected') throw refusal('connection.not-connected');
      // Not while a sync runs: its writes would fail part-way with records in no count (issue 19).
      // A lock whose lease lapsed (by the database's clock, as the lock judges it) belongs to a process that is gone and does not stop a disconnect.
      const syncing = await deps.db.selectFrom('sync_locks').selectAll().where('realm_id', '=', target.realmId).where('expires_at', '>', dbTime(deps.db)).executeTakeFirst();
      if (syncing) throw refusal('connection.sync-running', { holder: actorName(syncing.holder), since: localWhen(syncing.started_at, now) });
      let revokeNote = '';
      if (opts.revoke !== false) {
        const tokens = await store.load(target.realmId);
        if (tokens?.status === 'connected') {
          try {
            configured();
            await revokeToken(oauth, tokens.refreshToken);
          } catch (err) {
            // Forget the tokens anyway: keeping them after someone asked to disconnect is worse.
            log.warn({ realmId: target.realmId, err: err instanceof Error ? err.message : String(err) }, 'revoke failed; tokens forgotten anyway');
            revokeNote = ' QuickBooks could not be told (revoke failed); remove QBO Connect under Apps in QuickBooks to be sure.';
          }
        }
      }
      await store.markDisconnected(target.realmId, opts.revoke === false ? 'logged-out' : 'disconnected', actor);
      // A run still queued for a worker can never run now: closed refused with a sentence, so it neither
      // waits forever nor keeps refusing the next click (its job, when it runs, finds it closed and ends).
      await deps.db
        .updateTable('runs')
        .set({
          status: 'refused',
          finished_at: now.toISOString(),
          message: 'The sync did not start: the company was disconnected from QuickBooks before a worker ran it. Connect again, then sync.',
        })
        .where('realm_id', '=', target.realmId)
        .where('status', '=', 'queued')
        .execute();
      log.info({ realmId: target.realmId, actor, revoked: opts.revoke !== false && !revokeNote }, 'QuickBooks disconnected');
      const status = statusOf(await store.get(target.realmId), deps.clock());
      return { ...status, message: status.message + revokeNote };
    },

    async connectionStatus() {
      const now = deps.clock();
      return statusOf(current(await store.list(), now), now);
    },
  };
  return service;
}
