/**
 * What every mapping step shares while a plan is built: the settings in force, QBO's lists, the
 * practice's lists, and helpers that make rows and issues the same way everywhere.
 */
import { hashOf } from '../../hash.js';
import type { StoredRecord } from '../../practice/store.js';
import { planMessage, type PlanMessageContext, type PlanReasonCode } from '../reasons.js';
import type { Settings } from '../settings/model.js';
import type { QboLists } from './qbo-snapshot.js';
import { rowKey } from '../kinds.js';
import type { GroupKind, Issue, PlanRow, RecordRef, RowAction, Severity } from './types.js';

export interface PracticeLists {
  contacts: Map<string, StoredRecord<'contact'>>;
  staff: Map<string, StoredRecord<'staff'>>;
  projects: Map<string, StoredRecord<'project'>>;
  taxCodes: Map<string, StoredRecord<'tax-code'>>;
  paymentTypes: Map<string, StoredRecord<'payment-type'>>;
  expenseTypes: Map<string, StoredRecord<'expense-type'>>;
}

export interface MapContext {
  realmId: string;
  settings: Settings;
  lists: QboLists;
  /** US companies: lines carry TAX/NON and the transaction a tax code. */
  us: boolean;
  practice: PracticeLists;
  /** Names an undo made inactive (`Customer:58`, connect/undo): found again, they are made active, not refused. */
  reactivatable?: Set<string>;
  /** The same names by the practice record they held (`contact\u0000C0001`): QBO renamed them "… (deleted)", so they are found by Id. */
  undoneNames?: Map<string, { entity: string; qboId: string }>;
}

/** A reference a payload makes to a QBO entity: a known Id, or a row of this plan that creates it. */
export interface EntityRef {
  value: string;
  /** Set when `value` is `@row:<key>`. */
  rowKey?: string;
}

export const QBO_NAME_LIMIT = 100;
export const QBO_DOC_NUMBER_LIMIT = 21;

export function issue(code: PlanReasonCode, severity: Severity, ctx: PlanMessageContext, field?: string, record?: RecordRef): Issue {
  return { code, severity, message: planMessage(code, ctx), ...(field !== undefined ? { field } : {}), ...(record ? { record } : {}) };
}

export function payloadHash(payload: Record<string, unknown> | null): string | null {
  return payload === null ? null : hashOf(payload);
}

/** The marker written into PrivateNote (documents) or Notes (names): found again during recovery. */
export function marker(kind: string, key: string): string {
  return `qbo-connect:${kind}:${key}`;
}

export function makeRow(input: {
  group: GroupKind;
  kind: string;
  id: string;
  label: string;
  version?: number | undefined;
  date?: string | undefined;
  action: RowAction;
  entity: string;
  qboId?: string | undefined;
  syncToken?: string | undefined;
  payload?: Record<string, unknown> | null;
  dependsOn?: string[];
  practiceTotalCents?: number | null;
  qboTotalCents?: number | null;
  issues?: Issue[];
}): PlanRow {
  const payload = input.payload ?? null;
  return {
    key: rowKey(input.group, input.id),
    group: input.group,
    record: {
      kind: input.kind,
      id: input.id,
      label: input.label,
      ...(input.version !== undefined ? { version: input.version } : {}),
      ...(input.date !== undefined ? { date: input.date } : {}),
    },
    action: input.action,
    qbo: { entity: input.entity, ...(input.qboId !== undefined ? { id: input.qboId } : {}), ...(input.syncToken !== undefined ? { syncToken: input.syncToken } : {}) },
    payload,
    payloadHash: payloadHash(payload),
    dependsOn: [...new Set(input.dependsOn ?? [])],
    practiceTotalCents: input.practiceTotalCents ?? null,
    qboTotalCents: input.qboTotalCents ?? null,
    issues: input.issues ?? [],
  };
}

export { rowKey } from '../kinds.js';

/** Integer cents → the JSON number QBO expects (through qbo/money.ts: no float arithmetic on money). */
export { fromCents as amount } from '../../qbo/money.js';
