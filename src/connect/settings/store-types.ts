/** Shapes the settings store shares with its callers (CLI, API, preview). */

/** One setting and the value it takes, e.g. `{ path: 'invoices.memo', value: 'none' }`. */
export interface SettingChange {
  path: string;
  value: unknown;
}

export interface SettingChangeResult {
  path: string;
  /** False when the value was already the one given: nothing is written and nothing audited. */
  changed: boolean;
  oldValue: unknown;
  newValue: unknown;
}

export interface AuditEntry {
  id: number;
  realmId: string;
  path: string;
  /** The value before the change; null when the setting (or mapping entry) was absent or unset. */
  oldValue: unknown;
  newValue: unknown;
  actor: string;
  /** UTC ISO timestamp. */
  changedAt: string;
}

export interface AuditFilter {
  /** The setting, or a group of them: `tax` matches `tax.sales.GST`. */
  path?: string | undefined;
  actor?: string | undefined;
  /** UTC ISO timestamp or YYYY-MM-DD: changes at or after it. */
  since?: string | undefined;
  limit?: number | undefined;
}
