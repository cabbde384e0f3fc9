/**
 * Backup and restore of the SQLite database (`qbo-connect backup` / `restore`). The database file
 * alone is not a backup: a running product keeps recent commits in the -wal file beside it, so a
 * file copy taken while it runs can be torn or stale. Instead:
 *
 * - Backup uses `VACUUM INTO`, not better-sqlite3's online backup API (`db.backup()`): VACUUM INTO
 *   reads the whole database inside one read transaction, which in WAL mode is a consistent snapshot
 *   that never blocks the sync writing beside it; the online backup API copies pages in steps and
 *   starts over whenever another connection writes between steps, so under a busy sync it may never
 *   finish (https://www.sqlite.org/backup.html, https://www.sqlite.org/lang_vacuum.html#vacuuminto).
 *   SQLite does not fsync what VACUUM INTO writes, so the copy is written beside the target, synced,
 *   and only then renamed into place: a crash never leaves a half-written FILE.
 * - Restore takes an exclusive lock on the live database first: while any other process (the web
 *   app, a sync, any CLI command) has it open, that lock is refused at once, and restore says so.
 */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type Migration } from 'kysely';
import { renamedMigrations } from './migrations/renames.js';

/** What main.ts prints as one line (src/cli/expected-failures.ts): which file, what is wrong, what to do. */
export class BackupError extends Error {
  override name = 'BackupError';
}

/** Tables that exist in every migrated database, empty of anyone's data. */
const BOOKKEEPING_TABLES = new Set(['kysely_migration', 'kysely_migration_lock', 'app_meta']);

/**
 * How to count a table's rows a person made, for "a database nobody has used" (restore without --yes):
 * the practice `default`, which migration 0018_practices writes into every database, is the schema's,
 * not anyone's data (a fresh database "held 1 row" and restore asked for --yes). Undefined: skip it.
 */
export function dataRowsSql(table: string): string | undefined {
  if (BOOKKEEPING_TABLES.has(table)) return undefined;
  const quoted = `"${table.replaceAll('"', '""')}"`;
  return table === 'practices' ? `SELECT count(*) AS n FROM ${quoted} WHERE id <> 'default'` : `SELECT count(*) AS n FROM ${quoted}`;
}

/** Writes `target` through a sibling temporary file: synced, then linked into place (or renamed over it with `force`). */
function placeFile(temp: string, target: string, force: boolean): void {
  const fd = fs.openSync(temp, 'r+');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (force) fs.renameSync(temp, target);
  else {
    try {
      // link fails with EEXIST instead of replacing a file that appeared since the check.
      fs.linkSync(temp, target);
    } finally {
      fs.rmSync(temp, { force: true });
    }
  }
}

/** `.NAME.<pid>.partial`: the pid lets a later backup or restore tell a dead process's leftover from a running one's. */
export function tempBeside(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.partial`);
}

const PARTIAL = /^\..+\.(\d+)\.partial(-journal|-wal|-shm)?$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: a process of another user has that pid, so it is alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary files (`.NAME.<pid>.partial` and SQLite's `-journal` beside it) that a backup
 * or restore killed before it finished left in `dir`: they hold ledger data. Those of a process
 * still running are left alone.
 */
export function removeStalePartials(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = PARTIAL.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || alive(pid)) continue;
    try {
      fs.rmSync(path.join(dir, name), { force: true });
      removed.push(path.join(dir, name));
    } catch {
      // Not ours to remove (another user's folder): left as it is.
    }
  }
  return removed;
}

/**
 * Runs `fn` with umask 077, so every file SQLite creates meanwhile (the copy and its -journal) is
 * 0600 from the start: a kill before the copy is finished leaves nothing others can read. SQLite
 * creates files 0644 minus the umask (SQLITE_DEFAULT_FILE_PERMISSIONS); the CLI is one thread, and
 * `fn` is synchronous, so nothing else creates a file under this umask.
 */
export function privately<T>(fn: () => T): T {
  const old = process.umask(0o077);
  try {
    return fn();
  } finally {
    process.umask(old);
  }
}

export interface SqliteBackupResult {
  bytes: number;
  ms: number;
}

/**
 * A consistent copy of the live database `dbFile` at `target` (mode 0600, a single file in rollback
 * journal mode, so it opens anywhere without a -wal beside it), marked with when and by which release.
 */
export function backupSqlite(dbFile: string, target: string, opts: { force: boolean; version: string; now: Date }): SqliteBackupResult {
  if (!fs.existsSync(dbFile) || fs.statSync(dbFile).size === 0) {
    throw new BackupError(`there is no database at ${dbFile} to back up; check --data-dir or QBO_CONNECT_DATA_DIR`);
  }
  const started = process.hrtime.bigint();
  const temp = tempBeside(target);
  fs.rmSync(temp, { force: true });
  const source = new SQLite(dbFile, { fileMustExist: true });
  try {
    source.pragma('busy_timeout = 5000');
    privately(() => source.prepare('VACUUM INTO ?').run(temp));
  } catch (err) {
    fs.rmSync(temp, { force: true });
    fs.rmSync(`${temp}-journal`, { force: true });
    throw err;
  } finally {
    source.close();
  }
  try {
    fs.chmodSync(temp, 0o600);
    const copy = privately(() => new SQLite(temp));
    try {
      copy.pragma('journal_mode = DELETE');
      const mark = copy.prepare(
        'INSERT INTO app_meta (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      );
      mark.run('backup.taken_at', opts.now.toISOString(), opts.now.toISOString());
      mark.run('backup.version', opts.version, opts.now.toISOString());
    } finally {
      privately(() => copy.close());
    }
    placeFile(temp, target, opts.force);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new BackupError(`${target} already exists; choose another file, or add --force to replace it`);
    throw err;
  }
  return { bytes: fs.statSync(target).size, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

/** Copies the key file beside the backup (0600), through a temporary file like the database. */
export function copyKeyFile(keyFile: string, target: string, force: boolean): void {
  const temp = tempBeside(target);
  fs.writeFileSync(temp, fs.readFileSync(keyFile), { mode: 0o600 });
  try {
    placeFile(temp, target, force);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new BackupError(`${target} already exists; choose another file, or add --force to replace it`);
    throw err;
  }
}

export interface BackupFacts {
  /** Migrations applied in the backup, by name. */
  migrations: string[];
  takenAt: string | undefined;
  version: string | undefined;
  /** One stored encrypted token, to check the key against before restoring. */
  token: { realmId: string; accessTokenEnc: string } | undefined;
}

const notOurs = (file: string, why: string) => new BackupError(`${file} is not a QBO Connect backup (${why}); name a file written by \`qbo-connect backup\``);

