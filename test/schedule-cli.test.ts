/** `qbo-connect schedule show|set` as a real child process on a throw-away data folder. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { wallAt } from '../src/connect/schedule/next-due.js';
import { testDate } from './helpers/test-time.js';

const bin = path.resolve('bin/qbo-connect.js');
let dataDir: string;

function run(...args: string[]) {
  return spawnSync(process.execPath, [bin, '--data-dir', dataDir, ...args], {
    env: { ...process.env, QBO_CONNECT_LOG_LEVEL: 'silent', DATABASE_URL: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('qbo-connect schedule', () => {
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-schedule-cli-'));
  });

  it('is off until set; set daily at a local time in a zone; show says when next', () => {
    const off = run('schedule', 'show', '--realm', '9130');
    expect(off.status, off.stderr).toBe(0);
    expect(off.stdout).toContain('Schedule of company 9130: off');
    const set = run('schedule', 'set', 'daily', '--at', '18:30', '--tz', 'Europe/London', '--realm', '9130');
    expect(set.status, set.stderr).toBe(0);
    expect(set.stdout).toContain('schedule.kind: off -> daily');
    expect(set.stdout).toContain('schedule.timeZone: UTC -> Europe/London');
    const shown = JSON.parse(run('schedule', 'show', '--realm', '9130', '--json').stdout) as { nextDueAt: string; described: string; onErrors: string };
    expect(shown.described).toBe('daily at 18:30 (Europe/London)');
    expect(shown.onErrors).toBe('sync-nothing');
    const next = new Date(shown.nextDueAt);
    expect(next.getTime()).toBeGreaterThan(testDate().getTime());
    expect(wallAt(next.getTime(), 'Europe/London')).toMatchObject({ hour: 18, minute: 30 });
    // The words give the next run in the company's time first, then UTC; the JSON keeps the ISO instant.
    expect(run('schedule', 'show', '--realm', '9130').stdout).toMatch(/ {2}next: \w{3} \d{1,2} \w{3} \d{4} 18:30 Europe\/London \((\w{3} \d{1,2} \w{3} )?\d\d:30 UTC\)\n/);
    // Only the error policy: the time stays.
    expect(run('schedule', 'set', '--on-errors', 'sync-ready', '--realm', '9130').stdout).toContain('schedule.onErrors: sync-nothing -> sync-ready');
  });

  it.each([
    [['schedule', 'set', 'fortnightly'], 'schedule.kind'],
    [['schedule', 'set', 'weekdays', '--at', '6pm'], 'schedule.at'],
    [['schedule', 'set', 'hourly', '--minute', '75'], 'schedule.minute'],
    [['schedule', 'set', '--tz', 'London'], 'schedule.timeZone'],
    [['schedule', 'set', '--on-errors', 'yolo'], 'schedule.onErrors'],
    // A flag for another kind is refused naming it (the stored schedule is daily here).
    [['schedule', 'set', 'hourly', '--at', '10:00'], '--at applies only to daily and weekdays'],
    [['schedule', 'set', 'daily', '--minute', '5'], '--minute applies only to hourly'],
    [['schedule', 'set', '--minute', '5'], '--minute applies only to hourly schedules; this one is daily'],
  ])('refuses %j with one line naming %s, exit 2, nothing changed', (args, field) => {
    const r = run(...args, '--realm', '9130');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(field);
  });

  it('kept the schedule through the refusals; its changes are in the settings audit under this terminal', () => {
    expect(run('schedule', 'show', '--realm', '9130').stdout).toContain('daily at 18:30 (Europe/London)');
    expect(run('settings', 'audit', '--path', 'schedule', '--realm', '9130').stdout).toMatch(/cli:\S+ {2}schedule\.kind: off -> daily/);
  });
});
