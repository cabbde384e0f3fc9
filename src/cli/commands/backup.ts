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
import { BackupError, backupSqlite, copyKeyFile } from '../../store/backup.js';
import { findTool, manualSteps, runTool } from '../../store/backup-pg.js';
import { version } from '../../version.js';
import { configFrom, userError } from '../context.js';

export const SQLITE_FILE = 'qbo-connect.db';

const size = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(0)} kB`);

/** Refuses up front, before any work, to replace what exists; `--force` replaces. */
function refuseExisting(files: string[], force: boolean): void {
  if (force) return;
  for (const f of files) if (fs.existsSync(f)) throw userError(`${f} already exists; choose another file, or add --force to replace it`);
}

/**
 * The key part of a backup: the key file copied to FILE.key, or, when the key comes from
 * QBO_CONNECT_SECRET, a reminder (the secret itself is never written or printed).
 */
function backUpKey(config: Config, keyTarget: string, force: boolean): string {
  if (config.secret) {
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
      refuseExisting(config.secret ? [target] : [target, keyTarget], force);
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
        throw err;
      }
    });
}
