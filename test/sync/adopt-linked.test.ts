/**
 * Issue 19, a rename blocks every future sync: a QBO record linked to one practice record is never
 * adopted for another. Contact renamed after the sync, a new contact takes its old name: the preview
 * names both records as an error instead of adopting the first one's customer (which then failed the
 * sync on the links' unique key, and every sync after it). Same for a document adopted by number.
 */
import { describe, expect, it } from 'vitest';
import { buildPlan, skipWithLinked, type Plan } from '../../src/connect/plan/index.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { sync } from '../../src/connect/run/sync.js';
import { createRecord, getRecord, updateRecord } from '../../src/practice/store.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { readyDemo } from './demo-setup.js';

const row = (plan: Plan, key: string) => plan.groups.flatMap((g) => g.rows).find((r) => r.key === key);

describe.each(dialects)('a linked QBO record is never adopted for another practice record [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);

  it('rename a synced contact, give its old name to a new contact: an error naming both, and the sync still runs', async () => {
    const ctx = c.app.ctx;
    const deps = syncDepsFor(ctx, c.realmId, { client: { limits: { intervalMs: 1000 } } });
    await readyDemo(ctx, deps.client, c.realmId, { size: 'small', direction: 'export', applyCredits: false });
    const first = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(first.status, first.message ?? '').toBe('succeeded');
    const links = await ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).execute();
    const contactLink = links.find((l) => l.record_kind === 'contact')!;
    const invoiceLink = links.find((l) => l.record_kind === 'invoice')!;
    const old = (await getRecord(ctx.db, 'default', 'contact', contactLink.record_key))!;
    const invoice = (await getRecord(ctx.db, 'default', 'invoice', invoiceLink.record_key))!;
    const now = ctx.clock();
    await updateRecord(ctx.db, 'default', 'contact', old.key, { ...old.record, name: `${old.record.name} (renamed)` }, now);
    await createRecord(ctx.db, 'default', 'contact', { ...old.record, code: 'CNEW1', uniqueId: 'UNEW1' }, now);
    await createRecord(ctx.db, 'default', 'invoice', { ...invoice.record, number: 'INV-NEW1', contactCode: 'CNEW1' }, now);

    const plan = await buildPlan({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, qbo: deps.client }, c.realmId);
    const newContact = row(plan, 'customers:CNEW1')!;
    expect(newContact.action).not.toBe('adopt');
    const err = newContact.issues.find((i) => i.code === 'qbo.linked-to-another')!;
    expect(err.severity).toBe('error');
    expect(err.message).toContain(`contact ${old.key}`);
    expect(err.message).toContain('CNEW1');
    // Skipped (with the invoice that needs it), the rest syncs, and the next sync too.
    await skipWithLinked(ctx.db, { realmId: c.realmId, plan, row: 'customers:CNEW1', actor: 'tester', clock: ctx.clock });
    for (let i = 0; i < 2; i++) {
      const next = await sync(deps, { realmId: c.realmId, actor: 'tester' });
      expect(next.status, next.message ?? '').toBe('succeeded');
    }

    // A document whose number QBO holds for another practice record: an error, not an adoption.
    await ctx.db
      .updateTable('links')
      .set({ record_key: 'INV-MOVED' })
      .where('realm_id', '=', c.realmId)
      .where('record_kind', '=', 'invoice')
      .where('record_key', '=', invoiceLink.record_key)
      .execute();
    const again = await buildPlan({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, qbo: deps.client }, c.realmId);
    const doc = row(again, `invoices:${invoice.key}`)!;
    expect(doc.action).not.toBe('adopt');
    expect(doc.issues.find((i) => i.code === 'qbo.linked-to-another')?.message).toContain('invoice INV-MOVED');
  }, 120_000);
});
