/** `qbo-connect settings show|set|audit`: the connect settings of a company, and their audit trail. */
import os from 'node:os';
import type { Command } from 'commander';
import type { App } from '../../app.js';
import { actingAs } from '../../connect/acting-practice.js';
import { checkRealmInPractice, resolveReadRealm, resolveRealm } from '../../connect/realm.js';
import { resolvePractice } from '../../practice/practices.js';
import { coerceCliValue, flatten, getAt, resolvePath } from '../../connect/settings/paths.js';
import { settingsSchemaAt } from '../../connect/settings/model.js';
import { getSettings, listAudit, setSetting } from '../../connect/settings/store.js';
import { cliApp, configFrom, practiceFlag, userError } from '../context.js';

/** Who did it, as the audit trail records a change made from this terminal. */
export function cliActor(): string {
  let name: string | undefined;
  try {
    name = os.userInfo().username;
  } catch {
    name = process.env.USER ?? process.env.USERNAME;
  }
  return `cli:${name || 'unknown'}`;
}

/**
 * Opens the app, runs `fn`, closes; a refusal (a bad setting, no company chosen) reaches main.ts, which
 * prints one line, exit 2. With `--practice ID` the command acts as that practice does in a web request
 * (connect/acting-practice.ts): a company is chosen, named or shown among that practice's only, so
 * `--practice A` never reads or changes practice B's company, runs or settings (issue 15).
 */
export async function withApp<T>(cmd: Command, fn: (app: App) => Promise<T>): Promise<T> {
  const app = await cliApp(configFrom(cmd));
  try {
    const practice = await practiceNamed(app, cmd);
    return practice === undefined ? await fn(app) : await actingAs(practice, () => fn(app));
  } finally {
    await app.close();
  }
}

/**
 * The company a command acts on: `--realm`, else the only connected one — of the `--practice` named,
 * when one is (and a company named must then be that practice's).
 */
export async function realmOf(app: App, opts: { realm?: string }, cmd?: Command): Promise<string> {
  const practice = cmd ? await practiceNamed(app, cmd) : undefined;
  const realmId = await resolveRealm(app.ctx.db, opts.realm, '--realm ID', practice);
  if (practice !== undefined) await checkRealmInPractice(app.ctx.db, realmId, practice);
  return realmId;
}

/** For reads (history, skipped): while disconnected, the company last connected here (issue 19). */
export async function readRealmOf(app: App, opts: { realm?: string }, cmd?: Command): Promise<string> {
  const practice = cmd ? await practiceNamed(app, cmd) : undefined;
  const realmId = await resolveReadRealm(app.ctx.db, opts.realm, '--realm ID');
  if (practice !== undefined) await checkRealmInPractice(app.ctx.db, realmId, practice);
  return realmId;
}

/** `--practice ID`, checked to exist; undefined when not given (a company's practice is its connection's). */
async function practiceNamed(app: App, cmd: Command): Promise<string | undefined> {
  const given = practiceFlag(cmd);
  return given === undefined ? undefined : resolvePractice(app.ctx.db, given, '--practice ID');
}

/** How a value reads on the terminal: switches as on/off, unset as none. */
export function showValue(v: unknown): string {
  if (v === true) return 'on';
  if (v === false) return 'off';
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && Object.keys(v).length === 0) return '(empty)';
  return JSON.stringify(v);
}

export function registerSettings(program: Command): void {
  const settings = program.command('settings').description('the connect settings of a QBO company, with their audit trail');

  settings
    .command('show')
    .description('show every setting (path = value), or those under PATH (e.g. tax)')
    .argument('[path]', 'one setting or a group, e.g. invoices or tax.sales')
    .option('--realm <id>', 'the QBO company (default: the connected one)')
    .option('--json', 'print JSON')
    .action(async (path: string | undefined, opts: { realm?: string; json?: boolean }, cmd: Command) => {
      await withApp(cmd, async (app) => {
        // An unknown path is refused before anything is opened for the company.
        if (path) resolvePath(settingsSchemaAt(app.ctx.clock), path);
        const realmId = await realmOf(app, opts, cmd);
        const s = await getSettings(app.ctx.db, realmId, app.ctx.clock);
        if (opts.json) {
          console.log(JSON.stringify(path ? { realmId, path, value: getAt(s, path) ?? null } : { realmId, settings: s }, null, 2));
          return;
        }
        console.log(`Settings of company ${realmId}:`);
        for (const l of flatten(s)) {
          if (!path || l.path === path || l.path.startsWith(`${path}.`)) console.log(`  ${l.path} = ${showValue(l.value)}`);
        }
      });
    });

  settings
    .command('set')
    .description('change one setting, e.g. "settings set invoices.memo none" or "settings set tax.sales.GST 10"')
    .argument('<path>', 'the setting, e.g. invoices.memo or tax.sales.GST')
    .argument('<value>', 'on/off for switches, none to unset, JSON for a whole mapping')
    .option('--realm <id>', 'the QBO company (default: the connected one)')
    .action(async (path: string, raw: string, opts: { realm?: string }, cmd: Command) => {
      await withApp(cmd, async (app) => {
        const realmId = await realmOf(app, opts, cmd);
        const node = resolvePath(settingsSchemaAt(app.ctx.clock), path);
        const r = await setSetting(app.ctx.db, { realmId, path, value: coerceCliValue(node, raw), actor: cliActor(), clock: app.ctx.clock });
        console.log(r.changed ? `${path}: ${showValue(r.oldValue)} -> ${showValue(r.newValue)}` : `${path} is already ${showValue(r.newValue)}; nothing changed.`);
      });
    });

  settings
    .command('audit')
    .description('who changed which setting, when, from what to what (newest first)')
    .option('--realm <id>', 'the QBO company (default: the connected one)')
    .option('--path <path>', 'one setting, or a group such as tax')
    .option('--actor <actor>', 'changes by one actor, e.g. cli:alice')
    .option('--since <date>', 'changes at or after this date (YYYY-MM-DD) or time')
    .option('--limit <n>', 'at most this many changes (default 1000)')
    .option('--json', 'print JSON')
    .action(async (opts: { realm?: string; path?: string; actor?: string; since?: string; limit?: string; json?: boolean }, cmd: Command) => {
      const limit = opts.limit === undefined ? undefined : Number(opts.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 10_000)) {
        throw userError(`--limit=${opts.limit}: must be a whole number from 1 to 10000`);
      }
      await withApp(cmd, async (app) => {
        if (opts.since !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(opts.since) && !/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(opts.since)) {
          throw userError(`--since=${opts.since}: must be a date (YYYY-MM-DD) or a UTC time (2026-11-26T01:00:00Z)`);
        }
        const realmId = await realmOf(app, opts, cmd);
        const rows = await listAudit(app.ctx.db, realmId, { path: opts.path, actor: opts.actor, since: opts.since, limit });
        if (opts.json) {
          console.log(JSON.stringify({ realmId, audit: rows }, null, 2));
          return;
        }
        if (rows.length === 0) {
          console.log('No settings changes recorded.');
          return;
        }
        for (const a of rows) console.log(`${a.changedAt}  ${a.actor}  ${a.path}: ${showValue(a.oldValue)} -> ${showValue(a.newValue)}`);
      });
    });
}
