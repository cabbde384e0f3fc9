/**
 * Tables of the sync (migration 0006_sync): links between practice records and QBO entities, the
 * write-ahead journal, runs with their per-record results, and the per-company sync lock.
 */
import type { Generated } from 'kysely';

export interface SyncTables {
  /** A practice record represented by a QBO entity (the long-term truth, not the PrivateNote marker). */
  links: {
    realm_id: string;
    /** Practice record kind (contact, staff, project, invoice, credit-note, payment, bill, staff-expense). */
    record_kind: string;
    /** Practice natural key (for imported payments: `qbo:<Payment Id>`). */
    record_key: string;
    /** QBO entity name: Customer, Vendor, Item, Invoice, CreditMemo, Payment, Bill. */
    qbo_entity: string;
    qbo_id: string;
    sync_token: string;
    /** SHA-256 of the payload last sent (or adopted). */
    payload_hash: string;
    /** Content version of the practice record when it was last sent. */
    record_version: number;
    /** linked | diverged (changed by hand in QBO) | voided */
    state: string;
    /** QBO's total for the entity, in cents, as last seen. */
    qbo_total_cents: number | null;
    created_at: string;
    updated_at: string;
    last_run_id: string | null;
    /** 0010_sent_fields: per field, what we last sent and QBO's value after that write (JSON); null before 0010. */
    sent_fields: string | null;
    /** 0013_qbo_changes: when QBO's copy moved away from what we left there (QBO's LastUpdatedTime), null when it holds our values. */
    qbo_changed_at: Generated<string | null>;
    /** 0013_qbo_changes: the fields QBO changed (JSON list of names; ["deleted"] / ["voided"]), null with qbo_changed_at. */
    qbo_changed_fields: Generated<string | null>;
  };
  /** 0013_qbo_changes: per company, the changedSince of its next change-data-capture request (connect/changes). */
  qbo_change_cursors: {
    realm_id: string;
    changed_since: string;
    updated_at: string;
  };
  /** Every write, recorded with its deterministic requestid before it is sent. */
  journal: {
    id: Generated<number>;
    realm_id: string;
    run_id: string;
    row_key: string;
    record_kind: string;
    record_key: string;
    /** create | update | void | delete */
    operation: string;
    qbo_entity: string;
    request_id: string;
    /** The exact JSON body sent; replayed byte for byte on recovery. */
    body: string;
    payload_hash: string;
    /** pending (may have been sent) | resolved | held (needs a person) | failed (QBO refused it) */
    status: string;
    attempts: number;
    created_at: string;
    resolved_at: string | null;
    qbo_id: string | null;
    /** Why it is held or failed: reason code and sentence. */
    outcome_code: string | null;
    outcome_message: string | null;
    // 0008_sync_more: what recovery needs without the plan that wrote the row.
    group_kind: Generated<string>;
    label: Generated<string>;
    record_version: Generated<number>;
    /** QBO's total the plan predicted, in cents: a look-up match with another total is held. */
    expected_total_cents: number | null;
    /** The SyncToken an update or void was based on. */
    base_sync_token: string | null;
    /** The requestid of the batch this write went in (null when sent alone). */
    batch_request_id: string | null;
  };
  runs: {
    id: string;
    realm_id: string;
    started_by: string;
    started_at: string;
    finished_at: string | null;
    /** running | succeeded | failed | refused | interrupted */
    status: string;
    /** JSON of the settings in force. */
    settings: string;
    processed: number;
    created: number;
    adopted: number;
    updated: number;
    voided: number;
    imported: number;
    failed: number;
    held: number;
    message: string | null;
    // 0008_sync_more: progress, readable by another process (the web app's progress bar).
    progress_done: Generated<number>;
    progress_total: Generated<number>;
    progress_group: string | null;
    /** QBO requests the run made. */
    requests: Generated<number>;
    // 0011_undo: `sync`, or `undo` (then `undoes` is the run it took back).
    kind: Generated<string>;
    undoes: string | null;
  };
  /** 0011_undo: a QBO entity an undo voided, deleted or made inactive, and the practice record it held. */
  undone_records: {
    realm_id: string;
    qbo_entity: string;
    qbo_id: string;
    record_kind: string;
    record_key: string;
    /** void | delete | inactivate */
    operation: string;
    undo_run_id: string;
    undone_run_id: string;
    at: string;
  };
  /** Per-record results of a run. */
  run_records: {
    id: Generated<number>;
    run_id: string;
    row_key: string;
    group_kind: string;
    record_kind: string;
    record_key: string;
    label: string;
    action: string;
    qbo_entity: string | null;
    qbo_id: string | null;
    /** done | failed | held | not-sent (a shutdown stopped the run before it: connect/run/drain.ts) */
    status: string;
    code: string | null;
    message: string | null;
    at: string;
  };
  /** One sync per company at a time, across processes sharing the database. */
  sync_locks: {
    realm_id: string;
    /** A random id of the holding process/run. */
    holder_id: string;
    /** Who started it, for the refusal message. */
    holder: string;
    run_id: string | null;
    started_at: string;
    heartbeat_at: string;
    /** The lock lapses after this unless the heartbeat renews it. */
    expires_at: string;
  };
}
