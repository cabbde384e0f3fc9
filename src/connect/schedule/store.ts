/**
 * Reading and changing a company's schedule (imitating settings/store.ts setSettings): the change is
 * checked first (a bad field refused by name, nothing written), then written with one audit row per
 * changed field (settings_audit, paths `schedule.*`, so the settings audit shows it) in one
 * transaction, guarded by a version number so two writers cannot lose each other's change.
 */
import { z } from 'zod';
import type { Clock } from '../../context.js';
import type { Db } from '../../store/db.js';
import { refusal } from '../reasons.js';
import type { SettingChangeResult } from '../settings/store-types.js';
import { applyScheduleInput, defaultScheduleConfig, type OnErrors, type Schedule, type ScheduleConfig } from './model.js';
import { nextDue } from './next-due.js';

const realmIdSchema = z.string().trim().min(1).max(100);
const actorSchema = z.string().trim().min(1).max(200);

function checkRealm(realmId: string): string {
  const r = realmIdSchema.safeParse(realmId);
  if (!r.success) throw refusal('settings.invalid-value', { path: 'realm', value: realmId, allowed: 'a QBO company (realm) id' }, 'realm');
  return r.data;
}

/** What happened to the schedule's last occurrence, and to the run it started. */
export type ScheduleOutcome = 'enqueued' | 'skipped-busy' | 'not-enqueued' | 'blocked-not-connected' | 'succeeded' | 'failed' | 'refused' | 'held' | 'interrupted';

export interface ScheduleView extends ScheduleConfig {
  realmId: string;
  /** UTC ISO of the next occurrence; null when off. */
  nextDueAt: string | null;
  last: { dueAt: string | null; outcome: ScheduleOutcome | null; runId: string | null; message: string | null; at: string | null };
  version: number;
}

type Tx = Parameters<Parameters<ReturnType<Db['transaction']>['execute']>[0]>[0];
type Executor = Db | Tx;

function configOf(r: { kind: string; at: string | null; minute: number | null; time_zone: string; on_errors: string }): ScheduleConfig {
  let schedule: Schedule;
  if (r.kind === 'hourly') schedule = { kind: 'hourly', minute: Number(r.minute ?? 0) };
  else if ((r.kind === 'daily' || r.kind === 'weekdays') && r.at) schedule = { kind: r.kind, at: r.at };
  else schedule = { kind: 'off' };
  return { schedule, timeZone: r.time_zone, onErrors: r.on_errors === 'sync-ready' ? 'sync-ready' : 'sync-nothing' };
}

async function load(db: Executor, realmId: string): Promise<ScheduleView> {
  const r = await db.selectFrom('schedules').selectAll().where('realm_id', '=', realmId).executeTakeFirst();
  if (!r) return { realmId, ...defaultScheduleConfig, nextDueAt: null, last: { dueAt: null, outcome: null, runId: null, message: null, at: null }, version: 0 };
  return {
    realmId,
    ...configOf(r),
    nextDueAt: r.next_due_at,
    last: { dueAt: r.last_due_at, outcome: r.last_outcome as ScheduleOutcome | null, runId: r.last_run_id, message: r.last_message, at: r.last_outcome_at },
    version: Number(r.version),
  };
}

/** The company's schedule (off, UTC, sync-nothing when never set). */
export async function getSchedule(db: Db, realmId: string): Promise<ScheduleView> {
  return load(db, checkRealm(realmId));
}

/** The audited fields of a configuration, as `schedule.<field>` paths. */
function fields(c: ScheduleConfig): Record<string, unknown> {
  return {
    'schedule.kind': c.schedule.kind,
    'schedule.at': 'at' in c.schedule ? c.schedule.at : null,
    'schedule.minute': c.schedule.kind === 'hourly' ? c.schedule.minute : null,
    'schedule.timeZone': c.timeZone,
    'schedule.onErrors': c.onErrors,
  };
}

class VersionConflict extends Error {}

export interface SetScheduleInput {
  realmId: string;
  /** `{ kind?, at?, minute?, timeZone?, onErrors? }`: fields not given keep their value. */
  input: unknown;
  actor: string;
  clock: Clock;
}

/**
 * Changes the schedule. The next occurrence is worked out afresh from now whenever the schedule or
 * its zone changes (a schedule switched on does not fire for a time already past). Returns one
 * result per field, changed or not, and the schedule as stored.
 */
