/**
 * What the preview asks QBO, always in bulk: a handful of list reads, `IN` queries for the names and
 * document numbers of NEW records (chunked at 1,000 values), change data capture since the last sync
 * for the records already linked, and the preferences for the closed-books date. Never one request
 * per record: the count grows with new records ÷ 1,000. Every request goes through `counted`, so the
 * plan can report exactly how many were made.
 */
import { rowsOf, type CdcRow, type CompanyClient } from '../../qbo/client.js';
import { chunkedIn, QueryBuilder, type QueryValue } from '../../qbo/query.js';
import type { EntityName } from '../../qbo/wire-types.js';

export type QboRow = Record<string, unknown> & { Id: string; SyncToken?: string };

export interface QboTaxCode {
  id: string;
  name: string;
  active: boolean;
  /** Rates in percent (10 means 10 %), one per component. */
  salesRates: number[];
  purchaseRates: number[];
  hasSales: boolean;
  hasPurchases: boolean;
}

export interface QboLists {
  region: string;
  companyName: string;
  bookCloseDate: string | null;
  /** The company's home currency (Preferences.CurrencyPrefs.HomeCurrency), when QBO says. */
  homeCurrency: string | null;
  taxCodes: Map<string, QboTaxCode>;
  accounts: QboRow[];
  paymentMethods: QboRow[];
  /** Raw tax codes and rates, for pre-filling the settings (settings/prefill-from-qbo.ts). */
  rawTaxCodes: QboRow[];
  rawTaxRates: QboRow[];
  taxRatePercent: Map<string, number>;
  /** US: QBO's Automated Sales Tax works the tax out itself (Preferences.TaxPrefs.PartnerTaxEnabled). */
  automatedSalesTax?: boolean;
}

/** Lower case, single spaces, trimmed: "ABC  Constructions" and "abc constructions" are one name. */
export function nameKey(s: string): string {
  return s.trim().replace(/\s+/g, ' ').toLowerCase();
}

export class QboSnapshot {
  requests = 0;
  constructor(readonly client: CompanyClient) {}

  private async raw(text: string): Promise<QboRow[]> {
    this.requests++;
    return rowsOf(await this.client.rawQuery(text)) as QboRow[];
  }

  /** Every row of a query, 1,000 per page. */
  async all(q: QueryBuilder): Promise<QboRow[]> {
    const out: QboRow[] = [];
    for (let start = 1; ; start += 1000) {
      const rows = await this.raw(q.page(start, 1000));
      out.push(...rows);
      if (rows.length < 1000) return out;
    }
  }

  /** Rows whose property is one of the values: one query per 1,000 values (plus pages). */
  async byIn(entity: EntityName, property: string, values: readonly QueryValue[], withInactive = false): Promise<QboRow[]> {
    if (values.length === 0) return [];
    let base = QueryBuilder.from(entity);
    if (withInactive) base = base.whereIn('Active', [true, false]);
    const out: QboRow[] = [];
    for (const q of chunkedIn(base, property, values)) out.push(...(await this.all(q)));
    return out;
  }

  async lists(): Promise<QboLists> {
    this.requests += 2;
    // Small lists, read whole (one page each in any practice's company). Items are not: a company
    // with a job item per project has thousands, so they are looked up by name (IN) instead.
    // The six reads do not depend on each other: sent together (the client's limiter still caps
    // them at QBO's 10 in flight), a preview waits one round trip for them, not six.
    const [info, prefs, rawTaxCodes, taxRates, accounts, paymentMethods] = await Promise.all([
      this.client.companyInfo(),
      this.client.preferences(),
      this.all(QueryBuilder.from('TaxCode')),
      this.all(QueryBuilder.from('TaxRate')),
      this.all(QueryBuilder.from('Account')),
      this.all(QueryBuilder.from('PaymentMethod')),
    ]);
    const taxRatePercent = new Map<string, number>();
    for (const r of taxRates) if (typeof r['RateValue'] === 'number') taxRatePercent.set(r.Id, r['RateValue']);
    const rates = (list: unknown): number[] => {
      const details = (list as { TaxRateDetail?: Array<{ TaxRateRef?: { value?: string } }> } | undefined)?.TaxRateDetail ?? [];
      return details.map((d) => taxRatePercent.get(d.TaxRateRef?.value ?? '') ?? 0);
    };
    const taxCodes = new Map<string, QboTaxCode>();
    for (const t of rawTaxCodes) {
      const sales = (t['SalesTaxRateList'] as { TaxRateDetail?: unknown[] } | undefined)?.TaxRateDetail ?? [];
      const purchases = (t['PurchaseTaxRateList'] as { TaxRateDetail?: unknown[] } | undefined)?.TaxRateDetail ?? [];
      taxCodes.set(t.Id, {
        id: t.Id,
        name: String(t['Name'] ?? t.Id),
        active: t['Active'] !== false,
        salesRates: rates(t['SalesTaxRateList']),
        purchaseRates: rates(t['PurchaseTaxRateList']),
        hasSales: sales.length > 0,
        hasPurchases: purchases.length > 0,
      });
    }
    return {
      region: (info.Country ?? 'US').toUpperCase(),
      companyName: info.CompanyName,
      bookCloseDate: prefs.AccountingInfoPrefs?.BookCloseDate ?? null,
      homeCurrency: prefs.CurrencyPrefs?.HomeCurrency?.value ?? null,
      taxCodes,
      accounts,
      paymentMethods,
      rawTaxCodes,
      rawTaxRates: taxRates,
      taxRatePercent,
      automatedSalesTax: prefs.TaxPrefs?.PartnerTaxEnabled === true,
    };
  }

  /**
   * Customers, vendors and employees (active or not) whose DisplayName is one of `names`: QBO keeps
   * display names unique across the three lists, so every clash is found here.
   */
  async names(names: readonly string[]): Promise<{ Customer: QboRow[]; Vendor: QboRow[]; Employee: QboRow[] }> {
    const unique = [...new Set(names.flatMap((n) => [n, n.trim().replace(/\s+/g, ' ')]))];
    const [Customer, Vendor, Employee] = await Promise.all([
      this.byIn('Customer', 'DisplayName', unique, true),
      this.byIn('Vendor', 'DisplayName', unique, true),
      this.byIn('Employee', 'DisplayName', unique, true),
    ]);
    return { Customer, Vendor, Employee };
  }

  async cdc(entities: readonly EntityName[], since: string): Promise<{ changes: Partial<Record<EntityName, CdcRow[]>>; truncated: boolean }> {
    if (entities.length === 0) return { changes: {}, truncated: false };
    this.requests++;
    const r = await this.client.cdc(entities, since);
    return { changes: r.changes, truncated: r.anyTruncated };
  }
}
