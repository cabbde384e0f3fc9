/**
 * `qbo-connect restore FILE [--yes]`: puts a backup made by `qbo-connect backup` back. Everything is
 * checked before anything is replaced — the file is a sound QBO Connect database of a release this
 * one can run, the key that will read its QuickBooks tokens does read them, nothing else has the
 * database open — and the database it replaces is kept beside it. Restoring a backup taken during
 * a sync is safe: the next sync (or `qbo-connect recover`) settles the writes it left pending by
 * looking them up in QuickBooks, so nothing is sent twice (test/backup-restore-sync.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import pg from 'pg';
import { clockFrom } from '../../clock.js';
import { createTokenCipher, KEY_FILE, loadOrCreateKey, VaultError } from '../../connect/connection/crypto.js';
import type { Config } from '../../config.js';
import { prepareDataFolder } from '../../data-folder.js';
import { BackupError, dataRowsSql, inspectSqliteBackup, lockLiveDatabase, removeStalePartials, stageRestore, tempBeside } from '../../store/backup.js';
import { findTool, libpqEnv, manualSteps, runTool } from '../../store/backup-pg.js';
// A backup from before the migration renumbering holds the old names (store/migrations/renames.ts).
import { recognisedMigrationNames } from '../../store/migrate.js';
import { migrations } from '../../store/migrations/index.js';
import { configFrom, userError } from '../context.js';
import { SQLITE_FILE } from './backup.js';

/** `2026-12-04T20-15-56Z`: a side copy's name, sortable and valid on every file system. */
const stampOf = (d: Date) =>
  d
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');

function sameFile(a: string, b: string): boolean {
  const [x, y] = [fs.statSync(a), fs.statSync(b)];
  return x.dev === y.dev && x.ino === y.ino;
}

function readKeyFile(file: string): Buffer {
  if (!fs.statSync(file).isFile()) throw userError(`${file} is not a file; put the FILE.key written with the backup there`);
  const text = fs.readFileSync(file, 'utf8').trim();
  // Exactly what loadOrCreateKey writes: Buffer.from(…, 'base64') alone accepts almost any text.
  const key = /^[A-Za-z0-9+/]{43}=$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (key.length !== 32) throw userError(`${file} is not a QBO Connect key file (it must hold 32 bytes in base64); use the FILE.key written with the backup`);
  return key;
}

/** FILE.key, when restore will install it, must be a key file, whether or not the backup holds tokens to check it against. */
function checkKeyFileFormat(config: Config, file: string): void {
  if (!config.secret && fs.existsSync(`${file}.key`)) readKeyFile(`${file}.key`);
}

/**
 * The key the restored product will read tokens with (QBO_CONNECT_SECRET when set, else the key
 * file restored from FILE.key) must decrypt them: checked now, not at the next start.
 */
function checkKey(config: Config, file: string, token: { realmId: string; accessTokenEnc: string } | undefined): void {
  if (!token) return;
  const keyBeside = `${file}.key`;
  let key: Buffer;
  let using: string;
  if (config.secret) {
    key = loadOrCreateKey({ secret: config.secret, dataDir: config.dataDir });
    using = 'QBO_CONNECT_SECRET';
  } else if (fs.existsSync(keyBeside)) {
    key = readKeyFile(keyBeside);
    using = `the key file ${keyBeside}`;
  } else {
    throw userError(
      `${file} holds QuickBooks tokens, but ${keyBeside} is missing and QBO_CONNECT_SECRET is not set: put the key file written with the backup beside it, or set QBO_CONNECT_SECRET to the secret it was taken with`,
    );
  }
  try {
    createTokenCipher(key).decrypt(token.accessTokenEnc, `${token.realmId}|access_token`);
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    throw userError(`${using} cannot read the QuickBooks tokens in ${file} (company ${token.realmId}): restore with the key file or QBO_CONNECT_SECRET the backup was taken with`);
  }
}

