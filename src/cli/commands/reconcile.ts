/**
 * `qbo-connect reconcile [--json | --csv] [--from D] [--to D]`: do the practice and QBO agree, customer
 * by customer and tax code by tax code? Exit 0 when they agree, 1 when a difference is shown, 2 when
 * refused (a bad date, no company).
 */
import type { Command } from 'commander';
import { qboClientFor } from '../../connect/connection/qbo-client.js';
import { reconcile, renderReportText, reportCsv } from '../../connect/reconcile/index.js';
import { qboRefusal } from '../../connect/reasons.js';
import { userError } from '../context.js';
import { realmOf, withApp } from './settings.js';

export function registerReconcile(program: Command): void {
  program
    .command('reconcile')
    .description('the practice and QBO side by side for a period: per customer, supplier, staff member and tax code, and the documents that explain each difference')
    .option('--realm <id>', 'the QBO company (default: the connected one)')
    .option('--from <date>', 'the period start, YYYY-MM-DD (default: the earliest export-from date)')
    .option('--to <date>', 'the period end, YYYY-MM-DD (default: today)')
    .option('--json', 'print the report as JSON')
    .option('--csv', 'print the report as CSV')
    .action(async (opts: { realm?: string; from?: string; to?: string; json?: boolean; csv?: boolean }, cmd: Command) => {
      if (opts.json && opts.csv) throw userError('--json and --csv: give one of them');
      await withApp(cmd, async (app) => {
        const realmId = await realmOf(app, opts, cmd);
        let report;
        try {
          report = await reconcile({ db: app.ctx.db, clock: app.ctx.clock, logger: app.ctx.logger, qbo: qboClientFor(app.ctx, realmId) }, realmId, {
            from: opts.from,
            to: opts.to,
          });
        } catch (err) {
          throw qboRefusal(err, 'the reconciliation report') ?? err;
        }
        if (opts.json) console.log(JSON.stringify(report, null, 2));
        else if (opts.csv) process.stdout.write(reportCsv(report));
        else process.stdout.write(renderReportText(report));
        // The exit code follows the verdict: a per-party or tax figure can differ with no difference row.
        if (!report.summary.agrees || report.summary.differences > 0) process.exitCode = 1;
      });
    });
}
