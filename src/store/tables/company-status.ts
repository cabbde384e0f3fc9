/** The firm overview's per-company figures (migration 0019_company_status; connect/overview). */
export interface CompanyStatusTables {
  company_status: {
    realm_id: string;
    /** When the figures were taken (UTC ISO). */
    checked_at: string;
    /** Rows with errors waiting in the preview (the sync refuses until they are resolved). */
    errors: number;
    warnings: number;
    /** Rows the next sync would send. */
    ready: number;
    /** Held records a person must decide (diverged rows and held writes). */
    held: number;
    /** Why the last check could not be made, or null. */
    problem: string | null;
  };
}
