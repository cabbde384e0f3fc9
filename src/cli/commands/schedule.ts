/** `qbo-connect schedule show|set`: when a company syncs unattended, and what it does on preview errors. */
import type { Command } from 'commander';
import { describeSchedule, localOccurrence } from '../../connect/schedule/model.js';
import { UserFacingError } from '../../user-facing-error.js';
import { getSchedule, setSchedule } from '../../connect/schedule/store.js';
import { cliActor, readRealmOf, withApp } from './settings.js';

interface SetOpts {
  realm?: string;
  at?: string;
  minute?: string;
  tz?: string;
  onErrors?: string;
}

export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description('when a QBO company syncs without anyone clicking (off, hourly, daily, weekdays)');

  schedule
    .command('show')
    .description('the schedule, its next occurrence and how the last one ended')
    .option('--realm <id>', 'the QBO company (default: the connected one, else the one last connected here)')
    .option('--json', 'print JSON')
    .action(async (opts: { realm?: string; json?: boolean }, cmd: Command) => {
      await withApp(cmd, async (app) => {
        const s = await getSchedule(app.ctx.db, await readRealmOf(app, opts, cmd));
        if (opts.json) {
          console.log(JSON.stringify({ ...s, described: describeSchedule(s) }, null, 2));
          return;
        }
        console.log(`Schedule of company ${s.realmId}: ${describeSchedule(s)}`);
        console.log(`  on preview errors: ${s.onErrors === 'sync-ready' ? 'sync the ready records, hold the rest' : 'sync nothing'} (${s.onErrors})`);
        console.log(`  next: ${s.nextDueAt ? localOccurrence(s.nextDueAt, s.timeZone) : 'none'}`);
        if (s.last.outcome)
          console.log(`  last: ${s.last.outcome} at ${s.last.at ?? '?'}${s.last.runId ? ` (run ${s.last.runId})` : ''}${s.last.message ? `: ${s.last.message}` : ''}`);
      });
    });

  schedule
    .command('set')
    .description('change the schedule, e.g. "schedule set daily --at 18:30 --tz Europe/London", "schedule set off"; audited')
    .argument('[kind]', 'off, hourly, daily or weekdays (default: unchanged)')
    .option('--at <HH:MM>', 'local time, for daily and weekdays')
    .option('--minute <m>', 'minutes past the hour, for hourly (0-59)')
    .option('--tz <zone>', "the company's IANA time zone, e.g. Europe/London")
    .option('--on-errors <what>', 'sync-nothing (default) or sync-ready (send what is ready, hold the rest)')
    .option('--realm <id>', 'the QBO company (default: the connected one, else the one last connected here)')
    .action(async (kind: string | undefined, opts: SetOpts, cmd: Command) => {
      await withApp(cmd, async (app) => {
        const realmId = await readRealmOf(app, opts, cmd);
        // A flag for another kind of schedule is refused, never ignored: `hourly --at 10:00` would
        // otherwise save "hourly at :00" and the person would believe it runs at 10:00.
        const effective = kind ?? (await getSchedule(app.ctx.db, realmId)).schedule.kind;
        if (opts.at !== undefined && effective !== 'daily' && effective !== 'weekdays')
          throw new UserFacingError(
            'schedule.flag-not-applicable',
            `--at applies only to daily and weekdays schedules; this one is ${effective}${effective === 'hourly' ? ' (use --minute)' : ''}.`,
            { field: '--at' },
          );
        if (opts.minute !== undefined && effective !== 'hourly')
          throw new UserFacingError(
            'schedule.flag-not-applicable',
            `--minute applies only to hourly schedules; this one is ${effective}${effective === 'off' ? '' : ' (use --at)'}.`,
            { field: '--minute' },
          );
        const input: Record<string, string> = {};
        if (kind !== undefined) input.kind = kind;
        if (opts.at !== undefined) input.at = opts.at;
        if (opts.minute !== undefined) input.minute = opts.minute;
        if (opts.tz !== undefined) input.timeZone = opts.tz;
        if (opts.onErrors !== undefined) input.onErrors = opts.onErrors;
        const r = await setSchedule(app.ctx.db, { realmId, input, actor: cliActor(), clock: app.ctx.clock });
        const changed = r.changes.filter((c) => c.changed);
        if (changed.length === 0) console.log(`The schedule is already ${describeSchedule(r.schedule)}; nothing changed.`);
        for (const c of changed) console.log(`${c.path}: ${String(c.oldValue ?? 'none')} -> ${String(c.newValue ?? 'none')}`);
        if (changed.length) console.log(`Schedule: ${describeSchedule(r.schedule)}; next: ${r.schedule.nextDueAt ?? 'none'}`);
      });
    });
}
