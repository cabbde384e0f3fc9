/**
 * The accountant's edits survive (issue 19): an update sends only the fields the practice changed
 * since the last sync, compared three ways (what we last sent, what QBO holds now, what the practice
 * holds now). Against the emulator with the real preview and run:
 * (a) memo and due date edited in QBO, invoice text edited in the practice → only the lines go;
 * (b) the invoice date edited on both sides → held as diverged, fields side by side, nothing sent;
 * (c) a credit note our own credit application touched is updated, not held; cancelled, it is held
 *     with a warning (QBO cannot void a credit memo) and nothing is written until QBO agrees;
 * (d) a contact's email and address reach QBO (a phone edited in QBO survives);
 * (e) a change made only in QBO sends nothing;
 * and a link from before migration 0010 (no stored "last sent") is based on the journal's bodies.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { renderPlanText } from '../../src/connect/plan/render.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { sync, type SyncResult } from '../../src/connect/run/sync.js';
import { getRecord, listRecords, updateRecord } from '../../src/practice/store.js';
import { toCents } from '../../src/qbo/money.js';
import type { EntityName } from '../../src/qbo/wire-types.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { readyDemo } from './demo-setup.js';

type Row = Record<string, unknown> & { Id: string; SyncToken: string };
const records = (r: SyncResult) => r.summary.records.map((x) => `${x.status} ${x.label} ${x.message ?? ''}`).join('\n');

describe.each(dialects)('three-way updates [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);
  let deps: ReturnType<typeof syncDepsFor>;
  let edits = 0;
  beforeAll(async () => {
    const ctx = c.app.ctx;
    deps = syncDepsFor(ctx, c.realmId, { client: { limits: { intervalMs: 1000 } } });
    const from = new Date(ctx.clock().getTime() - 400 * 86_400_000).toISOString().slice(0, 10);
    await readyDemo(ctx, deps.client, c.realmId, { size: 'medium', direction: 'export', exportFrom: from });
    const first = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(first.status, first.message ?? '').toBe('succeeded');
  }, 240_000);

  const read = async (entity: EntityName, id: string) => (await deps.client.read(entity, id)) as Row;
  /** An edit made by the accountant in QBO, through its API. */
  const accountant = async (entity: EntityName, id: string, fields: Record<string, unknown>) => {
    const now = await read(entity, id);
    return (await deps.client.sparseUpdate(entity, { Id: id, SyncToken: now.SyncToken, ...fields } as never, { requestId: `accountant-${++edits}` })) as Row;
  };
  const links = async (kind: string) =>
    c.app.ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).where('record_kind', '=', kind).where('state', '=', 'linked').execute();
  /** Synced invoices no payment or credit of the demo touches, so each test has its own. */
  const quietInvoices = async () => {
    const ctx = c.app.ctx;
    const touched = new Set([
      ...(await listRecords(ctx.db, 'default', 'payment', { limit: 5000 })).items.flatMap((p) => p.record.allocations.map((a) => a.invoiceNumber)),
      ...(await listRecords(ctx.db, 'default', 'credit-note', { limit: 5000 })).items.map((n) => n.record.invoiceNumber ?? ''),
    ]);
    return (await links('invoice')).filter((l) => !touched.has(l.record_key));
  };
  const sentBodies = async (runId: string, key: string) =>
    (await c.app.ctx.db.selectFrom('journal').select(['body', 'status']).where('run_id', '=', runId).where('record_key', '=', key).execute()).map((j) => ({
      ...j,
      body: JSON.parse(j.body) as Record<string, unknown>,
    }));
  const editText = async (key: string, suffix: string) => {
    const ctx = c.app.ctx;
    const inv = (await getRecord(ctx.db, 'default', 'invoice', key))!;
    await updateRecord(ctx.db, 'default', 'invoice', key, { ...inv.record, text: `${inv.record.text ?? 'Fees'} ${suffix}` }, ctx.clock());
  };

  it('(a) sends only the invoice text when the accountant edited the memo and due date in QBO; both survive', async () => {
    const [target] = await quietInvoices();
    expect(target).toBeDefined();
    const before = await read('Invoice', target!.qbo_id);
    await accountant('Invoice', target!.qbo_id, { CustomerMemo: { value: 'Thanks — pay by EFT please' }, DueDate: '2031-01-31' });
    await editText(target!.record_key, '(revised a)');

    const plan = await deps.buildPlan(c.realmId);
    const row = plan.groups.flatMap((g) => g.rows).find((r) => r.key === `invoices:${target!.record_key}`)!;
    expect(row.action).toBe('update');
    expect(row.fields?.send).toEqual(['Line']);
    expect(Object.keys(row.payload!).sort()).toEqual(
      ['Id', 'Line', 'SyncToken', 'TxnTaxDetail', 'sparse'].filter((k) => k !== 'TxnTaxDetail' || 'TxnTaxDetail' in row.payload!).sort(),
    );

    const r = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(
      r.summary.records.find((x) => x.recordKey === target!.record_key),
      records(r),
    ).toMatchObject({ status: 'done', action: 'update' });
    const [sent] = await sentBodies(r.runId, target!.record_key);
    expect(sent!.body).not.toHaveProperty('CustomerMemo');
    expect(sent!.body).not.toHaveProperty('DueDate');
    expect(sent!.body).not.toHaveProperty('PrivateNote');
    const after = await read('Invoice', target!.qbo_id);
    expect(after['CustomerMemo']).toMatchObject({ value: 'Thanks — pay by EFT please' });
    expect(after['DueDate']).toBe('2031-01-31');
    expect(JSON.stringify(after['Line'])).toContain('(revised a)');
    expect(after['TxnDate']).toBe(before['TxnDate']);
    expect(after['TotalAmt']).toBe(before['TotalAmt']);
    // The next sync has nothing to send for it.
    const again = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(again.summary.records.filter((x) => x.recordKey === target!.record_key)).toEqual([]);
  }, 60_000);

  it('(b) holds an invoice whose date both sides changed, each field side by side, and sends nothing', async () => {
    const [, target] = await quietInvoices();
    const ctx = c.app.ctx;
    const before = await read('Invoice', target!.qbo_id);
    const daysBefore = (n: number) => new Date(Date.parse(`${String(before['TxnDate'])}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
    const qboDate = daysBefore(2);
    const practiceDate = daysBefore(1);
    const edited = await accountant('Invoice', target!.qbo_id, { TxnDate: qboDate });
    const inv = (await getRecord(ctx.db, 'default', 'invoice', target!.record_key))!;
    await updateRecord(ctx.db, 'default', 'invoice', inv.key, { ...inv.record, date: practiceDate, text: `${inv.record.text ?? 'Fees'} (ours b)` }, ctx.clock());

    const plan = await deps.buildPlan(c.realmId);
    const row = plan.groups.flatMap((g) => g.rows).find((r) => r.key === `invoices:${target!.record_key}`)!;
    expect(row.fields?.conflicts).toEqual([{ field: 'TxnDate', lastSent: before['TxnDate'], qboNow: qboDate, practiceNow: practiceDate }]);
    const warning = row.issues.find((i) => i.code === 'invoice.diverged')!;
    expect(warning.message).toContain(`TxnDate: last sent "${String(before['TxnDate'])}", QBO now "${qboDate}", practice now "${practiceDate}"`);
    const text = renderPlanText(plan);
    expect(text).toContain(`QBO now "${qboDate}"`);
    const table = text.slice(text.indexOf('Held as diverged'));
    expect(table).toContain('Last sent');
    const line = table.split('\n').find((l) => l.trim().startsWith('TxnDate'))!;
    expect(line.trim().split(/\s+/)).toEqual(['TxnDate', String(before['TxnDate']), qboDate, practiceDate]);

    const r = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    const held = r.summary.records.find((x) => x.recordKey === target!.record_key)!;
    expect(held, records(r)).toMatchObject({ status: 'held', code: 'run.diverged' });
    expect(held.message).toContain('practice now');
    expect(await sentBodies(r.runId, target!.record_key)).toEqual([]);
    const after = await read('Invoice', target!.qbo_id);
    expect(after.SyncToken).toBe(edited.SyncToken);
    expect(after['TxnDate']).toBe(qboDate);
    expect(JSON.stringify(after['Line'])).not.toContain('(ours b)');
    expect(
      (
        await c.app.ctx.db
          .selectFrom('links')
          .select('state')
          .where('realm_id', '=', c.realmId)
          .where('record_kind', '=', 'invoice')
          .where('record_key', '=', target!.record_key)
          .executeTakeFirstOrThrow()
      ).state,
    ).toBe('diverged');

    // The person makes the practice agree with QBO's date: the text goes, the link is whole again.
    await updateRecord(ctx.db, 'default', 'invoice', inv.key, { ...inv.record, date: qboDate, text: `${inv.record.text ?? 'Fees'} (ours b)` }, ctx.clock());
    const next = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(
      next.summary.records.find((x) => x.recordKey === target!.record_key),
      records(next),
    ).toMatchObject({ status: 'done', action: 'update' });
    expect(JSON.stringify((await read('Invoice', target!.qbo_id))['Line'])).toContain('(ours b)');
    expect(
      (
        await c.app.ctx.db
          .selectFrom('links')
          .select('state')
          .where('realm_id', '=', c.realmId)
          .where('record_kind', '=', 'invoice')
          .where('record_key', '=', target!.record_key)
          .executeTakeFirstOrThrow()
      ).state,
    ).toBe('linked');
  }, 60_000);

  it('(c) updates a credit note after our own credit application moved its SyncToken and balance', async () => {
    const ctx = c.app.ctx;
    const applied = await links('credit-application');
    expect(applied.length).toBeGreaterThan(0);
    const creditLinks = new Map((await links('credit-note')).map((l) => [l.record_key, l]));
    const link = applied.map((a) => creditLinks.get(a.record_key)).find((l) => l !== undefined)!;
    const now = await read('CreditMemo', link.qbo_id);
    // Our application moved it in QBO: another SyncToken, a lower balance.
    expect(now.SyncToken).not.toBe(link.sync_token);
    expect(Number(now['Balance'])).toBeLessThan(Number(now['TotalAmt']));
    const cn = (await getRecord(ctx.db, 'default', 'credit-note', link.record_key))!;
    await updateRecord(ctx.db, 'default', 'credit-note', cn.key, { ...cn.record, text: `${cn.record.text ?? 'Credit'} (revised c)` }, ctx.clock());

    const plan = await deps.buildPlan(c.realmId);
    const row = plan.groups.flatMap((g) => g.rows).find((r) => r.key === `credit-notes:${cn.key}`)!;
    expect(row.issues).toEqual([]);
    expect(row.fields?.conflicts).toEqual([]);
    const r = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(
      r.summary.records.find((x) => x.recordKey === cn.key && x.recordKind === 'credit-note'),
      records(r),
    ).toMatchObject({ status: 'done', action: 'update' });
    const after = await read('CreditMemo', link.qbo_id);
    expect(JSON.stringify(after['Line'])).toContain('(revised c)');
    expect(after['Balance']).toBe(now['Balance']);
  }, 60_000);

  it('(c) a cancelled credit note our own credit application touched is held, not voided: QBO cannot void a credit memo', async () => {
    const ctx = c.app.ctx;
    const creditLinks = new Map((await links('credit-note')).map((l) => [l.record_key, l]));
    const applied = (await links('credit-application')).map((a) => creditLinks.get(a.record_key)).filter((l) => l !== undefined);
    // Not the one the test above updated.
    const link = applied.find((l) => l.sync_token !== undefined && !l.sent_fields?.includes('(revised c)'))!;
    expect(link).toBeDefined();
    const now = await read('CreditMemo', link.qbo_id);
    expect(now.SyncToken).not.toBe(link.sync_token);
    const cn = (await getRecord(ctx.db, 'default', 'credit-note', link.record_key))!;
    await updateRecord(ctx.db, 'default', 'credit-note', cn.key, { ...cn.record, state: 'cancelled' }, ctx.clock());

    // The preview says what will happen before the sync does it: nothing, and what to do in QuickBooks.
    const plan = await deps.buildPlan(c.realmId);
    const row = plan.groups.flatMap((g) => g.rows).find((r) => r.key === `credit-notes:${cn.key}`)!;
    expect(row, renderPlanText(plan)).toMatchObject({ action: 'none', payload: null, qbo: { entity: 'CreditMemo', id: link.qbo_id } });
    expect(row.issues).toHaveLength(1);
    const held = row.issues[0]!;
    expect(held).toMatchObject({ code: 'credit-note.cannot-void', severity: 'warning' });
    expect(held.message).toContain(cn.key);
    expect(held.message).toContain('QuickBooks cannot void a credit memo');
    expect(held.message).toContain(`QBO credit memo ${link.qbo_id} still gives the customer $${Number(now['TotalAmt']).toFixed(2)} of credit`);
    expect(held.message).toContain(`$${(Number(now['TotalAmt']) - Number(now['Balance'])).toFixed(2)} of it applied`);
    expect(held.message).toMatch(/delete the credit memo .*or set its amount to zero/);
    expect(renderPlanText(plan)).toContain('QuickBooks cannot void a credit memo');

    const r = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(r.status, records(r)).toBe('succeeded');
    expect(r.summary.records.find((x) => x.recordKey === cn.key && x.recordKind === 'credit-note')).toBeUndefined();
    expect(r.summary.voided).toBe(0);
    expect(await read('CreditMemo', link.qbo_id)).toEqual(now);

    // The bookkeeper does what the warning says: takes the credit off our application payment (here:
    // deletes that payment), then deletes the credit memo. QBO now agrees; nothing is left to show.
    const application = (await links('credit-application')).find((a) => a.record_key === cn.key)!;
    expect(application).toBeDefined();
    const pay = await read('Payment', application.qbo_id);
    await deps.client.delete('Payment', { Id: pay.Id, SyncToken: pay.SyncToken }, { requestId: `accountant-${++edits}` });
    const memo = await read('CreditMemo', link.qbo_id);
    await deps.client.delete('CreditMemo', { Id: memo.Id, SyncToken: memo.SyncToken }, { requestId: `accountant-${++edits}` });
    const after = await deps.buildPlan(c.realmId);
    expect(
      after.groups.flatMap((g) => g.rows).find((x) => x.key === `credit-notes:${cn.key}`),
      renderPlanText(after),
    ).toBeUndefined();
  }, 60_000);

  it("(d) a contact's new email and address reach QBO; a phone the accountant changed there survives", async () => {
    const ctx = c.app.ctx;
    const [link] = await links('contact');
    const before = await read('Customer', link!.qbo_id);
    await accountant('Customer', link!.qbo_id, { PrimaryPhone: { FreeFormNumber: '+61 2 5550 0199' } });
    const contact = (await getRecord(ctx.db, 'default', 'contact', link!.record_key))!;
    await updateRecord(
      ctx.db,
      'default',
      'contact',
      contact.key,
      { ...contact.record, email: 'accounts-new@example.com', postalAddress: 'PO Box 42, Newtown NSW 2042', streetAddress: null },
      ctx.clock(),
    );

    const plan = await deps.buildPlan(c.realmId);
    const row = plan.groups.flatMap((g) => g.rows).find((r) => r.key === `customers:${contact.key}`)!;
    expect(row, renderPlanText(plan)).toMatchObject({ action: 'update', qbo: { entity: 'Customer', id: link!.qbo_id } });
    expect(row.fields?.send.sort()).toEqual(['BillAddr', 'PrimaryEmailAddr']);
    const r = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(
      r.summary.records.find((x) => x.recordKey === contact.key && x.recordKind === 'contact'),
      records(r),
    ).toMatchObject({ status: 'done', action: 'update' });
    const after = await read('Customer', link!.qbo_id);
    expect(after['PrimaryEmailAddr']).toMatchObject({ Address: 'accounts-new@example.com' });
    expect(after['BillAddr']).toMatchObject({ Line1: 'PO Box 42, Newtown NSW 2042' });
    expect(after['PrimaryPhone']).toMatchObject({ FreeFormNumber: '+61 2 5550 0199' });
    expect(after['DisplayName']).toBe(before['DisplayName']);
    // Nothing left to send for it.
    const again = await deps.buildPlan(c.realmId);
    expect(again.groups.flatMap((g) => g.rows).find((x) => x.key === `customers:${contact.key}`)).toBeUndefined();
  }, 60_000);

  it('(e) a change made only in QBO sends nothing, also when the practice record is saved unchanged', async () => {
    const ctx = c.app.ctx;
    const [, , target] = await quietInvoices();
    await accountant('Invoice', target!.qbo_id, { CustomerMemo: { value: 'Accountant only' }, PrivateNote: 'checked by the accountant' });
    const edited = await read('Invoice', target!.qbo_id);
    // A new version in the practice whose QBO fields are all as last sent.
    const inv = (await getRecord(ctx.db, 'default', 'invoice', target!.record_key))!;
    await updateRecord(ctx.db, 'default', 'invoice', inv.key, { ...inv.record, clientReference: `${inv.record.clientReference ?? 'PO'}-2` }, ctx.clock());
    const r = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(
      r.summary.records.filter((x) => x.recordKey === target!.record_key),
      records(r),
    ).toEqual([]);
    const after = await read('Invoice', target!.qbo_id);
    expect(after.SyncToken).toBe(edited.SyncToken);
    expect(after['CustomerMemo']).toMatchObject({ value: 'Accountant only' });
  }, 60_000);

  it('(f) a rename to a name another QBO customer holds is an error, not a rename dropped in silence; a free name then reaches QBO', async () => {
    const ctx = c.app.ctx;
    const customers = (await links('contact')).filter((l) => l.qbo_entity === 'Customer');
    const [mine, other] = customers;
    const taken = String((await read('Customer', other!.qbo_id))['DisplayName']);
    const contact = (await getRecord(ctx.db, 'default', 'contact', mine!.record_key))!;
    await updateRecord(ctx.db, 'default', 'contact', contact.key, { ...contact.record, name: taken }, ctx.clock());

    const plan = await deps.buildPlan(c.realmId);
    const row = plan.groups.flatMap((g) => g.rows).find((r) => r.key === `customers:${contact.key}`)!;
    expect(
      row.issues.find((i) => i.code === 'contact.name-used-by-customer'),
      renderPlanText(plan),
    ).toMatchObject({ severity: 'error' });
    const before = await read('Customer', mine!.qbo_id);
    const refused = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(refused.status).not.toBe('succeeded');
    expect((await read('Customer', mine!.qbo_id))['SyncToken']).toBe(before['SyncToken']);

    // Renamed again to a free name: the next sync sends the name.
    const free = `${String(contact.record.name)} (renamed)`.slice(0, 100);
    await updateRecord(ctx.db, 'default', 'contact', contact.key, { ...contact.record, name: free }, ctx.clock());
    const r = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(
      r.summary.records.find((x) => x.recordKey === contact.key && x.recordKind === 'contact'),
      records(r),
    ).toMatchObject({ status: 'done', action: 'update' });
    expect((await read('Customer', mine!.qbo_id))['DisplayName']).toBe(free);
  }, 60_000);

  it("a bill's line change goes with the vendor QBO holds (QBO refuses a sparse Line without VendorRef)", async () => {
    const ctx = c.app.ctx;
    const [link] = await links('bill');
    const qboBefore = await read('Bill', link!.qbo_id);
    const bill = (await getRecord(ctx.db, 'default', 'bill', link!.record_key))!;
    // 10.00 more on the first line (GST 10 % where it carries tax), the totals with it.
    const extraTax = bill.record.lines[0]!.taxCents > 0 ? 100 : 0;
    const lines = bill.record.lines.map((l, i) => (i === 0 ? { ...l, amountCents: l.amountCents + 1000, taxCents: l.taxCents + extraTax } : l));
    await updateRecord(
      ctx.db,
      'default',
      'bill',
      bill.key,
      { ...bill.record, lines, taxCents: bill.record.taxCents + extraTax, totalCents: bill.record.totalCents + 1000 + extraTax },
      ctx.clock(),
    );
    const r = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(
      r.summary.records.find((x) => x.recordKey === bill.key && x.recordKind === 'bill'),
      records(r),
    ).toMatchObject({ status: 'done', action: 'update' });
    const [sent] = await sentBodies(r.runId, bill.key);
    expect(
      Object.keys(sent!.body)
        .filter((k) => !['Id', 'SyncToken', 'sparse', 'TxnTaxDetail'].includes(k))
        .sort(),
    ).toEqual(['Line', 'VendorRef']);
    expect(sent!.body['VendorRef']).toEqual({ value: (qboBefore['VendorRef'] as { value: string }).value });
    expect(toCents((await read('Bill', link!.qbo_id))['TotalAmt'] as number)).toBe(toCents(qboBefore['TotalAmt'] as number) + 1000 + extraTax);
  }, 60_000);

  it('bases a link from before migration 0010 on the journal: the memo edited in QBO still survives', async () => {
    const ctx = c.app.ctx;
    const [, , , target] = await quietInvoices();
    await ctx.db
      .updateTable('links')
      .set({ sent_fields: null })
      .where('realm_id', '=', c.realmId)
      .where('record_kind', '=', 'invoice')
      .where('record_key', '=', target!.record_key)
      .execute();
    await accountant('Invoice', target!.qbo_id, { CustomerMemo: { value: 'Legacy memo' } });
    await editText(target!.record_key, '(revised legacy)');
    const r = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(
      r.summary.records.find((x) => x.recordKey === target!.record_key),
      records(r),
    ).toMatchObject({ status: 'done', action: 'update' });
    const after = await read('Invoice', target!.qbo_id);
    expect(after['CustomerMemo']).toMatchObject({ value: 'Legacy memo' });
    expect(JSON.stringify(after['Line'])).toContain('(revised legacy)');
    const link = await ctx.db
      .selectFrom('links')
      .select('sent_fields')
      .where('realm_id', '=', c.realmId)
      .where('record_kind', '=', 'invoice')
      .where('record_key', '=', target!.record_key)
      .executeTakeFirstOrThrow();
    expect(link.sent_fields).not.toBeNull();
  }, 60_000);
});
