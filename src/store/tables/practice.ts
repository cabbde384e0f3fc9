/**
 * The practice ledger (src/practice): every practice record — offices, staff, contacts, lists,
 * projects and documents — is one row of `practice_records`, keyed by (practice, kind, natural key).
 *
 * Why one table: every kind shares the same life cycle (natural key, content version, content hash,
 * state, never hard-deleted), the content is validated by zod on the way in and read back whole,
 * and the preview reads documents with their lines in one go. The columns the store filters or
 * joins on (date, party, project, total) are copied out of the content and indexed.
 */
export interface PracticeTables {
  /** The practices this installation serves (issue 15, migration 0018); `id` is a URL-safe slug. */
  practices: {
    id: string;
    name: string;
    created_at: string;
    created_by: string;
  };
  practice_records: {
    /** Internal id (UUID); stable for the life of the record. */
    id: string;
    /** The practice whose ledger holds the record (migration 0020); every query names it (practice/store.ts `recordsOf`). */
    practice_id: string;
    /** Record kind: office, staff, contact, project, cost-centre, … invoice, credit-note, payment, bill, staff-expense. */
    kind: string;
    /** Natural key: code, unique ID or document number; unique per kind within a practice. */
    key: string;
    /** active | cancelled. Records are never deleted: cancelling is a state. */
    state: string;
    /** Content version: 1 on create, +1 whenever the content (hash) changes. */
    version: number;
    /** SHA-256 of the canonical JSON of `content`. */
    content_hash: string;
    /** The validated record as canonical JSON (camelCase fields, lines included). */
    content: string;
    /** Document or accounting date `YYYY-MM-DD` (documents only). */
    date: string | null;
    /** The contact code (documents, projects' client) or staff unique ID (staff expenses). */
    party_key: string | null;
    /** The project number a record belongs to, when it has one at the header. */
    project_key: string | null;
    /** Document total in integer cents (payments: the amount received). */
    total_cents: number | null;
    created_at: string;
    updated_at: string;
  };
}
