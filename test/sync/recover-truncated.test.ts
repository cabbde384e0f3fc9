/**
 * Recovery when QBO's change feed is full: CDC answers at most 1,000 objects per entity, and the
 * look-up then falls back to queries. Invoices and bills are found by DocNumber; payments cannot be
 * (QBO refuses DocNumber in a Payment query), so they are found by their reference (PaymentRefNum)
 * and matched by their marker. Were they not looked up at all, a payment QBO already holds would be
 * taken for "never arrived" and sent again: a duplicate, in any company with more than 1,000
 * payments changed since the write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qboClientFor } from '../../src/connect/qbo-client.js';
import { noCrash } from '../../src/connect/run/crash-point.js';
import type { RunDeps } from '../../src/connect/run/context.js';
import { journalWrites } from '../../src/connect/run/journal.js';
import { settleWrites } from '../../src/connect/run/recover.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { connectedApp, type ConnectedApp } from '../helpers/emulator-company.js';
import { testDate } from '../helpers/test-time.js';

describe('recovery of a payment when the change feed holds more than 1,000 payments', () => {
  let emu: RunningEmulator;
  let c: ConnectedApp;
  let deps: RunDeps;

  beforeAll(async () => {
    emu = await startEmulator({ preset: 'au', limits: 'off', requestIdMemory: 0 });
    // The seeding below sends 1,020 operations in 34 batches; weighed per operation (the default)
    // the client would wait out a minute that this emulator, limits off, does not enforce.
    c = await connectedApp(emu);
    deps = { db: c.app.ctx.db, clock: c.app.ctx.clock, logger: c.app.ctx.logger, client: qboClientFor(c.app.ctx, c.realmId, { limits: { batchMetering: 'request' } }), crash: noCrash };
  });
  afterAll(async () => {
    await c?.app.close();
    await emu?.close();
  });

  it('finds the payment by its reference and marker and adopts it, instead of sending it again', async () => {
    const client = deps.client;
    const customer = (await client.create('Customer', { DisplayName: 'Busy Client' }, { requestId: 'trunc-customer' })).Id;
    // 1,020 other payments (unapplied), in batches of 30.
    for (let b = 0; b < 34; b++) {
      const items = Array.from({ length: 30 }, (_, i) => ({ bId: `p${i}`, operation: 'create' as const, entity: 'Payment' as const, body: { CustomerRef: { value: customer }, TotalAmt: 1, TxnDate: '2026-10-01' } }));
      const r = await client.batch(items, { requestId: `trunc-batch-${b}` });
      expect(r.every((x) => x.ok)).toBe(true);
    }
    // Ours landed; its answer was lost.
    const body = { CustomerRef: { value: customer }, TotalAmt: 25, TxnDate: '2026-11-05', PaymentRefNum: 'RCT-1', PrivateNote: 'qbo-connect:payment:RCT-1' };
    const landed = await client.create('Payment', body as never, { requestId: 'trunc-ours' });
    const cdc = await client.cdc(['Payment'], testDate(-3600_000));
    expect(cdc.truncated['Payment']).toBe(true);

    await c.app.ctx.db
      .insertInto('runs')
      .values({ id: 'run-t', realm_id: c.realmId, started_by: 'test', started_at: testDate().toISOString(), finished_at: null, status: 'running', settings: '{}', processed: 0, created: 0, adopted: 0, updated: 0, voided: 0, imported: 0, failed: 0, held: 0, message: null })
      .execute();
    await journalWrites(
      c.app.ctx.db,
      [
        {
          realmId: c.realmId,
          runId: 'run-t',
          rowKey: 'payments-export:RCT-1',
          groupKind: 'payments-export',
          label: 'payment RCT-1',
          recordKind: 'payment',
          recordKey: 'RCT-1',
          recordVersion: 1,
          operation: 'create',
          qboEntity: 'Payment',
          requestId: 'trunc-ours-journal',
          body: JSON.stringify(body),
          payloadHash: 'h',
          expectedTotalCents: 2500,
          baseSyncToken: null,
          batchRequestId: null,
        },
      ],
      testDate(),
    );
    const s = await settleWrites(deps, c.realmId, 'run-t');
    expect(s).toMatchObject({ found: 1, adopted: 1, notSent: 0, held: 0, unknown: 0 });
    const link = await c.app.ctx.db.selectFrom('links').selectAll().where('record_key', '=', 'RCT-1').executeTakeFirst();
    expect(link?.qbo_id).toBe(landed.Id);
  }, 60_000);
});
