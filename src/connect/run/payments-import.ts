/**
 * Payment import (direction "import"): the preview turns each QBO Payment applied to invoices the
 * practice has into a row whose payload is the practice payment to record (number `QBO-<Id>`); the
 * run records it and links it (record `qbo:<Payment Id>` → QBO Payment), in that order. The link is
 * what makes it once: the next preview leaves linked payments out. A crash between recording the
 * practice payment and writing its link heals on the next run (its number is taken → the existing
 * payment is linked, nothing is recorded twice). Payments the sync itself exported are linked to
 * their QBO Id already, so they are never imported back. A payment imported and then voided or
 * deleted in QBO comes back as an update row: the run cancels the practice payment and marks the link
 * voided (counted as updated).
 */
import { PracticeError, createRecord, getRecord, updateRecord } from '../../practice/store.js';
import type { PlanRow } from '../plan/index.js';
import { practiceOfRealm } from '../realm.js';
import type { RunDeps, RunState } from './context.js';
import { recordProblem, resolveWrite } from './journal.js';
import { sentence } from './reasons.js';

/** Import rows the run acts on: not skipped, no errors, with the practice payment to record or cancel. */
export function importRows(rows: PlanRow[]): PlanRow[] {
  return rows.filter((r) => (r.action === 'import' || r.action === 'update') && !r.skipped && r.payload && r.qbo.id && !r.issues.some((i) => i.severity === 'error'));
}

export async function importPayments(deps: RunDeps, state: RunState, rows: PlanRow[]): Promise<void> {
  const mine = importRows(rows);
  if (!mine.length) return;
  // The company's practice: its payments are recorded in that practice's ledger only.
  const practiceId = await practiceOfRealm(deps.db, state.realmId);
  for (const row of mine) {
    const label = row.record.label || `QBO payment ${row.qbo.id}`;
    const base = { runId: state.runId, rowKey: row.key, groupKind: row.group, label, recordKind: row.record.kind, recordKey: row.record.id };
    const cancel = row.action === 'update';
    let failed: string | undefined;
    try {
      if (cancel) await cancelImported(deps, practiceId, String(row.payload!['number']));
      else await createRecord(deps.db, practiceId, 'payment', row.payload, deps.clock());
    } catch (err) {
      // Taken: recorded by an earlier run that stopped before its link was written.
      if (!(err instanceof PracticeError && err.status === 409)) failed = err instanceof Error ? err.message : String(err);
    }
    if (failed !== undefined) {
      await recordProblem(
        deps.db,
        {
          ...base,
          journalId: null,
          journalStatus: 'failed',
          action: row.action,
          qboEntity: 'Payment',
          qboId: row.qbo.id!,
          code: 'run.import-refused',
          message: sentence('run.import-refused', { record: label, detail: failed }),
        },
        deps.clock(),
        deps.lease,
      );
    } else if (cancel) {
      // The link is kept, voided: the payment is never imported again nor cancelled twice.
      await resolveWrite(
        deps.db,
        {
          ...base,
          journalId: null,
          realmId: state.realmId,
          recordVersion: row.record.version ?? 1,
          payloadHash: row.payloadHash ?? '',
          action: 'update',
          qboEntity: 'Payment',
          qboId: row.qbo.id!,
          syncToken: row.qbo.syncToken ?? '0',
          qboTotalCents: 0,
          linkState: 'voided',
          counter: 'updated',
        },
        deps.clock(),
        deps.lease,
      );
    } else {
      await resolveWrite(
        deps.db,
        {
          ...base,
          journalId: null,
          realmId: state.realmId,
          recordVersion: row.record.version ?? 1,
          payloadHash: row.payloadHash ?? '',
          action: 'import',
          qboEntity: 'Payment',
          qboId: row.qbo.id!,
          syncToken: row.qbo.syncToken ?? '0',
          qboTotalCents: row.qboTotalCents,
          linkState: 'linked',
          counter: 'imported',
        },
        deps.clock(),
        deps.lease,
      );
    }
    state.done += 1;
    state.onProgress?.({ done: state.done, total: state.total, group: row.group });
  }
}

/** Cancels the practice payment an import recorded; one already cancelled or removed is left as it is. */
async function cancelImported(deps: RunDeps, practiceId: string, number: string): Promise<void> {
  const stored = await getRecord(deps.db, practiceId, 'payment', number);
  if (!stored || stored.record.state === 'cancelled') return;
  await updateRecord(deps.db, practiceId, 'payment', number, { ...stored.record, state: 'cancelled' }, deps.clock());
}
