/**
 * The report as CSV: one section per table, then the differences. A cell a spreadsheet would run as
 * a formula (starting with `=`, `+`, `-`, `@`, or a tab or carriage return before one) gets a leading
 * apostrophe (OWASP "CSV Injection"); amounts are written as plain decimals, so a negative amount is
 * text too in that case only when it is not a number.
 */
import type { Pair, ReconciliationReport } from './types.js';

const amount = (c: number) => `${c < 0 ? '-' : ''}${(Math.abs(c) / 100).toFixed(2)}`;

/** One CSV cell: neutralised when it could be read as a formula, quoted when it must be. */
export function csvCell(v: unknown, opts: { number?: boolean } = {}): string {
  if (v === undefined || v === null) return '';
  let s = String(v);
  if (!opts.number && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replaceAll('"', '""')}"` : s;
}

const money = (c: number) => csvCell(amount(c), { number: true });
const pairCells = (p: Pair) => [money(p.practice), money(p.qbo), money(p.difference)];

export function reportCsv(r: ReconciliationReport): string {
  const lines: string[] = [];
  const row = (...cells: string[]) => lines.push(cells.join(','));
  row(csvCell('Reconciliation'), csvCell(r.companyName), csvCell(r.realmId), csvCell(r.from), csvCell(r.to), csvCell(`${r.qboRequests} QuickBooks requests`));
  row('');
  row(
    'Customers',
    'Name',
    'Invoiced (practice)',
    'Invoiced (QuickBooks)',
    'Invoiced (difference)',
    'Credited (practice)',
    'Credited (QuickBooks)',
    'Credited (difference)',
    'Received (practice)',
    'Received (QuickBooks)',
    'Received (difference)',
    'Open balance (practice)',
    'Open balance (QuickBooks)',
    'Open balance (difference)',
    'Overdue in QuickBooks',
    'Name in QuickBooks',
  );
  for (const c of r.customers)
    row(
      csvCell(c.code),
      csvCell(c.name),
      ...pairCells(c.invoiced),
      ...pairCells(c.credited),
      ...pairCells(c.received),
      ...pairCells(c.openBalance),
      money(c.overdueInQbo),
      csvCell(c.qboName),
    );
  const t = r.totals;
  row(
    'Total',
    '',
    ...pairCells(t.customers.invoiced),
    ...pairCells(t.customers.credited),
    ...pairCells(t.customers.received),
    ...pairCells(t.customers.openBalance),
    money(t.customers.overdueInQbo),
  );
  row('');
  row('Suppliers and staff', 'Kind', 'Name', 'Billed (practice)', 'Billed (QuickBooks)', 'Billed (difference)', 'Open in QuickBooks');
  for (const s of r.suppliers) row(csvCell(s.code), csvCell(s.kind), csvCell(s.name), ...pairCells(s.billed), money(s.openInQbo));
  row('Total', '', '', ...pairCells(t.suppliers.billed), money(t.suppliers.openInQbo));
  row('');
  row('Tax code', 'Side', 'Name', 'Practice codes', 'Taxable (practice)', 'Taxable (QuickBooks)', 'Taxable (difference)', 'Tax (practice)', 'Tax (QuickBooks)', 'Tax (difference)');
  for (const x of r.tax) row(csvCell(x.qboCode), csvCell(x.side), csvCell(x.qboCodeName), csvCell(x.practiceCodes.join(' ')), ...pairCells(x.taxable), ...pairCells(x.tax));
  // One total per side: sales and purchases added together would mean nothing.
  for (const side of ['sales', 'purchases'] as const) row('Total', side, '', '', ...pairCells(t.tax[side].taxable), ...pairCells(t.tax[side].tax));
  row('');
  row('Difference', 'Kind', 'Left out on purpose', 'Practice record', 'QuickBooks record', 'Party', 'Date', 'Practice', 'QuickBooks', 'Difference', 'Explanation', 'What to do');
  for (const d of r.differences)
    row(
      csvCell(d.id),
      csvCell(d.kind),
      d.intentional ? 'yes' : 'no',
      csvCell(d.record ? `${d.record.kind} ${d.record.key}` : ''),
      csvCell(d.qbo ? `${d.qbo.entity} ${d.qbo.id}` : ''),
      csvCell(d.party),
      csvCell(d.date),
      money(d.practiceCents),
      money(d.qboCents),
      money(d.amountCents),
      csvCell(d.explanation),
      csvCell(d.action),
    );
  row('Total', '', '', '', '', '', '', '', '', money(t.differencesCents), csvCell('counted differences'), '');
  return `${lines.join('\n')}\n`;
}
