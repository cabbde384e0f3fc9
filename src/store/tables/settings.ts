/** Tables of the connect settings, their audit trail, and skipped records (migration 0005_settings). */
import type { Generated } from 'kysely';

export interface SettingsTables {
  /**
   * One settings document (JSON) per company. `version` rises with each change so two writers
   * cannot overwrite each other's change unseen. No foreign key: connections are another table's.
   */
  connect_settings: {
    realm_id: string;
    document: string;
    version: number;
    created_at: string;
    updated_at: string;
  };
  /** Every change to a setting: who, when, which path, old and new value (JSON text; null when absent). */
  settings_audit: {
    id: Generated<number>;
    realm_id: string;
    path: string;
    old_value: string | null;
    new_value: string | null;
    actor: string;
    changed_at: string;
  };
  /**
   * Records left out of syncs. A row stays after it is added back (unskipped_*), so who skipped and
   * who restored remains visible; at most one open skip per record.
   */
  skips: {
    id: Generated<number>;
    realm_id: string;
    record_kind: string;
    record_id: string;
    /** The record's own date, when the caller knows it: the skipped list shows only the export window. */
    record_date: string | null;
    reason_code: string | null;
    /** 1 when the engine held the record back (e.g. an unresolved write), 0 when a person skipped it. */
    held_by_engine: number;
    skipped_by: string;
    skipped_at: string;
    unskipped_by: string | null;
    unskipped_at: string | null;
  };
}
