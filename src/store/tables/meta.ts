/** Tables that belong to the product as a whole. */
export interface MetaTables {
  /** Small facts about this installation, e.g. whether the demo practice was loaded. */
  app_meta: { key: string; value: string; updated_at: string };
}
