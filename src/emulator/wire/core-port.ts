/**
 * What the wire-side composition (server, control, presets, persistence) needs from the core.
 * `core-adapter.ts` implements it over the core (`createCore`) and the API routes (`apiRoutes`), so
 * the rest of the emulator does not depend on their internals.
 */
import type { Hono } from 'hono';
import type { Region } from '../presets/data.js';

export interface CompanySummary {
  realmId: string;
  name: string;
  region: Region;
}

export interface CorePort {
  companies(): CompanySummary[];
  hasCompany(realmId: string): boolean;
  /** A new, empty company (CompanyInfo and Preferences only); returns its realmId. */
  createCompany(opts: { region: Region; name: string }): string;
  /** Stores a record as the core would on create, for preset data the API refuses (TaxCode, TaxRate). */
  insert(realmId: string, entity: string, body: Record<string, unknown>): { Id: string };
  /** Merges preference fields (e.g. AccountingInfoPrefs.BookCloseDate, SalesFormsPrefs.CustomTxnNumbers). */
  setPreferences(realmId: string, patch: Record<string, unknown>): unknown;
  /** Marks a payment as sitting in a bank deposit (later writes fail with 6540), or clears it. */
  markDeposited(realmId: string, entity: string, id: string, deposited: boolean): void;
  /** Forgets every company. */
  reset(): void;
  /** How many requestids each company remembers (0 = none). */
  setRequestIdMemory(size: number): void;
  /** strict or generous (see StartEmulatorOptions.fidelity). */
  fidelity(): 'strict' | 'generous';
  /** A company's change log after `sinceSeq` (create, update, delete, void), oldest first: what its webhooks notify. */
  changes(realmId: string, sinceSeq: number): Array<{ seq: number; at: string; entity: string; id: string; operation: 'Create' | 'Update' | 'Delete' | 'Void' }>;
  /** Every record of a company, by entity, plus whatever the core reports about it. */
  dump(realmId: string): unknown;
  toJSON(): unknown;
  fromJSON(raw: unknown): void;
  /** The /v3/company/:realmId/... routes; `authorize` re-checks the bearer token for the realm. */
  routes(authorize: (req: Request, realmId: string) => Response | undefined, tid: () => string): Hono;
}
