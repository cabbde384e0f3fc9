/** `qbo-connect history [--json] [--run ID]`: the runs of a company, or one run record by record. */
import type { Command } from 'commander';
import { getRun, listRuns, runStatusWords, undoCountsText, type RunSummary } from '../../connect/run/history.js';
import type { App } from '../../app.js';
import { actingPractice } from '../../connect/acting-practice.js';
import { refusal } from '../../connect/run/reasons.js';
import { userError } from '../context.js';
import { readRealmOf, withApp } from './settings.js';

function runLine(r: RunSummary): string {
  const secs = r.durationMs === null ? (r.status === 'queued' ? 'queued' : 'running') : `${(r.durationMs / 1000).toFixed(1)} s`;
  // An undo counts in its own words (issue 18): a name kept active is not held, a deleted bill not voided.
  if (r.undo) return `${r.id}  ${r.startedAt}  ${r.startedBy}  ${r.status}  ${secs}  undo of ${r.undoes ?? '?'}, processed ${r.processed}: ${undoCountsText(r.undo)}`;
  return `${r.id}  ${r.startedAt}  ${r.startedBy}  ${runStatusWords(r)}  ${secs}  processed ${r.processed}: created ${r.created}, adopted ${r.adopted}, updated ${r.updated}, voided ${r.voided}, imported ${r.imported}, failed ${r.failed}, held ${r.held}`;
}

/** With `--practice`, a run of another practice's company is refused as no such run, naming nothing of it. */
async function refuseOtherPracticeRun(app: App, runId: string): Promise<void> {
  const practice = actingPractice();
  if (practice === undefined) return;
  const row = await app.ctx.db
    .selectFrom('runs')
    .leftJoin('connections', 'connections.realm_id', 'runs.realm_id')
    .select('connections.practice_id')
    .where('runs.id', '=', runId)
    .executeTakeFirst();
  if (row && row.practice_id !== practice) throw refusal('run.no-such-run', { runId }, 'id');
}

export function registerHistory(program: Command): void {
  program
    .command('history')
    .description('what each sync did: who ran it, when, how long, the counts; with --run, every record')
    .option('--realm <id>', 'the QBO company (default: the connected one)')
    .option('--run <id>', 'one run, record by record')
    .option('--limit <n>', 'how many runs (default 20)', '20')
    .option('--json', 'print JSON')
    .action(async (opts: { realm?: string; run?: string; limit: string; json?: boolean }, cmd: Command) => {
      await withApp(cmd, async (app) => {
        if (opts.run) {
          // No such run — or another practice's, which is as unknown here (issue 15): a refusal, printed by main.ts as one line.
          await refuseOtherPracticeRun(app, opts.run);
          const run = await getRun(app.ctx.db, opts.run, { now: app.ctx.clock() });
          if (opts.json) {
            console.log(JSON.stringify(run, null, 2));
            return;
          }
          console.log(runLine(run));
          if (run.message) console.log(run.message);
          for (const r of run.records) {
            console.log(
              `  ${r.status.padEnd(6)} ${r.action.padEnd(6)} ${r.label}${r.qboId ? ` → ${r.qboEntity} ${r.qboId}` : ''}${r.status !== 'done' && r.message ? `: ${r.message}` : ''}`,
            );
          }
          return;
        }
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw userError(`--limit ${opts.limit}: give a whole number from 1 to 1000`);
        const realmId = await readRealmOf(app, opts, cmd);
        const runs = await listRuns(app.ctx.db, { realmId, limit, now: app.ctx.clock() });
        if (opts.json) {
          console.log(JSON.stringify({ realmId, runs }, null, 2));
          return;
        }
        if (!runs.length) console.log('No syncs yet.');
        for (const r of runs) console.log(runLine(r));
      });
    });
}
