/**
 * Reason codes of the held records (connect/held) and their sentences, in the shape of every part's
 * reasons module: a code union, a sentence table, `sentence(code, ctx)`, and `refusal` with the
 * code's HTTP status. Every sentence names the record (and the field or Id at fault) and says what
 * to do next.
 */
import { UserFacingError, type RefusalStatus } from '../../user-facing-error.js';

export type HeldReason =
  | 'held.unknown-action'
  | 'held.unknown-kind'
  | 'held.invalid-id'
  | 'held.unknown-record'
  | 'held.not-held'
  | 'held.action-not-offered'
  | 'held.qbo-changed-again'
  | 'held.needs-sync-first'
  | 'held.invalid-qbo-id'
  | 'held.relink-other-type'
  | 'held.relink-not-found'
  | 'held.relink-inactive'
  | 'held.relink-linked-elsewhere'
  | 'held.relink-same'
  | 'held.invalid-action-id'
  | 'held.no-such-action'
  | 'held.already-undone'
  | 'held.action-final'
  | 'held.undo-not-latest'
  | 'held.undo-qbo-changed'
  | 'held.undo-unskipped'
  | 'held.relink-differs'
  | 'held.sync-token-missing'
  | 'held.changed-since-shown'
  | 'held.already-resolved'
  | 'held.undo-qbo-taken'
  | 'held.outcome-unknown';

export interface HeldContext {
  /** "invoice INV-1042" or its label. */
  record?: string;
  realmId?: string;
  value?: unknown;
  entity?: string;
  qboId?: string;
  detail?: string;
  list?: readonly string[];
  actionId?: number | string;
}

const shown = (v: unknown) => (typeof v === 'string' ? `"${v.length > 60 ? `${v.slice(0, 60)}…` : v}"` : (JSON.stringify(v) ?? String(v)));

