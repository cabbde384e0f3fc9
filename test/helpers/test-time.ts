/**
 * The one date every test runs on. Nothing in a test may read the machine's date or time zone: the
 * product (createApp, via QBO_CONNECT_CLOCK_START) and the emulator (QBO_EMULATOR_CLOCK_START) both
 * start their clocks at this instant, set for every test worker and spawned CLI by vitest.config.ts.
 * `QBO_TEST_NOW=2028-02-29T23:30:00Z npx vitest run …` moves it (npm run test:dates does, across month
 * ends, a leap day, a year end and daylight-saving changes).
 */
import { clockFrom, type Clock } from '../../src/app.js';

/** A Thursday mid-month, mid-afternoon in Sydney and Auckland, evening the day before in Los Angeles. */
export const DEFAULT_TEST_NOW = '2026-11-26T02:00:00.000Z';

export function testNow(): string {
  const v = process.env.QBO_TEST_NOW;
  if (v === undefined || v === '') return DEFAULT_TEST_NOW;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z$/.test(v) || Number.isNaN(Date.parse(v))) {
    throw new Error(`QBO_TEST_NOW=${v}: must be a UTC instant, e.g. 2028-02-29T23:30:00Z`);
  }
  return new Date(v).toISOString();
}

/** The environment that starts the product's and the emulator's clocks at the test instant. */
export function testClockEnv(): { QBO_CONNECT_CLOCK_START: string; QBO_EMULATOR_CLOCK_START: string } {
  const now = testNow();
  return { QBO_CONNECT_CLOCK_START: now, QBO_EMULATOR_CLOCK_START: now };
}

/** A clock that stands still at `iso` (default: the test instant). */
export function fixedClock(iso: string = testNow()): Clock {
  const ms = Date.parse(iso);
  return () => new Date(ms);
}

/** A clock that starts at the test instant and runs on at real speed (leases, timeouts and TTLs move). */
export function testClock(): Clock {
  return clockFrom(testNow());
}
