/**
 * Isolation between practices on the command line (issue 15): one installation (SQLite) with practices
 * A (`default`) and B (`bravo`), each with a company connected to its own emulator company, the small
 * demo ledger (THE SAME keys, INV-10001…, different names and amounts: other seeds), a run, a skip, a
 * settings change and a held-record action. Every command of the program (read from `buildProgram()`,
 * so a new command is covered without editing this file) is run as the real bin with `--practice A`:
 *
 * 1. as A would (its required arguments filled with A's own or harmless values): none of B's data in
 *    its output;
 * 2. once for each option or argument that names a company, run, held action, user, practice or
 *    journal entry, with B's id there: refused (exit 2), none of B's data, nothing of B's changed.
 *
 * A command that cannot name another practice's things is listed in EXEMPT with why; a new command in
 * neither list fails the first test until someone classifies it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { buildProgram } from '../../src/cli/program.js';
import { followEmulatorConsent } from '../../src/cli/auto-consent.js';
import { createConnectionService } from '../../src/connect/connection/connection.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { startSync } from '../../src/connect/run/sync.js';
import { setSetting } from '../../src/connect/settings/store.js';
import { skip } from '../../src/connect/skips.js';
import { createUser } from '../../src/accounts/users.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/run/server.js';
import { generateDemoPractice, loadDemoPractice } from '../../src/practice/demo.js';
import { createPractice } from '../../src/practice/practices.js';
import { testConfig } from '../helpers/config.js';

const bin = path.resolve('bin/qbo-connect.js');
const A = 'default';
const B = 'bravo';
const A_SEED = 1;
const B_SEED = 2;
const B_COMPANY = 'Bravo Books Pty Ltd';
const B_USER = 'bravo-admin@example.com';

/**
 * Commands that cannot name another practice's things, each with why. `start`/`worker` serve every
 * practice (the web routes are probed by practices-isolation.test.ts); the rest act on the whole
 * installation or on nothing stored.
 */
const EXEMPT: Record<string, string> = {
  start: 'runs the web app and worker for every practice; its routes are probed by practices-isolation.test.ts',
  worker: 'runs queued jobs of every practice; names nothing of a practice',
  migrate: 'migrates the installation database; names nothing of a practice',
  'rotate-key': "re-encrypts the installation's token key; names nothing of a practice",
  backup: 'copies the whole installation by design (the operator owns the data folder)',
  restore: 'replaces the whole installation by design (the operator owns the data folder)',
  emulator: 'runs the offline QBO emulator; reads nothing of the product database',
  'firm overview': "the firm's view: every practice and company by design (the installation's owner reads it)",
  'firm check': "the firm's view: takes every connected company's figures by design",
  'notify test': 'sends a fixed test message; prints only whether it went',
};

/** What only B's data says; its run ids are added once the run exists. */
const bMarkers: string[] = [B_COMPANY];

interface Leaf {
  name: string;
  cmd: Command;
}

function leaves(cmd: Command, prefix: string[] = []): Leaf[] {
  return cmd.commands.flatMap((c) => {
    const here = [...prefix, c.name()];
    return c.commands.length ? leaves(c, here) : [{ name: here.join(' '), cmd: c }];
  });
}

interface Ids {
  aRealm: string;
  bRealm: string;
  bRun: string;
  bHeld: string;
  bJournal: string;
}

/** A required argument filled as A would fill it (by its name), or with B's id when `b` says so. */
function argValue(leaf: string, arg: string, ids: Ids, b: boolean): string {
  if (arg === 'run') return b ? ids.bRun : 'no-such-run';
  if (arg === 'kind') return 'invoice';
  if (arg === 'id') return 'INV-10001';
  if (arg === 'path') return 'invoices.memo';
  if (arg === 'value') return 'invoice-text';
  if (arg === 'email') return 'someone@example.com';
  if (arg === 'file') return path.join('test', 'no-such-file.json');
  throw new Error(`${leaf}: no value for the argument <${arg}>; add one to argValue`);
}

