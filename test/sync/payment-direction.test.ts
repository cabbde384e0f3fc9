/**
 * Issue 19, duplicate payments: a payment received in QBO and imported into the practice (direction
 * "import") is never sent back when the direction becomes "export" — before the fix the practice's
 * QBO-<Id> payment went out as a new QBO Payment, paying its invoice twice. Nor does any other
 * settings change plan a linked or imported record as new: QBO's counts stay the same.
 */
import { describe, expect, it } from 'vitest';
import { buildPlan, skipWithLinked } from '../../src/connect/plan/index.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { sync } from '../../src/connect/run/sync.js';
import { getSettings, setSetting } from '../../src/connect/settings/store.js';
import { skip, unskip } from '../../src/connect/skips.js';
import { listRecords } from '../../src/practice/store.js';
import type { RunningEmulator } from '../../src/emulator/run/server.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { errorsOf, readyDemo } from './demo-setup.js';

type Row = Record<string, unknown> & { Id: string; SyncToken: string };
const qboPayments = (emu: RunningEmulator, realmId: string) =>
  ((emu.control.dump(realmId) as { entities: Record<string, Row[]> }).entities['Payment'] ?? []).filter((p) => p['status'] !== 'Deleted');

describe.each(dialects)('a payment imported from QBO is never exported [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);

  it('import, then switch payments.direction to export, move export-from, re-map, skip and add back: nothing is sent twice', async () => {
    const ctx = c.app.ctx;
    const deps = syncDepsFor(ctx, c.realmId, { client: { limits: { intervalMs: 1000 } } });
    await readyDemo(ctx, deps.client, c.realmId, { size: 'small', direction: 'import', applyCredits: false });
    const first = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(first.status, first.message ?? '').toBe('succeeded');

    // A person records a payment in QBO against an invoice the sync wrote.
    const link = (await ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).where('record_kind', '=', 'invoice').execute())[0]!;
    const invoice = (await deps.client.read('Invoice', link.qbo_id)) as Row;
    const balance = Number(invoice['Balance']);
    expect(balance).toBeGreaterThan(0);
    await deps.client.create(
      'Payment',
      {
        CustomerRef: invoice['CustomerRef'],
        TotalAmt: balance,
        TxnDate: invoice['TxnDate'],
        Line: [{ Amount: balance, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
      } as never,
      { requestId: 'test-hand-payment' },
    );
    const imported = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(imported.status, imported.message ?? '').toBe('succeeded');
    const practicePayments = (await listRecords(ctx.db, 'default', 'payment', { limit: 1000 })).items.filter((p) => p.key.startsWith('QBO-'));
    expect(practicePayments.length).toBeGreaterThanOrEqual(1);
    const before = qboPayments(c.emu, c.realmId).length;

    await setSetting(ctx.db, { realmId: c.realmId, path: 'payments.direction', value: 'export', actor: 'tester', clock: ctx.clock });
    const planDeps = { db: ctx.db, clock: ctx.clock, logger: ctx.logger, qbo: deps.client };
    let plan = await buildPlan(planDeps, c.realmId);
    // The practice's own payments of invoices before the export window are skipped, as a bookkeeper would.
    for (const r of errorsOf(plan)) await skipWithLinked(ctx.db, { realmId: c.realmId, plan, row: r.key, actor: 'tester', clock: ctx.clock });
    plan = await buildPlan(planDeps, c.realmId);
    const exported = plan.groups.find((g) => g.kind === 'payments-export')!.rows.filter((r) => r.record.kind === 'payment' && !r.skipped && r.action === 'create');
    expect(exported.map((r) => r.record.id).filter((id) => id.startsWith('QBO-'))).toEqual([]);
    const second = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(second.status, second.message ?? '').toBe('succeeded');
    // Payments the practice made itself may go now; the imported ones do not come back as new ones.
    const refs = qboPayments(c.emu, c.realmId).map((p) => String(p['PaymentRefNum'] ?? ''));
    for (const p of practicePayments) expect(refs, p.key).not.toContain(p.key);
    expect(qboPayments(c.emu, c.realmId).length - before).toBe(exported.length);
    expect(Number(((await deps.client.read('Invoice', invoice.Id)) as Row)['Balance'])).toBe(0);

    // Nor does any other settings change: export-from dates moved back a year and forth again, the
    // direction flipped back, a mapping changed, a linked invoice skipped and added back.
    const count = () => {
      const e = (c.emu.control.dump(c.realmId) as { entities: Record<string, Row[]> }).entities;
      return Object.fromEntries(['Invoice', 'CreditMemo', 'Payment', 'Bill', 'Customer', 'Vendor', 'Item'].map((k) => [k, (e[k] ?? []).length]));
    };
    const set = (path: string, value: unknown) => setSetting(ctx.db, { realmId: c.realmId, path, value, actor: 'tester', clock: ctx.clock });
    const settled = count();
    const syncOk = async () => {
      // Nothing linked or imported before is planned as new again (a practice payment QBO-<Id> is an import).
      const links = await ctx.db.selectFrom('links').select(['record_kind', 'record_key']).where('realm_id', '=', c.realmId).execute();
      const known = new Set(links.map((l) => `${l.record_kind}:${l.record_key}`));
      for (const l of links) if (l.record_kind === 'qbo-payment') known.add(`payment:QBO-${l.record_key.slice(4)}`);
      const p = await buildPlan(planDeps, c.realmId);
      const fresh = p.groups.flatMap((g) => g.rows).filter((x) => x.action === 'create' || x.action === 'import' || x.action === 'adopt');
      expect(fresh.filter((x) => known.has(`${x.record.kind}:${x.record.id}`)).map((x) => x.key)).toEqual([]);
      // What the change newly brings in (older documents, never synced) is skipped, as a bookkeeper would.
      for (const r of fresh.filter((x) => !x.skipped)) await skipWithLinked(ctx.db, { realmId: c.realmId, plan: p, row: r.key, actor: 'tester', clock: ctx.clock }).catch(() => []);
      const r = await sync(deps, { realmId: c.realmId, actor: 'tester' });
      expect(['succeeded', 'refused'], r.message ?? '').toContain(r.status);
      expect(count()).toEqual(settled);
    };
    const from = (await getSettings(ctx.db, c.realmId, ctx.clock)).general.exportFrom;
    for (const k of Object.keys(from)) await set(`general.exportFrom.${k}`, '2000-01-01');
    await syncOk();
    for (const [k, v] of Object.entries(from)) await set(`general.exportFrom.${k}`, v);
    await set('payments.direction', 'import');
    await syncOk();
    await set('payments.direction', 'export');
    await set('invoices.memo', 'invoice-text');
    const linked = (await ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).where('record_kind', '=', 'invoice').execute())[0]!;
    await skip(ctx.db, { realmId: c.realmId, kind: 'invoice', id: linked.record_key, actor: 'tester', clock: ctx.clock });
    await unskip(ctx.db, { realmId: c.realmId, kind: 'invoice', id: linked.record_key, actor: 'tester', clock: ctx.clock });
    await syncOk();
  }, 180_000);
});
