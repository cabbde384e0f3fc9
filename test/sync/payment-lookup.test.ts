/**
 * The preview finds a payment QBO already holds without filtering on PaymentRefNum (issue 13: no
 * Intuit source marks it filterable, and a strict QBO answers "not queryable"): it reads payments by
 * date and matches the reference itself. A payment entered in QBO with the same reference, date and
 * amount is adopted, not created again; no query the preview sends names PaymentRefNum.
 */
import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/connect/plan/index.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import type { CompanyClient } from '../../src/qbo/client.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { readyDemo } from './demo-setup.js';

describe.each(dialects)('preview: payments already in QBO, found without PaymentRefNum queries [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);

  it('adopts a payment QBO holds with the same reference, date and amount', async () => {
    const ctx = c.app.ctx;
    const client = syncDepsFor(ctx, c.realmId).client;
    await readyDemo(ctx, client, c.realmId, { size: 'small', direction: 'export', applyCredits: false });
    const queries: string[] = [];
    const watched: CompanyClient = { ...client, rawQuery: (text: string) => (queries.push(text), client.rawQuery(text)) };
    const deps = { db: ctx.db, clock: ctx.clock, logger: ctx.logger, qbo: watched };
    const before = await buildPlan(deps, c.realmId);
    const payment = before.groups.find((g) => g.kind === 'payments-export')!.rows.find((r) => r.action === 'create' && r.record.kind === 'payment' && !r.skipped && r.payload)!;
    expect(payment).toBeDefined();
    const body = payment.payload as { TxnDate: string; TotalAmt: number; PaymentRefNum: string };
    const customer = await client.create('Customer', { DisplayName: 'Paid By Hand' }, { requestId: 'test-paid-by-hand' });
    const inQbo = await client.create(
      'Payment',
      { CustomerRef: { value: customer.Id }, TxnDate: body.TxnDate, TotalAmt: body.TotalAmt, PaymentRefNum: body.PaymentRefNum } as never,
      { requestId: 'test-paid-by-hand-pay' },
    );
    queries.length = 0;
    const after = await buildPlan(deps, c.realmId);
    const row = after.groups.flatMap((g) => g.rows).find((r) => r.key === payment.key)!;
    expect(row.action).toBe('adopt');
    expect(row.qbo.id).toBe(inQbo.Id);
    expect(queries.filter((q) => /PaymentRefNum/i.test(q))).toEqual([]);
    expect(queries.some((q) => /FROM Payment WHERE TxnDate IN/i.test(q))).toBe(true);
  }, 60_000);
});
