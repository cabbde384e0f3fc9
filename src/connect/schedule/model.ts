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
  return { schedule, timeZone: canonicalZone((timeZone as string).trim()), onErrors: onErrors as OnErrors };
}

/** The runtime's own spelling of a zone it knows (`america/new_york` → `America/New_York`), so one zone is stored, shown and compared one way. */
export function canonicalZone(zone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
}

/** What GET /api/v1/schedule returns besides the configuration: read-only, ignored when sent back. */
const readOnlyKeys = ['realmId', 'nextDueAt', 'last', 'described', 'version', 'changes'];

/**
 * A change as the JSON API takes it, checked for JSON types before the values are (applyScheduleInput):
 * the flat `{ kind, at, minute, timeZone, onErrors }`, or the shape GET returns
 * (`{ schedule: { kind, at | minute }, timeZone, onErrors, … }`, its read-only fields ignored, so a
 * schedule read can be changed and sent back). JSON has types, so `"minute": "5"` is refused (a web
 * form or a flag gives text; JSON gives a number), and a value with spaces around it is refused rather
 * than silently trimmed. `realmId`, when sent, must be the company the request is about.
 */
export function scheduleJsonInput(body: unknown, realmId: string): ScheduleInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) bad('input', body, 'a JSON object such as {"kind":"daily","at":"18:30"}');
  const b = { ...(body as Record<string, unknown>) };
  let flat: Record<string, unknown> = b;
  if ('schedule' in b) {
    const inner = b.schedule;
    if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) bad('schedule', inner, 'an object such as {"kind":"daily","at":"18:30"}');
    if (b.realmId !== undefined && b.realmId !== realmId) bad('realmId', b.realmId, `this company's id, ${realmId} (or leave it out)`);
    const rest = Object.fromEntries(Object.entries(b).filter(([k]) => k !== 'schedule' && !readOnlyKeys.includes(k)));
    for (const k of Object.keys(inner as object)) if (k in rest) bad(k, rest[k], 'the field once: inside "schedule" or beside it, not both');
    flat = { ...rest, ...(inner as Record<string, unknown>) };
  }
  for (const field of ['kind', 'at', 'timeZone', 'onErrors'] as const) {
    const v = flat[field];
    if (v === undefined) continue;
    if (typeof v !== 'string') bad(field, v, 'a JSON string');
    if (v !== v.trim()) bad(field, v, 'the value without spaces or line breaks around it');
  }
  if (flat.minute !== undefined && (typeof flat.minute !== 'number' || !Number.isInteger(flat.minute)))
    bad('minute', flat.minute, 'a JSON whole number of minutes past the hour, 0 to 59');
  return flat;
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

/**
 * An occurrence as people read it: in the company's own time zone first, then UTC —
 * "Sat 5 Dec 2026 18:30 America/New_York (23:30 UTC)"; the UTC part names its day when that differs
 * ("(Sun 6 Dec 04:30 UTC)"). A UTC schedule says it once. Machine output (JSON) keeps the ISO instant.
 */
export function localOccurrence(iso: string, timeZone: string): string {
  const at = new Date(iso);
  const parts = (zone: string) => {
    const p = Object.fromEntries(
      new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
        .formatToParts(at)
        .map((x) => [x.type, x.value]),
    );
    return { day: `${p.weekday} ${p.day} ${p.month} ${p.year}`, time: `${p.hour}:${p.minute}` };
  };
  const local = parts(timeZone);
  const utc = parts('UTC');
  if (timeZone === 'UTC') return `${utc.day} ${utc.time} UTC`;
  const utcDay = local.day === utc.day ? '' : `${utc.day.replace(/ \d{4}$/, '')} `;
  return `${local.day} ${local.time} ${timeZone} (${utcDay}${utc.time} UTC)`;
}
