/**
 * A scheduled sync whose company chose "sync the rows that are ready and hold the rest" (connect/
 * schedule, `sync-ready`): instead of refusing the whole run over the preview's errors, every row with
 * an error, and every row that needs one of them (through `dependsOn` or an `@row:` reference, at any
 * depth), is held — recorded in the run's history as held with its error sentence, nothing sent — and
 * the rest is synced. Held here means "not this run": nothing is kept in the journal, so once the
 * record is fixed the next sync simply sends it (unlike a held write, which waits for a person).
 */
import type { Plan, PlanRow } from '../plan/index.js';
import type { RunDeps, RunState } from './context.js';
import { referencedRows } from './execute.js';
import { recordProblem } from './journal.js';
import { sentence } from './reasons.js';

export interface HeldRow {
  row: PlanRow;
  code: 'run.held-plan-error' | 'run.held-needs-error-row';
  message: string;
}

const label = (r: PlanRow) => r.record.label || `${r.record.kind} ${r.record.id}`;

/** The rows to hold, by row key: pure, so the closure over dependents is tested directly. */
export function rowsToHold(plan: Plan): Map<string, HeldRow> {
  const rows = new Map<string, PlanRow>();
  for (const g of plan.groups) for (const r of g.rows) rows.set(r.key, r);
  const held = new Map<string, HeldRow>();
  for (const r of rows.values()) {
    if (r.skipped) continue;
    const errors = r.issues.filter((i) => i.severity === 'error').map((i) => i.message);
    if (errors.length) held.set(r.key, { row: r, code: 'run.held-plan-error', message: sentence('run.held-plan-error', { record: label(r), detail: errors.join(' ') }) });
  }
  // Dependents, to a fixed point (the plan's order is not assumed).
  for (let grew = true; grew;) {
    grew = false;
    for (const r of rows.values()) {
      if (held.has(r.key) || r.skipped) continue;
      const needs = [...new Set([...r.dependsOn, ...referencedRows(r.payload)])].find((k) => held.has(k));
      if (needs === undefined) continue;
      const dep = held.get(needs)!.row;
      held.set(r.key, { row: r, code: 'run.held-needs-error-row', message: sentence('run.held-needs-error-row', { record: label(r), detail: label(dep) }) });
      grew = true;
    }
  }
  return held;
}

/** Records each held row in the run's history (status held, counted in the run's held) and keeps the run from sending it. */
export async function recordHeldRows(deps: RunDeps, state: RunState, held: Map<string, HeldRow>): Promise<void> {
  for (const { row, code, message } of held.values()) {
    state.notWritten.add(row.key);
    await recordProblem(
      deps.db,
      {
        journalId: null,
        journalStatus: 'held',
        runId: state.runId,
        rowKey: row.key,
        groupKind: row.group,
        label: label(row),
        recordKind: row.record.kind,
        recordKey: row.record.id,
        action: row.action,
        qboEntity: row.qbo.entity,
        qboId: row.qbo.id ?? null,
        code,
        message,
      },
      deps.clock(),
      deps.lease,
    );
  }
}