/** Installs FILE.key as the data folder's key file (0600), keeping a different one it replaces. */
function restoreKeyFile(config: Config, file: string, stamp: string): string | undefined {
  const keyBeside = `${file}.key`;
  if (config.secret || !fs.existsSync(keyBeside)) return undefined;
  const keyFile = path.join(config.dataDir, KEY_FILE);
  const wanted = fs.readFileSync(keyBeside);
  if (fs.existsSync(keyFile)) {
    if (fs.readFileSync(keyFile).equals(wanted)) return `The key file ${keyFile} already matches ${keyBeside}.`;
    fs.copyFileSync(keyFile, `${keyFile}.before-restore-${stamp}`);
    fs.chmodSync(`${keyFile}.before-restore-${stamp}`, 0o600);
  }
  const temp = tempBeside(keyFile);
  fs.writeFileSync(temp, wanted, { mode: 0o600 });
  fs.renameSync(temp, keyFile);
  return `Restored the key file ${keyFile} from ${keyBeside}.`;
}

async function restoreSqlite(config: Config, file: string, yes: boolean): Promise<void> {
  const dbFile = path.join(config.dataDir, SQLITE_FILE);
  // The live file without its -wal is not a backup: restoring it onto itself would lose the last commits.
  if (fs.existsSync(file) && fs.existsSync(dbFile) && sameFile(file, dbFile)) {
    throw userError(`${file} is the database of this data folder itself; make a backup with \`qbo-connect backup\` and restore that`);
  }
  const facts = await inspectSqliteBackup(file, migrations);
  checkKeyFileFormat(config, file);
  checkKey(config, file, facts.token);
  prepareDataFolder(config.dataDir);
  removeStalePartials(config.dataDir);
  const stamp = stampOf(clockFrom(config.clockStart)());
  let locked = lockLiveDatabase(dbFile);
  const damaged = locked?.damaged !== undefined;
  let sideCopy: string | undefined;
  try {
    if (locked?.damaged && !yes) {
      throw userError(`the current database ${dbFile} is damaged (${locked.damaged}); add --yes to set it aside as ${dbFile}.before-restore-${stamp} and restore ${file}`);
    }
    const rows = locked?.rows() ?? 0;
    if (rows > 0 && !yes) {
      throw userError(`${dbFile} holds data (${rows} rows); add --yes to replace it with ${file} (the database it replaces is kept beside it)`);
    }
    if (locked && (rows > 0 || locked.damaged)) {
      sideCopy = `${dbFile}.before-restore-${stamp}`;
      locked.copyTo(sideCopy);
    }
    const staged = stageRestore(file, dbFile);
    try {
      // Closing the last connection folds the -wal into the old file; then the copy replaces it.
      locked?.close();
      locked = undefined;
      staged.commit();
    } catch (err) {
      staged.abort();
      throw err;
    }
  } finally {
    locked?.close();
  }
  const taken = facts.takenAt ? ` (taken ${facts.takenAt}${facts.version ? ` by release ${facts.version}` : ''})` : '';
  console.log(`Restored ${dbFile} from ${file}${taken}.`);
  if (sideCopy) console.log(`The ${damaged ? 'damaged ' : ''}database it replaced is kept as ${sideCopy}.`);
  const keyLine = restoreKeyFile(config, file, stamp);
  if (keyLine) console.log(keyLine);
  else if (config.secret && facts.token) console.log('QuickBooks tokens are read with QBO_CONNECT_SECRET (checked: it reads them).');
  console.log('Start QBO Connect as usual; a sync that was running when the backup was taken is settled by the next sync (or `qbo-connect recover`).');
}

/** The kysely_migration rows of a pg_dump custom-format file, read with pg_restore (no database needed). */
async function migrationsInDump(bin: string, file: string, databaseUrl: string): Promise<string[]> {
  const list = await runTool('pg_restore', bin, ['--list', file], databaseUrl, { what: `to read ${file} `, stdout: 'capture' });
  if (!/TABLE public app_meta\b/.test(list.stdout) || !/TABLE public kysely_migration\b/.test(list.stdout)) {
    throw userError(`${file} is not a QBO Connect backup (the dump has no app_meta or kysely_migration table); name a file written by \`qbo-connect backup\``);
  }
  const data = await runTool('pg_restore', bin, ['--data-only', '--table=kysely_migration', '--file=-', file], databaseUrl, { what: `to read ${file} `, stdout: 'capture' });
  const names: string[] = [];
  let inCopy = false;
  for (const line of data.stdout.split('\n')) {
    if (line.startsWith('COPY public.kysely_migration ')) inCopy = true;
    else if (line === '\\.') inCopy = false;
    else if (inCopy && line) names.push(line.split('\t')[0]!);
  }
  return names;
}