interface Probe {
  label: string;
  args: string[];
  /** A refusal is expected (exit 2): B's id is named. */
  refused: boolean;
}

/** The base probe and one probe per option or argument naming something of B's. */
function probesOf(leaf: Leaf, ids: Ids): Probe[] {
  const words = leaf.name.split(' ');
  const required = leaf.cmd.registeredArguments.filter((a) => a.required).map((a) => argValue(leaf.name, a.name(), ids, false));
  const base = [...words, ...required];
  const has = (flag: string) => leaf.cmd.options.some((o) => o.long === flag);
  const requiredOpts: string[] = [];
  if (has('--name') && leaf.cmd.options.find((o) => o.long === '--name')!.mandatory) requiredOpts.push('--name', 'Probe');
  const probes: Probe[] = [];
  // The base probe: as A would run it (writes to QuickBooks stay unconfirmed: no --yes).
  if (leaf.name === 'connect') probes.push({ label: 'as A', args: [...base, '--auto-consent', '--company', ids.aRealm], refused: false });
  else if (leaf.name === 'practice create') probes.push({ label: 'as A', args: [...base, '--id', 'probe-new', ...requiredOpts], refused: false });
  else if (leaf.name === 'token create') probes.push({ label: 'as A', args: [...base, '--user', 'alpha-admin@example.com'], refused: false });
  else probes.push({ label: 'as A', args: [...base, ...requiredOpts], refused: false });
  if (has('--realm')) probes.push({ label: '--realm B', args: [...base, ...requiredOpts, '--realm', ids.bRealm], refused: true });
  if (has('--run')) probes.push({ label: '--run B', args: [...base, '--run', ids.bRun], refused: true });
  if (leaf.cmd.registeredArguments.some((a) => a.name() === 'run'))
    probes.push({ label: '<run> B', args: [...words, ...leaf.cmd.registeredArguments.map((a) => argValue(leaf.name, a.name(), ids, true))], refused: true });
  if (has('--company')) probes.push({ label: '--company B', args: [...base, '--auto-consent', '--company', ids.bRealm], refused: true });
  if (has('--user')) probes.push({ label: '--user B', args: [...base, '--user', B_USER], refused: true });
  if (has('--id') && words[0] === 'practice') probes.push({ label: '--id B', args: [...base, '--id', B, ...requiredOpts], refused: true });
  if (has('--resolve')) probes.push({ label: '--resolve B', args: [...base, '--resolve', ids.bJournal, 'not-sent'], refused: true });
  if (leaf.name === 'held') probes.push({ label: 'undo B action', args: [...words, 'undo', ids.bHeld], refused: true });
  return probes;
}

interface Ran {
  code: number | null;
  out: string;
}

