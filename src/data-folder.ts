/**
 * The data folder holds the SQLite databases and the token key file: only the account running QBO
 * Connect may read them (issue 12 §8). New ones are made 0700 (folder) and 0600 (files); at start
 * anything looser is named in a warning (not changed: the owner may have a reason, e.g. a backup
 * group), so nobody runs for months with a world-readable database unaware.
 */
import fs from 'node:fs';
import path from 'node:path';

export const FOLDER_MODE = 0o700;
export const FILE_MODE = 0o600;
/** The files in the data folder worth protecting (SQLite keeps -wal/-shm beside each database). */
const FILES = ['qbo-connect.db', 'qbo-connect.db-wal', 'qbo-connect.db-shm', 'token-key', 'emulator.db', 'emulator.db-wal', 'emulator.db-shm'];

/** Creates the folder 0700 when missing, and an empty database file 0600 so SQLite keeps that mode. */
export function prepareDataFolder(dir: string, databaseFile?: string): void {
  if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: FOLDER_MODE });
  if (databaseFile && !fs.existsSync(databaseFile)) fs.closeSync(fs.openSync(databaseFile, 'a', FILE_MODE));
}

/** Lines naming every path that others may read or write, with the chmod that fixes it. */
export function looseModes(dir: string): string[] {
  const found: string[] = [];
  if (!fs.existsSync(dir)) return found;
  if (process.platform === 'win32') return found;
  const folderMode = fs.statSync(dir).mode & 0o777;
  if (folderMode & 0o077) found.push(`${dir} is ${folderMode.toString(8)}: run chmod 700 ${dir}`);
  for (const name of FILES) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) continue;
    const mode = fs.statSync(file).mode & 0o777;
    if (mode & 0o077) found.push(`${file} is ${mode.toString(8)}: run chmod 600 ${file}`);
  }
  return found;
}

/**
 * One warning line per loose path, on stderr: not through the logger, whose lines go to stdout where
 * `--json` output is read by scripts.
 */
export function warnLooseModes(dir: string, warn: (line: string) => void = (line) => console.error(`qbo-connect: warning: ${line}`)): void {
  for (const line of looseModes(dir)) warn(`data folder permissions too loose (others can read it): ${line}`);
}
