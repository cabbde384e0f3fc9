/** Who is told when unattended work needs a person, and the audit of every change (migration 0014_notifications). */
import type { Generated } from 'kysely';

export interface NotificationTables {
  /** One row per practice (today `default`); `version` rises with each change so two writers cannot lose each other's. */
  notification_settings: {
    practice_id: string;
    /** JSON array of email addresses. */
    emails: string;
    webhook_url: string | null;
    /** The webhook's signing secret, AES-256-GCM like the QBO tokens (bound to the practice and column). */
    webhook_secret_enc: string | null;
    version: number;
    updated_at: string;
  };
  /** Every change: who, when, which field, old and new value (JSON text; a secret is only ever "set"/"none"). */
  notification_audit: {
    id: Generated<number>;
    practice_id: string;
    field: string;
    old_value: string | null;
    new_value: string | null;
    actor: string;
    changed_at: string;
  };
}