export async function setSchedule(db: Db, input: SetScheduleInput): Promise<{ changes: SettingChangeResult[]; schedule: ScheduleView }> {
  const realmId = checkRealm(input.realmId);
  const actor = actorSchema.safeParse(input.actor);
  if (!actor.success) throw refusal('settings.invalid-actor', { value: input.actor }, 'actor');
  // Checked against the stored schedule before any write (a kind needs its time, e.g.), then again inside.
  applyScheduleInput(await load(db, realmId), input.input);
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.transaction().execute(async (trx) => {
        const current = await load(trx, realmId);
        const next = applyScheduleInput(current, input.input);
        const before = fields(current);
        const after = fields(next);
        const changes: SettingChangeResult[] = Object.keys(after).map((path) => ({
          path,
          changed: JSON.stringify(before[path]) !== JSON.stringify(after[path]),
          oldValue: before[path] ?? null,
          newValue: after[path] ?? null,
        }));
        const changed = changes.filter((c) => c.changed);
        if (changed.length === 0 && current.version > 0) return { changes, schedule: current };
        const now = input.clock();
        const timing = changed.some((c) => c.path !== 'schedule.onErrors') || current.version === 0;
        const nextDueAt = timing ? (nextDue(next.schedule, now, next.timeZone)?.toISOString() ?? null) : current.nextDueAt;
        const values = {
          kind: next.schedule.kind,
          at: 'at' in next.schedule ? next.schedule.at : null,
          minute: next.schedule.kind === 'hourly' ? next.schedule.minute : null,
          time_zone: next.timeZone,
          on_errors: next.onErrors,
          next_due_at: nextDueAt,
          version: current.version + 1,
          updated_by: actor.data,
          updated_at: now.toISOString(),
        };
        if (current.version === 0) {
          const ins = await trx
            .insertInto('schedules')
            .values({ realm_id: realmId, ...values, last_due_at: null, last_outcome: null, last_run_id: null, last_message: null, last_outcome_at: null })
            .onConflict((oc) => oc.column('realm_id').doNothing())
            .executeTakeFirst();
          if (Number(ins.numInsertedOrUpdatedRows ?? 0n) !== 1) throw new VersionConflict();
        } else {
          const upd = await trx.updateTable('schedules').set(values).where('realm_id', '=', realmId).where('version', '=', current.version).executeTakeFirst();
          if (Number(upd.numUpdatedRows) !== 1) throw new VersionConflict();
        }
        if (changed.length) {
          await trx
            .insertInto('settings_audit')
            .values(
              changed.map((c) => ({
                realm_id: realmId,
                path: c.path,
                old_value: c.oldValue === null ? null : JSON.stringify(c.oldValue),
                new_value: c.newValue === null ? null : JSON.stringify(c.newValue),
                actor: actor.data,
                changed_at: now.toISOString(),
              })),
            )
            .execute();
        }
        return { changes, schedule: await load(trx, realmId) };
      });
    } catch (err) {
      if (!(err instanceof VersionConflict)) throw err;
      if (attempt >= 9) throw refusal('settings.conflict', { path: 'schedule' });
    }
  }
}

/** Companies whose next occurrence is at or before `now`, oldest first. */
export async function dueSchedules(db: Db, now: Date, limit = 500): Promise<ScheduleView[]> {
  const rows = await db
    .selectFrom('schedules')
    .select('realm_id')
    .where('kind', '!=', 'off')
    .where('next_due_at', 'is not', null)
    .where('next_due_at', '<=', now.toISOString())
    .orderBy('next_due_at')
    .limit(limit)
    .execute();
  return Promise.all(rows.map((r) => load(db, r.realm_id)));
}

/**
 * Takes the occurrence due at `dueAt`: moves `next_due_at` on to the next occurrence after `now`
 * (occurrences missed while nothing ran are not made up: one sync catches up on all of them), only
 * if no one else took it first. True when this caller took it and must act on it.
 */
export async function claimOccurrence(db: Db, view: ScheduleView, now: Date): Promise<{ claimed: boolean; nextDueAt: string | null }> {
  if (!view.nextDueAt) return { claimed: false, nextDueAt: null };
  const nextDueAt = nextDue(view.schedule, now, view.timeZone)?.toISOString() ?? null;
  const upd = await db
    .updateTable('schedules')
    .set({ next_due_at: nextDueAt, last_due_at: view.nextDueAt })
    .where('realm_id', '=', view.realmId)
    .where('next_due_at', '=', view.nextDueAt)
    .executeTakeFirst();
  return { claimed: Number(upd.numUpdatedRows) === 1, nextDueAt };
}

/** Records how the last occurrence (or the run it started) ended; shown with the schedule. */
export async function recordScheduleOutcome(
  db: Executor,
  realmId: string,
  o: { outcome: ScheduleOutcome; runId?: string | null; message?: string | null; at: Date },
): Promise<void> {
  await db
    .updateTable('schedules')
    .set({ last_outcome: o.outcome, last_run_id: o.runId ?? null, last_message: o.message ?? null, last_outcome_at: o.at.toISOString() })
    .where('realm_id', '=', realmId)
    .execute();
}

/** What a scheduled sync of this company does with preview errors (sync-nothing when it has no schedule). */
export async function onErrorsOf(db: Db, realmId: string): Promise<OnErrors> {
  return (await load(db, checkRealm(realmId))).onErrors;
}