function runCli(dataDir: string, emu: RunningEmulator, args: string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, '--data-dir', dataDir, '--practice', A, ...args], {
      env: { ...process.env, QBO_CONNECT_LOG_LEVEL: 'silent', DATABASE_URL: '', QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** B's rows as they stand, to show no probe changed them. */
async function bState(app: App, bRealm: string) {
  const db = app.ctx.db;
  return {
    runs: await db.selectFrom('runs').select(['id', 'status', 'finished_at']).where('realm_id', '=', bRealm).orderBy('id').execute(),
    skips: await db.selectFrom('skips').select(['record_id', 'unskipped_at']).where('realm_id', '=', bRealm).orderBy('record_id').execute(),
    held: await db.selectFrom('held_actions').select(['id', 'undone_at']).where('realm_id', '=', bRealm).orderBy('id').execute(),
    audit: await db.selectFrom('settings_audit').select(['path', 'actor', 'changed_at']).where('realm_id', '=', bRealm).orderBy('id').execute(),
    settings: await db.selectFrom('connect_settings').select(['version']).where('realm_id', '=', bRealm).execute(),
    schedule: await db.selectFrom('schedules').selectAll().where('realm_id', '=', bRealm).execute(),
    company: await db.selectFrom('connections').select(['status', 'practice_id', 'offices', 'refresh_token_enc', 'company_name']).where('realm_id', '=', bRealm).execute(),
    links: await db
      .selectFrom('links')
      .select(['record_kind', 'record_key', 'qbo_id', 'sync_token'])
      .where('realm_id', '=', bRealm)
      .orderBy('record_kind')
      .orderBy('record_key')
      .execute(),
    members: await db.selectFrom('memberships').select(['user_id', 'role']).where('practice_id', '=', B).orderBy('user_id').execute(),
    tokens: await db.selectFrom('api_tokens').select(['id', 'revoked_at']).where('practice_id', '=', B).orderBy('id').execute(),
    practice: await db.selectFrom('practices').selectAll().where('id', '=', B).execute(),
    journal: await db.selectFrom('journal').select(['id', 'status']).where('realm_id', '=', bRealm).orderBy('id').execute(),
    ledger: await db.selectFrom('practice_records').select(['kind', 'key', 'version']).where('practice_id', '=', B).orderBy('kind').orderBy('key').execute(),
  };
}

async function connectTo(app: App, emu: RunningEmulator, realmId: string, practiceId: string): Promise<void> {
  const svc = createConnectionService({ db: app.ctx.db, config: app.ctx.config, logger: app.ctx.logger, clock: app.ctx.clock });
  const begun = await svc.beginConnect({ actor: 'test', company: realmId, practiceId });
  const q = await followEmulatorConsent(begun.url, realmId);
  const status = await svc.completeConnect({ ...q, actor: 'test' });
  if (status.state !== 'connected') throw new Error(`test could not connect ${realmId}: ${status.message}`);
}

describe('isolation between practices: every CLI command, run with --practice A, probing B’s ids', () => {
  let emu: RunningEmulator;
  let dataDir: string;
  let app: App;
  let config: Config;
  let ids: Ids;
  const all = leaves(buildProgram());

  beforeAll(async () => {
    emu = await startEmulator({ preset: 'au', limits: 'off' });
    const aRealm = emu.control.companies()[0]!.realmId;
    const bRealm = emu.control.seedCompany({ preset: 'au', name: B_COMPANY }).realmId;
    config = testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url });
    dataDir = config.dataDir;
    app = await createApp(config);
    const db = app.ctx.db;
    const now = app.ctx.clock();
    await createPractice(db, { id: B, name: 'Bravo Partners' }, 'test', now);
    await createUser(db, { email: 'alpha-admin@example.com', name: 'Alpha Admin', role: 'administrator', practiceId: A });
    await createUser(db, { email: B_USER, name: 'Bravo Admin', role: 'administrator', practiceId: B });
    const runs: Record<string, string> = {};
    for (const [practice, realm, seed] of [
      [A, aRealm, A_SEED],
      [B, bRealm, B_SEED],
    ] as const) {
      await connectTo(app, emu, realm, practice);
      const report = await loadDemoPractice(db, practice, { size: 'small', seed, today: now, now });
      expect(report.ok).toBe(true);
      await setSetting(db, { realmId: realm, path: 'invoices.memo', value: 'project-number', actor: `test:${practice}`, clock: app.ctx.clock });
      const started = await startSync(syncDepsFor(app.ctx, realm, { actor: 'test' }), { realmId: realm, actor: 'test' });
      runs[practice] = (await started.done).runId;
      await skip(db, { realmId: realm, kind: 'invoice', id: 'INV-10001', actor: `test:${practice}`, clock: app.ctx.clock });
      await db
        .insertInto('held_actions')
        .values({
          realm_id: realm,
          record_kind: 'invoice',
          record_key: 'INV-10002',
          label: `held ${practice}`,
          action: 'keep-qbo',
          detail: '{}',
          old_link: null,
          old_journal: null,
          actor: 'test',
          at: now.toISOString(),
          undone_by: null,
          undone_at: null,
          seq: 1,
        })
        .execute();
    }
    const held = await db.selectFrom('held_actions').select('id').where('realm_id', '=', bRealm).executeTakeFirstOrThrow();
    const journal = await db.selectFrom('journal').select('id').where('realm_id', '=', bRealm).orderBy('id').executeTakeFirst();
    ids = { aRealm, bRealm, bRun: runs[B]!, bHeld: String(held.id), bJournal: String(journal?.id ?? 999_999) };
    // B's own words: its company, the names and amounts of its demo ledger that A's does not have.
    const a = generateDemoPractice({ size: 'small', seed: A_SEED, today: now });
    const b = generateDemoPractice({ size: 'small', seed: B_SEED, today: now });
    const aText = JSON.stringify(a);
    for (const c of b.contacts) if (!aText.includes(c.name)) bMarkers.push(c.name);
    const aTotals = new Set(a.invoices.map((i) => i.totalCents));
    for (const i of b.invoices) if (!aTotals.has(i.totalCents) && i.totalCents >= 100_000) bMarkers.push((i.totalCents / 100).toFixed(2));
    bMarkers.push(runs[B]!);
    console.log(`B's markers: ${bMarkers.length} (${bMarkers.slice(0, 4).join(', ')}…)`);
    expect(bMarkers.length).toBeGreaterThan(5);
  }, 240_000);

  afterAll(async () => {
    await app?.close();
    await emu?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('every command of the program is either probed or exempt with a reason', () => {
    const names = all.map((l) => l.name);
    expect(names.length).toBeGreaterThan(20);
    for (const n of Object.keys(EXEMPT)) expect(names, `EXEMPT names ${n}, which is no command`).toContain(n);
    // A command's probes are derived from its options and arguments; an unknown argument name throws.
    for (const l of all.filter((x) => !EXEMPT[x.name])) expect(() => probesOf(l, { aRealm: '1', bRealm: '2', bRun: 'r', bHeld: '1', bJournal: '1' }), l.name).not.toThrow();
  });

  it('no command leaks B’s data or changes B’s rows', async () => {
    const probed = all.filter((l) => !EXEMPT[l.name]);
    // `disconnect` last: it may end A's connection, which the other probes use.
    probed.sort((x, y) => Number(x.name === 'disconnect') - Number(y.name === 'disconnect'));
    const before = await bState(app, ids.bRealm);
    await app.close();
    const failures: string[] = [];
    const codes: string[] = [];
    const work = probed.flatMap((l) => probesOf(l, ids).map((p) => ({ leaf: l.name, ...p })));
    const started = Date.now();
    for (let i = 0; i < work.length; i += 6) {
      const group = work.slice(i, i + 6);
      const results = await Promise.all(group.map((w) => runCli(dataDir, emu, w.args)));
      group.forEach((w, k) => {
        const r = results[k]!;
        codes.push(`${w.leaf} [${w.label}] ${r.code}`);
        const leaked = bMarkers.filter((m) => m !== ids.bRun || !w.args.includes(ids.bRun)).filter((m) => r.out.includes(m));
        if (leaked.length) failures.push(`${w.leaf} [${w.label}] \`${w.args.join(' ')}\` printed B's ${leaked.join(', ')}`);
        if (w.refused && r.code !== 2) failures.push(`${w.leaf} [${w.label}] \`${w.args.join(' ')}\` exit ${r.code}, not the refusal's 2: ${r.out.trim().slice(0, 300)}`);
      });
    }
    console.log(`${work.length} probes of ${probed.length} commands in ${((Date.now() - started) / 1000).toFixed(0)} s; exit codes: ${codes.join('; ')}`);
    app = await createApp(config);
    expect(failures).toEqual([]);
    expect(await bState(app, ids.bRealm)).toEqual(before);
  }, 600_000);
});
