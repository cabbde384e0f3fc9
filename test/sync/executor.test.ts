/**
 * The sync over HTTP against the emulator, on hand-made plans: every record once, totals to the cent,
 * a second sync sends nothing, history, and the lock.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { qboClientFor } from '../../src/connect/connection/qbo-client.js';
import { noCrash } from '../../src/connect/run/crash-point.js';
import { getRun, listRuns } from '../../src/connect/run/history.js';
import { sync, type SyncDeps } from '../../src/connect/run/sync.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { companyIds, handPlanner, smallPractice, type CompanyIds } from './hand-plan.js';
import { testDate } from '../helpers/test-time.js';

interface Dump {
  entities: Record<string, Array<Record<string, unknown>>>;
}

describe.each(dialects)('sync on a hand-made plan [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);
  let ids: CompanyIds;
  let deps: SyncDeps;

  beforeAll(async () => {
    const client = qboClientFor(c.app.ctx, c.realmId);
    ids = await companyIds(client);
    deps = { db: c.app.ctx.db, clock: c.app.ctx.clock, logger: c.app.ctx.logger, client, crash: noCrash, buildPlan: handPlanner(c.app.ctx.db, () => smallPractice(ids, 3)) };
  });

  it('writes every record once, in group order, with totals equal to the cent; then a second sync sends nothing', async () => {
    const progress: Array<{ done: number; total: number; group: string }> = [];
    const first = await sync(deps, { realmId: c.realmId, actor: 'test', onProgress: (p) => progress.push(p) });
    expect(first.status, first.message ?? '').toBe('succeeded');
    expect(first.summary).toMatchObject({ created: 24, failed: 0, held: 0 });
    expect(progress.at(-1)).toMatchObject({ done: 24, total: 24 });

    const dump = c.emu.control.dump(c.realmId) as Dump;
    const docs = (e: string) => dump.entities[e] ?? [];
    expect(docs('Customer')).toHaveLength(3);
    expect(docs('Vendor')).toHaveLength(6);
    expect(
      docs('Invoice')
        .map((i) => i['DocNumber'])
        .sort(),
    ).toEqual(['AINV-1', 'AINV-2', 'AINV-3']);
    expect(docs('Invoice').every((i) => i['TotalAmt'] === 165.61)).toBe(true);
    // The payment of 50 is applied to its invoice.
    expect(docs('Invoice').every((i) => i['Balance'] === 115.61)).toBe(true);
    expect(docs('Payment')).toHaveLength(3);
    expect(docs('CreditMemo').every((i) => i['TotalAmt'] === 11)).toBe(true);
    expect(docs('Bill')).toHaveLength(6);
    for (const inv of docs('Invoice')) expect(String(inv['PrivateNote'])).toContain(`qbo-connect:invoice:${String(inv['DocNumber'])}`);

    const links = await c.app.ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).execute();
    expect(links).toHaveLength(24);
    const journal = await c.app.ctx.db.selectFrom('journal').selectAll().execute();
    expect(journal.every((j) => j.status === 'resolved' && j.request_id.length <= 36)).toBe(true);

    const second = await sync(deps, { realmId: c.realmId, actor: 'test' });
    expect(second.status).toBe('succeeded');
    expect(second.summary.processed).toBe(0);
    expect((c.emu.control.dump(c.realmId) as Dump).entities['Invoice']).toHaveLength(3);
    expect(await c.app.ctx.db.selectFrom('journal').selectAll().execute()).toHaveLength(journal.length);

    const runs = await listRuns(c.app.ctx.db, { realmId: c.realmId });
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    const detail = await getRun(c.app.ctx.db, first.runId);
    expect(detail.records).toHaveLength(24);
    expect(detail.records.find((r) => r.recordKey === 'AINV-1')).toMatchObject({ action: 'create', status: 'done', qboEntity: 'Invoice' });
    expect(detail.settings).toMatchObject({ settingsHash: 'test' });
  });

  it('stops before its next write when another process took the lock over (its heartbeat was lost)', async () => {
    c.emu.control.armFaults({ latencyMs: 60 });
    const started = sync({ ...deps, lockTtlMs: 300, batchSize: 1, buildPlan: handPlanner(c.app.ctx.db, () => smallPractice(ids, 2, 'L')) }, { realmId: c.realmId, actor: 'test' });
    // Another process takes the company over, as after a lapse.
    await new Promise((r) => setTimeout(r, 150));
    await c.app.ctx.db.updateTable('sync_locks').set({ holder_id: 'elsewhere:1:x', holder: 'someone else' }).where('realm_id', '=', c.realmId).execute();
    const r = await started;
    c.emu.control.clearFaults();
    expect(r.status).toBe('interrupted');
    expect(r.message).toContain('lock was lost');
    // Every row is in its counts: the ones it did not reach are recorded as not sent.
    expect(r.summary.processed).toBe(16);
    expect(r.summary.created).toBeLessThan(16);
    expect(r.summary.records.filter((x) => x.code === 'run.stopped').length).toBe(16 - r.summary.created - r.summary.held);
    // The other holder's lock is left alone.
    expect((await c.app.ctx.db.selectFrom('sync_locks').select('holder').where('realm_id', '=', c.realmId).executeTakeFirstOrThrow()).holder).toBe('someone else');
    await c.app.ctx.db.deleteFrom('sync_locks').where('realm_id', '=', c.realmId).execute();
    // The rest is sent by the next sync.
    const next = await sync({ ...deps, buildPlan: handPlanner(c.app.ctx.db, () => smallPractice(ids, 2, 'L')) }, { realmId: c.realmId, actor: 'test' });
    expect(
      next.status,
      next.summary.records
        .filter((x) => x.status !== 'done')
        .map((x) => x.message)
        .join('\n') + next.message,
    ).toBe('succeeded');
    // Writes answered after the lock was lost were not recorded (the fence): the next sync's recovery adopts them.
    expect(next.summary.created + r.summary.created + next.recovery.adopted).toBe(16);
  });

  it('refuses to start while the plan has errors, listing each, and sends nothing', async () => {
    const bad = smallPractice(ids, 1, 'E');
    bad[1]!.issues.push({
      code: 'invoice.number-too-long',
      severity: 'error',
      message: 'Invoice EINV-1: number is longer than 21 characters; shorten it or skip the invoice.',
      field: 'number',
    });
    bad[2]!.issues.push({ code: 'tax.unmapped', severity: 'error', message: 'Credit note ECN-1: tax code X has no QBO tax code; map it in settings.', field: 'lines[0].taxCode' });
    const before = (c.emu.control.dump(c.realmId) as Dump).entities['Customer']!.length;
    const r = await sync({ ...deps, buildPlan: handPlanner(c.app.ctx.db, () => bad) }, { realmId: c.realmId, actor: 'test' });
    expect(r.status).toBe('refused');
    expect(r.errors).toHaveLength(2);
    expect(r.message).toContain('2 records have errors');
    expect(r.message).toContain('Invoice EINV-1: number is longer');
    expect(r.message).toContain('Credit note ECN-1');
    expect(r.summary.processed).toBe(0);
    expect((c.emu.control.dump(c.realmId) as Dump).entities['Customer']).toHaveLength(before);
    // A skipped row's error does not block.
    bad[1]!.skipped = { by: 'test', at: testDate().toISOString() };
    bad[2]!.skipped = { by: 'test', at: testDate().toISOString() };
    // The payment needs the skipped invoice; the preview skips it with it.
    bad[3]!.skipped = { by: 'test', at: testDate().toISOString() };
    const ok = await sync({ ...deps, buildPlan: handPlanner(c.app.ctx.db, () => bad) }, { realmId: c.realmId, actor: 'test' });
    expect(ok.status, ok.message ?? '').toBe('succeeded');
    expect(ok.summary).toMatchObject({ created: 5, failed: 0 });
  });
});
