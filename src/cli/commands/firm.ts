/**
 * `qbo-connect firm overview|check` (issue 15): every practice and company of the installation, the
 * firm overview's table on the terminal (or JSON); `check` takes every connected company's figures
 * now, one company after another, in this process (the web app's "Check now" queues the same work).
 */
import type { Command } from 'commander';
import { UserFacingError } from '../../user-facing-error.js';
import { firmOverview, overviewSorts, refreshCompanyStatus, sortOverview, type OverviewSort } from '../../connect/overview/index.js';
import { connectedRealms } from '../../connect/realm.js';
import { withApp } from './settings.js';

export function registerFirm(program: Command): void {
  const firm = program.command('firm').description('every practice and QBO company of this installation, and what needs someone');

  firm
    .command('overview')
    .description('one line per company: connection, connect-again date, last sync, errors waiting, held records')
    .option('--sort <key>', `order: ${overviewSorts.join(', ')} (default attention: those that need someone first)`, 'attention')
    .option('--desc', 'reverse the order')
    .option('--json', 'print JSON')
    .action(async (opts: { sort: string; desc?: boolean; json?: boolean }, cmd: Command) => {
      if (!(overviewSorts as readonly string[]).includes(opts.sort)) {
        throw new UserFacingError('firm.unknown-sort', `--sort ${JSON.stringify(opts.sort)} is not an order; use one of ${overviewSorts.join(', ')}.`, { field: '--sort' });
      }
      await withApp(cmd, async (app) => {
        const rows = sortOverview(await firmOverview(app.ctx.db), opts.sort as OverviewSort, app.ctx.clock(), !!opts.desc);
        if (opts.json) {
          console.log(JSON.stringify(rows, null, 2));
          return;
        }
        for (const r of rows) {
          const company = r.realmId ? `${r.companyName ?? '?'} (${r.realmId})` : 'no company connected';
          const last = r.lastSync ? `last sync ${r.lastSync.startedAt.slice(0, 16)} ${r.lastSync.status}` : r.realmId ? 'never synced' : '';
          const p = r.preview;
          const figures = p
            ? p.problem
              ? `not checked: ${p.problem}`
              : `${p.errors} errors, ${p.held} held (checked ${p.checkedAt.slice(0, 16)})`
            : r.realmId
              ? 'not checked yet'
              : '';
          console.log(
            [`${r.practiceId}`, company, r.connection === 'none' ? '' : r.connection, r.reconnectBy ? `connect again by ${r.reconnectBy.slice(0, 10)}` : '', last, figures]
              .filter(Boolean)
              .join(' · '),
          );
        }
      });
    });

  firm
    .command('check')
    .description("take every connected company's figures now (its preview, counted)")
    .action(async (_opts: unknown, cmd: Command) => {
      await withApp(cmd, async (app) => {
        const ctx = app.ctx;
        for (const realmId of await connectedRealms(ctx.db)) {
          const s = await refreshCompanyStatus({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, client: ctx.qbo.company(realmId) }, realmId);
          console.log(`${realmId}: ${s.problem ? `not checked: ${s.problem}` : `${s.errors} errors, ${s.warnings} warnings, ${s.ready} ready, ${s.held} held`}`);
        }
      });
    });
}
