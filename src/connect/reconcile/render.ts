/** The report as text for the command line: the verdict, every difference with what to do, and the tables' rows that differ. */
import type { Pair, ReconciliationReport } from './types.js';

const money = (c: number) => `${c < 0 ? '-' : ''}${(Math.abs(c) / 100).toFixed(2)}`;
const pairText = (p: Pair) => `${money(p.practice)} / ${money(p.qbo)}${p.difference ? ` (differs by ${money(p.difference)})` : ''}`;

/**
 * Text as a terminal should show it: names and numbers come from QBO, and an ESC, CR or other control
 * character would move the cursor or rewrite the screen; each is shown as a visible \u escape instead.
 */
export const terminalSafe = (s: string) => s.replace(/[\p{Cc}\u2028\u2029]/gu, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);

export function renderReportText(r: ReconciliationReport): string {
  const out: string[] = [];
  out.push(`Reconciliation of ${r.companyName} (${r.realmId}), ${r.from} to ${r.to}: practice / QuickBooks`);
  out.push(
    r.summary.agrees
      ? 'The two books agree.'
      : r.summary.differences === 0
        ? 'The two books differ in the figures below, with no document in the period to explain it: widen --from.'
        : `${r.summary.differences} difference${r.summary.differences === 1 ? '' : 's'} to look at${r.summary.leftOut ? `, ${r.summary.leftOut} record${r.summary.leftOut === 1 ? '' : 's'} left out on purpose` : ''}.`,
  );
  if (r.today && r.to === r.today.date)
    out.push(`The period ends today, ${r.today.date} in ${r.today.known ? `the company's time zone (${r.today.zone})` : 'UTC (QuickBooks gave no time zone for the company)'}.`);
  out.push(`Read with ${r.qboRequests} QuickBooks requests in ${(r.elapsedMs / 1000).toFixed(1)} s.`);
  const diffs = r.differences.filter((d) => !d.intentional);
  if (diffs.length) {
    out.push('', 'Differences:');
    for (const d of diffs) {
      out.push(`  ${d.kind.padEnd(19)} ${money(d.amountCents).padStart(12)}  ${d.explanation}`);
      out.push(`  ${''.padEnd(19)} ${''.padStart(12)}  → ${d.action}`);
    }
  }
  const left = r.differences.filter((d) => d.intentional);
  if (left.length) {
    out.push('', 'Left out on purpose:');
    for (const d of left) out.push(`  ${money(d.amountCents).padStart(12)}  ${d.explanation}`);
  }
  const customers = r.customers.filter((c) => c.invoiced.difference || c.credited.difference || c.received.difference || c.openBalance.difference);
  out.push('', `Customers: ${r.customers.length}, ${customers.length} differ`);
  for (const c of customers)
    out.push(`  ${c.name} (${c.code}): invoiced ${pairText(c.invoiced)}; credited ${pairText(c.credited)}; received ${pairText(c.received)}; open ${pairText(c.openBalance)}`);
  const suppliers = r.suppliers.filter((s) => s.billed.difference);
  out.push('', `Suppliers and staff: ${r.suppliers.length}, ${suppliers.length} differ`);
  for (const s of suppliers) out.push(`  ${s.name} (${s.kind} ${s.code}): billed ${pairText(s.billed)}`);
  out.push('', 'Tax codes (taxable; tax):');
  for (const t of r.tax) out.push(`  ${t.side.padEnd(9)} ${t.qboCodeName} [${t.practiceCodes.join(', ') || '-'}]: ${pairText(t.taxable)}; ${pairText(t.tax)}`);
  return `${out.map(terminalSafe).join('\n')}\n`;
}
