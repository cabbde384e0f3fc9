/** `qbo-connect preview [--json] [--skip ROW]`: what the next sync will send, checked against QBO now. */
import type { Command } from 'commander';
import { buildPlan, renderPlanText, skipWithLinked } from '../../connect/plan/index.js';
import { qboClientFor } from '../../connect/connection/qbo-client.js';
import { qboRefusal } from '../../connect/reasons.js';
import { cliActor, realmOf, withApp } from './settings.js';

export function registerPreview(program: Command): void {
  program
    .command('preview')
    .description('what the next sync will send to QBO, with the errors to fix and the warnings (asks QBO now, in bulk)')
    .option('--realm <id>', 'the QBO company (default: the connected one)')
    .option('--json', 'print the plan as JSON')
    .option('--skip <row>', 'skip a row (e.g. invoices:INV-1042) with its linked rows, then show the preview again')
    .action(async (opts: { realm?: string; json?: boolean; skip?: string }, cmd: Command) => {
      await withApp(cmd, async (app) => {
        const realmId = await realmOf(app, opts, cmd);
        const deps = { db: app.ctx.db, clock: app.ctx.clock, logger: app.ctx.logger, qbo: qboClientFor(app.ctx, realmId) };
        try {
          let plan = await buildPlan(deps, realmId, { actor: cliActor() });
          if (opts.skip) {
            const refs = await skipWithLinked(app.ctx.db, { realmId, plan, row: opts.skip, actor: cliActor(), clock: app.ctx.clock });
            if (!opts.json) console.log(`Skipped ${refs.map((r) => `${r.kind} ${r.id}`).join(', ') || 'nothing new'}.\n`);
            plan = await buildPlan(deps, realmId, { actor: cliActor() });
          }
          console.log(opts.json ? JSON.stringify(plan, null, 2) : renderPlanText(plan));
        } catch (err) {
          // QBO-side failures (not connected, unreachable, refused) as one line a person can act on.
          throw qboRefusal(err, 'the preview') ?? err;
        }
      });
    });
}
