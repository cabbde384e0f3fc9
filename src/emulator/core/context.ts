// What the entity builders need from their company, kept narrow so builders stay testable.

import type { EntityName } from './entities.js';

export type Json = Record<string, unknown>;
export type Region = 'AU' | 'US' | 'UK' | 'CA';

export interface BuildContext {
  region: Region;
  /** A live row (not deleted), or undefined. */
  get(entity: EntityName, id: string): Json | undefined;
  today(): string;
  prefs(): Json;
  /** Strict fidelity (see fidelity.ts): shapes QBO has that the generous emulator simplified. */
  strict?: boolean;
  /** US with Automated Sales Tax on (Preferences.TaxPrefs.PartnerTaxEnabled): the TaxCode Id AST
   *  assigns to this sales document (set up on first use), or undefined when no state is known. */
  astCode?: (txn: Json) => string | undefined;
}

export const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

export const refValue = (v: unknown): string | undefined => (isObj(v) && (typeof v.value === 'string' || typeof v.value === 'number') ? String(v.value) : undefined);

/** Drop undefined, null, empty strings and empty objects: QBO omits fields with no value. */
export function prune(obj: Json, keep: ReadonlySet<string> = new Set()): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null || v === '') continue;
    if (isObj(v) && Object.keys(v).length === 0 && !keep.has(k)) continue;
    out[k] = v;
  }
  return out;
}
