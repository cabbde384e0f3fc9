import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lateNote, nextDue, offsetAt, wallAt } from './next-due.js';
import type { Schedule } from './model.js';
import { numRuns, seedLine } from '../../../test/helpers/seed.js';

const Q = 15 * 60_000;
/** Zones with DST both ways, 30- and 45-minute offsets, a 30-minute DST (Lord_Howe), a midnight jump (Santiago). */
const zones = [
  'UTC',
  'America/New_York',
  'Europe/London',
  'Europe/Berlin',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Pacific/Chatham',
  'America/Santiago',
  'America/Havana',
  'Pacific/Auckland',
];

const local = (d: Date, zone: string) => {
  const w = wallAt(d.getTime(), zone);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${w.year}-${p(w.month)}-${p(w.day)} ${p(w.hour)}:${p(w.minute)}`;
};

/**
 * The rule of next-due.ts written the slow, obvious way: walk a 15-minute grid (every offset and
 * every transition of the zones above lies on it, and so do the times drawn) from a day before
 * `after`, and take the first instant of each allowed local date at which the clock shows the time or later.
 */
function oracle(kind: 'daily' | 'weekdays', minuteOfDay: number, after: number, zone: string): number {
  const fired = new Set<string>();
  for (let t = Math.floor(after / Q) * Q - 30 * 3_600_000; ; t += Q) {
    const w = wallAt(t, zone);
    const date = `${w.year}-${w.month}-${w.day}`;
    const wd = new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay();
    if (kind === 'weekdays' && (wd === 0 || wd === 6)) continue;
    if (fired.has(date) || w.hour * 60 + w.minute < minuteOfDay) continue;
    fired.add(date);
    if (t > after) return t;
  }
}

/** Every offset change of `zone` in 2024–2030, found by bisection between weekly samples. */
const transitionCache = new Map<string, number[]>();
function transitions(zone: string): number[] {
  const cached = transitionCache.get(zone);
  if (cached) return cached;
  const out: number[] = [];
  transitionCache.set(zone, out);
  const week = 7 * 86_400_000;
  for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2031, 0, 1); t += week) {
    if (offsetAt(t, zone) === offsetAt(t + week, zone)) continue;
    let [lo, hi] = [t, t + week];
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (offsetAt(mid, zone) === offsetAt(t, zone)) lo = mid;
      else hi = mid;
    }
    out.push(hi);
  }
  return out;
}

describe('nextDue', () => {
  console.log(seedLine());
  const zone = fc.constantFrom(...zones);
  /** A zone and an instant: anywhere in 2020–2035, or within 30 hours of one of the zone's clock changes (where the bugs live). */
  const zoned = zone.chain((tz) => {
    const near = transitions(tz);
    const anywhere = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) });
    const arb = near.length
      ? fc.oneof(
          anywhere,
          fc.tuple(fc.constantFrom(...near), fc.integer({ min: -30 * 3600, max: 30 * 3600 })).map(([t, s]) => t + s * 1000),
        )
      : anywhere;
    return arb.map((after) => [after, tz] as const);
  });

  it('daily and weekdays: strictly after, on the requested local time (or the first after a gap), the first such instant', () => {
    fc.assert(
      fc.property(zoned, fc.constantFrom<'daily' | 'weekdays'>('daily', 'weekdays'), fc.integer({ min: 0, max: 95 }), ([after, tz], kind, q) => {
        const minuteOfDay = q * 15;
        const at = `${String(Math.floor(minuteOfDay / 60)).padStart(2, '0')}:${String(minuteOfDay % 60).padStart(2, '0')}`;
        const next = nextDue({ kind, at } as Schedule, new Date(after), tz)!;
        expect(next.getTime()).toBeGreaterThan(after);
        expect(next.getTime()).toBe(oracle(kind, minuteOfDay, after, tz));
        // Asking again at the instant it ran never hands back the same occurrence (an overlap runs once).
        const again = nextDue({ kind, at } as Schedule, next, tz)!;
        expect(local(again, tz).slice(0, 10) > local(next, tz).slice(0, 10)).toBe(true);
      }),
      { numRuns: numRuns(300) },
    );
  });

  it('daily at any minute: lands on that local time, or at the jump when it falls in a gap', () => {
    fc.assert(
      fc.property(zoned, fc.integer({ min: 0, max: 1439 }), ([after, tz], m) => {
        const at = `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
        const next = nextDue({ kind: 'daily', at }, new Date(after), tz)!;
        expect(next.getTime()).toBeGreaterThan(after);
        const shown = local(next, tz).slice(11);
        if (shown !== at) {
          // Only in a gap: the offset changes exactly at `next`, and the clock jumped past `at`.
          expect(offsetAt(next.getTime() - 1000, tz)).not.toBe(offsetAt(next.getTime(), tz));
          expect(shown > at).toBe(true);
        }
        expect(next.getTime() - after).toBeLessThanOrEqual(25 * 3_600_000 + 1);
      }),
      { numRuns: numRuns(300) },
    );
  });

  it('hourly: strictly after, on the local minute, within the next hour and a half', () => {
    fc.assert(
      fc.property(zoned, fc.integer({ min: 0, max: 59 }), ([after, tz], minute) => {
        const next = nextDue({ kind: 'hourly', minute }, new Date(after), tz)!;
        expect(next.getTime()).toBeGreaterThan(after);
        expect(wallAt(next.getTime(), tz).minute).toBe(minute);
        expect(wallAt(next.getTime(), tz).second).toBe(0);
        expect(next.getTime() - after).toBeLessThanOrEqual(90 * 60_000);
      }),
      { numRuns: numRuns(300) },
    );
  });

  it('off: never', () => {
    expect(nextDue({ kind: 'off' }, new Date('2026-12-04T00:00:00Z'), 'UTC')).toBeNull();
  });

  // The documented DST cases, by name (America/New_York 2026: 8 March 02:00→03:00, 1 November 02:00→01:00).
  it('a 02:30 daily in the spring-forward gap runs at 03:00 local that day', () => {
    const next = nextDue({ kind: 'daily', at: '02:30' }, new Date('2026-03-08T05:00:00Z'), 'America/New_York')!;
    expect(next.toISOString()).toBe('2026-03-08T07:00:00.000Z');
    expect(local(next, 'America/New_York')).toBe('2026-03-08 03:00');
    expect(local(nextDue({ kind: 'daily', at: '02:30' }, next, 'America/New_York')!, 'America/New_York')).toBe('2026-03-09 02:30');
  });

  it('a 01:30 daily in the fall-back overlap runs once, at the first 01:30 (summer time)', () => {
    const first = nextDue({ kind: 'daily', at: '01:30' }, new Date('2026-11-01T04:00:00Z'), 'America/New_York')!;
    expect(first.toISOString()).toBe('2026-11-01T05:30:00.000Z'); // 01:30 EDT
    const second = nextDue({ kind: 'daily', at: '01:30' }, first, 'America/New_York')!;
    expect(second.toISOString()).toBe('2026-11-02T06:30:00.000Z'); // the next day, 01:30 EST — not 06:30Z on the 1st
  });

  it('weekdays skip Saturday and Sunday', () => {
    // Friday 2026-12-04 19:00 in London, after 18:30: next is Monday 2026-12-07 18:30.
    const next = nextDue({ kind: 'weekdays', at: '18:30' }, new Date('2026-12-04T19:00:00Z'), 'Europe/London')!;
    expect(next.toISOString()).toBe('2026-12-07T18:30:00.000Z');
  });
});

describe('lateNote', () => {
  const daily = { kind: 'daily' as const, at: '02:30' };
  it('on time (within five minutes) says nothing; late says when it was due, when it ran, and how many occurrences were missed', () => {
    const due = new Date('2026-12-05T07:30:00Z'); // 02:30 in New York (UTC-5)
    expect(lateNote(daily, due, new Date('2026-12-05T07:31:00Z'), 'America/New_York')).toBeUndefined();
    expect(lateNote(daily, due, new Date('2026-12-05T09:46:00Z'), 'America/New_York')).toBe(
      'Late: due 02:30, ran 04:46 (America/New_York); no other occurrence missed while QBO Connect was not running.',
    );
    expect(lateNote(daily, due, new Date('2026-12-07T09:46:00Z'), 'America/New_York')).toBe(
      'Late: due 2026-12-05 02:30, ran 04:46 (America/New_York); 2 occurrences missed while QBO Connect was not running.',
    );
    expect(lateNote({ kind: 'hourly', minute: 0 }, new Date('2026-12-05T02:00:00Z'), new Date('2026-12-05T04:46:00Z'), 'UTC')).toBe(
      'Late: due 02:00, ran 04:46 (UTC); 2 occurrences missed while QBO Connect was not running.',
    );
  });
});
