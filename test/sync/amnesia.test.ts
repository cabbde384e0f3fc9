/**
 * A create whose answer is lost must not be replayed blind: QBO's memory of request ids is
 * undocumented, and a create replayed to a QBO that forgot it is a second document (found by the
 * chaos soak: with the emulator's requestid memory off, a dropped payment create came back as two
 * payments). The engine looks the record up instead and sends again, with a new requestid, only
 * what QBO does not hold — in the same run.
 */
import { describe, expect, it } from 'vitest';
import { qboClientFor } from '../../src/connect/connection/qbo-client.js';
import { noCrash } from '../../src/connect/run/crash-point.js';
import { sync } from '../../src/connect/run/sync.js';
import { OutcomeUnknownError } from '../../src/qbo/fault.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { companyIds, handPlanner, smallPractice } from './hand-plan.js';

interface Dump {
  entities: Record<string, Array<Record<string, unknown>>>;
}

describe.each(dialects)('lost answers to creates, with the emulator forgetting every requestid [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect, { requestIdMemory: 0 }, { fresh: 'each' });

  async function setUp() {
    // No backoff waits: the test is about what is sent, not when.
    const client = qboClientFor(c.app.ctx, c.realmId, { sleep: async () => {} });
    const ids = await companyIds(client);
    return {
      client,
      ids,
      deps: { db: c.app.ctx.db, clock: c.app.ctx.clock, logger: c.app.ctx.logger, client, crash: noCrash, buildPlan: handPlanner(c.app.ctx.db, () => smallPractice(ids, 3)) },
    };
  }

  it('the client does not replay a create told not to: a dropped answer ends in OutcomeUnknownError, one payment in QBO', async () => {
    const { client, ids } = await setUp();
    const customer = await client.create('Customer', { DisplayName: 'Amnesia client' } as never, { requestId: 'amnesia-c1' });
    const invoice = await client.create(
      'Invoice',
      {
        CustomerRef: { value: customer.Id },
        Line: [{ Amount: 100, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: ids.item }, TaxCodeRef: { value: ids.gst } } }],
      } as never,
      { requestId: 'amnesia-i1' },
    );
    c.emu.control.armFaults({ next: ['commit-then-drop'], appliesTo: 'writes' });
    const payment = { CustomerRef: { value: customer.Id }, TotalAmt: 40, Line: [{ Amount: 40, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }] };
    await expect(client.create('Payment', payment as never, { requestId: 'amnesia-p1', replayUncertain: false })).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect((c.emu.control.dump(c.realmId) as Dump).entities['Payment']).toHaveLength(1);
  });

  it('a sync whose every batch loses its answer once ends with each record once, in one run', async () => {
    const { deps } = await setUp();
    // The first write of each group is stored and its answer lost; the partial payments (50 of
    // 165.61) would each be stored twice by a blind replay.
    c.emu.control.armFaults({ next: Array(7).fill('commit-then-drop'), appliesTo: 'writes' });
    const r = await sync(deps, { realmId: c.realmId, actor: 'test' });
    expect(
      r.status,
      `${r.message}\n${r.summary.records
        .filter((x) => x.status !== 'done')
        .map((x) => x.message)
        .join('\n')}`,
    ).toBe('succeeded');
    expect(r.summary).toMatchObject({ failed: 0, held: 0, processed: 24 });
    const dump = c.emu.control.dump(c.realmId) as Dump;
    expect(dump.entities['Customer']).toHaveLength(3);
    expect(dump.entities['Invoice']).toHaveLength(3);
    expect(dump.entities['Payment']).toHaveLength(3);
    expect(dump.entities['Invoice']!.every((i) => i['Balance'] === 115.61)).toBe(true);
    expect(dump.entities['Bill']).toHaveLength(6);
  });

  it('a create refused with a 5xx before it was stored is looked up, not found, and sent again with a new requestid in the same run', async () => {
    const { deps } = await setUp();
    // The first batch twice: it is looked up and sent again twice, each time with a new requestid.
    c.emu.control.armFaults({ next: ['500', '500'], appliesTo: 'writes' });
    const r = await sync(deps, { realmId: c.realmId, actor: 'test' });
    expect(r.status, r.message ?? '').toBe('succeeded');
    expect(r.summary).toMatchObject({ created: 24, failed: 0, held: 0 });
    const journal = await c.app.ctx.db.selectFrom('journal').select(['status', 'outcome_code', 'request_id', 'record_key']).execute();
    const notSent = journal.filter((j) => j.outcome_code === 'run.not-in-qbo');
    expect(notSent.map((j) => j.record_key).sort()).toEqual(['AC1', 'AC1', 'AC2', 'AC2', 'AC3', 'AC3']);
    for (const j of notSent) {
      const resent = journal.find((x) => x.record_key === j.record_key && x.status === 'resolved');
      expect(resent?.request_id, j.record_key).toBeDefined();
      expect(resent!.request_id).not.toBe(j.request_id);
    }
    const dump = c.emu.control.dump(c.realmId) as Dump;
    expect(dump.entities['Payment']).toHaveLength(3);
    expect(dump.entities['Invoice']).toHaveLength(3);
  });
});
