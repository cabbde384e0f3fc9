/**
 * When a company's schedule next falls due. Pure (the instant and the zone come in as arguments), so
 * every case — DST gaps and overlaps included — is tested directly (next-due.test.ts).
 *
 * Rules, in the schedule's IANA time zone (model.ts says why the company's own zone):
 * - `hourly` at minute M: every instant whose local wall clock shows mm = M. Measured in real hours,
 *   so an hour repeated by a fall-back overlap runs twice (it is two real hours) and an hour skipped
 *   by spring-forward is not invented. Where the clocks move by 30 minutes (Australia/Lord_Howe) one
 *   occurrence may come 30 minutes early or late; nothing is lost or doubled.
 * - `daily` at HH:MM: the FIRST instant of each local date at which the wall clock shows HH:MM or later.
 *   · In a spring-forward gap (02:30 when clocks jump 02:00→03:00) that is the moment of the jump: it
 *     runs at 03:00 local, the first local time after the gap, on that same date.
 *   · In a fall-back overlap (01:30 when clocks go 02:00→01:00) the wall clock shows 01:30 twice:
 *     only the first counts, so it runs once (at the earlier instant, on the summer offset).
 * - `weekdays` at HH:MM: as daily, on local Monday to Friday only.
 * - `off`: never (null).
 * The result is always strictly after `after`, so a tick that ran at a due instant and asks again is
 * never handed the same instant (no double run).
 */
import type { Schedule } from './model.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall clock in `timeZone` at instant `t`. */
export interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function wallAt(t: number, timeZone: string): Wall {
  const parts = formatter(timeZone).formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour') % 24, minute: get('minute'), second: get('second') };
}

/** The zone's offset from UTC at `t`, in milliseconds (whole seconds; modern zones: whole minutes). */
export function offsetAt(t: number, timeZone: string): number {
  const w = wallAt(t, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(t / 1000) * 1000;
}

/** 0 = Sunday … 6 = Saturday, of a local date. */
function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/**
 * The first instant on local date (y, m, d) at which the wall clock shows `minuteOfDay` or later.
 * The wall time read as UTC, shifted by each offset in force within a day of it, gives every instant
 * that shows it (two in an overlap: the earlier wins); none means a gap, and then the answer is the
 * jump itself, found by bisection between the two readings (a zone changes at most once in two days).
 */
function firstInstantAtOrAfter(y: number, m: number, d: number, minuteOfDay: number, timeZone: string): number {
  const guess = Date.UTC(y, m - 1, d, Math.floor(minuteOfDay / 60), minuteOfDay % 60);
  const offsets = new Set([offsetAt(guess - DAY, timeZone), offsetAt(guess, timeZone), offsetAt(guess + DAY, timeZone)]);
  const shows = (t: number) => {
    const w = wallAt(t, timeZone);
    return w.year === y && w.month === m && w.day === d && w.hour * 60 + w.minute === minuteOfDay;
  };
  const exact = [...offsets].map((o) => guess - o).filter(shows);
  if (exact.length) return Math.min(...exact);
  // A gap: before the jump the clock shows less than the wanted time, after it more.
  let lo = guess - Math.max(...offsets); // shows an earlier wall time (still before the jump)
  let hi = guess - Math.min(...offsets); // shows a later one (after the jump)
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    const w = wallAt(mid, timeZone);
    const past = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) >= guess;
    if (past) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** The next instant strictly after `after` at which `schedule` falls due in `timeZone`; null when off. */
export function nextDue(schedule: Schedule, after: Date, timeZone: string): Date | null {
  const a = after.getTime();
  if (!Number.isFinite(a)) throw new RangeError('nextDue: `after` is not a valid date');
  switch (schedule.kind) {
    case 'off':
      return null;
    case 'hourly': {
      // The next whole minute strictly after `after`, then forward to the wanted local minute; an
      // offset change on the way (30/45-minute zones) can move the local minute, so look again.
      let t = Math.floor(a / MINUTE) * MINUTE + MINUTE;
      for (let i = 0; i < 4; i++) {
        const localMinute = Math.round((t + offsetAt(t, timeZone)) / MINUTE) % 60;
        const step = (((schedule.minute - localMinute) % 60) + 60) % 60;
        if (step === 0) return new Date(t);
        t += step * MINUTE;
      }
      return new Date(t);
    }
    case 'daily':
    case 'weekdays': {
      const [hh, mm] = schedule.at.split(':').map(Number) as [number, number];
      const minuteOfDay = hh * 60 + mm;
      const start = wallAt(a, timeZone);
      // From the local date of `after`: at most 3 dates are passed over (Friday evening → Monday).
      for (let i = 0; i < 8; i++) {
        const date = new Date(Date.UTC(start.year, start.month - 1, start.day + i));
        const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
        if (schedule.kind === 'weekdays') {
          const wd = weekdayOf(y, m, d);
          if (wd === 0 || wd === 6) continue;
        }
        const t = firstInstantAtOrAfter(y, m, d, minuteOfDay, timeZone);
        if (t > a) return new Date(t);
      }
      throw new Error(`nextDue: no occurrence within a week of ${after.toISOString()} in ${timeZone}`);
    }
  }
}

/** A tick this long after the occurrence is late (the tick runs every minute): the run says so. */
export const LATE_AFTER_MS = 5 * 60_000;

/**
 * When the occurrence due at `dueAt` is taken late (the process was down, or no worker ran), what the
 * schedule's outcome says: "Late: due 02:30, ran 04:46 (America/New_York); 2 occurrences missed while
 * QBO Connect was not running." — the occurrences after `dueAt` up to `now` were not made up (one sync
 * catches up on all of them) and are counted. Undefined when it is on time.
 */
export function lateNote(schedule: Schedule, dueAt: Date, now: Date, timeZone: string): string | undefined {
  if (now.getTime() - dueAt.getTime() < LATE_AFTER_MS) return undefined;
  let missed = 0;
  // Bounded: an hourly schedule down for a year is 8,760 steps; past that the count says "more than".
  const cap = 10_000;
  for (let t = nextDue(schedule, dueAt, timeZone); t && t.getTime() <= now.getTime() && missed < cap; t = nextDue(schedule, t, timeZone)) missed++;
  const hm = (d: Date) => {
    const w = wallAt(d.getTime(), timeZone);
    return `${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`;
  };
  const sameDay = wallAt(dueAt.getTime(), timeZone).day === wallAt(now.getTime(), timeZone).day && now.getTime() - dueAt.getTime() < 86_400_000;
  const dw = wallAt(dueAt.getTime(), timeZone);
  const due = sameDay ? hm(dueAt) : `${dw.year}-${String(dw.month).padStart(2, '0')}-${String(dw.day).padStart(2, '0')} ${hm(dueAt)}`;
  const missedText = missed === 0 ? 'no other occurrence missed' : `${missed >= cap ? `more than ${cap}` : missed} occurrence${missed === 1 ? '' : 's'} missed`;
  return `Late: due ${due}, ran ${hm(now)} (${timeZone}); ${missedText} while QBO Connect was not running.`;
}
