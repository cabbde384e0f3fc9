/**
 * The shared vocabulary every part is handed: the clock and the application context. A leaf: it
 * imports only types, so any part may use it without reaching the composition root (`app.ts`),
 * which only the CLI, the benchmarks and test helpers import.
 */
import type { Config } from './config.js';
import type { ConnectionStore } from './connect/connection/store.js';
import type { TokenCipher } from './connect/connection/crypto.js';
import type { Logger } from './log.js';
import type { CompanyClient, QboClientOptions } from './qbo/client.js';
import type { Db } from './store/db.js';
import type { Dialect } from './store/dialect.js';
import type { Drain } from './connect/run/drain.js';
import type { JobQueue } from './jobs/queue.js';

export type Clock = () => Date;

/** What a caller may tighten on a company's client (the sync's counting fetch; tests: short pauses, own limits). */
export type QboClientOverrides = Partial<Pick<QboClientOptions, 'fetch' | 'retry' | 'sleep' | 'limits' | 'timeoutMs'>>;

/**
 * The process's QuickBooks side, built once by `createApp`: the token cipher (the key is read once),
 * the stored connections, and the company clients, which all queue in one limiter per company —
 * "10 in flight, 500 a minute" is the company's, whichever preview, sync or page asks.
 */
export interface QboClients {
  readonly cipher: TokenCipher;
  readonly connections: ConnectionStore;
  /** A client of the company for one preview, sync or page (a fresh token cache over the shared limiter and store). */
  company(realmId: string): CompanyClient;
  /**
   * A client of the company with its own fetch, retry or timeout over `deps` (its database, clock,
   * logger) that still queues in the company's limiter; only different `limits` get their own.
   */
  companyWith(realmId: string, deps: { db: Db; clock: Clock; logger: Logger }, overrides: QboClientOverrides): CompanyClient;
}

/** How a run's records ended, in the history's words (connect/run/history.ts RunSummary). */
export type RecordResult = 'created' | 'adopted' | 'updated' | 'voided' | 'imported' | 'failed' | 'held';

/**
 * What the running product counts for `/metrics` (server/metrics.ts builds it, one registry per app;
 * the CLI has none). Company ids are the only labels: never a name, an amount or a token.
 */
export interface OpsMetrics {
  runFinished(run: { realmId: string; status: string; durationMs: number | null; records: Record<RecordResult, number> }): void;
  /** QBO answered HTTP 429 (throttled). */
  qboThrottled(realmId: string): void;
  /** The company's limiter holds every request for `ms` (after a throttle). */
  limiterPaused(realmId: string, ms: number): void;
}

export interface AppContext {
  config: Config;
  db: Db;
  dialect: Dialect;
  logger: Logger;
  clock: Clock;
  version: string;
  qbo: QboClients;
  /** Present when the web process serves /metrics (startApp); absent in CLI commands and most tests. */
  metrics?: OpsMetrics;
  /** Set when the process serves (`startApp`): between a stop signal and exit it refuses new work (connect/run/drain.ts). */
  drain?: Drain;
  /** The job queue (jobs/queue.ts): graphile-worker on PostgreSQL, the in-process runner on SQLite. Absent only in tests that build a bare context. */
  jobs?: JobQueue;
}
