/**
 * Payment import (direction "import"): QBO Payments applied to invoices the practice has become
 * practice payments, once each. The practice payment's number is `qbo:<Payment Id>` and a link
 * (record kind payment, key `qbo:<Id>`) marks it imported, so re-running imports nothing twice; a
 * crash between creating the practice payment and writing its link is healed on the next run (the
 * number is taken → the existing payment is linked). Payments the sync itself exported are linked
 * to their QBO Id already and are never imported back.
 */
import { PracticeError, createRecord, getRecordsByKeys, listRecords } from '../../practice/store.js';
import { toCents } from '../../qbo/money.js';
import type { Settings } from '../settings/model.js';
import type { PlanRow } from '../plan/types.js';
import type { RunDeps, RunState } from './context.js';
import { recordProblem, resolveWrite } from './journal.js';
import { runMessage } from './messages.js';

type QboPayment = Record<string, unknown> & { Id: string; SyncToken?: string; TxnDate?: string; TotalAmt?: number };

export const importedKey = (paymentId: string) => `qbo:${paymentId}`;

interface Allocation {
  invoiceNumber: string;
  amountCents: number;
}

/** The invoice allocations of a QBO payment: `Line[].LinkedTxn[]` of type Invoice, with the line amount. */
export function invoiceAllocations(p: QboPayment): Array<{ qboInvoiceId: string; amountCents: number }> {
  const out: Array<{ qboInvoiceId: string; amountCents: number }> = [];
  for (const line of (p['Line'] as Array<Record<string, unknown>> | undefined) ?? []) {
    const linked = (line['LinkedTxn'] as Array<{ TxnId?: string; TxnType?: string }> | undefined) ?? [];
    const amount = typeof line['Amount'] === 'number' ? toCents(line['Amount'] as number, 'half-up') : 0;
    for (const l of linked) if (l.TxnType === 'Invoice' && l.TxnId && amount > 0) out.push({ qboInvoiceId: l.TxnId, amountCents: amount });
  }
  return out;
}

export async function importPayments(deps: RunDeps, state: RunState, settings: Settings, planRows: PlanRow[]): Promise<void> {
  if (settings.payments.direction !== 'import') return;
  const skipped = new Set(planRows.filter((r) => r.skipped).map((r) => r.record.id));
  const since = settings.general.exportFrom.payments;
  const payments: QboPayment[] = [];
  for await (const p of deps.client.query('Payment', (q) => q.where('TxnDate', '>=', since))) payments.push(p as QboPayment);
  if (!payments.length) return;

  const linked = new Set(
    (
      await deps.db
        .selectFrom('links')
        .select('qbo_id')
        .where('realm_id', '=', state.realmId)
        .where('qbo_entity', '=', 'Payment')
        .execute()
    ).map((r) => r.qbo_id),
  );
  const invoiceLinks = new Map(
    (await deps.db.selectFrom('links').select(['qbo_id', 'record_key']).where('realm_id', '=', state.realmId).where('qbo_entity', '=', 'Invoice').where('record_kind', '=', 'invoice').execute()).map((r) => [r.qbo_id, r.record_key]),
  );
  const todo = payments.filter((p) => !linked.has(p.Id) && !skipped.has(p.Id) && Number(p.TotalAmt ?? 0) > 0);
  const withAllocations = todo
    .map((p) => ({ p, allocations: invoiceAllocations(p).filter((a) => invoiceLinks.has(a.qboInvoiceId)).map((a): Allocation => ({ invoiceNumber: invoiceLinks.get(a.qboInvoiceId)!, amountCents: a.amountCents })) }))
    .filter((x) => x.allocations.length > 0);
  if (!withAllocations.length) return;

  state.total += withAllocations.length;
  const invoices = await getRecordsByKeys(deps.db, 'invoice', withAllocations.flatMap((x) => x.allocations.map((a) => a.invoiceNumber)));
  const types = (await listRecords(deps.db, 'payment-type', { limit: 1000 })).items;
  const typeByMethod = new Map<string, string>();
  for (const [code, methodId] of Object.entries(settings.payments.methodByPaymentType)) if (methodId) typeByMethod.set(String(methodId), code);
  const fallbackType = types.find((t) => t.record.state !== 'cancelled')?.key;

  for (const { p, allocations } of withAllocations) {
    const key = importedKey(p.Id);
    const label = `QBO payment ${p.Id}${p['PaymentRefNum'] ? ` (${String(p['PaymentRefNum'])})` : ''}`;
    const contactCode = invoices.get(allocations[0]!.invoiceNumber)?.record.contactCode;
    const method = (p['PaymentMethodRef'] as { value?: string } | undefined)?.value;
    const paymentTypeCode = (method && typeByMethod.get(method)) ?? fallbackType;
    const base = { runId: state.runId, rowKey: `payments-import:${p.Id}`, groupKind: 'payments-import', label, recordKind: 'payment', recordKey: key };
    const value = {
      number: key,
      date: p.TxnDate,
      contactCode,
      paymentTypeCode,
      reference: typeof p['PaymentRefNum'] === 'string' ? (p['PaymentRefNum'] as string).slice(0, 100) : `QBO payment ${p.Id}`,
      amountCents: allocations.reduce((s, a) => s + a.amountCents, 0),
      allocations,
    };
    try {
      if (!paymentTypeCode) throw new Error('field paymentTypeCode: the practice has no payment type to record it under; add one (or map one to its QBO payment method in settings).');
      await createRecord(deps.db, 'payment', value, deps.clock());
    } catch (err) {
      const taken = err instanceof PracticeError && err.status === 409;
      if (!taken) {
        const detail = err instanceof Error ? err.message : String(err);
        await recordProblem(deps.db, { ...base, journalId: null, journalStatus: 'failed', action: 'import', qboEntity: 'Payment', qboId: p.Id, code: 'run.import-refused', message: runMessage('run.import-refused', { record: label, detail }) }, deps.clock());
        state.done += 1;
        state.onProgress?.({ done: state.done, total: state.total, group: 'payments-import' });
        continue;
      }
    }
    await resolveWrite(
      deps.db,
      {
        ...base,
        journalId: null,
        realmId: state.realmId,
        recordVersion: 1,
        payloadHash: '',
        action: 'import',
        qboEntity: 'Payment',
        qboId: p.Id,
        syncToken: String(p.SyncToken ?? '0'),
        qboTotalCents: typeof p.TotalAmt === 'number' ? toCents(p.TotalAmt, 'half-up') : null,
        linkState: 'linked',
        counter: 'imported',
      },
      deps.clock(),
    );
    state.done += 1;
    state.onProgress?.({ done: state.done, total: state.total, group: 'payments-import' });
  }
}
