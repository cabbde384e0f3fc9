/**
 * `qbo-connect held [--json]`: every held record (diverged, ambiguous look-up, adopt mismatch) with its
 * fields side by side and the actions offered, and the recent actions. `qbo-connect held ACTION …`
 * takes one: `keep-qbo KIND ID`, `send-ours KIND ID`, `relink KIND ID QBO_ID`, `skip KIND ID`,
 * `undo ACTION_ID` (until the next sync).
 */
import type { Command } from 'commander';
import { qboClientFor } from '../../connect/connection/qbo-client.js';
import { qboRefusal } from '../../connect/reasons.js';
import { actOnHeld, heldActionNames, listHeld, undoHeldAction, type HeldDeps, type HeldView } from '../../connect/held/index.js';
import { userError } from '../context.js';
import { cliActor, realmOf, withApp } from './settings.js';

const usage =
  '`qbo-connect held` lists; `held keep-qbo|send-ours KIND ID --sync-token N` (N as listed), `held skip KIND ID`, `held relink KIND ID QBO_ID`, `held undo ACTION_ID` act';

function pad(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n);
}

function render(view: HeldView): string {
  const out: string[] = [];
  if (!view.held.length) out.push('No held records: nothing waits for a decision.');
  else out.push(`Held records (${view.held.length}):`);
  for (const h of view.held) {
    out.push('', `${h.kind} ${h.id} — ${h.label}: ${h.why} (${h.reasonCode})`);
    if (h.fields.length) {
      out.push(`    ${pad('Field', 16)}  ${pad('Last sent', 28)}  ${pad('QBO now', 28)}  Practice now`);
      for (const f of h.fields) out.push(`    ${pad(f.field, 16)}  ${pad(f.shown.lastSent, 28)}  ${pad(f.shown.qboNow, 28)}  ${f.shown.practiceNow}`);
    } else if (h.message) out.push(`    ${h.message}`);
    if (h.candidates.length) out.push(`    QuickBooks ${h.qbo.entity} Ids to choose from: ${h.candidates.join(', ')}`);
    // keep-qbo / send-ours carry the SyncToken shown here: an edit made in QuickBooks after this listing is refused, not overwritten.
    const token = (a: string) => ((a === 'keep-qbo' || a === 'send-ours') && h.qbo.syncToken !== undefined ? ` --sync-token ${h.qbo.syncToken}` : '');
    if (h.qbo.syncToken !== undefined) out.push(`    QuickBooks ${h.qbo.entity} ${h.qbo.id ?? ''} as shown: SyncToken ${h.qbo.syncToken}`);
    out.push(`    Actions: ${h.actions.map((a) => `qbo-connect held ${a} ${h.kind} ${h.id}${a === 'relink' ? ' <QBO Id>' : ''}${token(a)}`).join(' | ')}`);
  }
  const recent = view.recent.slice(0, 10);
  if (recent.length) {
    out.push('', 'Recent actions:');
    for (const a of recent) {
      const state = a.undoneAt ? `undone by ${a.undoneBy ?? '?'}` : a.undoable ? `undo: qbo-connect held undo ${a.id}` : 'cannot be undone';
      out.push(`  ${a.id}  ${a.at}  ${a.actor}  ${a.action} ${a.kind} ${a.recordId}  (${state})${a.was ? `  before: ${a.was}` : ''}`);
    }
  }
  return out.join('\n');
}

export function registerHeld(program: Command): void {
  program
    .command('held')
    .description("held records (changed on both sides, or a look-up a person must settle): list them, or keep QBO's / send ours / re-link / skip one, or undo an action")
    .argument('[action]', `${heldActionNames.join(', ')}, or undo (none: list)`)
    .argument('[args...]', 'KIND ID (relink: KIND ID QBO_ID; undo: ACTION_ID)')
    .option('--realm <id>', 'the QBO company (default: the connected one)')
    .option('--json', 'print JSON')
    .option('--sync-token <n>', "keep-qbo, send-ours: QuickBooks' SyncToken as `qbo-connect held` showed it (required there); QuickBooks changed since → refused, nothing done")
    .action(async (action: string | undefined, args: string[], opts: { realm?: string; json?: boolean; syncToken?: string }, cmd: Command) => {
      if (action !== undefined && action !== 'undo' && !(heldActionNames as readonly string[]).includes(action)) {
        throw userError(`"${action}" is not a held-record action: ${usage}.`);
      }
      const want = action === undefined ? 0 : action === 'undo' ? 1 : action === 'relink' ? 3 : 2;
      if (args.length !== want) throw userError(`held ${action ?? ''} takes ${want} argument(s), got ${args.length}: ${usage}.`);
      await withApp(cmd, async (app) => {
        const realmId = await realmOf(app, opts, cmd);
        const deps: HeldDeps = { db: app.ctx.db, clock: app.ctx.clock, logger: app.ctx.logger, client: qboClientFor(app.ctx, realmId) };
        const print = (json: unknown, text: string) => console.log(opts.json ? JSON.stringify(json, null, 2) : text);
        try {
          if (action === undefined) {
            const view = await listHeld(deps, realmId, cliActor());
            print(view, render(view));
          } else if (action === 'undo') {
            const r = await undoHeldAction(deps, { realmId, actionId: args[0], actor: cliActor() });
            print({ realmId, ...r }, r.message);
          } else {
            const r = await actOnHeld(deps, { realmId, action, kind: args[0], id: args[1], qboId: args[2], syncToken: opts.syncToken, actor: cliActor() });
            print({ realmId, ...r }, r.message);
          }
        } catch (err) {
          // QBO-side failures (not connected, unreachable, refused) as one line a person can act on.
          throw qboRefusal(err, 'the held records') ?? err;
        }
      });
    });
}
