/**
 * Deterministic request ids (docs/reliability.md §request-ids): the same logical write always carries the same
 * id, so a retry or a replay is recognised by QBO; a new write (new payload, new generation after a
 * write was found missing) gets a new one. 36 characters, so an id also fits a batch.
 */
import crypto from 'node:crypto';

/** `delete` only for undoing a sync (connect/undo), on a person's explicit request. */
export type WriteOperation = 'create' | 'update' | 'void' | 'delete';

export interface RequestIdParts {
  realmId: string;
  recordKind: string;
  recordKey: string;
  payloadHash: string;
  operation: WriteOperation;
  /** 0 for the first attempt at this write; +1 each time recovery found it missing in QBO. */
  generation: number;
}

const hex = (s: string, n: number) => crypto.createHash('sha256').update(s).digest('hex').slice(0, n);

/** `qc` + operation letter + `-` + 32 hex = 36 characters. */
export function requestIdFor(p: RequestIdParts): string {
  const key = [p.realmId, p.recordKind, p.recordKey, p.payloadHash, p.operation, String(p.generation)].join('\u0000');
  return `qc${p.operation[0]}-${hex(key, 32)}`;
}

/** The batch's own id, from its items' ids in order (≤ 36 characters, as Intuit requires for batch). */
export function batchRequestIdFor(itemRequestIds: readonly string[]): string {
  return `qcb-${hex(itemRequestIds.join(','), 32)}`;
}

/** A batch item's id (≤ 10 characters): its place in the batch. */
export function bIdFor(index: number): string {
  return `r${index}`;
}

/**
 * The id of a batch of one that carries a single write (an update sent as a batch so QBO's 5010 comes
 * back to us, not retried by the client over someone else's change): the item's id with `B` for its
 * operation letter, so it differs from the item's own id and is as deterministic.
 */
export function singleBatchRequestIdFor(itemRequestId: string): string {
  return `${itemRequestId.slice(0, 2)}B${itemRequestId.slice(3)}`;
}
