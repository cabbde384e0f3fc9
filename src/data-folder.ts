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

/** The data folder cannot be used; the message is one line naming QBO_CONNECT_DATA_DIR (src/cli/expected-failures.ts). */
export class DataFolderError extends Error {
  override name = 'DataFolderError';
}

const HOW_TO_FIX = 'choose a folder this user owns with --data-dir or QBO_CONNECT_DATA_DIR';

/**
 * mkdir -p, one level at a time. Node's own `recursive: true` retries forever-ish when mkdir answers
 * ENOENT although the parent exists (e.g. under /proc: 300,000 mkdir calls, 40 s, then a stack).
 */
function makeFolder(dir: string): void {
  try {
    fs.mkdirSync(dir, { mode: FOLDER_MODE });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && fs.statSync(dir).isDirectory()) return;
    const parent = path.dirname(dir);
    if (code !== 'ENOENT' || parent === dir || fs.existsSync(parent)) throw err;
    makeFolder(parent);
    fs.mkdirSync(dir, { mode: FOLDER_MODE });
  }
}

/** Creates the folder 0700 when missing, and an empty database file 0600 so SQLite keeps that mode. */
export function prepareDataFolder(dir: string, databaseFile?: string): void {
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) {
    throw new DataFolderError(`QBO_CONNECT_DATA_DIR: ${dir} is a file, not a folder; ${HOW_TO_FIX}.`);
  }
  try {
    if (!fs.existsSync(dir)) makeFolder(dir);
    if (databaseFile && !fs.existsSync(databaseFile)) fs.closeSync(fs.openSync(databaseFile, 'a', FILE_MODE));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Permission problems keep their own line in expected-failures.ts; these say the path cannot be a folder.
    if (code === 'ENOTDIR')
      throw new DataFolderError(`QBO_CONNECT_DATA_DIR: ${dir} cannot be a folder because part of that path is a file (ENOTDIR); ${HOW_TO_FIX}.`, { cause: err });
    if (code === 'ENOENT') throw new DataFolderError(`QBO_CONNECT_DATA_DIR: the folder ${dir} cannot be created there (ENOENT); ${HOW_TO_FIX}.`, { cause: err });
    throw err;
  }
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
