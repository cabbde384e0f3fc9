/** What every step of a run needs, passed down (no module-level state). */
import type { Logger } from '../../log.js';
import type { CompanyClient } from '../../qbo/client.js';
import type { Db } from '../../store/db.js';
import type { CrashPoint } from './crash-point.js';

export interface RunDeps {
  db: Db;
  clock: () => Date;
  logger: Logger;
  /** The company's QBO client (from connect/qbo-client.ts). */
  client: CompanyClient;
  crash: CrashPoint;
}

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
}

/** Names are matched by DisplayName/Name; transactions carry the marker in PrivateNote. */
export const nameEntities = new Set(['Customer', 'Vendor', 'Employee', 'Item']);

/** The marker that identifies a transaction we created, in its PrivateNote (reliability.md §1.7). */
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
