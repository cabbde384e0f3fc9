import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/db.js';
import { journalWrites, resolveWrite } from '../run/journal.js';
import { linksByKey } from '../links.js';
import { nextBase } from './sent-fields.js';
import { basesOf } from './updates.js';

const now = new Date('2026-03-01T10:00:00Z');

describeEachDialect('what we last sent, per link (migration 0010)', (t) => {
  const realmId = 'R1';
  const write = async (key: string, body: Record<string, unknown>, operation: 'create' | 'update', sentFields?: string) => {
    const [id] = await journalWrites(
      t.db,
      [
        {
          realmId,
          runId: 'run-1',
          rowKey: `invoices:${key}`,
          groupKind: 'invoices',
          label: `invoice ${key}`,
          recordKind: 'invoice',
          recordKey: key,
          recordVersion: 1,
          operation,
          qboEntity: 'Invoice',
          requestId: `${key}-${operation}`,
          body: JSON.stringify(body),
          payloadHash: 'h',
          expectedTotalCents: null,
          baseSyncToken: null,
          batchRequestId: null,
        },
      ],
      now,
    );
    await resolveWrite(
      t.db,
      {
        journalId: id!,
        runId: 'run-1',
        realmId,
        rowKey: `invoices:${key}`,
        groupKind: 'invoices',
        label: `invoice ${key}`,
        recordKind: 'invoice',
        recordKey: key,
        recordVersion: 1,
        payloadHash: 'h',
        action: operation,
        qboEntity: 'Invoice',
        qboId: `Q-${key}`,
        syncToken: '0',
        qboTotalCents: 1100,
        linkState: 'linked',
        counter: operation === 'create' ? 'created' : 'updated',
      },
      now,
      undefined,
      sentFields === undefined ? undefined : async (trx) => void (await trx.updateTable('links').set({ sent_fields: sentFields }).where('record_key', '=', key).execute()),
    );
  };

  it('keeps the stored base, and rebuilds one from the journal for a link written before 0010', async () => {
    await t.db
      .insertInto('runs')
      .values({
        id: 'run-1',
        realm_id: realmId,
        started_by: 'tester',
        started_at: now.toISOString(),
        finished_at: null,
        status: 'running',
        settings: '{}',
        processed: 0,
        created: 0,
        adopted: 0,
        updated: 0,
        voided: 0,
        imported: 0,
        failed: 0,
        held: 0,
        message: null,
        progress_group: null,
      })
      .execute();
    const body = { DocNumber: 'INV-1', TxnDate: '2026-02-01', CustomerMemo: { value: 'P-1' } };
    await write('INV-1', body, 'create', JSON.stringify(nextBase('Invoice', body, { ...body, Id: 'Q-INV-1' })));
    await write('INV-2', { ...body, DocNumber: 'INV-2' }, 'create');
    await write('INV-2', { Id: 'Q-INV-2', SyncToken: '0', sparse: true, TxnDate: '2026-02-09' }, 'update');
    const links = [...(await linksByKey(t.db, realmId, 'invoice', ['INV-1', 'INV-2'])).values()];
    expect(links.find((l) => l.record_key === 'INV-1')!.sent_fields).toContain('P-1');
    expect(links.find((l) => l.record_key === 'INV-2')!.sent_fields).toBeNull();
    const bases = await basesOf(t.db, realmId, links);
    expect(bases.get('invoice\u0000INV-1')!['CustomerMemo']).toEqual({ sent: 'P-1', qbo: 'P-1' });
    expect(bases.get('invoice\u0000INV-2')!['TxnDate']).toEqual({ sent: '2026-02-09', qbo: '2026-02-09' });
    expect(bases.get('invoice\u0000INV-2')!['DocNumber']).toEqual({ sent: 'INV-2', qbo: 'INV-2' });
  });
});
