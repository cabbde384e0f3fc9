/**
 * Sync, lose the links, sync (issue 17): what a restored backup from before a sync does, or any lost
 * link. The second sync adopts what QBO holds by number and marker — nothing duplicated — and that
 * includes the credit applications (QBO Payments of 0.00 linking a credit memo and an invoice, which
 * the product writes to apply a credit note): adopted as ours, never imported as a practice payment
 * of 0.00, which the practice refuses (found by an attack: "44 failed: QBO payment 716 … amountCents
 * must be more than zero" on every later sync). A 0.00 payment a person made in QBO is shown as not
 * imported, with its reason, not as a failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlan } from '../../src/connect/plan/index.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { sync, type SyncResult } from '../../src/connect/run/sync.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/run/server.js';
import { connectedApp, type ConnectedApp } from '../helpers/emulator-company.js';
import { testDate } from '../helpers/test-time.js';
import { readyDemo } from './demo-setup.js';

type Row = Record<string, unknown>;
const ENTITIES = ['Customer', 'Item', 'Invoice', 'CreditMemo', 'Payment', 'Bill', 'Purchase'];

const why = (r: SyncResult) =>
  `${r.message ?? ''}\n${r.summary.records
    .filter((x) => x.status !== 'done')
    .map((x) => x.message)
    .join('\n')}`;

describe('sync, lose the links, sync: credit applications adopted, nothing imported or duplicated [sqlite]', () => {
  let emu: RunningEmulator;
  let c: ConnectedApp;
  const dump = () => (emu.control.dump(c.realmId) as { entities: Record<string, Row[]> }).entities;
  const counts = () => Object.fromEntries(ENTITIES.map((e) => [e, (dump()[e] ?? []).length]));
  const zeroPayments = () => (dump()['Payment'] ?? []).filter((p) => p['TotalAmt'] === 0);

  beforeAll(async () => {
    emu = await startEmulator({ preset: 'none', limits: 'off' });
    const company = emu.control.seedCompany({ preset: 'au', name: 'Lost links' });
    c = await connectedApp(emu, { company: company.realmId });
    const from = testDate(-400 * 86_400_000)
      .toISOString()
      .slice(0, 10);
    await readyDemo(c.app.ctx, syncDepsFor(c.app.ctx, c.realmId).client, c.realmId, { size: 'small', direction: 'import', exportFrom: from });
  }, 120_000);

  afterAll(async () => {
    await c?.app.close();
    await emu?.close();
  });

  it('adopts the credit applications by marker and imports no payment of 0.00, on this sync and the next', async () => {
    const deps = syncDepsFor(c.app.ctx, c.realmId);
    const first = await sync(deps, { realmId: c.realmId, actor: 'test' });
    expect(first.status, why(first)).toBe('succeeded');
    const applications = zeroPayments();
    expect(applications.length, 'credit applications written by the first sync').toBeGreaterThan(0);
    const before = counts();

    // A person records a payment of 0.00 in QBO too (no marker of ours).
    const ours = applications[0]!;
    await deps.client.create('Payment', { CustomerRef: ours['CustomerRef'], TotalAmt: 0, TxnDate: ours['TxnDate'], PrivateNote: 'applied by hand' } as never, {
      requestId: 'by-hand-1',
    });
    const byHand = zeroPayments().find((p) => p['PrivateNote'] === 'applied by hand')!;

    // The links are lost (a backup from before the first sync restored, or any other way).
    await c.app.ctx.db.deleteFrom('links').where('realm_id', '=', c.realmId).execute();

    const plan = await buildPlan({ db: c.app.ctx.db, clock: c.app.ctx.clock, logger: c.app.ctx.logger, qbo: deps.client }, c.realmId);
    const rows = plan.groups.flatMap((g) => g.rows);
    const imports = rows.filter((r) => r.group === 'payments-import' && r.action === 'import');
    expect(imports.map((r) => r.record.label)).toEqual([]);
    const adopted = rows.filter((r) => r.record.kind === 'credit-application' && r.action === 'adopt');
    expect(adopted.map((r) => r.qbo.id).sort()).toEqual(applications.map((p) => String(p['Id'])).sort());
    const notImported = rows.find((r) => r.qbo.id === byHand['Id']);
    expect(notImported?.action).toBe('none');
    expect(notImported?.issues.map((i) => [i.code, i.severity])).toEqual([['payment-import.zero-total', 'warning']]);

    const second = await sync(deps, { realmId: c.realmId, actor: 'test' });
    expect(second.status, why(second)).toBe('succeeded');
    expect(second.summary.failed).toBe(0);
    expect(counts()).toEqual({ ...before, Payment: before['Payment']! + 1 });

    const third = await sync(deps, { realmId: c.realmId, actor: 'test' });
    expect(third.status, why(third)).toBe('succeeded');
    expect(third.summary.failed).toBe(0);
    expect(counts()).toEqual({ ...before, Payment: before['Payment']! + 1 });
  }, 300_000);
});