/**
 * Reads `file` as a backup: a sound SQLite database (integrity_check), with our tables, at a
 * migration level this release knows (a newer release's database may hold what this one would lose).
 */
/**
 * The tables a database migrated up to `last` holds: an empty in-memory database migrated that far.
 * A file with fewer is not one of ours, and restoring it would break the next start (a migration
 * would find some of its tables there and fail).
 */
async function tablesAt(known: Record<string, Migration>, last: string): Promise<Set<string>> {
  const sqlite = new SQLite(':memory:');
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqlite }) });
  try {
    const r = await new Migrator({ db, provider: { getMigrations: async () => known } }).migrateTo(last);
    if (r.error) throw r.error;
    return new Set((sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>).map((t) => t.name));
  } finally {
    await db.destroy();
  }
}

export async function inspectSqliteBackup(file: string, known: Record<string, Migration>): Promise<BackupFacts> {
  const knownMigrations = Object.keys(known).sort();
  if (!fs.existsSync(file)) throw new BackupError(`${file} does not exist; name a file written by \`qbo-connect backup\``);
  if (!fs.statSync(file).isFile()) throw new BackupError(`${file} is not a file; name a file written by \`qbo-connect backup\``);
  let db: SQLite.Database;
  try {
    db = new SQLite(file, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw notOurs(file, (err as Error).message);
  }
  try {
    let check: string[];
    try {
      check = (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
    } catch (err) {
      throw notOurs(file, `SQLite cannot read it: ${(err as Error).message}`);
    }
    if (check.join() !== 'ok') throw new BackupError(`${file} is damaged (SQLite integrity_check: ${check.slice(0, 3).join('; ')}); restore an older backup`);
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name));
    for (const t of ['app_meta', 'kysely_migration', 'connections']) if (!tables.has(t)) throw notOurs(file, `it has no ${t} table`);
    // A backup from before the migration renumbering recorded the old names: read them under today's.
    const migrations = (db.prepare('SELECT name FROM kysely_migration').all() as Array<{ name: string }>).map((r) => renamedMigrations[r.name] ?? r.name).sort();
    const knownNames = new Set(knownMigrations);
    const newer = migrations.filter((m) => !knownNames.has(m));
    if (newer.length) {
      throw new BackupError(
        `${file} was made by a newer release of QBO Connect (its database has migration ${newer.join(', ')}, unknown to this one); restore it with that release or a later one`,
      );
    }
    // Migrations run in order: what the file has applied is the first n of ours, and it holds their tables.
    const prefix = knownMigrations.slice(0, migrations.length);
    if (migrations.length === 0 || migrations.some((m, i) => m !== prefix[i])) {
      throw notOurs(file, migrations.length ? `its migrations ${migrations.join(', ')} are not applied in order` : 'it has no migration applied');
    }
    const missing = [...(await tablesAt(known, migrations.at(-1)!))].filter((t) => !tables.has(t)).sort();
    if (missing.length)
      throw notOurs(file, `it has no ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` (and ${missing.length - 5} more)` : ''} table${missing.length > 1 ? 's' : ''}`);
    const meta = (key: string) => (db.prepare('SELECT value FROM app_meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
    const token = db.prepare('SELECT realm_id AS realmId, access_token_enc AS accessTokenEnc FROM connections WHERE access_token_enc IS NOT NULL LIMIT 1').get() as
      { realmId: string; accessTokenEnc: string } | undefined;
    return { migrations, takenAt: meta('backup.taken_at'), version: meta('backup.version'), token };
  } finally {
    db.close();
  }
}

/**
 * The live database, held with an exclusive lock for as long as the restore replaces it. Taking the
 * lock fails at once (no busy wait) while any other connection has the database open: a running
 * `qbo-connect start`, a sync, or any other command on this data folder.
 */
export interface LockedDatabase {
  /**
   * Why SQLite cannot read the live database (not a database, malformed, integrity_check), or
   * undefined when it is sound. A damaged one is not locked (SQLite cannot open it to lock it):
   * nothing can be using it for work either.
   */
  damaged: string | undefined;
  /** Rows held outside the migration bookkeeping: 0 for a database nobody has used. */
  rows(): number;
  /** A consistent copy beside it (made while the lock is held). */
  copyTo(file: string): void;
  close(): void;
}

/** SQLite's answers for a file that is not a database or is corrupt (https://www.sqlite.org/rescode.html). */
const isDamage = (err: unknown) => /^SQLITE_(NOTADB|CORRUPT)/.test(String((err as { code?: string }).code ?? ''));

/** A damaged live database: its files copied aside as they are, then replaced like a sound one. */
function damagedDatabase(dbFile: string, why: string): LockedDatabase {
  return {
    damaged: why,
    rows: () => 0,
    copyTo(file) {
      copyPrivately(dbFile, file);
      for (const extra of ['-wal', '-journal']) if (fs.existsSync(dbFile + extra)) copyPrivately(dbFile + extra, file + extra);
    },
    close() {},
  };
}

export function lockLiveDatabase(dbFile: string): LockedDatabase | undefined {
  if (!fs.existsSync(dbFile) || fs.statSync(dbFile).size === 0) return undefined;
  let db: SQLite.Database;
  try {
    db = new SQLite(dbFile, { fileMustExist: true, timeout: 0 });
  } catch (err) {
    if (isDamage(err)) return damagedDatabase(dbFile, (err as Error).message);
    throw err;
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    // In EXCLUSIVE locking mode the lock outlives the transaction: it is held until close().
    db.exec('COMMIT');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new BackupError(`the database ${dbFile} is in use by another process (is QBO Connect running on this data folder, or a sync?); stop it, then run restore again`);
    }
    if (isDamage(err)) return damagedDatabase(dbFile, (err as Error).message);
    throw err;
  }
  // Locked: now read it whole. A damaged page anywhere would fail the row count or the copy aside.
  let damaged: string | undefined;
  try {
    const check = (db.pragma('quick_check') as Array<{ quick_check: string }>).map((r) => r.quick_check);
    if (check.join() !== 'ok') damaged = `quick_check: ${check.slice(0, 3).join('; ')}`;
  } catch (err) {
    if (!isDamage(err)) {
      db.close();
      throw err;
    }
    damaged = (err as Error).message;
  }
  if (damaged) {
    db.close();
    return damagedDatabase(dbFile, damaged);
  }
  return {
    damaged: undefined,
    rows() {
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>).map((r) => r.name);
      let n = 0;
      for (const t of tables) {
        const q = dataRowsSql(t);
        if (q) n += (db.prepare(q).get() as { n: number }).n;
      }
      return n;
    },
    copyTo(file) {
      privately(() => db.prepare('VACUUM INTO ?').run(file));
      fs.chmodSync(file, 0o600);
    },
    close() {
      db.close();
    },
  };
}

