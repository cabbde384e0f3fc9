/**
 * `qbo-connect practice create|list|import|demo`: the practices of this installation and each one's
 * ledger from the terminal. `practice list` without a kind lists the practices; with one, that kind's
 * records (as before issue 15). Ledger commands act on `--practice ID`, or the only practice.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import type { App } from '../../app.js';
import { demoSizes, loadDemoPractice, type DemoSize } from '../../practice/demo.js';
import { importFile, type ImportReport } from '../../practice/import.js';
import { kindFromName, kindInfo, kinds, type Kind } from '../../practice/kinds.js';
import { isCalendarDate, recordStates, type RecordState } from '../../practice/schemas.js';
import { createPractice, listPractices } from '../../practice/practices.js';
import { listRecords } from '../../practice/store.js';
import { cliApp, configFrom, practiceFrom, userError } from '../context.js';
import { cliActor } from './settings.js';

async function withApp<T>(cmd: Command, body: (app: App) => Promise<T>): Promise<T> {
  const app = await cliApp(configFrom(cmd));
  try {
    return await body(app);
  } finally {
    await app.close();
  }
}

function kindArg(value: string, flag: string): Kind {
  const kind = kindFromName(value);
  if (!kind) throw userError(`${flag} ${value}: not a kind of practice record; use one of ${kinds.map((k) => kindInfo[k].slug).join(', ')}`);
  return kind;
}

function dateArg(value: string | undefined, flag: string): string | undefined {
  if (value !== undefined && !isCalendarDate(value)) throw userError(`${flag} ${value}: must be a date YYYY-MM-DD`);
  return value;
}

function summary(r: ImportReport): string {
  const changed = Object.entries(r.byKind)
    .filter(([, c]) => c.created + c.updated > 0)
    .map(([k, c]) => `${k} ${c.created} new, ${c.updated} updated`)
    .join('; ');
  return `${r.records} records: ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged${changed ? ` (${changed})` : ''}`;
}

function refuse(r: ImportReport, what: string, json: boolean): never {
  if (json) console.log(JSON.stringify(r, null, 2));
  else {
    for (const i of r.issues) console.error(i.message);
    if (r.more) console.error(r.more.message);
  }
  const n = r.issues.length + (r.more?.issues ?? 0);
  throw userError(`${what}: ${n}${r.more ? ' or more' : ''} problem${n === 1 ? '' : 's'}; nothing was imported`);
}

export function registerPractice(program: Command): void {
  const practice = program.command('practice').description('practices and their ledgers: create and list practices, import records, load the demo practice, list records');

  practice
    .command('create')
    .description('create a practice (its own ledger, companies, settings and history)')
    .requiredOption('--id <id>', 'the practice id: lower-case letters, digits and "-" (used in URLs and by --practice)')
    .requiredOption('--name <name>', "the practice's name")
    .option('--json', 'print the practice as JSON')
    .action(async (opts: { id: string; name: string; json?: boolean }, cmd: Command) => {
      await withApp(cmd, async (app) => {
        const p = await createPractice(app.ctx.db, { id: opts.id, name: opts.name }, cliActor(), app.ctx.clock());
        console.log(opts.json ? JSON.stringify(p, null, 2) : `Created practice ${p.id} (${p.name}).`);
      });
    });

  practice
    .command('import')
    .description('import a JSON document (all kinds) or a CSV file (one kind); all or nothing, idempotent by natural key')
    .argument('<file>', 'a .json import document or a .csv file named after its kind (invoices.csv)')
    .option('--kind <kind>', 'the kind a CSV file holds, when its name does not say')
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: { kind?: string; json?: boolean }, cmd: Command) => {
      const kind = opts.kind ? kindArg(opts.kind, '--kind') : undefined;
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        throw userError(`${file}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      await withApp(cmd, async (app) => {
        const report = await importFile(app.ctx.db, await practiceFrom(app, cmd), file, text, app.ctx.clock(), kind);
        if (!report.ok) refuse(report, file, !!opts.json);
        console.log(opts.json ? JSON.stringify(report, null, 2) : `Imported ${file}: ${summary(report)}.`);
      });
    });

  practice
    .command('demo')
    .description('load a realistic demo architecture practice (Australia, GST 10%) with a year of documents')
    .option('--size <size>', `how big: ${demoSizes.join(', ')} (≈ 60, 2,000, 50,000 documents)`, 'small')
    .option('--seed <n>', 'random seed (same seed, same practice)', '1')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { size: string; seed: string; json?: boolean }, cmd: Command) => {
      if (!(demoSizes as readonly string[]).includes(opts.size)) throw userError(`--size ${opts.size}: must be one of ${demoSizes.join(', ')}`);
      if (!/^\d{1,9}$/.test(opts.seed)) throw userError(`--seed ${opts.seed}: must be a whole number`);
      await withApp(cmd, async (app) => {
        const now = app.ctx.clock();
        const practiceId = await practiceFrom(app, cmd);
        const report = await loadDemoPractice(app.ctx.db, practiceId, { size: opts.size as DemoSize, seed: Number(opts.seed), today: now, now });
        if (!report.ok) refuse(report, 'demo practice', !!opts.json);
        console.log(opts.json ? JSON.stringify(report, null, 2) : `Loaded the ${opts.size} demo practice: ${summary(report)} (into practice ${practiceId}).`);
      });
    });

  practice
    .command('list')
    .description('without a kind: list the practices; with one: list records of that kind (documents by date)')
    .argument('[kind]', `one of ${kinds.map((k) => kindInfo[k].slug).join(', ')}`)
    .option('--from <date>', 'dated on or after YYYY-MM-DD')
    .option('--to <date>', 'dated on or before YYYY-MM-DD')
    .option('--state <state>', `only this state: ${recordStates.join(', ')}`)
    .option('--limit <n>', 'at most this many (1–1000)', '100')
    .option('--offset <n>', 'skip this many', '0')
    .option('--json', 'print JSON')
    .action(async (kindName: string | undefined, opts: { from?: string; to?: string; state?: string; limit: string; offset: string; json?: boolean }, cmd: Command) => {
      if (kindName === undefined) return listThePractices(cmd, !!opts.json);
      const kind = kindArg(kindName, 'kind');
      const from = dateArg(opts.from, '--from');
      const to = dateArg(opts.to, '--to');
      if (opts.state !== undefined && !(recordStates as readonly string[]).includes(opts.state))
        throw userError(`--state ${opts.state}: must be one of ${recordStates.join(', ')}`);
      if (!/^\d{1,4}$/.test(opts.limit) || Number(opts.limit) < 1 || Number(opts.limit) > 1000) throw userError(`--limit ${opts.limit}: must be a whole number from 1 to 1000`);
      if (!/^\d{1,9}$/.test(opts.offset)) throw userError(`--offset ${opts.offset}: must be a whole number`);
      await withApp(cmd, async (app) => {
        const page = await listRecords(app.ctx.db, await practiceFrom(app, cmd), kind, {
          from,
          to,
          state: opts.state as RecordState | undefined,
          limit: Number(opts.limit),
          offset: Number(opts.offset),
        });
        if (opts.json) {
          console.log(JSON.stringify(page, null, 2));
          return;
        }
        const info = kindInfo[kind];
        for (const s of page.items) {
          const r = s.record as unknown as Record<string, unknown>;
          const date = typeof r.date === 'string' ? `${r.date}  ` : '';
          const name = typeof r.name === 'string' ? r.name : '';
          const total = typeof s.record === 'object' && info.document ? `  ${money(Number(r.totalCents ?? r.amountCents ?? 0))}` : '';
          console.log(`${date}${s.key}  ${name}${total}  v${s.version}${s.state === 'active' ? '' : `  (${s.state})`}`);
        }
        console.log(`${page.items.length} of ${page.total} ${info.fileKey}${page.nextOffset !== null ? ` (next: --offset ${page.nextOffset})` : ''}`);
      });
    });
}

async function listThePractices(cmd: Command, json: boolean): Promise<void> {
  await withApp(cmd, async (app) => {
    const all = await listPractices(app.ctx.db);
    if (json) {
      console.log(JSON.stringify(all, null, 2));
      return;
    }
    for (const p of all) console.log(`${p.id}  ${p.name}  (created ${p.createdAt.slice(0, 10)} by ${p.createdBy})`);
    console.log(`${all.length} practice${all.length === 1 ? '' : 's'}`);
  });
}

/** Cents to a display amount, in integers only. */
function money(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}$${Math.floor(abs / 100).toLocaleString('en-AU')}.${String(abs % 100).padStart(2, '0')}`;
}
