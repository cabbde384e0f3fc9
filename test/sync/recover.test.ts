/**
 * Recovery on its own (the preview's own DocNumber check is a second net in a full sync, so here
 * journal rows are written by hand): a write QBO holds is found by its marker and adopted; one QBO
 * never got is marked for resending with a new requestid; two matches or a different total are held
 * for a person, and the sync then leaves that record alone; an update is settled by re-reading.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { qboClientFor } from '../../src/connect/connection/qbo-client.js';
import { noCrash } from '../../src/connect/run/crash-point.js';
import { Drain } from '../../src/connect/run/drain.js';
import type { RunDeps } from '../../src/connect/run/context.js';
import { journalWrites, type JournalEntry } from '../../src/connect/run/journal.js';
import { resolveByPerson, settleWrites } from '../../src/connect/run/recover.js';
import { requestIdFor } from '../../src/connect/run/request-id.js';
import { sync } from '../../src/connect/run/sync.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { companyIds, handPlanner, row, type CompanyIds } from './hand-plan.js';

describe.each(dialects)('recovery of unresolved writes against the emulator (requestid memory off) [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect, { requestIdMemory: 0 });
  let ids: CompanyIds;
  let deps: RunDeps;
  let customer: string;
  let n = 0;

  const invoiceBody = (no: string, amount = 100) => ({
    DocNumber: no,
    TxnDate: '2026-11-02',
    CustomerRef: { value: customer },
    PrivateNote: `qbo-connect:invoice:${no}`,
    Line: [{ DetailType: 'SalesItemLineDetail', Amount: amount, SalesItemLineDetail: { ItemRef: { value: ids.item }, Qty: 1, UnitPrice: amount, TaxCodeRef: { value: ids.gst } } }],
  });
  const entry = (no: string, body: Record<string, unknown>, extra: Partial<JournalEntry> = {}): JournalEntry => ({
    realmId: c.realmId,
    runId: 'run-crashed',
    rowKey: `invoices:${no}`,
    groupKind: 'invoices',
    label: `invoice ${no}`,
    recordKind: 'invoice',
    recordKey: no,
    recordVersion: 1,
    operation: 'create',
    qboEntity: 'Invoice',
    requestId: requestIdFor({ realmId: c.realmId, recordKind: 'invoice', recordKey: no, payloadHash: `h${(n += 1)}`, operation: 'create', generation: 0 }),
    body: JSON.stringify(body),
    payloadHash: 'h',
    expectedTotalCents: 11000,
    baseSyncToken: null,
    batchRequestId: null,
    ...extra,
  });
  const runRow = async (id: string) =>
    c.app.ctx.db
      .insertInto('runs')
      .values({
        id,
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

  beforeAll(async () => {
    const client = qboClientFor(c.app.ctx, c.realmId);
    ids = await companyIds(client);
    // The journal rows here are written by hand for writes that are not in flight at QBO: no
    // processing window to wait out (the window has its own test below).
    deps = { db: c.app.ctx.db, clock: c.app.ctx.clock, logger: c.app.ctx.logger, client, crash: noCrash, processingWindowMs: 0 };
    customer = (await client.create('Customer', { DisplayName: 'Recovery Client' }, { requestId: 'test-customer-1' })).Id;
    await runRow('run-crashed');
    await runRow('run-recover');
  });

  it('adopts the one match, marks the missing one for resending, holds several and a mismatch', async () => {
    const client = deps.client;
    // QBO holds INV-R1 (the answer was lost), INV-R3 twice, INV-R4 with another total; INV-R2 never arrived.
    const r1 = await client.create('Invoice', invoiceBody('INV-R1'), { requestId: 'test-r1' });
    await client.create('Invoice', invoiceBody('INV-R3'), { requestId: 'test-r3a' });
    await client.create('Invoice', { ...invoiceBody('INV-R3'), DocNumber: 'INV-R3b' }, { requestId: 'test-r3b' });
    await client.create('Invoice', invoiceBody('INV-R4', 90), { requestId: 'test-r4' });
    const named = await client.create('Customer', { DisplayName: 'Lost Answer Pty Ltd' }, { requestId: 'test-customer-2' });
    await journalWrites(
      c.app.ctx.db,
      [
        entry('INV-R1', invoiceBody('INV-R1')),
        entry('INV-R2', invoiceBody('INV-R2')),
        entry('INV-R3', invoiceBody('INV-R3')),
        entry('INV-R4', invoiceBody('INV-R4')),
        entry(
          'C-LOST',
          { DisplayName: 'Lost Answer Pty Ltd' },
          { rowKey: 'customers:C-LOST', groupKind: 'customers', recordKind: 'contact', qboEntity: 'Customer', expectedTotalCents: null },
        ),
      ],
      c.app.ctx.clock(),
    );

    const s = await settleWrites(deps, c.realmId, 'run-recover');
    expect(s).toMatchObject({ found: 5, adopted: 2, notSent: 1, held: 2, unknown: 0 });
    const links = await c.app.ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).execute();
    expect(links.map((l) => [l.record_key, l.qbo_id]).sort()).toEqual([
      ['C-LOST', named.Id],
      ['INV-R1', r1.Id],
    ]);
    const journal = await c.app.ctx.db.selectFrom('journal').selectAll().orderBy('id').execute();
    const byKey = Object.fromEntries(journal.map((j) => [j.record_key, j]));
    expect(byKey['INV-R2']).toMatchObject({ status: 'failed', outcome_code: 'run.not-in-qbo' });
    expect(byKey['INV-R3']).toMatchObject({ status: 'held', outcome_code: 'run.lookup-several' });
    expect(byKey['INV-R3']!.outcome_message).toContain('invoice INV-R3');
    expect(byKey['INV-R4']).toMatchObject({ status: 'held', outcome_code: 'run.lookup-mismatch' });
    expect(byKey['INV-R4']!.outcome_message).toContain('TotalAmt is 99.00 where this sync sent 110.00');
    const history = await c.app.ctx.db.selectFrom('run_records').selectAll().where('run_id', '=', 'run-recover').execute();
    expect(history.find((h) => h.record_key === 'INV-R1')).toMatchObject({ status: 'done', code: 'run.recovered', qbo_id: r1.Id });

    // A sync now sends INV-R2 again (new requestid), and leaves the held ones alone.
    const plan = handPlanner(c.app.ctx.db, () =>
      ['INV-R1', 'INV-R2', 'INV-R3', 'INV-R4'].map((no) => row('invoices', 'invoice', no, 'Invoice', invoiceBody(no), { practiceTotalCents: 11000, qboTotalCents: 11000 })),
    );
    const before = ((c.emu.control.dump(c.realmId) as { entities: Record<string, unknown[]> }).entities['Invoice'] ?? []).length;
    const result = await sync({ ...deps, buildPlan: plan }, { realmId: c.realmId, actor: 'test' });
    expect(result.summary).toMatchObject({ created: 1, held: 2 });
    expect(result.summary.records.filter((r) => r.status === 'held').map((r) => r.code)).toEqual(['run.held-earlier', 'run.held-earlier']);
    const after = (c.emu.control.dump(c.realmId) as { entities: Record<string, Array<{ DocNumber?: string }>> }).entities['Invoice'] ?? [];
    expect(after.length).toBe(before + 1);
    expect(after.filter((i) => i.DocNumber === 'INV-R2')).toHaveLength(1);
    const resent = (await c.app.ctx.db.selectFrom('journal').selectAll().where('record_key', '=', 'INV-R2').orderBy('id').execute()).map((j) => j.request_id);
    expect(resent).toHaveLength(2);
    expect(resent[0]).not.toBe(resent[1]);
  });

  it('finds a write older than change data capture reaches by its document number', async () => {
    const client = deps.client;
    const found = await client.create('Invoice', invoiceBody('INV-OLD1'), { requestId: 'test-old1' });
    await journalWrites(
      c.app.ctx.db,
      [entry('INV-OLD1', invoiceBody('INV-OLD1')), entry('INV-OLD2', invoiceBody('INV-OLD2'))],
      new Date(c.app.ctx.clock().getTime() - 40 * 86_400_000),
    );
    const s = await settleWrites(deps, c.realmId, 'run-recover');
    expect(s).toMatchObject({ found: 2, adopted: 1, notSent: 1, unknown: 0 });
    const link = await c.app.ctx.db.selectFrom('links').selectAll().where('record_key', '=', 'INV-OLD1').executeTakeFirstOrThrow();
    expect(link.qbo_id).toBe(found.Id);
  });

  it('a write QBO cannot check holds only its own record, named with its journal id; a person resolves it', async () => {
    const [unk] = await journalWrites(c.app.ctx.db, [entry('INV-UNK', invoiceBody('INV-UNK'))], c.app.ctx.clock());
    // Every look-up of invoices fails (the change feed and the query); writes still go through.
    const failing = (): AsyncIterable<never> => ({
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('QuickBooks answered 503 three times')) }),
    });
    const blind = {
      ...deps.client,
      cdc: () => Promise.reject(new Error('QuickBooks answered 503 three times')),
      query: ((entity: string, build?: never) => (entity === 'Invoice' ? failing() : deps.client.query(entity as never, build))) as typeof deps.client.query,
    };
    const plan = handPlanner(c.app.ctx.db, () =>
      ['INV-UNK', 'INV-OK'].map((no) => row('invoices', 'invoice', no, 'Invoice', invoiceBody(no), { practiceTotalCents: 11000, qboTotalCents: 11000 })),
    );
    const r = await sync({ ...deps, client: blind, buildPlan: plan }, { realmId: c.realmId, actor: 'test' });
    // The rest of the company is synced; the unchecked write's record is held, once, and named.
    expect(r.summary).toMatchObject({ created: 1, held: 1, failed: 0, processed: 2 });
    const held = r.summary.records.filter((x) => x.status === 'held');
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ recordKey: 'INV-UNK', code: 'run.unsettled' });
    expect(held[0]!.message).toContain(`invoice INV-UNK: an earlier write of it (journal ${unk}) may or may not be in QuickBooks`);
    expect(held[0]!.message).toContain(`qbo-connect recover --resolve ${unk} not-sent`);
    expect((await c.app.ctx.db.selectFrom('journal').select('status').where('id', '=', unk!).executeTakeFirstOrThrow()).status).toBe('pending');
    const invoices = () =>
      ((c.emu.control.dump(c.realmId) as { entities: Record<string, Array<{ DocNumber?: string }>> }).entities['Invoice'] ?? []).filter((i) => i.DocNumber === 'INV-UNK');
    expect(invoices()).toHaveLength(0);

    // A person checked QuickBooks: it is not there. The next sync (QBO still blind) sends it, once.
    await expect(resolveByPerson(deps, c.realmId, 'run-recover', { journalId: 999_999, verdict: 'not-sent', actor: 'test' })).rejects.toThrow('There is no write 999999');
    await resolveByPerson(deps, c.realmId, 'run-recover', { journalId: unk!, verdict: 'not-sent', actor: 'alice@example.com' });
    await expect(resolveByPerson(deps, c.realmId, 'run-recover', { journalId: unk!, verdict: 'not-sent', actor: 'test' })).rejects.toThrow('already settled');
    const again = await sync({ ...deps, client: blind, buildPlan: plan }, { realmId: c.realmId, actor: 'test' });
    expect(again.summary).toMatchObject({ created: 1, held: 0, processed: 1 });
    expect(invoices()).toHaveLength(1);
  });

  it('a person links a write they found in QuickBooks; a wrong Id is refused', async () => {
    const inv = await deps.client.create('Invoice', invoiceBody('INV-P1'), { requestId: 'test-p1' });
    const [j] = await journalWrites(c.app.ctx.db, [entry('INV-P1', invoiceBody('INV-P1'))], c.app.ctx.clock());
    await expect(resolveByPerson(deps, c.realmId, 'run-recover', { journalId: j!, verdict: 'sent', actor: 'test' })).rejects.toThrow('--qbo-id');
    await expect(resolveByPerson(deps, c.realmId, 'run-recover', { journalId: j!, verdict: 'sent', qboId: '987654', actor: 'test' })).rejects.toThrow(
      'QuickBooks has no Invoice 987654',
    );
    // A bug while reading is not "QuickBooks has no …" (qbo/reasons.ts isQboFailure): it stays a bug, with its stack.
    const buggy = { ...deps, client: { ...deps.client, read: () => Promise.reject(new TypeError('a bug, not QuickBooks')) } };
    await expect(resolveByPerson(buggy, c.realmId, 'run-recover', { journalId: j!, verdict: 'sent', qboId: '987654', actor: 'test' })).rejects.toBeInstanceOf(TypeError);
    await resolveByPerson(deps, c.realmId, 'run-recover', { journalId: j!, verdict: 'sent', qboId: inv.Id, actor: 'test' });
    const link = await c.app.ctx.db.selectFrom('links').selectAll().where('record_key', '=', 'INV-P1').executeTakeFirstOrThrow();
    expect(link.qbo_id).toBe(inv.Id);
  });

  it('a create not found yet is looked up again only after QBO processing window, then adopted', async () => {
    // It lands at QBO only after the first look-up (a slow QBO still storing it).
    const [j] = await journalWrites(c.app.ctx.db, [entry('INV-SLOW', invoiceBody('INV-SLOW'))], c.app.ctx.clock());
    const waits: number[] = [];
    let landed = '';
    const sleep = async (ms: number) => {
      waits.push(ms);
      landed = (await deps.client.create('Invoice', invoiceBody('INV-SLOW'), { requestId: 'test-slow' })).Id;
    };
    const s = await settleWrites({ ...deps, processingWindowMs: 60_000, sleep }, c.realmId, 'run-recover', undefined, { sentBefore: c.app.ctx.clock(), context: 'in-run' });
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan(59_000);
    expect(s).toMatchObject({ adopted: 1, notSent: 0 });
    const journal = await c.app.ctx.db.selectFrom('journal').selectAll().where('id', '=', j!).executeTakeFirstOrThrow();
    expect(journal).toMatchObject({ status: 'resolved', qbo_id: landed });
    const told = await c.app.ctx.db.selectFrom('run_records').selectAll().where('run_id', '=', 'run-recover').where('record_key', '=', 'INV-SLOW').executeTakeFirstOrThrow();
    expect(told.message).toContain('waited until QuickBooks could no longer be saving it');
  });

  it('settles an update by re-reading: replays it when QBO does not have it, records it when QBO does', async () => {
    const client = deps.client;
    const inv = await client.create('Invoice', invoiceBody('INV-U1'), { requestId: 'test-u1' });
    const body = { Id: inv.Id, SyncToken: inv.SyncToken, sparse: true, CustomerMemo: { value: 'Thanks' } };
    const upd = (no: string): Partial<JournalEntry> => ({ operation: 'update', baseSyncToken: inv.SyncToken, expectedTotalCents: null, rowKey: `invoices:${no}`, recordKey: no });
    await journalWrites(c.app.ctx.db, [entry('INV-U1', body, upd('INV-U1'))], c.app.ctx.clock());
    const s = await settleWrites(deps, c.realmId, 'run-recover');
    expect(s).toMatchObject({ settled: 1 });
    const now = await client.read('Invoice', inv.Id);
    expect(now.SyncToken).toBe(String(Number(inv.SyncToken) + 1));
    expect((now as { CustomerMemo?: { value: string } }).CustomerMemo?.value).toBe('Thanks');
    const link = await c.app.ctx.db.selectFrom('links').selectAll().where('record_key', '=', 'INV-U1').executeTakeFirstOrThrow();
    expect(link.sync_token).toBe(now.SyncToken);
    // Settling again finds nothing left to do, and QBO is not written again.
    expect(await settleWrites(deps, c.realmId, 'run-recover')).toMatchObject({ found: 0 });
    expect((await client.read('Invoice', inv.Id)).SyncToken).toBe(now.SyncToken);
  });

  it('a shutdown (SIGTERM) during the processing-window wait closes the sync interrupted at once, with a finish time', async () => {
    await journalWrites(c.app.ctx.db, [entry('INV-STOP', invoiceBody('INV-STOP'))], c.app.ctx.clock());
    const drain = new Drain();
    const waits: number[] = [];
    // The wait would outlast any shutdown timeout: it ends only by the drain.
    const sleep = (ms: number) => {
      waits.push(ms);
      drain.begin('SIGTERM', c.app.ctx.clock());
      return new Promise<void>(() => {});
    };
    const plan = handPlanner(c.app.ctx.db, () => []);
    const r = await sync({ ...deps, processingWindowMs: 60_000, sleep, drain, buildPlan: plan }, { realmId: c.realmId, actor: 'test' });
    expect(waits).toHaveLength(1);
    expect(r.status).toBe('interrupted');
    expect(r.message).toContain('SIGTERM');
    expect(r.summary.finishedAt).not.toBeNull();
    // The write stays pending for the next sync's recovery.
    expect((await c.app.ctx.db.selectFrom('journal').select('status').where('record_key', '=', 'INV-STOP').executeTakeFirstOrThrow()).status).toBe('pending');
  });
});
