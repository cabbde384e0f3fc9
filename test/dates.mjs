#!/usr/bin/env node
/**
 * `npm run test:dates [-- files…]`: runs date-sensitive test files on awkward days and in awkward
 * zones, so "passes on any date, in any time zone" is checked rather than hoped for.
 *
 * Each scenario sets TZ, moves the machine's clock with libfaketime when it is installed
 * (Debian: apt-get install faketime; skipped with a note otherwise), and moves the injected test clock
 * (QBO_TEST_NOW, test/helpers/test-time.ts) to the same instant, so both the product's date logic on
 * that day and the absence of any machine-date dependence are exercised. The first two scenarios
 * move only the machine (date and zone) and keep the fixed test instant: nothing may change.
 * Ends with one line per scenario and "N passed, N failed" (scenarios); exits non-zero on a failure.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const defaultFiles = [
  'test/sync/changes.test.ts',
  'test/sync/demo.test.ts',
  'test/preview.test.ts',
  'test/preview-settings.test.ts',
  'test/settings-cli.test.ts',
  'test/practice-cli.test.ts',
  'test/emulator-oauth.test.ts',
  'src/connect/settings/model.test.ts',
  'src/connect/settings/store.test.ts',
  'src/practice/demo.test.ts',
  'src/practice/import.test.ts',
  'src/emulator/run/clock.test.ts',
  'src/accounts/accounts.test.ts',
];

// Instants in UTC. DST: New Zealand leaves daylight time at 2027-04-04 03:00 NZDT (14:00Z the day
// before); Los Angeles enters it at 2027-03-14 02:00 PST (10:00Z). Each starts half an hour before.
const scenarios = [
  { name: 'machine on a leap day, Auckland; fixed test instant', tz: 'Pacific/Auckland', machine: '2028-02-29T23:30:00Z', injected: false },
  { name: "machine on New Year's Eve, Los Angeles; fixed test instant", tz: 'America/Los_Angeles', machine: '2027-12-31T23:30:00Z', injected: false },
  { name: 'last day of a month, Auckland', tz: 'Pacific/Auckland', machine: '2027-06-30T23:30:00Z', injected: true },
  { name: '29 February 2028, Los Angeles', tz: 'America/Los_Angeles', machine: '2028-02-29T23:30:00Z', injected: true },
  { name: '31 December, Auckland', tz: 'Pacific/Auckland', machine: '2027-12-31T23:30:00Z', injected: true },
  { name: 'across the end of daylight time, Auckland', tz: 'Pacific/Auckland', machine: '2027-04-03T13:30:00Z', injected: true },
  { name: 'across the start of daylight time, Los Angeles', tz: 'America/Los_Angeles', machine: '2027-03-14T09:30:00Z', injected: true },
];

const files = process.argv.slice(2).length ? process.argv.slice(2) : defaultFiles;
const libs = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/faketime/libfaketime.so.1'];
const libfaketime = libs.find((p) => fs.existsSync(p));
console.log(`test:dates — ${files.length} file(s): ${files.join(' ')}`);
if (!libfaketime) console.log('libfaketime not installed (apt-get install faketime): only TZ and the injected clock move, not the machine date');

const results = [];
for (const s of scenarios) {
  const env = { ...process.env, TZ: s.tz };
  delete env.QBO_TEST_NOW;
  if (s.injected) env.QBO_TEST_NOW = s.machine;
  if (libfaketime) {
    // A relative offset, so the fake date does not depend on how libfaketime reads a local time;
    // monotonic clocks stay real so timers and timeouts behave.
    const offset = Math.round((Date.parse(s.machine) - Date.now()) / 1000);
    env.LD_PRELOAD = [libfaketime, env.LD_PRELOAD].filter(Boolean).join(':');
    env.FAKETIME = `${offset >= 0 ? '+' : ''}${offset}s`;
    env.FAKETIME_DONT_FAKE_MONOTONIC = '1';
    env.FAKETIME_DONT_RESET = '1';
  }
  const label = `${s.name} (TZ=${s.tz}, machine ${libfaketime ? s.machine : 'real date'}, test clock ${s.injected ? s.machine : 'fixed'})`;
  console.log(`\n=== ${label}`);
  // Generous timeouts: this checks dates, not speed (CLI spawns are slow on a loaded machine).
  const r = spawnSync('npx', ['vitest', 'run', '--testTimeout=120000', '--hookTimeout=180000', ...files], { env, stdio: 'inherit' });
  results.push({ label, ok: r.status === 0 });
}
console.log('\ntest:dates results');
for (const r of results) console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${r.label}`);
const passed = results.filter((r) => r.ok).length;
console.log(`${passed} passed, ${results.length - passed} failed`);
process.exit(passed === results.length ? 0 : 1);
