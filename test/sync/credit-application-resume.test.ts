/**
 * A credit note written by a sync that stopped before its application (the 0.00 payment linking it
 * to its invoice, in the later payments group) is applied by the next sync. Found by the chaos soak:
 * once the credit note was linked, no later preview planned its application, so QBO kept the credit
 * unapplied and the invoice open while the practice showed both settled.
 */
import { describe, expect, it } from 'vitest';
import type { CrashLabel } from '../../src/connect/run/crash-point.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { sync } from '../../src/connect/run/sync.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { getRecord } from '../../src/practice/store.js';
import { readyDemo } from './demo-setup.js';

type Row = Record<string, unknown> & { Id: string };
interface Dump {
  entities: Record<string, Row[]>;
}

// SQLite only, to keep the suite's time (the medium demo costs ~25-50 s a dialect on 2 cores): on
// PostgreSQL a stopped sync resumed is proven by amnesia, recover and robustness (the lock).
describe.each(dialects.filter((d) => d === 'sqlite'))('a credit application left out by a stopped sync [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);

  it('is planned and written by the next sync, once, with the credit note applied in QBO', async () => {
    const ctx = c.app.ctx;
    const deps = syncDepsFor(ctx, c.realmId, { actor: 'tester', client: { limits: { intervalMs: 1000 } } });
    const from = new Date(ctx.clock().getTime() - 400 * 86_400_000).toISOString().slice(0, 10);
    const plan = await readyDemo(ctx, deps.client, c.realmId, { size: 'medium', direction: 'export', exportFrom: from });
    const applications = plan.groups.flatMap((g) => g.rows).filter((r) => r.record.kind === 'credit-application' && !r.skipped && r.action === 'create');
    expect(applications.length).toBeGreaterThan(0);

    // The first sync stops as the payments group begins: credit notes are in QBO, their applications not.
    const stopAt = (label: CrashLabel, group?: string) => {
      if (label === 'before-journal' && group === 'payments-export') throw new Error('stopped before the payments group');
    };
    const first = await sync({ ...deps, crash: stopAt }, { realmId: c.realmId, actor: 'tester' });
    expect(first.status).toBe('failed');
    const linked = await ctx.db.selectFrom('links').select(['record_kind', 'record_key']).where('realm_id', '=', c.realmId).execute();
    expect(linked.filter((l) => l.record_kind === 'credit-application')).toEqual([]);
    expect(linked.filter((l) => l.record_kind === 'credit-note').length).toBeGreaterThan(0);

    const second = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(second.status, second.message ?? '').toBe('succeeded');

    const dump = c.emu.control.dump(c.realmId) as Dump;
    const payments = dump.entities['Payment'] ?? [];
    const credits = new Map((dump.entities['CreditMemo'] ?? []).map((m) => [m.Id, m]));
    const links = await ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).execute();
    for (const a of applications) {
      const marker = `qbo-connect:credit-application:${a.record.id}`;
      const found = payments.filter((p) =>
        String(p['PrivateNote'] ?? '')
          .split('\n')
          .includes(marker),
      );
      expect(found, a.record.id).toHaveLength(1);
      const creditLink = links.find((l) => l.record_kind === 'credit-note' && l.record_key === a.record.id)!;
      const credit = credits.get(creditLink.qbo_id)!;
      expect(Number(credit['Balance']), `credit note ${a.record.id} applied in QBO`).toBeLessThan(Number(credit['TotalAmt']));
    }
    // And a third sync has nothing left to apply.
    const third = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(third.summary.processed).toBe(0);
  }, 240_000);
});

describe.each(dialects)('a credit note in QBO whose invoice failed that sync [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect, { fidelity: 'strict' });

  // Found by the chaos soak (us preset): a batch of invoices failed while their credit notes were
  // written; the next sync wrote the invoices and succeeded, but planned no application (the credit
  // note was linked, its invoice not yet), so QBO kept the credits open until a third sync.
  it('is applied by the sync that writes the invoice, not one later', async () => {
    const ctx = c.app.ctx;
    // QBO refuses the one invoice's write (a business validation fault), in the first sync only.
    let refuse: string | undefined;
    const refusing: typeof fetch = async (input, init) => {
      const body = typeof init?.body === 'string' ? init.body : '';
      if (refuse && init?.method === 'POST' && body.includes(`"DocNumber":"${refuse}"`) && body.includes('"Line"')) {
        const fault = {
          Fault: {
            Error: [{ Message: 'A business validation error has occurred while processing your request', Detail: 'Business Validation Error: refused by the test', code: '6000' }],
            type: 'ValidationFault',
          },
          time: new Date().toISOString(),
        };
        return new Response(JSON.stringify(fault), { status: 400, headers: { 'content-type': 'application/json' } });
      }
      return fetch(input, init);
    };
    // One write per request, so the fault refuses that invoice alone.
    const deps = { ...syncDepsFor(ctx, c.realmId, { actor: 'tester', client: { limits: { intervalMs: 1000 }, fetch: refusing } }), batchSize: 1 };
    const from = new Date(ctx.clock().getTime() - 400 * 86_400_000).toISOString().slice(0, 10);
    // Payments stay in QBO's hands, so every credit has its whole invoice to apply to.
    const plan = await readyDemo(ctx, deps.client, c.realmId, { size: 'small', direction: 'import', exportFrom: from });
    const application = plan.groups.flatMap((g) => g.rows).find((r) => r.record.kind === 'credit-application' && !r.skipped && r.action === 'create')!;
    expect(application).toBeDefined();
    const invoiceNumber = ((await getRecord(ctx.db, 'default', 'credit-note', application.record.id))!.record as { invoiceNumber?: string }).invoiceNumber;
    expect(invoiceNumber, application.key).toBeTruthy();

    // The first sync writes the credit note; QBO refuses its invoice.
    refuse = invoiceNumber;
    const first = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(first.status, first.message ?? '').toBe('failed');
    expect(first.summary.records.filter((r) => r.status === 'failed').map((r) => r.rowKey)).toContain(`invoices:${invoiceNumber}`);
    const afterFirst = await ctx.db.selectFrom('links').select(['record_kind', 'record_key']).where('realm_id', '=', c.realmId).execute();
    expect(afterFirst.some((l) => l.record_kind === 'credit-note' && l.record_key === application.record.id)).toBe(true);
    expect(afterFirst.some((l) => l.record_kind === 'invoice' && l.record_key === invoiceNumber)).toBe(false);

    refuse = undefined;
    const second = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(second.status, second.message ?? '').toBe('succeeded');
    const links = await ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).execute();
    const invoiceLink = links.find((l) => l.record_kind === 'invoice' && l.record_key === invoiceNumber)!;
    const creditLink = links.find((l) => l.record_kind === 'credit-note' && l.record_key === application.record.id)!;
    expect(
      links.some((l) => l.record_kind === 'credit-application' && l.record_key === application.record.id),
      'the application written by the same sync',
    ).toBe(true);
    const dump = c.emu.control.dump(c.realmId) as Dump;
    const credit = (dump.entities['CreditMemo'] ?? []).find((m) => m.Id === creditLink.qbo_id)!;
    const invoice = (dump.entities['Invoice'] ?? []).find((i) => i.Id === invoiceLink.qbo_id)!;
    expect(Number(credit['Balance']), 'credit applied in QBO').toBeLessThan(Number(credit['TotalAmt']));
    expect(Number(invoice['Balance'])).toBeLessThan(Number(invoice['TotalAmt']));
  }, 120_000);
});
