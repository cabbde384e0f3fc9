/**
 * The engine side of a scheduled sync against the emulator: a blocked schedule sends nothing, closes
 * its run refused with the errors and tells someone; "sync ready and hold" sends the ready records
 * exactly once and holds the record with an error and the one that needs it, run after run, until fixed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { qboClientFor } from '../../src/connect/connection/qbo-client.js';
import { noCrash } from '../../src/connect/run/crash-point.js';
import { getRun } from '../../src/connect/run/history.js';
import { sync, type SyncDeps } from '../../src/connect/run/sync.js';
import { afterScheduledRun, scheduledDeps, scheduledSyncOptions, SCHEDULE_ACTOR, type ScheduleBlocked } from '../../src/connect/schedule/scheduled-sync.js';
import type { ClosedRun } from '../../src/connect/notify/index.js';
import { getSchedule, setSchedule } from '../../src/connect/schedule/store.js';
import type { PlanRow } from '../../src/connect/plan/index.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { companyIds, handPlanner, smallPractice, type CompanyIds } from './hand-plan.js';

interface Dump {
  entities: Record<string, Array<Record<string, unknown>>>;
}

const tooLong = (r: PlanRow) =>
  r.issues.push({
    code: 'invoice.number-too-long',
    severity: 'error',
    message: `Invoice ${r.record.id}: number is longer than 21 characters; shorten it or skip the invoice.`,
    field: 'number',
  });

describe.each(dialects)('a scheduled sync [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);
  let ids: CompanyIds;
  let deps: SyncDeps;

  beforeAll(async () => {
    const client = qboClientFor(c.app.ctx, c.realmId);
    ids = await companyIds(client);
    deps = { db: c.app.ctx.db, clock: c.app.ctx.clock, logger: c.app.ctx.logger, client, crash: noCrash, buildPlan: async () => Promise.reject(new Error('set per test')) };
  });

  const dump = () => c.emu.control.dump(c.realmId) as Dump;
  const docs = (e: string) => dump().entities[e] ?? [];

  /** One scheduled run as the sync job runs it: the company's options, then the outcome and the notice. */
  /** What the runs' own close told (connect/notify notifyRunClosed, as connect/run/deps.ts wires it). */
  const closedTold: ClosedRun[] = [];
  async function scheduled(rows: () => PlanRow[], told: ScheduleBlocked[]) {
    const opts = await scheduledSyncOptions(c.app.ctx.db, c.realmId);
    const runDeps = scheduledDeps({ ...deps, buildPlan: handPlanner(c.app.ctx.db, rows), notify: async (run: ClosedRun) => void closedTold.push(run) });
    const r = await sync(runDeps, { realmId: c.realmId, actor: SCHEDULE_ACTOR, ...opts });
    const outcome = await afterScheduledRun({ db: c.app.ctx.db, clock: c.app.ctx.clock, notifyBlocked: async (b) => void told.push(b) }, c.realmId, r);
    return { r, outcome };
  }

  it('blocked by errors (the default): nothing sent, the run refused with the errors, someone told', async () => {
    await setSchedule(c.app.ctx.db, { realmId: c.realmId, input: { kind: 'daily', at: '18:00' }, actor: 'alice', clock: c.app.ctx.clock });
    const rows = smallPractice(ids, 1, 'B');
    tooLong(rows[1]!);
    const customers = docs('Customer').length;
    const told: ScheduleBlocked[] = [];
    const { r, outcome } = await scheduled(() => rows, told);
    expect(outcome).toBe('refused');
    expect(r.status).toBe('refused');
    expect(r.summary.processed).toBe(0);
    expect(docs('Customer')).toHaveLength(customers);
    expect(docs('Invoice').filter((i) => String(i['DocNumber']).startsWith('B'))).toHaveLength(0);
    expect(told).toEqual([
      { realmId: c.realmId, runId: r.runId, errors: [expect.stringContaining('Invoice BINV-1: number is longer')], message: expect.stringContaining('1 record has an error') },
    ]);
    expect((await getRun(c.app.ctx.db, r.runId)).startedBy).toBe('schedule');
    expect(await getSchedule(c.app.ctx.db, c.realmId)).toMatchObject({ last: { outcome: 'refused', runId: r.runId } });
  });

  it('"sync ready and hold": the ready records reach QBO exactly once, the error row and its dependant are held each run until fixed', async () => {
    await setSchedule(c.app.ctx.db, { realmId: c.realmId, input: { onErrors: 'sync-ready' }, actor: 'alice', clock: c.app.ctx.clock });
    const rows = smallPractice(ids, 2, 'H');
    const bad = rows[1]!; // HINV-1; HR-1 (rows[3]) pays it
    tooLong(bad);
    const told: ScheduleBlocked[] = [];
    const first = await scheduled(() => rows, told);
    expect(first.outcome).toBe('held');
    expect(first.r.summary).toMatchObject({ created: 14, held: 2, failed: 0 });
    const detail = await getRun(c.app.ctx.db, first.r.runId);
    const held = detail.records.filter((x) => x.status === 'held');
    expect(held.map((x) => x.recordKey).sort()).toEqual(['HINV-1', 'HR-1']);
    expect(held.find((x) => x.recordKey === 'HINV-1')!.message).toContain('number is longer than 21 characters');
    expect(held.find((x) => x.recordKey === 'HR-1')!.message).toMatch(/needs .*HINV-1.*which has an error/);
    const invoices = () =>
      docs('Invoice')
        .map((i) => String(i['DocNumber']))
        .filter((n) => n.startsWith('H'))
        .sort();
    expect(invoices()).toEqual(['HINV-2']);
    expect(docs('Payment').filter((p) => String(p['PaymentRefNum']).startsWith('H'))).toHaveLength(1);
    expect(told).toEqual([]);
    // Held records are told by the run's own close (run-held), as for any run.
    expect(closedTold.filter((x) => x.runId === first.r.runId)).toMatchObject([{ status: 'failed', held: 2, failed: 0, heldForErrors: 2 }]);
    // Held because of the preview's errors, not held for review: the message (and the schedule's last outcome) says so.
    expect(first.r.message).toMatch(/^Nothing failed; 2 record\(s\) held because of errors in the preview: fix them in the practice or skip them;/);
    expect(first.r.message).not.toContain('held for review');
    expect((await getSchedule(c.app.ctx.db, c.realmId))?.last?.message).toBe(first.r.message);

    // The next occurrence: the ready records are linked, so nothing is sent twice; the two are held again.
    const second = await scheduled(() => rows, told);
    expect(second.r.summary).toMatchObject({ created: 0, held: 2, failed: 0 });
    expect(invoices()).toEqual(['HINV-2']);

    // Fixed: the next sync sends exactly the two held records, once.
    bad.issues.length = 0;
    const third = await scheduled(() => rows, told);
    expect(third.outcome).toBe('succeeded');
    expect(third.r.summary).toMatchObject({ created: 2, held: 0, failed: 0 });
    expect(invoices()).toEqual(['HINV-1', 'HINV-2']);
    expect(docs('Payment').filter((p) => String(p['PaymentRefNum']).startsWith('H'))).toHaveLength(2);
    expect(docs('Customer').filter((x) => String(x['DisplayName']).startsWith('Client H'))).toHaveLength(2);
  });

  it('a click keeps refusing on errors whatever the schedule says', async () => {
    const rows = smallPractice(ids, 1, 'K');
    tooLong(rows[1]!);
    const r = await sync({ ...deps, buildPlan: handPlanner(c.app.ctx.db, () => rows) }, { realmId: c.realmId, actor: 'alice (web)' });
    expect(r.status).toBe('refused');
  });
});