async function restorePostgres(config: Config, file: string, yes: boolean): Promise<void> {
  const databaseUrl = config.databaseUrl!;
  if (!fs.existsSync(file)) throw userError(`${file} does not exist; name a file written by \`qbo-connect backup\``);
  const bin = findTool('pg_restore');
  if (!bin) {
    console.error(manualSteps('pg_restore', file));
    process.exitCode = 2;
    return;
  }
  checkKeyFileFormat(config, file);
  const known = new Set(recognisedMigrationNames());
  const newer = (await migrationsInDump(bin, file, databaseUrl)).filter((m) => !known.has(m));
  if (newer.length) throw userError(`${file} was made by a newer release of QBO Connect (migration ${newer.join(', ')}); restore it with that release or a later one`);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  let rows = 0;
  try {
    const others = await client.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    if (Number(others.rows[0]!.n) > 0) {
      throw userError(
        `the database ${libpqEnv(databaseUrl).database} has ${others.rows[0]!.n} other connection(s) (is QBO Connect running on it?); stop every QBO Connect process using DATABASE_URL, then run restore again`,
      );
    }
    const tables = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT IN ('kysely_migration', 'kysely_migration_lock', 'app_meta')",
    );
    for (const t of tables.rows) {
      const q = dataRowsSql(t.table_name);
      if (q) rows += Number((await client.query<{ n: string }>(q)).rows[0]!.n);
    }
  } finally {
    await client.end();
  }
  if (rows > 0 && !yes) throw userError(`the PostgreSQL database holds data (${rows} rows); add --yes to replace it with ${file}`);
  const stamp = stampOf(clockFrom(config.clockStart)());
  const dump = findTool('pg_dump');
  if (rows > 0 && dump) {
    const side = path.join(config.dataDir, `postgres-before-restore-${stamp}.dump`);
    prepareDataFolder(config.dataDir);
    await runTool('pg_dump', dump, ['--format=custom', '--no-owner', `--file=${side}`], databaseUrl, { what: 'to keep the database it replaces ' });
    fs.chmodSync(side, 0o600);
    console.log(`The database it replaces is kept as ${side}.`);
  } else if (rows > 0) console.log('pg_dump is not installed: no copy of the database it replaces is kept.');
  const r = await runTool(
    'pg_restore',
    bin,
    ['--clean', '--if-exists', '--no-owner', '--single-transaction', '--exit-on-error', `--dbname=${libpqEnv(databaseUrl).database}`, file],
    databaseUrl,
    { what: `to restore ${file} ` },
  );
  console.log(`Restored the PostgreSQL database from ${file} in ${(r.ms / 1000).toFixed(1)} s.`);
  const keyLine = restoreKeyFile(config, file, stamp);
  if (keyLine) console.log(keyLine);
  else if (config.secret) console.log('QuickBooks tokens are read with QBO_CONNECT_SECRET: it must be the one the backup was taken with.');
}

export function registerRestore(program: Command): void {
  program
    .command('restore')
    .description('put back a backup made by `qbo-connect backup` (with its FILE.key), keeping the database it replaces; QBO Connect must be stopped')
    .argument('<file>', 'the backup file to restore')
    .option('--yes', 'replace a database that holds data')
    .action(async (file: string, opts: { yes?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const source = path.resolve(file);
      try {
        if (config.databaseUrl) await restorePostgres(config, source, opts.yes === true);
        else await restoreSqlite(config, source, opts.yes === true);
      } catch (err) {
        if (err instanceof BackupError) throw userError(err.message);
        throw err;
      }
    });
}
