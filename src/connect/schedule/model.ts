/**
 * A company's schedule: when QBO Connect syncs it without anyone clicking (issue 16), and what a
 * scheduled sync does when the preview finds errors.
 *
 * The time zone is the COMPANY's (an IANA name, stored with the schedule), not the practice's: a
 * bookkeeper thinks of "after close of business" in the books' own day, QBO keeps each company's
 * day in CompanyInfo.DefaultTimeZone (connect/reconcile/build.ts reads it for "today"), and one
 * practice may keep companies in several zones. It is set with the schedule (the web form offers
 * the company's QBO zone when known), UTC until someone says otherwise.
 */
import { z } from 'zod';
import { refusal } from '../reasons.js';

export type Schedule =
  | { kind: 'off' }
  /** Every hour at `minute` past (local minute; default 0). */
  | { kind: 'hourly'; minute: number }
  /** Every day at local `at` (HH:MM, 24-hour). */
  | { kind: 'daily'; at: string }
  /** Monday to Friday at local `at`. */
  | { kind: 'weekdays'; at: string };

export type ScheduleKind = Schedule['kind'];
export const scheduleKinds: ScheduleKind[] = ['off', 'hourly', 'daily', 'weekdays'];

/**
 * What a scheduled sync does when its preview has errors: `sync-nothing` (the default: the run is
 * refused with the errors, nothing is sent, someone is told) or `sync-ready` (the rows that are ready
 * are sent; rows with errors and every row that depends on them are held with their error sentence).
 */
export type OnErrors = 'sync-nothing' | 'sync-ready';
export const onErrorsValues: OnErrors[] = ['sync-nothing', 'sync-ready'];

/** The whole configuration of one company's schedule, as stored and shown. */
export interface ScheduleConfig {
  schedule: Schedule;
  timeZone: string;
  onErrors: OnErrors;
}

export const defaultScheduleConfig: ScheduleConfig = { schedule: { kind: 'off' }, timeZone: 'UTC', onErrors: 'sync-nothing' };

const timeOfDay = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** True when the runtime knows `zone` as an IANA time zone. */
export function isTimeZone(zone: string): boolean {
  if (!zone || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** A change as people give it (the web form, the API's JSON, the CLI's flags): every field optional. */
export interface ScheduleInput {
  kind?: unknown;
  at?: unknown;
  minute?: unknown;
  timeZone?: unknown;
  onErrors?: unknown;
}

function bad(field: string, value: unknown, allowed: string): never {
  throw refusal('settings.invalid-value', { path: `schedule.${field}`, value, allowed }, `schedule.${field}`);
}

const inputSchema = z.object({ kind: z.unknown(), at: z.unknown(), minute: z.unknown(), timeZone: z.unknown(), onErrors: z.unknown() }).partial().strict();

/**
 * The configuration after applying `input` to `current`: each field checked, a bad one refused with
 * the field named and the allowed values listed. A field not given keeps its current value; `at` is
 * kept across daily ↔ weekdays so switching kind does not lose the time.
 */
export function applyScheduleInput(current: ScheduleConfig, input: unknown): ScheduleConfig {
  const shape = inputSchema.safeParse(input ?? {});
  if (!shape.success) {
    const issue = shape.error.issues[0]!;
    const key = issue.code === 'unrecognized_keys' ? issue.keys[0]! : issue.path.map(String).join('.');
    bad(key || 'input', input, 'kind, at, minute, timeZone, onErrors');
  }
  const i = shape.data;
  const kind = i.kind === undefined ? current.schedule.kind : i.kind;
  if (typeof kind !== 'string' || !(scheduleKinds as string[]).includes(kind)) bad('kind', kind, scheduleKinds.join(', '));
  const timeZone = i.timeZone === undefined ? current.timeZone : i.timeZone;
  if (typeof timeZone !== 'string' || !isTimeZone(timeZone.trim())) bad('timeZone', timeZone, 'an IANA time zone such as Europe/London or America/New_York');
  const onErrors = i.onErrors === undefined ? current.onErrors : i.onErrors;
  if (typeof onErrors !== 'string' || !(onErrorsValues as string[]).includes(onErrors)) bad('onErrors', onErrors, onErrorsValues.join(', '));
  const currentAt = 'at' in current.schedule ? current.schedule.at : undefined;
  const currentMinute = current.schedule.kind === 'hourly' ? current.schedule.minute : 0;
  let schedule: Schedule;
  switch (kind as ScheduleKind) {
    case 'off':
      schedule = { kind: 'off' };
      break;
    case 'hourly': {
      const raw = i.minute === undefined ? currentMinute : i.minute;
      const minute = typeof raw === 'string' && /^\d{1,2}$/.test(raw.trim()) ? Number(raw) : raw;
      if (typeof minute !== 'number' || !Number.isInteger(minute) || minute < 0 || minute > 59) bad('minute', raw, 'a whole minute past the hour, 0 to 59');
      schedule = { kind: 'hourly', minute };
      break;
    }
    default: {
      const at = i.at === undefined ? currentAt : i.at;
      if (at === undefined) bad('at', at, `a local time as HH:MM (24-hour), required for ${kind}`);
      if (typeof at !== 'string' || !timeOfDay.test(at.trim())) bad('at', at, 'a local time as HH:MM (24-hour), e.g. 18:30');
      schedule = { kind: kind as 'daily' | 'weekdays', at: at.trim() };
    }
  }
  return { schedule, timeZone: (timeZone as string).trim(), onErrors: onErrors as OnErrors };
}

/** "weekdays at 18:30 (Europe/London)" — the one way a schedule is shown. */
export function describeSchedule(c: ScheduleConfig): string {
  const s = c.schedule;
  const when =
    s.kind === 'off'
      ? 'off'
      : s.kind === 'hourly'
        ? `hourly at ${String(s.minute).padStart(2, '0')} past the hour`
        : `${s.kind === 'daily' ? 'daily' : 'weekdays (Mon–Fri)'} at ${s.at}`;
  return s.kind === 'off' ? 'off' : `${when} (${c.timeZone})`;
}
