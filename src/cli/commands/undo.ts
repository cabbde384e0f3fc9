/**
 * `qbo-connect undo RUN [--yes] [--json]`: take a sync back. Without --yes it prints the preview
 * (what will be voided, deleted, made inactive, or cannot be undone and why) and changes nothing
 * (on a terminal it asks first); with --yes (or a yes at the prompt) it undoes.
 * Exit codes: 0 previewed, or undone entirely; 1 undone except what is named as not undoable;
 * 2 refused (no such run, not a sync, still running, another run holds the company).
 */
import readline from 'node:readline/promises';
import type { Command } from 'commander';
import { syncDepsFor } from '../../connect/run/deps.js';
import { previewUndo, renderUndoPreview, undoRun } from '../../connect/undo/index.js';
import { cliActor, realmOf, withApp } from './settings.js';

async function confirm(question: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export function registerUndo(program: Command): void {
  program
    .command('undo <run>')
    .description('take a sync back: void its invoices and payments, delete its credit notes and bills, make the names it created inactive; preview first')
    .option('--realm <id>', 'the QBO company (default: the connected one)')
    .option('--yes', 'undo now, without asking (without it, only the preview is shown)')
    .option('--json', 'print JSON')
    .action(async (runId: string, opts: { realm?: string; yes?: boolean; json?: boolean }, cmd: Command) => {
      await withApp(cmd, async (app) => {
        const realmId = await realmOf(app, opts, cmd);
        const actor = cliActor();
        const deps = syncDepsFor(app.ctx, realmId, { actor });
        let go = opts.yes === true;
        if (!go) {
          const preview = await previewUndo(deps, realmId, runId);
          if (opts.json) console.log(JSON.stringify({ preview }, null, 2));
          else console.log(renderUndoPreview(preview));
          const writes = preview.counts.void + preview.counts.delete + preview.counts.inactivate;
          if (!writes || !process.stdin.isTTY || opts.json) {
            if (writes) console.error(`Nothing changed. Run \`qbo-connect undo ${runId} --yes\` to undo.`);
            return;
          }
          go = await confirm(`Undo run ${runId} in QuickBooks now (${writes} change(s))? [y/N] `);
          if (!go) {
            console.error('Nothing changed.');
            return;
          }
        }
        // A refusal (no such run, another run holding the company) reaches main.ts: one line, exit 2.
        const r = await undoRun(deps, { realmId, runId, actor });
        if (opts.json) console.log(JSON.stringify(r, null, 2));
        else {
          console.log(`Run ${r.undoRunId} ${r.status}: ${r.message}`);
          for (const x of r.summary.records) console.log(`  ${x.status === 'done' ? 'done' : x.status}: ${x.message ?? x.label}`);
        }
        if (r.status !== 'succeeded') process.exitCode = 1;
      });
    });
}
