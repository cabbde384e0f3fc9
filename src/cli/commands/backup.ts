/**
 * `qbo-connect backup FILE [--force]`: a consistent copy of the database while QBO Connect runs,
 * with the token key beside it (FILE.key) — without the key, the QuickBooks tokens in the copy
 * cannot be read and every company must be connected again. SQLite: VACUUM INTO (why: src/store/backup.ts);
 * PostgreSQL: pg_dump in custom format (src/store/backup-pg.ts), or the steps to run by hand.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { clockFrom } from '../../clock.js';
import { KEY_FILE } from '../../connect/connection/crypto.js';
import type { Config } from '../../config.js';
import { BackupError, backupSqlite, copyKeyFile, removeStalePartials } from '../../store/backup.js';
import { findTool, manualSteps, runTool } from '../../store/backup-pg.js';
import { version } from '../../version.js';
import { configFrom, userError } from '../context.js';

export const SQLITE_FILE = 'qbo-connect.db';

const size = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(0)} kB`);

/** Refuses up front, before any work, to replace what exists; `--force` replaces. */
function refuseExisting(files: string[], force: boolean): void {
  for (const f of files)
    if (fs.existsSync(f) && fs.statSync(f).isDirectory()) throw userError(`${f} is a folder; name a file to write the backup to, e.g. ${path.join(f, 'qbo-connect.backup')}`);
  if (force) return;
  for (const f of files) if (fs.existsSync(f)) throw userError(`${f} already exists; choose another file, or add --force to replace it`);
}

/** Where `file` really is: symlinks followed (also a dangling one, or one whose folder is a symlink). */
function resolved(file: string): string {
  let p = path.resolve(file);
  for (let hops = 0; hops < 40; hops++) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      break;
    }
    if (!st.isSymbolicLink()) break;
    p = path.resolve(path.dirname(p), fs.readlinkSync(p));
  }
  try {
    return path.join(fs.realpathSync(path.dirname(p)), path.basename(p));
  } catch {
    return p;
  }
}

/**
 * The live database, its -wal/-shm/-journal and the key file. A backup written over one of them
 * while the product runs corrupts the database (a new file with the old -wal beside it) or replaces
 * the key: refused even with --force, whatever name (symlink, hard link) reaches them.
 */
function refuseLiveFiles(config: Config, targets: string[]): void {
  const live = [SQLITE_FILE, `${SQLITE_FILE}-wal`, `${SQLITE_FILE}-shm`, `${SQLITE_FILE}-journal`, KEY_FILE].map((n) => path.join(config.dataDir, n));
  const liveResolved = new Set(live.map(resolved));
  const liveInodes = new Set(live.filter((f) => fs.existsSync(f)).map((f) => `${fs.statSync(f).dev}:${fs.statSync(f).ino}`));
  for (const t of targets) {
    const st = fs.existsSync(t) ? fs.statSync(t) : undefined;
    if (liveResolved.has(resolved(t)) || (st && liveInodes.has(`${st.dev}:${st.ino}`))) {
      throw userError(`${t} is the live database of ${config.dataDir} (or its -wal/-shm or key file); write the backup to a file outside it`);
    }
  }
}

/** A folder the backup cannot be written into: named as the backup's folder, not as the data folder. */
function refuseUnwritable(dir: string): void {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    throw userError(`the backup's folder ${dir} cannot be written (${(err as NodeJS.ErrnoException).code}); choose a FILE in a folder this user may write to`);
  }
}

/**
 * The key part of a backup: the key file copied to FILE.key, or, when the key comes from
 * QBO_CONNECT_SECRET, a reminder (the secret itself is never written or printed).
 */
function backUpKey(config: Config, keyTarget: string, force: boolean): string {
  if (config.secret) {
    // A FILE.key from an earlier backup would be installed by restore, or named as stale: --force replaced FILE, so it goes too.
    if (force) fs.rmSync(keyTarget, { force: true });
    return 'Remember: the QuickBooks tokens in this backup are encrypted with QBO_CONNECT_SECRET, which is not in the backup. Keep that secret with it (e.g. in your password manager); restoring needs it.';
  }
  const keyFile = path.join(config.dataDir, KEY_FILE);
  if (!fs.existsSync(keyFile)) return 'No token key file yet (no QuickBooks company has been connected): nothing to copy beside the backup.';
  copyKeyFile(keyFile, keyTarget, force);
  return `Key file: ${keyTarget} (mode 600). Keep it with the backup and as private as it: it decrypts the QuickBooks tokens stored there.`;
}

async function backupPostgres(config: Config, target: string, force: boolean): Promise<void> {
  const bin = findTool('pg_dump');
  if (!bin) {
    console.error(manualSteps('pg_dump', target));
    process.exitCode = 2;
    return;
  }
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.partial`);
  try {
    // Made 0600 before pg_dump writes into it (it keeps an existing file's mode): a kill leaves nothing others can read.
    fs.closeSync(fs.openSync(temp, 'w', 0o600));
    const r = await runTool('pg_dump', bin, ['--format=custom', '--no-owner', `--file=${temp}`], config.databaseUrl!, { what: 'to back up the database ' });
    fs.chmodSync(temp, 0o600);
    if (force) fs.renameSync(temp, target);
    else fs.linkSync(temp, target);
    console.log(`Backed up the PostgreSQL database to ${target} (${size(fs.statSync(target).size)} in ${(r.ms / 1000).toFixed(1)} s, pg_dump custom format).`);
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description('write a consistent copy of the database to FILE (and the token key file to FILE.key), also while QBO Connect runs')
    .argument('<file>', 'the backup file to write')
    .option('--force', 'replace FILE and FILE.key if they exist')
    .action(async (file: string, opts: { force?: boolean }, cmd: Command) => {
      const config = configFrom(cmd);
      const target = path.resolve(file);
      const keyTarget = `${target}.key`;
      const force = opts.force === true;
      if (!fs.existsSync(path.dirname(target))) throw userError(`${target}: the folder ${path.dirname(target)} does not exist; create it or choose another FILE`);
      refuseLiveFiles(config, [target, keyTarget]);
      refuseExisting([target, keyTarget], force);
      refuseUnwritable(path.dirname(target));
      removeStalePartials(path.dirname(target));
      removeStalePartials(config.dataDir);
      try {
        if (config.databaseUrl) {
          await backupPostgres(config, target, force);
          if (process.exitCode) return;
        } else {
          const dbFile = path.join(config.dataDir, SQLITE_FILE);
          const r = backupSqlite(dbFile, target, { force, version, now: clockFrom(config.clockStart)() });
          console.log(`Backed up ${dbFile} to ${target} (${size(r.bytes)} in ${(r.ms / 1000).toFixed(2)} s).`);
        }
        console.log(backUpKey(config, keyTarget, force));
      } catch (err) {
        if (err instanceof BackupError) throw userError(err.message);
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENOSPC' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_FULL') {
          throw userError(`cannot write the backup ${target} (${code}); check the backup's folder ${path.dirname(target)} (permissions, free space)`);
        }
        throw err;
      }
    });
}
