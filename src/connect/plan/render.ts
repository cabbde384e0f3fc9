/** The plan as text for a terminal: one line per group (counts, totals), then every error and warning. */
import { centsToDecimalString } from '../../qbo/money.js';
import { shownValue, type Json } from './sent-fields.js';
import type { Plan } from './types.js';

const titles: Record<string, string> = {
  customers: 'Customers to create',
  suppliers: 'Suppliers to create',
  items: 'Job items to create',
  invoices: 'Invoices',
  'credit-notes': 'Credit notes',
  'payments-export': 'Payments to export',
  bills: 'Bills',
  'staff-expenses': 'Staff expenses',
  'payments-import': 'Payments to import',
};

export function groupTitle(kind: string): string {
  return titles[kind] ?? kind;
}

/** A value in a column of 28: shortened with an ellipsis. */
function cell(v: Json): string {
  const s = shownValue(v);
  return s.length > 26 ? `${s.slice(0, 25)}…` : s;
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

export function renderPlanText(plan: Plan): string {
  const out: string[] = [];
  out.push(`Preview for QBO company ${plan.realmId} at ${plan.builtAt} (${plan.qboRequests} QBO requests)`);
  out.push('');
  out.push(`${pad('Group', 22)}${pad('Records', 9, true)}${pad('Skipped', 9, true)}${pad('Errors', 8, true)}${pad('Warnings', 10, true)}${pad('Total', 16, true)}`);
  for (const g of plan.groups) {
    out.push(
      `${pad(groupTitle(g.kind), 22)}${pad(String(g.records), 9, true)}${pad(String(g.skipped ?? 0), 9, true)}${pad(String(g.errors), 8, true)}${pad(String(g.warnings), 10, true)}${pad(centsToDecimalString(g.totalCents), 16, true)}`,
    );
  }
  out.push('');
  const lines = (sev: 'error' | 'warning') =>
    plan.groups.flatMap((g) => g.rows.filter((r) => !r.skipped).flatMap((r) => r.issues.filter((i) => i.severity === sev).map((i) => `  [${i.code}] ${r.key}: ${i.message}`)));
  const errors = lines('error');
  const warnings = lines('warning');
  out.push(errors.length ? `Errors (${errors.length}) — the sync will not run until each is fixed or its record skipped:` : 'No errors: the sync can run.');
  out.push(...errors);
  if (warnings.length) {
    out.push(`Warnings (${warnings.length}):`);
    out.push(...warnings);
  }
  // Rows held because both sides changed the same field: each field side by side.
  const diverged = plan.groups.flatMap((g) => g.rows.filter((r) => !r.skipped && r.fields?.conflicts.length));
  if (diverged.length) {
    out.push(`Held as diverged (${diverged.length}) — changed here and in QBO since the last sync; nothing is sent for these:`);
    out.push(`  ${pad('Record / field', 36)}${pad('Last sent', 28)}${pad('QBO now', 28)}Practice now`);
    for (const r of diverged) {
      out.push(`  ${r.record.label}`);
      // The last column has room for all of the practice's value (an address's lines, in full).
      for (const c of r.fields!.conflicts) out.push(`    ${pad(c.field, 34)}${pad(cell(c.lastSent), 28)}${pad(cell(c.qboNow), 28)}${shownValue(c.practiceNow)}`);
    }
  }
  return out.join('\n');
}
