/**
 * Recovery when QBO's change feed is full: CDC answers at most 1,000 objects, and the look-up then
 * pages through the documents created since the write (`MetaData.CreateTime`, filterable on every
 * entity), matched by our marker — never by PaymentRefNum, which no Intuit source marks filterable,
 * so a credit application (a payment with no reference number) is found too. Once, such a payment
 * could not be looked up at all and every later sync of the company refused (issue 19); were it
 * taken for "never arrived", it would be sent again: a duplicate.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { qboClientFor } from '../../src/connect/connection/qbo-client.js';
import { noCrash } from '../../src/connect/run/crash-point.js';
import type { RunDeps } from '../../src/connect/run/context.js';
import { journalWrites } from '../../src/connect/run/journal.js';
import { settleWrites } from '../../src/connect/run/recover.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';

describe.each(dialects)('recovery of a payment when the change feed holds more than 1,000 payments [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect, { requestIdMemory: 0 });
  let deps: RunDeps;

  beforeAll(async () => {
    // The seeding below sends 1,020 operations in 34 batches; weighed per operation (the default)
    // the client would wait out a minute that this emulator, limits off, does not enforce.
    // No write here is in flight at QBO: no processing window to wait out.
    deps = {
      db: c.app.ctx.db,
      clock: c.app.ctx.clock,
      logger: c.app.ctx.logger,
      client: qboClientFor(c.app.ctx, c.realmId, { limits: { batchMetering: 'request' } }),
      crash: noCrash,
      processingWindowMs: 0,
    };
  });

  it('finds each payment, with or without a reference, by its marker and adopts it; one never sent is marked for resending', async () => {
    const client = deps.client;
    const customer = (await client.create('Customer', { DisplayName: 'Busy Client' }, { requestId: 'trunc-customer' })).Id;
    // 1,020 other payments (unapplied), in batches of 30.
    for (let b = 0; b < 34; b++) {
      const items = Array.from({ length: 30 }, (_, i) => ({
        bId: `p${i}`,
        operation: 'create' as const,
        entity: 'Payment' as const,
        body: { CustomerRef: { value: customer }, TotalAmt: 1, TxnDate: '2026-10-01' },
      }));
      const r = await client.batch(items, { requestId: `trunc-batch-${b}` });
      expect(r.every((x) => x.ok)).toBe(true);
    }
    // Ours landed; its answer was lost.
    const body = { CustomerRef: { value: customer }, TotalAmt: 25, TxnDate: '2026-11-05', PaymentRefNum: 'RCT-1', PrivateNote: 'qbo-connect:payment:RCT-1' };
    const landed = await client.create('Payment', body as never, { requestId: 'trunc-ours' });
    // A credit application: a payment with no reference number (landed), and another that never arrived.
    const credit = { CustomerRef: { value: customer }, TotalAmt: 0, TxnDate: '2026-11-05', PrivateNote: 'qbo-connect:credit-application:CN-1' };
    const creditLanded = await client.create('Payment', credit as never, { requestId: 'trunc-credit' });
    const lost = { ...credit, PrivateNote: 'qbo-connect:credit-application:CN-2' };
    const cdc = await client.cdc(['Payment'], new Date(c.app.ctx.clock().getTime() - 3600_000));
    expect(cdc.truncated['Payment']).toBe(true);

    await c.app.ctx.db
      .insertInto('runs')
      .values({
        id: 'run-t',
        realm_id: c.realmId,
        started_by: 'test',
        started_at: c.app.ctx.clock().toISOString(),
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
      })
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
        ...['CN-1', 'CN-2'].map((key) => ({
          realmId: c.realmId,
          runId: 'run-t',
          rowKey: `payments-export:credit:${key}`,
          groupKind: 'payments-export',
          label: `credit application ${key}`,
          recordKind: 'credit-application',
          recordKey: key,
          recordVersion: 1,
          operation: 'create' as const,
          qboEntity: 'Payment',
          requestId: `trunc-${key}-journal`,
          body: JSON.stringify(key === 'CN-1' ? credit : lost),
          payloadHash: 'h',
          expectedTotalCents: 0,
          baseSyncToken: null,
          batchRequestId: null,
        })),
      ],
      c.app.ctx.clock(),
    );
    const s = await settleWrites(deps, c.realmId, 'run-t');
    expect(s).toMatchObject({ found: 3, adopted: 2, notSent: 1, held: 0, unknown: 0 });
    const creditLink = await c.app.ctx.db.selectFrom('links').selectAll().where('record_key', '=', 'CN-1').executeTakeFirst();
    expect(creditLink?.qbo_id).toBe(creditLanded.Id);
    const lostRow = await c.app.ctx.db.selectFrom('journal').selectAll().where('record_key', '=', 'CN-2').executeTakeFirstOrThrow();
    expect(lostRow).toMatchObject({ status: 'failed', outcome_code: 'run.not-in-qbo' });
    const link = await c.app.ctx.db.selectFrom('links').selectAll().where('record_key', '=', 'RCT-1').executeTakeFirst();
    expect(link?.qbo_id).toBe(landed.Id);
  }, 60_000);
});
