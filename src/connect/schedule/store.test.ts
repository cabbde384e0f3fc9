import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/db.js';
import { UserFacingError } from '../../user-facing-error.js';
import { listAudit } from '../settings/store.js';
import { claimOccurrence, dueSchedules, getSchedule, setSchedule } from './store.js';

let now = new Date('2026-12-04T10:00:00Z');
const clock = () => now;

async function refused(p: Promise<unknown>): Promise<UserFacingError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof UserFacingError) return err;
    throw err;
  }
  throw new Error('accepted');
}

describeEachDialect('schedule store', (ctx) => {
  it('is off, in UTC, syncing nothing on errors, until someone sets it', async () => {
    expect(await getSchedule(ctx.db, 'r-new')).toMatchObject({ schedule: { kind: 'off' }, timeZone: 'UTC', onErrors: 'sync-nothing', nextDueAt: null, version: 0 });
  });

  it('sets a schedule, works out its next occurrence in its zone, and audits each field changed', async () => {
    now = new Date('2026-12-04T10:00:00Z');
    const { schedule } = await setSchedule(ctx.db, { realmId: 'r1', input: { kind: 'daily', at: '18:30', timeZone: 'Europe/Berlin' }, actor: 'alice (web)', clock });
    expect(schedule).toMatchObject({ schedule: { kind: 'daily', at: '18:30' }, timeZone: 'Europe/Berlin', nextDueAt: '2026-12-04T17:30:00.000Z', version: 1 });
    const audit = await listAudit(ctx.db, 'r1', { path: 'schedule' });
    expect(audit.map((a) => [a.path, a.oldValue, a.newValue, a.actor]).sort()).toEqual(
      [
        ['schedule.at', null, '18:30', 'alice (web)'],
        ['schedule.kind', 'off', 'daily', 'alice (web)'],
        ['schedule.timeZone', 'UTC', 'Europe/Berlin', 'alice (web)'],
      ].sort(),
    );
    // Changing only the error policy keeps the occurrence and audits that one field.
    now = new Date('2026-12-04T11:00:00Z');
    const r = await setSchedule(ctx.db, { realmId: 'r1', input: { onErrors: 'sync-ready' }, actor: 'bob', clock });
    expect(r.schedule).toMatchObject({ onErrors: 'sync-ready', nextDueAt: '2026-12-04T17:30:00.000Z', version: 2 });
    expect(r.changes.filter((c) => c.changed)).toEqual([{ path: 'schedule.onErrors', changed: true, oldValue: 'sync-nothing', newValue: 'sync-ready' }]);
    // The same again: nothing written, nothing audited.
    const same = await setSchedule(ctx.db, { realmId: 'r1', input: { onErrors: 'sync-ready' }, actor: 'bob', clock });
    expect(same.schedule.version).toBe(2);
    expect((await listAudit(ctx.db, 'r1', { path: 'schedule' })).length).toBe(4);
  });

  it('refuses bad input naming the field, and writes nothing', async () => {
    await setSchedule(ctx.db, { realmId: 'r2', input: { kind: 'hourly', minute: 15 }, actor: 'alice', clock });
    const cases: Array<[unknown, string]> = [
      [{ kind: 'fortnightly' }, 'schedule.kind'],
      [{ kind: 'daily' }, 'schedule.at'],
      [{ kind: 'daily', at: '25:00' }, 'schedule.at'],
      [{ kind: 'hourly', minute: 60 }, 'schedule.minute'],
      [{ timeZone: 'Mars/Olympus' }, 'schedule.timeZone'],
      [{ onErrors: 'send-anyway' }, 'schedule.onErrors'],
      [{ when: 'daily' }, 'schedule.when'],
    ];
    for (const [input, field] of cases) {
      const e = await refused(setSchedule(ctx.db, { realmId: 'r2', input, actor: 'alice', clock }));
      expect(e.field, JSON.stringify(input)).toBe(field);
      expect(e.message).toContain(field);
    }
    expect((await refused(setSchedule(ctx.db, { realmId: 'r2', input: {}, actor: ' ', clock }))).field).toBe('actor');
    expect(await getSchedule(ctx.db, 'r2')).toMatchObject({ schedule: { kind: 'hourly', minute: 15 }, version: 1 });
  });

  it('lists the companies due and lets exactly one caller take an occurrence', async () => {
    now = new Date('2026-12-05T08:00:00Z');
    await setSchedule(ctx.db, { realmId: 'r3', input: { kind: 'hourly', minute: 0, timeZone: 'UTC' }, actor: 'alice', clock });
    expect((await dueSchedules(ctx.db, now)).map((s) => s.realmId)).not.toContain('r3');
    now = new Date('2026-12-05T09:00:30Z');
    const due = (await dueSchedules(ctx.db, now)).find((s) => s.realmId === 'r3')!;
    expect(due.nextDueAt).toBe('2026-12-05T09:00:00.000Z');
    const [a, b] = await Promise.all([claimOccurrence(ctx.db, due, now), claimOccurrence(ctx.db, due, now)]);
    expect([a.claimed, b.claimed].sort()).toEqual([false, true]);
    expect(await getSchedule(ctx.db, 'r3')).toMatchObject({ nextDueAt: '2026-12-05T10:00:00.000Z', last: { dueAt: '2026-12-05T09:00:00.000Z' } });
  });
});
