/**
 * The schedule tick on an injected clock, ticking every minute through a simulated day (the day New
 * York springs forward, 2026-03-08 UTC), on a recording queue door that refuses run.locked while the
 * company has a run queued or running, as enqueueSync does.
 */
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/db.js';
import type { AppContext } from '../../context.js';
import { createLogger } from '../../log.js';
import { refusal } from '../../connect/run/reasons.js';
import { wallAt } from '../../connect/schedule/next-due.js';
import { getSchedule, setSchedule } from '../../connect/schedule/store.js';
import { afterScheduledRun } from '../../connect/schedule/scheduled-sync.js';
import { tickSchedules, type EnqueueSync } from './schedule-tick.js';

const MINUTE = 60_000;

describeEachDialect('schedule tick', (db) => {
  /** The company's connection row, as connect/connection keeps it (the tick only enqueues a connected company). */
  const connection = async (realmId: string, status: 'connected' | 'disconnected', reason: string | null = null) => {
    const at = '2026-01-01T00:00:00.000Z';
    await db.db.deleteFrom('connections').where('realm_id', '=', realmId).execute();
    await db.db.insertInto('connections').values({ realm_id: realmId, status, connected_at: at, updated_at: at, disconnected_reason: reason }).execute();
  };

  it('over a day: the right number of syncs at the right local times, a busy company skipped (recorded, not stacked)', async () => {
    const start = Date.parse('2026-03-08T00:00:00Z');
    let now = start - MINUTE;
    const ctx = { db: db.db, clock: () => new Date(now), logger: createLogger('silent') } as unknown as AppContext;
    const set = (realmId: string, input: Record<string, unknown>) => setSchedule(db.db, { realmId, input, actor: 'alice', clock: ctx.clock });
    await set('hourly-kolkata', { kind: 'hourly', minute: 15, timeZone: 'Asia/Kolkata' });
    await set('daily-ny', { kind: 'daily', at: '02:30', timeZone: 'America/New_York' }); // in the spring-forward gap today
    await set('weekdays-tokyo', { kind: 'weekdays', at: '08:00', timeZone: 'Asia/Tokyo' }); // Monday 9 March 08:00 JST = Sunday 23:00Z
    await set('weekdays-london', { kind: 'weekdays', at: '09:00', timeZone: 'Europe/London' }); // Sunday: nothing
    await set('off', { kind: 'off' });
    for (const r of ['hourly-kolkata', 'daily-ny', 'weekdays-tokyo', 'weekdays-london', 'off']) await connection(r, 'connected');

    const busy = new Set<string>();
    const enqueued: Array<{ realmId: string; at: number; actor: string; trigger: string }> = [];
    let n = 0;
    const enqueue: EnqueueSync = async (_ctx, req) => {
      if (busy.has(req.realmId)) throw refusal('run.locked', { holder: 'alice (web)' });
      enqueued.push({ realmId: req.realmId, at: now, actor: req.actor, trigger: req.trigger });
      return { runId: `run-${++n}` };
    };

    let skipped = 0;
    for (now = start; now < start + 24 * 3_600_000; now += MINUTE) {
      // Someone clicked Sync for the Kolkata company and its run goes on from 10:00 to 12:30 UTC.
      if (now === Date.parse('2026-03-08T10:00:00Z')) busy.add('hourly-kolkata');
      if (now === Date.parse('2026-03-08T12:30:00Z')) busy.delete('hourly-kolkata');
      skipped += (await tickSchedules(ctx, enqueue)).skippedBusy.length;
    }

    const of = (r: string) => enqueued.filter((e) => e.realmId === r);
    // Hourly at :15 local (UTC+5:30, so :45 UTC): 24 occurrences, two of them (10:45Z, 11:45Z) while busy.
    const kolkata = of('hourly-kolkata');
    expect(kolkata.every((e) => wallAt(e.at, 'Asia/Kolkata').minute === 15)).toBe(true);
    expect(kolkata.map((e) => new Date(e.at).toISOString().slice(11, 16))).not.toContain('10:45');
    expect(kolkata.map((e) => new Date(e.at).toISOString().slice(11, 16))).not.toContain('11:45');
    expect(kolkata).toHaveLength(22);
    expect(skipped).toBe(2);
    // Daily 02:30 New York, in the gap: once, at 03:00 EDT (07:00Z).
    expect(of('daily-ny').map((e) => new Date(e.at).toISOString())).toEqual(['2026-03-08T07:00:00.000Z']);
    expect(of('weekdays-tokyo').map((e) => new Date(e.at).toISOString())).toEqual(['2026-03-08T23:00:00.000Z']);
    expect(of('weekdays-london')).toEqual([]);
    expect(of('off')).toEqual([]);
    expect(enqueued.every((e) => e.actor === 'schedule' && e.trigger === 'schedule')).toBe(true);

    // The schedule shows its last occurrence and the next one.
    expect(await getSchedule(db.db, 'daily-ny')).toMatchObject({
      nextDueAt: '2026-03-09T06:30:00.000Z',
      last: { dueAt: '2026-03-08T07:00:00.000Z', outcome: 'enqueued', runId: expect.stringMatching(/^run-/) },
    });
  });

  it('a skipped occurrence is recorded on the schedule with the reason, and the next one is not moved', async () => {
    let now = Date.parse('2026-12-04T09:00:00Z');
    const ctx = { db: db.db, clock: () => new Date(now), logger: createLogger('silent') } as unknown as AppContext;
    await setSchedule(db.db, { realmId: 'busy', input: { kind: 'hourly', minute: 0 }, actor: 'alice', clock: ctx.clock });
    await connection('busy', 'connected');
    now = Date.parse('2026-12-04T10:00:20Z');
    const r = await tickSchedules(ctx, async (_c, req) => (req.realmId === 'busy' ? Promise.reject(refusal('run.locked', { holder: 'alice (web)' })) : { runId: 'other' }));
    expect(r.skippedBusy).toEqual(['busy']);
    expect(await getSchedule(db.db, 'busy')).toMatchObject({
      nextDueAt: '2026-12-04T11:00:00.000Z',
      last: { outcome: 'skipped-busy', message: expect.stringContaining('already running') },
    });
    // A tick that comes late runs the occurrence once and does not make up the ones it missed.
    now = Date.parse('2026-12-04T15:10:00Z');
    let calls = 0;
    const counting: EnqueueSync = async (_c, req) => ({ runId: req.realmId === 'busy' ? `run-${++calls}` : 'other' });
    await tickSchedules(ctx, counting);
    await tickSchedules(ctx, counting);
    expect(calls).toBe(1);
    expect((await getSchedule(db.db, 'busy')).nextDueAt).toBe('2026-12-04T16:00:00.000Z');
    // It says it is late, and how many occurrences were missed (12:00 to 15:00), and keeps saying so once its run ended.
    const late = 'Late: due 11:00, ran 15:10 (UTC); 4 occurrences missed while QBO Connect was not running.';
    expect((await getSchedule(db.db, 'busy')).last).toMatchObject({ outcome: 'enqueued', runId: 'run-1', message: late });
    const ended = { runId: 'run-1', status: 'succeeded', message: null, errors: [], summary: { held: 0, failed: 0 } } as unknown as Parameters<typeof afterScheduledRun>[2];
    await afterScheduledRun({ db: db.db, clock: ctx.clock }, 'busy', ended);
    expect((await getSchedule(db.db, 'busy')).last).toMatchObject({ outcome: 'succeeded', runId: 'run-1', message: late });
  });

  it('a disconnected company is passed over: no run, the outcome recorded and one notice per disconnection, not one per occurrence', async () => {
    let now = Date.parse('2026-12-04T09:00:00Z');
    const ctx = { db: db.db, clock: () => new Date(now), logger: createLogger('silent') } as unknown as AppContext;
    await setSchedule(db.db, { realmId: 'gone', input: { kind: 'hourly', minute: 0 }, actor: 'alice', clock: ctx.clock });
    await connection('gone', 'disconnected', 'disconnected');
    const enqueued: string[] = [];
    const told: string[] = [];
    const enqueue: EnqueueSync = async (_c, req) => (enqueued.push(req.realmId), { runId: `run-${enqueued.length}` });
    const notice = async (e: { realmId: string }) => void told.push(e.realmId);
    for (const h of [10, 11, 12]) {
      now = Date.parse(`2026-12-04T${h}:00:30Z`);
      expect((await tickSchedules(ctx, enqueue, notice)).notConnected).toEqual(['gone']);
    }
    expect(enqueued).toEqual([]);
    expect(told).toEqual(['gone']);
    expect(await getSchedule(db.db, 'gone')).toMatchObject({
      nextDueAt: '2026-12-04T13:00:00.000Z',
      last: { outcome: 'blocked-not-connected', runId: null, at: '2026-12-04T10:00:30.000Z', message: expect.stringContaining('not connected') },
    });
    // Connected again: the next occurrence runs; a later disconnection is told again.
    await connection('gone', 'connected');
    now = Date.parse('2026-12-04T13:00:30Z');
    await tickSchedules(ctx, enqueue, notice);
    expect(enqueued).toEqual(['gone']);
    await connection('gone', 'disconnected', 'invalid_grant');
    now = Date.parse('2026-12-04T14:00:30Z');
    await tickSchedules(ctx, enqueue, notice);
    expect(told).toEqual(['gone', 'gone']);
  });
});
