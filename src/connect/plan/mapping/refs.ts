/** How mapping asks for the QBO Id of another record: the builder answers with an Id or an `@row:` reference. */
import type { EntityRef } from '../context.js';

export interface RefResolver {
  customer(contactCode: string): EntityRef | undefined;
  vendor(kind: 'supplier' | 'staff', key: string): EntityRef | undefined;
  /** A job item for a project (and income account, when income is split per stage). */
  item(projectNumber: string, incomeAccountId: string | null): EntityRef;
}

/** `{ value }` for a payload, and the row it depends on (if any). */
export function refValue(r: EntityRef, deps: string[]): { value: string } {
  if (r.rowKey) deps.push(r.rowKey);
  return { value: r.value };
}
