/**
 * The issue-19 attack, payments in QBO: (1) an invoice cancelled in the practice while QBO holds
 * payments applied to it (ours and the accountant's) is not voided — the preview's error names the
 * invoice and the payments (voiding would leave them as unapplied credit in QBO) until the
 * cancellation is skipped; (2) a payment imported from QBO and then voided or deleted there
 * cancels its practice payment on the next sync, counted as an update, once.
 */
import { describe, expect, it } from 'vitest';
import { buildPlan, skipWithLinked } from '../../src/connect/plan/index.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { sync, type SyncResult } from '../../src/connect/run/sync.js';
import { getRecord, listRecords, updateRecord } from '../../src/practice/store.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { errorsOf, readyDemo } from './demo-setup.js';

type Row = Record<string, unknown> & { Id: string; SyncToken: string };
const records = (r: SyncResult) => r.summary.records.map((x) => `${x.status} ${x.label} ${x.message ?? ''}`).join('\n');

describe.each(dialects)('an invoice with payments applied in QBO is not voided [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);

  it('the void row is an error naming the invoice and its payments; skipped, the sync goes and the invoice stays', async () => {
    const ctx = c.app.ctx;
    const deps = syncDepsFor(ctx, c.realmId, { client: { limits: { intervalMs: 1000 } } });
    await readyDemo(ctx, deps.client, c.realmId, { size: 'small', direction: 'export', applyCredits: false });
    const first = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(first.status, first.message ?? '').toBe('succeeded');
    const links = await ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).execute();
    // An invoice one of our payments paid in part, so the accountant can record another payment on it.
    let target: { invoice: Row; ours: string } | undefined;
    for (const l of links.filter((x) => x.record_kind === 'invoice')) {
      const inv = (await deps.client.read('Invoice', l.qbo_id)) as Row;
      const pays = ((inv['LinkedTxn'] as Array<{ TxnId: string; TxnType: string }>) ?? []).filter((t) => t.TxnType === 'Payment');
      if (pays.length && Number(inv['Balance']) > 0) target ??= { invoice: inv, ours: pays[0]!.TxnId };
    }
    expect(target, 'a synced invoice partly paid by a synced payment').toBeDefined();
    const { invoice, ours } = target!;
    const hand = (await deps.client.create(
      'Payment',
      { CustomerRef: invoice['CustomerRef'], TotalAmt: 1, TxnDate: invoice['TxnDate'], Line: [{ Amount: 1, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }] } as never,
      { requestId: 'test-hand-payment' },
    )) as Row;
    const link = links.find((l) => l.record_kind === 'invoice' && l.qbo_id === invoice.Id)!;
    const stored = (await getRecord(ctx.db, 'default', 'invoice', link.record_key))!;
    await updateRecord(ctx.db, 'default', 'invoice', stored.key, { ...stored.record, state: 'cancelled' }, ctx.clock());

    const planDeps = { db: ctx.db, clock: ctx.clock, logger: ctx.logger, qbo: deps.client };
    const plan = await buildPlan(planDeps, c.realmId);
    const row = errorsOf(plan).find((r) => r.record.kind === 'invoice' && r.record.id === stored.key);
    expect(row?.action).toBe('void');
    const err = row!.issues.find((i) => i.code === 'invoice.void-has-payments')!;
    expect(err.severity).toBe('error');
    expect(err.message).toContain(stored.key);
    expect(err.message).toContain(`Payment ${ours} $`);
    expect(err.message).toContain(`Payment ${hand.Id} $1.00`);
    expect(err.message).toContain('unapplied credit');

    const refused = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(refused.status).toBe('refused');
    const still = (await deps.client.read('Invoice', invoice.Id)) as Row;
    expect(still['PrivateNote'] ?? '').not.toMatch(/^Voided/);
    expect(still['TotalAmt']).toBe(invoice['TotalAmt']);

    await skipWithLinked(ctx.db, { realmId: c.realmId, plan, row: row!.key, actor: 'tester', clock: ctx.clock });
    const second = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(second.status, records(second)).toBe('succeeded');
    expect(second.summary.voided).toBe(0);
    expect(((await deps.client.read('Invoice', invoice.Id)) as Row)['TotalAmt']).toBe(invoice['TotalAmt']);
  }, 240_000);
});

describe.each(dialects)('a payment imported from QBO and voided or deleted there [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);

  it('cancels the practice payment on the next sync, reported as an update, once', async () => {
    const ctx = c.app.ctx;
    const deps = syncDepsFor(ctx, c.realmId, { client: { limits: { intervalMs: 1000 } } });
    await readyDemo(ctx, deps.client, c.realmId, { size: 'small', direction: 'import', applyCredits: false });
    const first = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(first.status, first.message ?? '').toBe('succeeded');
    const invLinks = (await ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).where('record_kind', '=', 'invoice').execute()).slice(0, 2);
    expect(invLinks.length).toBe(2);
    // The accountant records two payments in QBO; the sync imports them.
    const made: Row[] = [];
    for (const [n, l] of invLinks.entries()) {
      const inv = (await deps.client.read('Invoice', l.qbo_id)) as Row;
      made.push(
        (await deps.client.create(
          'Payment',
          { CustomerRef: inv['CustomerRef'], TotalAmt: 1, TxnDate: inv['TxnDate'], Line: [{ Amount: 1, LinkedTxn: [{ TxnId: inv.Id, TxnType: 'Invoice' }] }] } as never,
          { requestId: `test-hand-payment-${n}` },
        )) as Row,
      );
    }
    const imported = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(imported.status, records(imported)).toBe('succeeded');
    expect(imported.summary.imported).toBe(2);
    for (const p of made) expect((await getRecord(ctx.db, 'default', 'payment', `QBO-${p.Id}`))?.record.state ?? 'active').toBe('active');

    // Then voids one and deletes the other in QBO.
    const [voided, deleted] = made as [Row, Row];
    await deps.client.void('Payment', { Id: voided.Id, SyncToken: ((await deps.client.read('Payment', voided.Id)) as Row).SyncToken }, { requestId: 'test-void' });
    await deps.client.delete('Payment', { Id: deleted.Id, SyncToken: ((await deps.client.read('Payment', deleted.Id)) as Row).SyncToken }, { requestId: 'test-delete' });

    const next = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(next.status, records(next)).toBe('succeeded');
    expect(next.summary).toMatchObject({ updated: 2, imported: 0, failed: 0 });
    const cancelled = next.summary.records.filter((r) => r.status === 'done' && r.action === 'update');
    expect(cancelled.map((r) => r.recordKey).sort()).toEqual(made.map((p) => `qbo:${p.Id}`).sort());
    for (const p of made) expect((await getRecord(ctx.db, 'default', 'payment', `QBO-${p.Id}`))!.record.state).toBe('cancelled');
    // The other imported payments stay active.
    const others = (await listRecords(ctx.db, 'default', 'payment', { limit: 1000 })).items.filter((p) => p.key.startsWith('QBO-') && !made.some((m) => p.key === `QBO-${m.Id}`));
    for (const p of others) expect(p.record.state ?? 'active').toBe('active');

    const again = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(again.status, records(again)).toBe('succeeded');
    expect(again.summary).toMatchObject({ updated: 0, imported: 0 });
  }, 240_000);
});
