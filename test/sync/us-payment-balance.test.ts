/**
 * A US company (emulator preset 'us', NYC sales tax 8.875 % against the practice's 10 %) with payments
 * exported: a payment that pays an invoice in full in the practice applies more than QBO's total for
 * that invoice, and QBO refuses it. The preview says so (an error naming the payment, the invoice, the
 * amount and QBO's total) so the sync never sends it; under Automated Sales Tax, where QBO's total is
 * unknown until the invoice is in QBO, such a payment waits for the next sync and is checked then.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlan, skipWithLinked, type Plan, type PlanRow } from '../../src/connect/plan/index.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { sync } from '../../src/connect/run/sync.js';
import { setSetting } from '../../src/connect/settings/store.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/run/server.js';
import { connectedApp, type ConnectedApp } from '../helpers/emulator-company.js';
import { errorsOf, readyDemo } from './demo-setup.js';

const payments = (plan: Plan): PlanRow[] => plan.groups.flatMap((g) => g.rows).filter((r) => r.group === 'payments-export' && r.record.kind === 'payment' && !r.skipped);
const notDone = (r: Awaited<ReturnType<typeof sync>>) => r.summary.records.filter((x) => x.status !== 'done').map((x) => x.message ?? '');

async function setUp(automatedSalesTax: boolean) {
  const emu = await startEmulator({ preset: 'us', limits: 'off', ...(automatedSalesTax ? { automatedSalesTax: true } : {}) });
  const c = await connectedApp(emu);
  const ctx = c.app.ctx;
  const deps = syncDepsFor(ctx, c.realmId, { actor: 'tester', client: { limits: { intervalMs: 1000 } } });
  const from = new Date(ctx.clock().getTime() - 400 * 86_400_000).toISOString().slice(0, 10);
  // Readied with payments imported (so nothing is skipped for them), then switched to export.
  await readyDemo(ctx, deps.client, c.realmId, { size: 'small', direction: 'import', exportFrom: from, applyCredits: false, us: { salesTaxCode: 'NYC' } });
  await setSetting(ctx.db, { realmId: c.realmId, path: 'payments.direction', value: 'export', actor: 'tester', clock: ctx.clock });
  const plan = () => buildPlan({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, qbo: deps.client }, c.realmId);
  const skipErrors = async (p: Plan) => {
    for (const row of errorsOf(p)) await skipWithLinked(ctx.db, { realmId: c.realmId, plan: p, row: row.key, actor: 'tester', clock: ctx.clock });
  };
  return { emu, c, deps, plan, skipErrors };
}

describe('US payments exported against invoices QBO totals lower (NYC tax code)', () => {
  let emu: RunningEmulator;
  let c: ConnectedApp;
  let s: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    s = await setUp(false);
    ({ emu, c } = s);
  }, 120_000);
  afterAll(async () => {
    await c?.app.close();
    await emu?.close();
  });

  it('the preview names each payment QBO would refuse; the sync then sends none that QBO refuses', async () => {
    const plan = await s.plan();
    const over = payments(plan).filter((r) => r.issues.some((i) => i.code === 'payment.exceeds-qbo-balance'));
    expect(over.length).toBeGreaterThan(0);
    for (const r of over) {
      const i = r.issues.find((x) => x.code === 'payment.exceeds-qbo-balance')!;
      expect(i.severity).toBe('error');
      expect(i.message.startsWith(`${r.record.label}: applies `)).toBe(true);
      expect(i.message).toMatch(/: applies \d+\.\d\d to invoice \S+, but QBO's total for that invoice will be \d+\.\d\d/);
      expect(i.message).toMatch(/QuickBooks would refuse the payment\. Map a sales tax code/);
      // Each is over QBO's predicted total of its invoice, to the cent.
      const inv = /to invoice (\S+), but QBO's total for that invoice will be (\d+\.\d\d)/.exec(i.message)!;
      const invRow = plan.groups.flatMap((g) => g.rows).find((x) => x.key === `invoices:${inv[1]}`)!;
      expect((invRow.qboTotalCents! / 100).toFixed(2)).toBe(inv[2]);
      expect(invRow.qboTotalCents).toBeLessThan(invRow.practiceTotalCents!);
    }
    const ok = payments(plan).filter((r) => r.action === 'create' && !r.issues.some((i) => i.severity === 'error'));
    await s.skipErrors(plan);
    const result = await sync(s.deps, { realmId: c.realmId, actor: 'tester' });
    expect(result.status, `${result.message}\n${notDone(result).join('\n')}`).toBe('succeeded');
    expect(notDone(result).filter((m) => /refused/.test(m))).toEqual([]);
    // The payments the preview let through are all in QBO.
    const links = await c.app.ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).where('record_kind', '=', 'payment').execute();
    expect(links.map((l) => l.record_key).sort()).toEqual(ok.map((r) => r.record.id).sort());
    expect(ok.length).toBeGreaterThan(0);
    // The prediction is QBO's own answer: sent as planned, a flagged payment is refused.
    const invLinks = await c.app.ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).where('record_kind', '=', 'invoice').execute();
    const custLinks = await c.app.ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).execute();
    const resolve = (v: unknown): unknown => {
      if (typeof v === 'string' && v.startsWith('@row:')) {
        const [group, ...rest] = v.slice(5).split(':');
        const kind = group === 'invoices' ? 'invoice' : group === 'customers' ? 'contact' : group!;
        const l = (kind === 'invoice' ? invLinks : custLinks).find((x) => x.record_kind === kind && x.record_key === rest.join(':'));
        return l?.qbo_id ?? v;
      }
      if (Array.isArray(v)) return v.map(resolve);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
      return v;
    };
    const body = resolve(over[0]!.payload) as Record<string, unknown>;
    expect(JSON.stringify(body)).not.toContain('@row:');
    await expect(s.deps.client.create('Payment', body as never, { requestId: 'us-over-balance-1' })).rejects.toThrow(/is more than its open balance/);
    console.log(`US payments: ${over.length} flagged as over QBO's total, ${ok.length} sent`);
  }, 120_000);
});

describe('US payments under Automated Sales Tax: QBO total unknown at preview time', () => {
  let emu: RunningEmulator;
  let c: ConnectedApp;
  let s: Awaited<ReturnType<typeof setUp>>;
  beforeAll(async () => {
    s = await setUp(true);
    ({ emu, c } = s);
  }, 120_000);
  afterAll(async () => {
    await c?.app.close();
    await emu?.close();
  });

  it('a payment on an invoice of this sync waits, then is checked against the total QBO answered; QBO refuses none', async () => {
    const first = await s.plan();
    const waiting = payments(first).filter((r) => r.issues.some((i) => i.code === 'payment.waits-for-qbo-total'));
    expect(waiting.length).toBeGreaterThan(0);
    for (const r of waiting) {
      expect([r.action, r.payload]).toEqual(['none', null]);
      expect(r.issues.find((i) => i.code === 'payment.waits-for-qbo-total')!.message).toMatch(/waits for the next sync: invoice \S+ is taxed by QuickBooks' Automated Sales Tax/);
    }
    await s.skipErrors(first);
    const r1 = await sync(s.deps, { realmId: c.realmId, actor: 'tester' });
    expect(notDone(r1).filter((m) => /refused/.test(m))).toEqual([]);
    // Next sync: the invoices are in QBO with their totals; every waiting payment is now sent or named.
    const second = await s.plan();
    for (const w of waiting) {
      const r = payments(second).find((x) => x.key === w.key)!;
      expect(
        r.issues.some((i) => i.code === 'payment.waits-for-qbo-total'),
        r.key,
      ).toBe(false);
      expect(r.action === 'create' || r.issues.some((i) => i.code === 'payment.exceeds-qbo-balance'), r.key).toBe(true);
    }
    console.log(
      `AST payments: ${waiting.length} waited; next sync ${payments(second).filter((r) => r.action === 'create' && !r.issues.some((i) => i.severity === 'error')).length} to send, ${errorsOf(second).filter((r) => r.record.kind === 'payment').length} over QBO's total`,
    );
    await s.skipErrors(second);
    const r2 = await sync(s.deps, { realmId: c.realmId, actor: 'tester' });
    expect(r2.status, `${r2.message}\n${notDone(r2).join('\n')}`).toBe('succeeded');
  }, 180_000);
});
