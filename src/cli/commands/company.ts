/** `qbo-connect company offices`: which part of the practice ledger a QBO company takes (issue 15). */
import type { Command } from 'commander';
import { describeOffices, getCompanyScope, setCompanyOffices } from '../../connect/company-scope.js';
import { UserFacingError } from '../../user-facing-error.js';
import { cliActor, readRealmOf, withApp } from './settings.js';

interface OfficesOpts {
  realm?: string;
  set?: string;
  all?: boolean;
  none?: boolean;
  json?: boolean;
}

export function registerCompany(program: Command): void {
  const company = program.command('company').description('a QBO company of the practice: which offices it takes');

  company
    .command('offices')
    .description('show, or change (--set A,B | --all | --none), the offices whose documents the company takes; audited like settings')
    .option('--realm <id>', 'the QBO company (default: the connected one, else the one last connected here)')
    .option('--set <codes>', 'office codes, comma-separated: the company takes only the documents of these offices')
    .option('--all', 'the company takes the whole ledger (the default)')
    .option('--none', 'the company takes no document any more (a company the practice stopped using)')
    .option('--json', 'print JSON')
    .action(async (opts: OfficesOpts, cmd: Command) => {
      const given = [opts.set !== undefined, opts.all === true, opts.none === true].filter(Boolean).length;
      if (given > 1) throw new UserFacingError('company.offices-flags', 'Give one of --set, --all or --none.', { field: '--set' });
      await withApp(cmd, async (app) => {
        const realmId = await readRealmOf(app, opts, cmd);
        if (given === 1) {
          let offices: string[] | null = null;
          if (opts.none) offices = [];
          if (opts.set !== undefined) {
            offices = opts.set
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean);
            if (offices.length === 0)
              throw new UserFacingError('company.offices-flags', '--set needs office codes, e.g. --set SYD,MEL (or use --all or --none).', { field: '--set' });
          }
          const r = await setCompanyOffices(app.ctx.db, { realmId, offices, actor: cliActor(), clock: app.ctx.clock });
          if (opts.json) console.log(JSON.stringify(r, null, 2));
          else if (r.changed) console.log(`Company ${realmId} offices: ${describeOffices(r.oldValue)} -> ${describeOffices(r.newValue)}`);
          else console.log(`Company ${realmId} already takes ${describeOffices(r.newValue)}; nothing changed.`);
          return;
        }
        const s = await getCompanyScope(app.ctx.db, realmId);
        if (opts.json) console.log(JSON.stringify(s, null, 2));
        else console.log(`Company ${realmId}${s.companyName ? ` (${s.companyName})` : ''} of practice ${s.practiceId} takes ${describeOffices(s.offices)}.`);
      });
    });
}
