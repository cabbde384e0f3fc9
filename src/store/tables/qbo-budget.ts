/** Tables of the shared QBO budget (migration 0015_qbo_budget; connect/connection/shared-budget.ts). */
export interface QboBudgetTables {
  /** One request or batch sent to QBO for a company: it counts in the window, and in flight until released or its lease lapses. */
  qbo_budget_reservations: {
    id: string;
    realm_id: string;
    /** Epoch ms by the database's clock. */
    reserved_at: number;
    /** What it counts toward the requests per minute (a batch's operations under item metering). */
    weight: number;
    /** 1 for a batch (counts toward the batches per minute). */
    is_batch: number;
    /** The process that sent it (host:pid:random), for diagnosis. */
    holder: string;
    /** Epoch ms by the database's clock after which an unreleased row no longer counts in flight (its process died). */
    lease_until: number;
    released_at: number | null;
  };
  /** A company's 429 pause, seen by every process. */
  qbo_budget_pauses: {
    realm_id: string;
    /** Epoch ms by the database's clock. */
    paused_until: number;
  };
}
