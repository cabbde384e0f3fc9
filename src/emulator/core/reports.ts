// The Reports API reports the product reads (docs/qbo-api.md §operations: `GET /v3/company/{realmId}/reports/{ReportName}`),
// computed from the company's own transactions, in QBO's report JSON shape: `Header` (ReportName,
// Time, Currency, Option report_date / NoReportData), `Columns.Column[]` ({ColTitle, ColType}) and
// `Rows.Row[]` (data rows with `ColData[]` {value, id}, then a `GrandTotal` Section whose `Summary.ColData`
// holds the totals). Shapes and parameters from Intuit's report reference as mirrored in
// abossenbroek/qbo-mcp qbo-api-docs/entities/customerbalance.md, vendorbalance.md and
// aragingsummary.md (AgedReceivables: columns Current, 1 - 30, 31 - 60, 61 - 90, 91 and over, Total).
// Strict: an unknown report name is QBO's "Unsupported Operation"; a parameter this report does not
// take, or a value it does not accept, is a ValidationFault naming the parameter.

import type { Json } from './context.js';
import { isObj, refValue } from './context.js';
import { QboFault, faults } from './faults.js';
import { centsToNumber, isDecimal, toCents } from './money.js';

/** What a report needs of its company (Company satisfies it). */
export interface ReportSource {
  list(entity: string): Json[];
  today(): string;
  time(): string;
  preferences(): Json;
}

type Params = Record<string, string>;

/** Every parameter Intuit documents for each report; those marked `true` are computed here. */
const PARAMS: Record<string, Record<string, boolean>> = {
  CustomerBalance: {
    customer: true,
    report_date: true,
    accounting_method: true,
    date_macro: false,
    arpaid: false,
    sort_order: false,
    summarize_column_by: false,
    department: false,
  },
  VendorBalance: {
    vendor: true,
    report_date: true,
    accounting_method: true,
    date_macro: false,
    appaid: false,
    sort_order: false,
    summarize_column_by: false,
    department: false,
  },
  AgedReceivables: {
    customer: true,
    report_date: true,
    aging_method: true,
    date_macro: false,
    qzurl: false,
    sort_order: false,
    department: false,
  },
};

/** Parameters every request may carry, whatever the report. */
const COMMON = new Set(['minorversion']);

function badParam(name: string, detail: string): QboFault {
  return new QboFault([{ Message: 'Invalid parameter', Detail: `${detail} (parameter ${name})`, code: '2010', element: name }]);
}

const isDate = (s: string) => /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s);

function checkParams(name: string, params: Params): void {
  const known = PARAMS[name]!;
  for (const [k, v] of Object.entries(params)) {
    if (COMMON.has(k)) continue;
    if (!(k in known)) throw badParam(k, `${k} is not a parameter of the ${name} report`);
    if (!known[k]) throw badParam(k, `the emulator does not compute ${k} for the ${name} report (see src/emulator/README.md)`);
    if (k === 'report_date' && !isDate(v)) throw badParam(k, `report_date must be a date YYYY-MM-DD, not ${JSON.stringify(v)}`);
    if (k === 'accounting_method' && v !== 'Accrual' && v !== 'Cash') throw badParam(k, `accounting_method must be Cash or Accrual, not ${JSON.stringify(v)}`);
    if (k === 'accounting_method' && v === 'Cash') throw badParam(k, 'the emulator computes Accrual balances only');
    if (k === 'aging_method' && v !== 'Report_Date' && v !== 'Current') throw badParam(k, `aging_method must be Report_Date or Current, not ${JSON.stringify(v)}`);
    if ((k === 'customer' || k === 'vendor') && !v.split(',').every((id) => /^\d+$/.test(id))) throw badParam(k, `${k} must be one or more Ids separated by commas`);
  }
}

const money = (c: bigint) => centsToNumber(c).toFixed(2);
const cents = (v: unknown) => (isDecimal(v) ? toCents(v) : 0n);
const dateOf = (row: Json) => (typeof row.TxnDate === 'string' ? row.TxnDate : '');

function header(src: ReportSource, name: string, reportDate: string, empty: boolean, extra: Json = {}): Json {
  const prefs = src.preferences();
  const currency = isObj(prefs.CurrencyPrefs) ? refValue(prefs.CurrencyPrefs.HomeCurrency) : undefined;
  return {
    Time: src.time(),
    ReportName: name,
    DateMacro: 'all',
    ...extra,
    Currency: currency ?? 'USD',
    Option: [
      { Name: 'report_date', Value: reportDate },
      { Name: 'NoReportData', Value: String(empty) },
    ],
  };
}

/** Names by Id (DisplayName), for the first column. */
function names(src: ReportSource, entity: 'Customer' | 'Vendor'): Map<string, string> {
  return new Map(src.list(entity).map((r) => [String(r.Id), String(r.DisplayName ?? r.Id)]));
}

/**
 * A balance per party as of the report date: what its transactions dated on or before it add and
 * take away (a voided transaction has TotalAmt 0). For the transactions the emulator holds this is
 * the party's open balance on that day: invoices less credit memos less payments received
 * (customers); bills less vendor credits less bill payments (vendors).
 */
function balances(src: ReportSource, parts: Array<[entity: string, sign: 1n | -1n]>, refField: string, reportDate: string, only: Set<string> | null): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const [entity, sign] of parts) {
    for (const row of src.list(entity)) {
      const party = refValue(row[refField]);
      if (!party || dateOf(row) > reportDate || (only && !only.has(party))) continue;
      out.set(party, (out.get(party) ?? 0n) + sign * cents(row.TotalAmt));
    }
  }
  return out;
}

