/** Table of the companies' schedules (migration 0017_schedules; connect/schedule). */

export interface ScheduleTables {
  /** One row per company that ever had a schedule; `kind` off keeps the row (and its last outcome). */
  schedules: {
    realm_id: string;
    /** off | hourly | daily | weekdays */
    kind: string;
    /** HH:MM local, for daily and weekdays. */
    at: string | null;
    /** Minute past the hour, for hourly. */
    minute: number | null;
    /** IANA zone the schedule is read in (the company's). */
    time_zone: string;
    /** sync-nothing | sync-ready */
    on_errors: string;
    /** UTC ISO: the next occurrence; null when off. */
    next_due_at: string | null;
    /** The occurrence last handled by the tick. */
    last_due_at: string | null;
    /** enqueued | skipped-busy | not-enqueued | blocked-not-connected | succeeded | failed | refused | held | interrupted */
    last_outcome: string | null;
    last_run_id: string | null;
    last_message: string | null;
    last_outcome_at: string | null;
    version: number;
    updated_by: string;
    updated_at: string;
  };
}