/**
 * Copies `from` to `to` (created 0600, not with `from`'s mode as fs.copyFile does) and syncs it.
 */
export function copyPrivately(from: string, to: string): void {
  const out = fs.openSync(to, 'w', 0o600);
  try {
    fs.fchmodSync(out, 0o600);
    const input = fs.openSync(from, 'r');
    try {
      const buf = Buffer.alloc(1 << 20);
      for (let n; (n = fs.readSync(input, buf, 0, buf.length, null)) > 0;) fs.writeSync(out, buf, 0, n);
    } finally {
      fs.closeSync(input);
    }
    fs.fsyncSync(out);
  } finally {
    fs.closeSync(out);
  }
}

/**
 * Puts the backup `file` in place of `dbFile`: copied beside it and synced first, then (after the
 * caller closed its lock, which folds and removes the -wal) the old -wal/-shm are removed, so no
 * stale log is ever replayed onto the restored file, and the copy is renamed over the database.
 */
export function stageRestore(file: string, dbFile: string): { commit(): void; abort(): void } {
  const temp = tempBeside(dbFile);
  copyPrivately(file, temp);
  return {
    commit() {
      for (const extra of ['-wal', '-shm', '-journal']) fs.rmSync(dbFile + extra, { force: true });
      fs.renameSync(temp, dbFile);
    },
    abort() {
      fs.rmSync(temp, { force: true });
    },
  };
}
