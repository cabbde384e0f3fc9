/**
 * What the report asks QBO, always in bulk, through the preview's QboSnapshot so every request is
 * counted: the period's invoices, credit memos, payments and bills (one query per 1,000 rows, by
 * `TxnDate`), the tax codes and rates, linked documents dated outside the period by `Id IN (…)`, and
 * three Reports API reports (docs/qbo-api.md §operations, `GET /v3/company/{realmId}/reports/{name}`):
 * CustomerBalance and VendorBalance (`report_date`: balances at the period's end) and AgedReceivables.
 * The report JSON shape (Header; Columns.Column[] {ColTitle, ColType}; Rows.Row[] of data rows with
 * ColData[] {value, id} and a GrandTotal Section with Summary.ColData) is Intuit's, as mirrored in
 * abossenbroek/qbo-mcp qbo-api-docs/entities/customerbalance.md and aragingsummary.md.
 */
import { toCents } from '../../qbo/money.js';
import { QueryBuilder } from '../../qbo/query.js';
import type { QboRow, QboSnapshot } from '../plan/index.js';

export const documentEntities = ['Invoice', 'CreditMemo', 'Payment', 'Bill'] as const;
export type DocEntity = (typeof documentEntities)[number];

export interface ReportLine {
  id: string;
  name: string;
  /** Money columns in order, in cents (an empty cell is 0). */
  cells: number[];
}

export interface QboSide {
  docs: Record<DocEntity, QboRow[]>;
  taxCodes: QboRow[];
  taxRates: QboRow[];
  customerBalance: Map<string, ReportLine>;
  vendorBalance: Map<string, ReportLine>;
  agedReceivables: Map<string, ReportLine>;
}

/** The data rows of a report (sections walked into; summaries left out), by the first column's Id. */
export function reportLines(report: Record<string, unknown>): Map<string, ReportLine> {
  const out = new Map<string, ReportLine>();
  type Row = { ColData?: Array<{ value?: string; id?: string }>; Rows?: { Row?: Row[] } };
  const walk = (rows: Row[] | undefined) => {
    for (const r of rows ?? []) {
      if (r.Rows) walk(r.Rows.Row);
      const cols = r.ColData;
      if (!cols?.length || !cols[0]?.id) continue;
      const cells = cols.slice(1).map((c) => (c.value && c.value.trim() !== '' ? toCents(c.value.trim(), 'half-up') : 0));
      out.set(String(cols[0].id), { id: String(cols[0].id), name: cols[0].value ?? '', cells });
    }
  };
  walk((report['Rows'] as { Row?: Row[] } | undefined)?.Row);
  return out;
}

export async function readQbo(snap: QboSnapshot, period: { from: string; to: string }): Promise<QboSide> {
  const inPeriod = (entity: DocEntity) => snap.all(QueryBuilder.from(entity).where('TxnDate', '>=', period.from).where('TxnDate', '<=', period.to));
  const report = async (name: string, params: Record<string, string>) => {
    snap.requests++;
    return reportLines(await snap.client.report(name, params));
  };
  // Independent reads, sent together (the client's limiter still caps them at QBO's 10 in flight).
  const [Invoice, CreditMemo, Payment, Bill, taxCodes, taxRates, customerBalance, vendorBalance, agedReceivables] = await Promise.all([
    inPeriod('Invoice'),
    inPeriod('CreditMemo'),
    inPeriod('Payment'),
    inPeriod('Bill'),
    snap.all(QueryBuilder.from('TaxCode')),
    snap.all(QueryBuilder.from('TaxRate')),
    report('CustomerBalance', { report_date: period.to, accounting_method: 'Accrual' }),
    report('VendorBalance', { report_date: period.to, accounting_method: 'Accrual' }),
    report('AgedReceivables', { report_date: period.to }),
  ]);
  return { docs: { Invoice, CreditMemo, Payment, Bill }, taxCodes, taxRates, customerBalance, vendorBalance, agedReceivables };
}