const sentences: Record<HeldReason, (c: HeldContext) => string> = {
  'held.unknown-action': (c) => `${shown(c.value)} (field action) is not an action on a held record: choose one of ${(c.list ?? []).join(', ')}.`,
  'held.unknown-kind': (c) => `${shown(c.value)} (field kind) is not a kind of record QBO Connect syncs: choose one of ${(c.list ?? []).join(', ')}.`,
  'held.invalid-id': (c) => `${shown(c.value)} (field id) is not a record id: give the practice record's id (1 to 200 characters, no control characters).`,
  'held.unknown-record': (c) =>
    `There is no ${c.record} in company ${c.realmId ?? ''}: it is neither in the preview nor linked to QuickBooks (field id). \`qbo-connect held\` lists the held records.`,
  'held.not-held': (c) => `${c.record} is not held in company ${c.realmId ?? ''}, so there is nothing to resolve (field id). \`qbo-connect held\` lists the held records.`,
  'held.action-not-offered': (c) => `${c.record}: "${String(c.value)}" (field action) is not offered for it: ${c.detail ?? ''} Choose one of ${(c.list ?? []).join(', ')}.`,
  'held.qbo-changed-again': (c) =>
    `${c.record}: ${c.entity} ${c.qboId} was changed in QuickBooks again while ours was being sent (QuickBooks answered 5010, stale object), so nothing was overwritten and it stays held. QBO now: ${c.detail}. Look at the fields again, then choose.`,
  'held.needs-sync-first': (c) =>
    `${c.record}: what we would send refers to ${c.detail ?? 'a record'} that is not in QuickBooks yet. Sync first (it is created then), then send ours.`,
  'held.invalid-qbo-id': (c) =>
    `${shown(c.value)} (field qboId) is not a QuickBooks Id: give the Id QuickBooks shows for the record (digits), optionally as Entity:Id (e.g. Invoice:130).`,
  'held.relink-other-type': (c) => `${c.record} is a QuickBooks ${c.entity}; ${shown(c.value)} (field qboId) names a ${c.detail}. Re-link it to a ${c.entity}.`,
  'held.relink-not-found': (c) => `${c.record}: QuickBooks has no ${c.entity} ${c.qboId} to re-link it to (field qboId): ${c.detail ?? 'not found'}. Check the Id in QuickBooks.`,
  'held.relink-inactive': (c) => `${c.record}: QuickBooks ${c.entity} ${c.qboId} (field qboId) is ${c.detail ?? 'deleted or inactive'}; re-link it to a live one.`,
  'held.relink-linked-elsewhere': (c) =>
    `${c.record}: QuickBooks ${c.entity} ${c.qboId} (field qboId) is already linked to ${c.detail}; a QuickBooks record stands for one practice record only. Choose another, or resolve ${c.detail} first.`,
  'held.relink-same': (c) => `${c.record} is already linked to QuickBooks ${c.entity} ${c.qboId} (field qboId): choose another record, or keep QBO's / send ours.`,
  'held.invalid-action-id': (c) => `${shown(c.value)} (field actionId) is not an action number: \`qbo-connect held\` lists the recent actions with theirs.`,
  'held.no-such-action': (c) =>
    `There is no held-record action ${String(c.actionId ?? '')} in company ${c.realmId ?? ''} (field actionId); \`qbo-connect held\` lists the recent actions.`,
  'held.already-undone': (c) => `Action ${String(c.actionId ?? '')} on ${c.record} was already undone (${c.detail ?? ''}); nothing to do.`,
  'held.action-final': (c) =>
    `Action ${String(c.actionId ?? '')} on ${c.record} is final: a sync of the company has started since (${c.detail ?? ''}), and an action can be undone only until the next sync. Change the record in the practice or in QuickBooks instead.`,
  'held.undo-not-latest': (c) => `Action ${String(c.actionId ?? '')} on ${c.record} is not the newest on it: undo action ${c.detail} first.`,
  'held.undo-qbo-changed': (c) =>
    `Action ${String(c.actionId ?? '')} on ${c.record} cannot be undone: QuickBooks ${c.entity} ${c.qboId} was changed again since ours was sent (${c.detail}), and QBO Connect will not overwrite that. Change it in QuickBooks by hand.`,
  'held.relink-differs': (c) =>
    `${c.record}: QuickBooks ${c.entity} ${c.qboId} (field qboId) is not this record — ${c.detail}. A re-link is checked as a sync's adopt is (party, date and total; a name for a contact): re-link it to the QuickBooks record that is this one.`,
  'held.sync-token-missing': (c) =>
    `${c.record}: say which QuickBooks version you looked at (field syncToken: the SyncToken \`qbo-connect held\` and the page show, ${c.detail ?? 'e.g. "3"'}), so an edit made in QuickBooks since is never overwritten unseen.`,
  'held.changed-since-shown': (c) =>
    `${c.record}: changed in QuickBooks since you looked: ${c.entity} ${c.qboId} ${c.detail}. Nothing was done and it stays held; look at the fields again, then choose.`,
  'held.already-resolved': (c) => `${c.record}: ${c.detail} (field id); nothing was done. \`qbo-connect held\` shows it as it is now.`,
  'held.undo-qbo-taken': (c) =>
    `Action ${String(c.actionId ?? '')} on ${c.record} cannot be undone: QuickBooks ${c.entity} ${c.qboId}, which it was linked to before, is now linked to ${c.detail}, and a QuickBooks record stands for one practice record only. Re-link or skip ${c.detail} first.`,
  'held.outcome-unknown': (c) =>
    `${c.record}: QuickBooks did not answer whether it took ours (${c.entity} ${c.qboId}, ${c.detail ?? 'no answer'}), so nothing was recorded here. Open the held records again: if QuickBooks now holds the practice's values the record is no longer held; if it is still held, nothing was written and you can choose again.`,
  'held.undo-unskipped': (c) => `Action ${String(c.actionId ?? '')} skipped ${c.record}, but it was added back since (field actionId); nothing to undo.`,
};

export function sentence(code: HeldReason, ctx: HeldContext = {}): string {
  return sentences[code](ctx);
}

const statuses: Partial<Record<HeldReason, RefusalStatus>> = {
  'held.unknown-record': 404,
  'held.no-such-action': 404,
  'held.relink-not-found': 404,
  'held.not-held': 409,
  'held.qbo-changed-again': 409,
  'held.relink-linked-elsewhere': 409,
  'held.already-undone': 409,
  'held.action-final': 409,
  'held.undo-not-latest': 409,
  'held.undo-qbo-changed': 409,
  'held.undo-unskipped': 409,
  'held.relink-differs': 409,
  'held.changed-since-shown': 409,
  'held.already-resolved': 409,
  'held.undo-qbo-taken': 409,
  'held.outcome-unknown': 502,
};

export function refusal(code: HeldReason, ctx: HeldContext = {}, field?: string): UserFacingError<HeldReason> {
  return new UserFacingError(code, sentence(code, ctx), { field, status: statuses[code] });
}
