/**
 * The plan: what a preview produced and what a sync executes. It is plain data, so it can be shown,
 * diffed, stored and executed.
 *
 * Glossary (ARCHITECTURE §2): a *row* is one practice record and what will happen to it in QBO;
 * a *group* holds the rows of one kind, in the order the sync writes groups; an *issue* is a reason
 * code with its sentence, as an error (blocks the sync) or a warning (informs).
 *
 * A payload may refer to a QBO entity that the same run creates first (a new customer for a new
 * invoice): such a reference is written `{ "value": "@row:<row key>" }` and the run replaces it with
 * the QBO Id once that row is done. `dependsOn` lists those row keys.
 */

import type { RowFields } from './sent-fields.js';

/** Groups in the order a sync writes them: the table of kinds (connect/kinds.ts) holds them. */
export { groupOrder, type GroupKind } from '../kinds.js';
import type { GroupKind } from '../kinds.js';

/** What happens to a row's record. */
export type RowAction =
  | 'create' // a new QBO entity
  | 'adopt' // an equal QBO entity exists already: link it, send nothing
  | 'update' // the practice record changed after it was synced: sparse update with its SyncToken
  | 'void' // the practice record was cancelled after it was synced
  | 'import' // a QBO payment becomes a practice payment
  | 'none'; // nothing to send (e.g. a zero-value document, shown with its warning)

export type Severity = 'error' | 'warning';

export interface Issue {
  /** Stable reason code, e.g. `contact.missing-unique-id`; sentences come from connect/reasons.ts. */
  code: string;
  severity: Severity;
  /** The sentence: names the record, the field and the fix. */
  message: string;
  /** The practice field at fault, e.g. `uniqueId`, `lines[2].taxCode`. */
  field?: string;
  /** The record the issue is about, when it is not the row's own record (e.g. the contact of an invoice). */
  record?: RecordRef;
}

export interface RecordRef {
  /** Practice record kind: contact, staff, project, invoice, credit-note, payment, bill, staff-expense, qbo-payment. */
  kind: string;
  /** Practice natural key (contact unique ID, document number…) or the QBO Id for imports. */
  id: string;
}

export interface PlanRow {
  /** Stable key of the row within a company: `<group>:<record id>`. */
  key: string;
  group: GroupKind;
  record: RecordRef & {
    /** What people call it: "Invoice INV-1042 — Harbour Trust". */
    label: string;
    /** Content version of the practice record the row was built from. */
    version?: number;
    date?: string;
  };
  action: RowAction;
  /** The QBO entity written or adopted, with its Id and SyncToken when known. */
  qbo: { entity: string; id?: string; syncToken?: string };
  /** The exact body that will be sent (null for adopt/none/import). */
  payload: Record<string, unknown> | null;
  /** SHA-256 of the canonical payload; part of the deterministic requestid. */
  payloadHash: string | null;
  /** Row keys that must be written first (their QBO Ids fill `@row:` references). */
  dependsOn: string[];
  /** Totals in integer cents: the practice's, and the one QBO will compute (tax rounded per line). */
  practiceTotalCents: number | null;
  qboTotalCents: number | null;
  issues: Issue[];
  /**
   * Updates only: the three-way comparison (see sent-fields.ts) — the base it was made against, the
   * fields sent, and any field both sides changed (then the row is held as diverged, nothing sent).
   */
  fields?: RowFields;
  /**
   * Creates only: QBO still holds a voided document under this number that an undo took back
   * (connect/undo), so the create is sent with `include=allowduplicatedocnum` (docs/qbo-api.md §operations).
   */
  allowDuplicateNumber?: true;
  /** Adopts only: a name an undo made inactive (connect/undo), made active again (sparse `Active: true`) before it is linked. */
  reactivate?: true;
  /** Set when a person (or the engine, with a reason) left the row out of syncs. */
  skipped?: { by: string; at: string; reason?: string };
}

export interface PlanGroup {
  kind: GroupKind;
  rows: PlanRow[];
  /** Rows the sync acts on: skipped rows are not counted here (issue 19) but in `skipped`. */
  records: number;
  /** Skipped rows of the group (a hand-made plan may leave it out: none). */
  skipped?: number;
  errors: number;
  warnings: number;
  totalCents: number;
}

export interface Plan {
  realmId: string;
  builtAt: string;
  /** SHA-256 of the settings in force; stored with a run. */
  settingsHash: string;
  groups: PlanGroup[];
  errors: number;
  warnings: number;
  /** QBO requests this preview made (so tests and the bench can bound them). */
  qboRequests: number;
}
