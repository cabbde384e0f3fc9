/** `qbo-connect sync [--json] [--yes]` and `qbo-connect recover`: write the plan to QBO; settle interrupted writes. */
import readline from 'node:readline/promises';
import type { Command } from 'commander';
import { syncDepsFor } from '../../connect/run/deps.js';
import { runStatusWords } from '../../connect/run/history.js';
import { recoverCompany, startSync, type SyncResult } from '../../connect/run/sync.js';
import type { Progress } from '../../connect/run/context.js';
import { userError } from '../context.js';
import { cliActor, realmOf, withApp } from './settings.js';

/** How long `sync` waits, after printing its result, for each notification channel (email and webhook, side by side): a dead server costs at most this. */
const CLI_NOTIFY_TIMEOUT_MS = 3_000;

/** One line, redrawn in place: `[#########-----------]  45/100  invoices`. */
export function progressLine(p: Progress, width = 30): string {
  const filled = p.total ? Math.round((p.done / p.total) * width) : width;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(p.done).padStart(String(p.total).length)}/${p.total}  ${p.group}`;
}

export function summaryLine(r: SyncResult): string {
  const s = r.summary;
  const secs = s.durationMs === null ? '' : ` in ${(s.durationMs / 1000).toFixed(1)} s`;
  const counts = `${s.created} created, ${s.adopted} adopted, ${s.updated} updated, ${s.voided} voided, ${s.imported} imported, ${s.failed} failed, ${s.held} held`;
  return `Run ${r.runId} ${runStatusWords({ ...s, status: r.status, message: r.message })}${secs}: ${s.processed} records (${counts}); ${s.requests} QuickBooks requests.`;
}

async function confirm(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** `--resolve 42 sent --qbo-id 130` / `--resolve 42 not-sent`, checked before anything is opened. */
export function resolveArgs(values: string[], qboId: string | undefined): { journalId: number; verdict: 'sent' | 'not-sent'; qboId?: string } {
  const [id, verdict, ...extra] = values;
  if (!id || !/^\d+$/.test(id) || (verdict !== 'sent' && verdict !== 'not-sent') || extra.length) {
    throw userError(`--resolve takes a journal id and sent or not-sent (e.g. \`--resolve 42 not-sent\`); got "${values.join(' ')}"`);
  }
  if (verdict === 'not-sent' && qboId !== undefined) throw userError('--qbo-id goes with --resolve ID sent, not with not-sent');
  return { journalId: Number(id), verdict, ...(qboId !== undefined ? { qboId } : {}) };
}

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('send the preview to QuickBooks: each record exactly once, in dependency order, then import payments')
    .option('--realm <id>', 'the QBO company (default: the connected one)')
    .option('--json', 'print the result as JSON')
    .option('--yes', 'do not ask before writing to QuickBooks')
    .action(async (opts: { realm?: string; json?: boolean; yes?: boolean }, cmd: Command) => {
      await withApp(cmd, async (app) => {
        const realmId = await realmOf(app, opts, cmd);
        if (!opts.yes) {
          if (!process.stdin.isTTY) throw userError('sync writes to QuickBooks: add --yes to run it without a terminal to confirm on');
          if (!(await confirm(`Write the preview of company ${realmId} to QuickBooks now? [y/N] `))) {
            console.error('Nothing sent.');
            return;
          }
        }
        const actor = cliActor();
        // The run's notification goes after the lock is released; the CLI then waits for it at most
        // CLI_NOTIFY_TIMEOUT_MS per channel (side by side), so a dead mail server cannot hold the exit.
        const deps = syncDepsFor(app.ctx, realmId, { actor, notifyTimeoutMs: CLI_NOTIFY_TIMEOUT_MS });
        const tty = !opts.json && process.stderr.isTTY;
        // A refusal (another sync running) reaches main.ts, which prints it as one line, exit 2.
        const started = await startSync(deps, { realmId, actor, onProgress: tty ? (p) => process.stderr.write(`\r${progressLine(p)}\x1b[K`) : undefined });
        const result: SyncResult = await started.done;
        if (tty) process.stderr.write('\n');
        if (opts.json) console.log(JSON.stringify(result, null, 2));
        else {
          console.log(summaryLine(result));
          if (result.message) console.log(result.message);
          for (const r of result.summary.records.filter((x) => x.status !== 'done')) console.log(`  ${r.status}: ${r.message ?? r.label}`);
        }
        // 0 all written; 1 some records failed or are held; 3 refused (plan errors).
        if (result.status === 'refused') process.exitCode = 3;
        else if (result.status !== 'succeeded') process.exitCode = 1;
        await started.notified;
      });
    });

  program
    .command('recover')
    .description('settle writes an interrupted sync left unresolved: look each up in QuickBooks, link it, or mark it for resending')
    .option('--realm <id>', 'the QBO company (default: the connected one)')
    .option('--json', 'print the result as JSON')
    .option(
      '--resolve <journal-id-and-verdict...>',
      'settle one write yourself after checking QuickBooks: `--resolve 42 not-sent` (it is not there: the next sync sends it) or `--resolve 42 sent --qbo-id 130` (it is there: link it)',
    )
    .option('--qbo-id <id>', 'with --resolve ID sent: the QuickBooks Id of the record that arrived')
    .action(async (opts: { realm?: string; json?: boolean; resolve?: string[]; qboId?: string }, cmd: Command) => {
      const resolve = opts.resolve ? resolveArgs(opts.resolve, opts.qboId) : undefined;
      await withApp(cmd, async (app) => {
        const realmId = await realmOf(app, opts, cmd);
        const deps = syncDepsFor(app.ctx, realmId);
        const r = await recoverCompany(deps, { realmId, actor: cliActor(), ...(resolve ? { resolve } : {}) });
        if (opts.json) console.log(JSON.stringify(r, null, 2));
        else {
          if (r.resolved) console.log(r.resolved);
          console.log(
            `Recovery (run ${r.runId}): ${r.found} unresolved write(s); ${r.adopted} found in QuickBooks and linked, ${r.settled} updates/voids settled, ${r.notSent} not in QuickBooks (the next sync sends them), ${r.held} held for review, ${r.unknown} still unknown.`,
          );
          for (const u of r.unsettled)
            console.log(
              `  write ${u.journalId} (${u.record}) could not be checked: ${u.reason}. After checking QuickBooks: \`qbo-connect recover --resolve ${u.journalId} not-sent\` or \`--resolve ${u.journalId} sent --qbo-id <Id>\`.`,
            );
        }
        if (r.held || r.unknown) process.exitCode = 1;
      });
    });
}
