/**
 * The reconciliation report's reason codes and their sentences: a period that cannot be read. Like
 * every part's reasons.ts, the one place that turns the code into words and an HTTP status.
 */
import { UserFacingError } from '../../user-facing-error.js';

export type ReconcileReason = 'reconcile.invalid-period';

export interface ReconcileContext {
  /** `start` or `end`. */
  which?: 'start' | 'end';
  value?: string;
  from?: string;
  to?: string;
}

const sentences: Record<ReconcileReason, (c: ReconcileContext) => string> = {
  'reconcile.invalid-period': (c) =>
    c.value !== undefined ? `The period ${c.which} ${JSON.stringify(c.value)} is not a date: give it as YYYY-MM-DD.` : `The period starts (${c.from}) after it ends (${c.to}).`,
};

/** A refusal naming the field (`from` or `to`): 400. */
export function refusal(code: ReconcileReason, ctx: ReconcileContext, field: 'from' | 'to'): UserFacingError<ReconcileReason> {
  return new UserFacingError(code, sentences[code](ctx), { field, status: 400 });
}