function balanceReport(src: ReportSource, name: 'CustomerBalance' | 'VendorBalance', params: Params): Json {
  const reportDate = params.report_date ?? src.today();
  const party = name === 'CustomerBalance' ? 'Customer' : 'Vendor';
  const filter = params[party.toLowerCase()];
  const only = filter ? new Set(filter.split(',')) : null;
  const parts: Array<[string, 1n | -1n]> =
    name === 'CustomerBalance'
      ? [
          ['Invoice', 1n],
          ['CreditMemo', -1n],
          ['Payment', -1n],
        ]
      : [
          ['Bill', 1n],
          ['VendorCredit', -1n],
          ['BillPayment', -1n],
        ];
  const by = balances(src, parts, party === 'Customer' ? 'CustomerRef' : 'VendorRef', reportDate, only);
  const label = names(src, party);
  // QBO lists parties with a balance, by name; parties at zero are left out.
  const rows = [...by.entries()]
    .filter(([, c]) => c !== 0n)
    .sort((a, b) => (label.get(a[0]) ?? '').localeCompare(label.get(b[0]) ?? ''))
    .map(([id, c]) => ({ ColData: [{ value: label.get(id) ?? id, id }, { value: money(c) }] }));
  const total = [...by.values()].reduce((s, c) => s + c, 0n);
  return {
    Header: header(src, name, reportDate, rows.length === 0, filter ? { [party]: filter } : {}),
    Columns: {
      Column: [
        { ColTitle: '', ColType: party },
        { ColTitle: 'Total', ColType: 'Money' },
      ],
    },
    Rows: { Row: [...rows, { group: 'GrandTotal', type: 'Section', Summary: { ColData: [{ value: 'TOTAL' }, { value: money(total) }] } }] },
  };
}

const AGING = ['Current', '1 - 30', '31 - 60', '61 - 90', '91 and over'] as const;
const DAY = 86_400_000;

/**
 * Open receivables per customer in five age columns and a total: each open invoice by the days its
 * due date is past the report date; open credit memos and unapplied payments (negative) under
 * Current. Aged from today's open amounts (Balance, RemainingCredit/UnappliedAmt) of transactions
 * dated on or before the report date.
 */
function agedReceivables(src: ReportSource, params: Params): Json {
  const reportDate = params.report_date ?? src.today();
  const only = params.customer ? new Set(params.customer.split(',')) : null;
  const per = new Map<string, bigint[]>();
  const add = (customer: string | undefined, col: number, c: bigint) => {
    if (!customer || c === 0n || (only && !only.has(customer))) return;
    const row = per.get(customer) ?? [0n, 0n, 0n, 0n, 0n];
    row[col]! += c;
    per.set(customer, row);
  };
  const asOf = Date.parse(`${reportDate}T00:00:00Z`);
  for (const inv of src.list('Invoice')) {
    if (dateOf(inv) > reportDate) continue;
    const due = typeof inv.DueDate === 'string' ? inv.DueDate : dateOf(inv);
    const days = Math.round((asOf - Date.parse(`${due}T00:00:00Z`)) / DAY);
    const col = days <= 0 ? 0 : days <= 30 ? 1 : days <= 60 ? 2 : days <= 90 ? 3 : 4;
    add(refValue(inv.CustomerRef), col, cents(inv.Balance));
  }
  for (const cm of src.list('CreditMemo')) if (dateOf(cm) <= reportDate) add(refValue(cm.CustomerRef), 0, -cents(cm.Balance ?? cm.RemainingCredit));
  for (const p of src.list('Payment')) if (dateOf(p) <= reportDate) add(refValue(p.CustomerRef), 0, -cents(p.UnappliedAmt));
  const label = names(src, 'Customer');
  const sum = (xs: bigint[]) => xs.reduce((s, c) => s + c, 0n);
  const rows = [...per.entries()]
    .filter(([, r]) => sum(r) !== 0n || r.some((c) => c !== 0n))
    .sort((a, b) => (label.get(a[0]) ?? '').localeCompare(label.get(b[0]) ?? ''))
    .map(([id, r]) => ({ ColData: [{ value: label.get(id) ?? id, id }, ...r.map((c) => ({ value: c === 0n ? '' : money(c) })), { value: money(sum(r)) }] }));
  const totals = [0, 1, 2, 3, 4].map((i) => [...per.values()].reduce((s, r) => s + r[i]!, 0n));
  return {
    Header: header(src, 'AgedReceivables', reportDate, rows.length === 0, params.customer ? { Customer: params.customer } : {}),
    Columns: { Column: [{ ColTitle: '', ColType: 'Customer' }, ...AGING.map((t) => ({ ColTitle: t, ColType: 'Money' })), { ColTitle: 'Total', ColType: 'Money' }] },
    Rows: {
      Row: [
        ...rows,
        { group: 'GrandTotal', type: 'Section', Summary: { ColData: [{ value: 'TOTAL' }, ...totals.map((c) => ({ value: money(c) })), { value: money(sum(totals)) }] } },
      ],
    },
  };
}

/** The names this emulator answers, as QBO spells them in the path. */
export const REPORT_NAMES = Object.keys(PARAMS);

/** One report, or a QboFault: unknown name (Unsupported Operation), unknown parameter or bad value (2010). */
export function runReport(src: ReportSource, name: string, params: Params): Json {
  if (!(name in PARAMS)) throw faults.unsupportedOperation(`Could not find resource for relative : /reports/${name}`);
  checkParams(name, params);
  if (name === 'AgedReceivables') return agedReceivables(src, params);
  return balanceReport(src, name as 'CustomerBalance' | 'VendorBalance', params);
}
