/** `qbo-connect skip|unskip KIND ID` and `qbo-connect skipped`: records left out of syncs, and adding them back. */
import type { Command } from 'commander';
import { getSettings } from '../../connect/settings/store.js';
import { listSkipped, recordKinds, skip, unskip } from '../../connect/skips.js';
import { cliActor, readRealmOf, realmOf, withApp } from './settings.js';

export function registerSkip(program: Command): void {
  program
    .command('skip')
    .description(`leave a record out of syncs until it is added back (KIND: ${recordKinds.join(', ')})`)
    .argument('<kind>', 'the kind of record')
    .argument('<id>', "the record's id")
    .option('--realm <id>', 'the QBO company (default: the connected one)')
    .action(async (kind: string, id: string, opts: { realm?: string }, cmd: Command) => {
      await withApp(cmd, async (app) => {
        const realmId = await realmOf(app, opts, cmd);
        const added = await skip(app.ctx.db, { realmId, kind, id, actor: cliActor(), clock: app.ctx.clock });
        console.log(added ? `Skipped ${kind} ${id}.` : `${kind} ${id} was already skipped.`);
      });
    });

  program
    .command('unskip')
    .description('add a skipped record back to the next sync')
    .argument('<kind>', 'the kind of record')
    .argument('<id>', "the record's id")
    .option('--realm <id>', 'the QBO company (default: the connected one)')
    .action(async (kind: string, id: string, opts: { realm?: string }, cmd: Command) => {
      await withApp(cmd, async (app) => {
        const realmId = await realmOf(app, opts, cmd);
        await unskip(app.ctx.db, { realmId, kind, id, actor: cliActor(), clock: app.ctx.clock });
        console.log(`Added ${kind} ${id} back to the next sync.`);
      });
    });

  program
    .command('skipped')
    .description('list skipped records within the export window: who skipped what, and when')
    .option('--realm <id>', 'the QBO company (default: the connected one)')
    .option('--json', 'print JSON')
    .action(async (opts: { realm?: string; json?: boolean }, cmd: Command) => {
      await withApp(cmd, async (app) => {
        const realmId = await readRealmOf(app, opts, cmd);
        const settings = await getSettings(app.ctx.db, realmId, app.ctx.clock);
        const rows = await listSkipped(app.ctx.db, realmId, { exportFrom: settings.general.exportFrom });
        if (opts.json) {
          console.log(JSON.stringify({ realmId, skipped: rows }, null, 2));
          return;
        }
        if (rows.length === 0) {
          console.log('No skipped records.');
          return;
        }
        for (const s of rows) {
          const why = s.heldByEngine ? `held by the engine${s.reasonCode ? ` (${s.reasonCode})` : ''}` : `skipped by ${s.skippedBy}`;
          console.log(`${s.kind} ${s.recordId}${s.recordDate ? ` (${s.recordDate})` : ''}: ${why} at ${s.skippedAt}`);
        }
      });
    });
}
