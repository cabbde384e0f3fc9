/**
 * The one date every test runs on. Nothing in a test may read the machine's date or time zone: the
 * product (createApp, via QBO_CONNECT_CLOCK_START) and the emulator (QBO_EMULATOR_CLOCK_START) both
 * start their clocks at this instant, set for every test worker and spawned CLI by vitest.config.ts.
 * `QBO_TEST_NOW=2028-02-29T23:30:00Z npx vitest run …` moves it (npm run test:dates does, across month
 * ends, a leap day, a year end and daylight-saving changes).
 */
import { clockFrom } from '../../src/clock.js';
import type { Clock } from '../../src/context.js';

/** A Thursday mid-month, mid-afternoon in Sydney and Auckland, evening the day before in Los Angeles. */
export const DEFAULT_TEST_NOW = '2026-11-26T02:00:00.000Z';

export function testNow(): string {
  const v = process.env.QBO_TEST_NOW;
  if (v === undefined || v === '') return DEFAULT_TEST_NOW;
  if (!/^\d{4}-\d{2}-\d{2}T[\d:.]{5,12}Z$/.test(v) || Number.isNaN(Date.parse(v))) {
    throw new Error(`QBO_TEST_NOW=${v}: must be a UTC instant, e.g. 2028-02-29T23:30:00Z`);
  }
  return new Date(v).toISOString();
}

/**
 * The environment that sets the product's and the emulator's clocks: the test instant at the real
 * moment the test run began (`<instant>@<epoch ms>`), fixed once in vitest.config.ts and inherited by
 * every worker and spawned CLI, so all of them share one timeline (a CLI spawned later reads later).
 */
export function testClockEnv(): { QBO_CONNECT_CLOCK_START: string; QBO_EMULATOR_CLOCK_START: string } {
  const value = process.env.QBO_CONNECT_CLOCK_START || `${testNow()}@${Date.now()}`;
  return { QBO_CONNECT_CLOCK_START: value, QBO_EMULATOR_CLOCK_START: value };
}

/** A clock that stands still at `iso` (default: the test instant). */
export function fixedClock(iso: string = testNow()): Clock {
  const ms = Date.parse(iso);
  return () => new Date(ms);
}

/** The tests' shared timeline (the product's clock in tests): leases, timeouts and TTLs move. */
export function testClock(): Clock {
  return clockFrom(testClockEnv().QBO_CONNECT_CLOCK_START);
}

/** The test instant (plus `offsetMs`) as a Date: what a test writes where the product would write "now". */
export function testDate(offsetMs = 0): Date {
  return new Date(Date.parse(testNow()) + offsetMs);
}
