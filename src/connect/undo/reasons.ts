/**
 * Reason codes of undoing a sync and their sentences, in the shape of every part's reasons module: a
 * code union, a sentence table, `sentence(code, ctx)`, and `refusal` with its HTTP status. Each
 * sentence names the record and says what to do.
 */
import { UserFacingError, type RefusalStatus } from '../../user-facing-error.js';

export type UndoReason =
  | 'undo.no-such-run'
  | 'undo.not-a-sync'
  | 'undo.still-running'
  | 'undo.changed-in-qbo'
  | 'undo.changed-by-later-run'
  | 'undo.not-linked'
  | 'undo.books-closed'
  | 'undo.later-run-depends'
  | 'undo.applied-in-qbo'
  | 'undo.depends-on-refused'
  | 'undo.gone-from-qbo'
  | 'undo.name-in-use'
  | 'undo.voided'
  | 'undo.deleted'
  | 'undo.inactivated'
  | 'undo.credit-memo-deleted'
  | 'undo.qbo-refused'
  | 'undo.unsettled'
  | 'undo.nothing-to-undo';

export interface UndoContext {
  /** "Invoice INV-1042 — Harbour Trust" */
  record?: string;
  entity?: string;
  qboId?: string;
  runId?: string;
  detail?: string;
  date?: string;
  closeDate?: string;
  other?: string;
  count?: number;
}

export const sentences: Record<UndoReason, (c: UndoContext) => string> = {
  'undo.no-such-run': (c) => `There is no run ${c.runId ?? ''} for this company; \`qbo-connect history\` lists the runs.`,
  'undo.not-a-sync': (c) => `Run ${c.runId ?? ''} is an undo, not a sync; only a sync can be undone. Pick the sync from \`qbo-connect history\`.`,
  'undo.still-running': (c) => `Run ${c.runId ?? ''} is still running; wait for it to finish (\`qbo-connect history --run ${c.runId ?? ''}\`), then undo it.`,
  'undo.changed-in-qbo': (c) =>
    `${c.record}: ${c.entity} ${c.qboId} was changed in QuickBooks since the sync wrote it (${c.detail ?? 'its SyncToken moved'}), so it is not undone. Check it in QuickBooks; void or correct it there by hand if it should go.`,
  'undo.changed-by-later-run': (c) =>
    `${c.record}: a later sync (run ${c.other ?? '?'}) wrote ${c.entity} ${c.qboId} again, so undoing run ${c.runId ?? ''} would take back that sync's work too; undo the later run first.`,
  'undo.not-linked': (c) => `${c.record}: no longer linked to ${c.entity} ${c.qboId} (${c.detail ?? 'undone already or linked elsewhere'}); nothing to undo for it.`,
  'undo.books-closed': (c) =>
    `${c.record}: dated ${c.date ?? '?'}, on or before QuickBooks' closing date ${c.closeDate ?? '?'}; QuickBooks refuses changes in a closed period. Reopen the period in QuickBooks (Account and settings › Advanced › Close the books) or leave it.`,
  'undo.later-run-depends': (c) => `${c.record}: ${c.other ?? 'a record'} from a later sync (run ${c.runId ?? '?'}) is applied to ${c.entity} ${c.qboId}; undo that run first.`,
  'undo.applied-in-qbo': (c) =>
    `${c.record}: ${c.other ?? 'a transaction'} entered in QuickBooks is applied to ${c.entity} ${c.qboId}; voiding it would leave that money unapplied. Remove the application in QuickBooks first.`,
  'undo.depends-on-refused': (c) => `${c.record}: ${c.other ?? 'a record of this run'} applied to it cannot be undone, so it stays too.`,
  'undo.gone-from-qbo': (c) => `${c.record}: ${c.entity} ${c.qboId} is no longer in QuickBooks (deleted or made inactive there); nothing to undo for it.`,
  'undo.name-in-use': (c) => `${c.record}: ${c.entity} ${c.qboId} stays active: ${c.other ?? 'another transaction'} uses it.`,
  'undo.voided': (c) => `${c.record}: ${c.entity} ${c.qboId} voided (it stays in QuickBooks with amounts of zero); the record is not in QuickBooks for the next sync.`,
  'undo.deleted': (c) =>
    `${c.record}: ${c.entity} ${c.qboId} deleted, on this explicit undo (QuickBooks cannot void a ${c.entity}); the record is not in QuickBooks for the next sync.`,
  'undo.credit-memo-deleted': (c) =>
    `${c.record}: ${c.entity} ${c.qboId} deleted, on this explicit undo: QuickBooks' API cannot void a credit memo; the record is not in QuickBooks for the next sync.`,
  'undo.inactivated': (c) => `${c.record}: ${c.entity} ${c.qboId} made inactive (nothing else uses it); the record is not in QuickBooks for the next sync.`,
  'undo.qbo-refused': (c) => `${c.record}: QuickBooks refused to undo ${c.entity} ${c.qboId}: ${c.detail ?? 'no detail given'}.`,
  'undo.unsettled': (c) =>
    `${c.record}: the undo's write to ${c.entity} ${c.qboId} may or may not have reached QuickBooks and could not be checked (${c.detail ?? 'no answer'}); run the undo again to settle it.`,
  'undo.nothing-to-undo': (c) => `Run ${c.runId ?? ''} created nothing in QuickBooks that is still linked; there is nothing to undo.`,
};

export function sentence(code: UndoReason, ctx: UndoContext = {}): string {
  return sentences[code](ctx);
}

const statuses: Partial<Record<UndoReason, RefusalStatus>> = { 'undo.no-such-run': 404, 'undo.still-running': 409, 'undo.nothing-to-undo': 409 };

export function refusal(code: UndoReason, ctx: UndoContext = {}, field?: string): UserFacingError<UndoReason> {
  return new UserFacingError(code, sentence(code, ctx), { field, status: statuses[code] });
}
