/**
 * Skipping from the preview: a row takes the rows that need it (an invoice its payments, a contact
 * the documents made out to it), because they cannot be written without it. A whole group can be
 * skipped too. The skips land in connect/skips.ts and the next plan leaves those rows out of the sync.
 */
import type { Clock } from '../../context.js';
import type { Db } from '../../store/db.js';
import { refusal } from '../reasons.js';
import { skipMany, type RecordRef } from '../skips.js';
import { skipIdOf, skipKindOf } from '../kinds.js';
import type { GroupKind, Plan, PlanRow } from './types.js';

function allRows(plan: Plan): PlanRow[] {
  return plan.groups.flatMap((g) => g.rows);
}

/** The row and every row that depends on it, directly or through others. */
export function linkedRows(plan: Plan, rowKey: string): PlanRow[] {
  const rows = allRows(plan);
  const start = rows.find((r) => r.key === rowKey);
  if (!start) return [];
  const out = new Map<string, PlanRow>([[start.key, start]]);
  for (let grew = true; grew;) {
    grew = false;
    for (const r of rows) {
      if (!out.has(r.key) && r.dependsOn.some((k) => out.has(k))) {
        out.set(r.key, r);
        grew = true;
      }
    }
  }
  return [...out.values()];
}

/** The row of a practice record (kind and id as the skip commands take them), if the plan has one. */
export function findRow(plan: Plan, kind: string, id: string): PlanRow | undefined {
  return allRows(plan).find((r) => skipKindOf(r.record.kind) === kind && skipIdOf(r.record.kind, r.record.id) === id) ?? allRows(plan).find((r) => r.key === `${kind}:${id}`);
}

export function refOfRow(r: PlanRow): RecordRef {
  return { kind: skipKindOf(r.record.kind), id: skipIdOf(r.record.kind, r.record.id), date: r.record.date ?? null };
}

export interface SkipWithLinkedInput {
  realmId: string;
  plan: Plan;
  /** A row key (`invoices:INV-1`), or the record as the skip commands name it. */
  row: string | { kind: string; id: string };
  actor: string;
  clock: Clock;
}

/** Skips a row with its linked rows; returns the refs newly skipped. Refuses a row the plan does not hold. */
export async function skipWithLinked(db: Db, input: SkipWithLinkedInput): Promise<RecordRef[]> {
  const row = typeof input.row === 'string' ? allRows(input.plan).find((r) => r.key === input.row) : findRow(input.plan, input.row.kind, input.row.id);
  if (!row) {
    const what = typeof input.row === 'string' ? input.row : `${input.row.kind} ${input.row.id}`;
    throw refusal('skip.invalid-id', { value: what }, 'id');
  }
  const refs = linkedRows(input.plan, row.key).map(refOfRow);
  return skipMany(db, { realmId: input.realmId, refs, actor: input.actor, clock: input.clock });
}

/** Skips every row of a group (with the rows that need them). */
export async function skipGroup(db: Db, input: { realmId: string; plan: Plan; group: GroupKind; actor: string; clock: Clock }): Promise<RecordRef[]> {
  const g = input.plan.groups.find((x) => x.kind === input.group);
  const refs = (g?.rows ?? []).filter((r) => !r.skipped).flatMap((r) => linkedRows(input.plan, r.key).map(refOfRow));
  return skipMany(db, { realmId: input.realmId, refs, actor: input.actor, clock: input.clock });
}
