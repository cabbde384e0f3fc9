/** What every step of a run needs, passed down (no module-level state). */
import type { Logger } from '../../log.js';
import type { OpsMetrics } from '../../context.js';
import type { CompanyClient } from '../../qbo/client.js';
import type { Db } from '../../store/db.js';
import type { CrashPoint } from './crash-point.js';
import type { Lease } from './lock.js';

export interface RunDeps {
  db: Db;
  clock: () => Date;
  logger: Logger;
  /** The company's QBO client (from connect/qbo-client.ts). */
  client: CompanyClient;
  crash: CrashPoint;
  /**
   * The run's lease on the company lock: every journal resolution renews it and is refused
   * (LockLostError) once it was lost (lock.ts fenceWrite). Absent only where no lock is held.
   */
  lease?: Lease | undefined;
  /** Counts each finished run for /metrics (web process only). */
  metrics?: OpsMetrics | undefined;
  /** The group being written, for crash points that sit below the executor (around fetch). */
  scope?: { group: string };
  /** Items per batch, 1–30 (default 30, QBO's maximum); smaller only to test batch boundaries. */
  batchSize?: number;
  /** Sends a group keeps in flight at once, 1–10 (default 10, QBO's limit); 1 sends them one by one. */
  parallelRequests?: number;
  /**
   * How long after a create left us QBO may still store it (default DEFAULT_PROCESSING_WINDOW_MS).
   * A create whose answer was lost is looked up; when it is not found yet, it is looked up again
   * only once this window has passed, and sent again only if still not found — never while the
   * first request could still commit (issue 19: a slow QBO got every partial payment twice).
   */
  processingWindowMs?: number;
  /** Waits out the processing window (injectable for tests; real timers by default). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * QBO's processing window: "requests that take >120 s time out" (Intuit, limits and throttles,
 * https://developer.intuit.com/app/developer/qbo/docs/learn/limits-and-throttles; docs/qbo-api.md
 * §throttling). A request that reached QBO before our client gave up is stored within that time or not at
 * all, so 120 s after the last moment a request could have left us, a look-up is final.
 */
export const DEFAULT_PROCESSING_WINDOW_MS = 120_000;

export interface Progress {
  done: number;
  total: number;
  group: string;
}

export interface RunState {
  realmId: string;
  runId: string;
  done: number;
  total: number;
  /** QBO Ids of rows written or adopted in this run, by row key (fills `@row:` references). */
  qboIds: Map<string, string>;
  /** Rows that did not land in this run: rows depending on them are not sent. */
  notWritten: Set<string>;
  onProgress?: ((p: Progress) => void) | undefined;
  /** True once another process took the company's lock over: nothing more may be sent. */
  lockLost?: (() => boolean) | undefined;
  /** True once this process is shutting down (connect/run/drain.ts): no new batch is sent. */
  stopRequested?: (() => boolean) | undefined;
}

/** Thrown before a write when the lock was lost, so two processes never write the same records. */
export class LockLostError extends Error {
  override name = 'LockLostError';
  /**
   * The write whose resolution the fence refused (journal.ts): its journal row stays pending for the
   * new holder's recovery; QBO's answer (the Id it gave, if any) is only logged.
   */
  constructor(readonly unrecorded?: { journalId: number | null; qboEntity: string | null; qboId: string | null }) {
    super('The sync lock was lost (this process stalled past its heartbeat); another sync may have taken over.');
  }
}

/**
 * Thrown before a batch (or a single write) when the process is shutting down: nothing new is
 * journaled or sent; the batches already in flight finish and are recorded first (`inParallel`).
 */
export class StopRequestedError extends Error {
  override name = 'StopRequestedError';
  constructor() {
    super('QBO Connect is shutting down');
  }
}

/** Names are matched by DisplayName/Name; transactions carry the marker in PrivateNote. */
export const nameEntities = new Set(['Customer', 'Vendor', 'Employee', 'Item']);

/** The marker that identifies a transaction we created, in its PrivateNote (docs/reliability.md §recovery). */
export function markerOf(recordKind: string, recordKey: string): string {
  return `qbo-connect:${recordKind}:${recordKey}`;
}

/**
 * True when the note holds exactly this marker: as a line of its own (how the preview writes it) or
 * as one whitespace-separated word ("qbo-connect:invoice:INV-1" must not match "…:INV-10").
 */
export function hasMarker(note: unknown, marker: string): boolean {
  if (typeof note !== 'string') return false;
  return note.split('\n').some((line) => line.trim() === marker) || note.split(/\s+/).includes(marker);
}
