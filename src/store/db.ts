/**
 * Opening the database: SQLite (better-sqlite3) in the data folder by default, PostgreSQL (pg) when
 * a DATABASE_URL is given. Migrations run on open (src/store/migrate.ts), or are only checked.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { TransactionalSqliteDialect } from './sqlite-dialect.js';
import type { Database } from './schema.js';
import { checkMigrations, runMigrations } from './migrate.js';
import type { Dialect } from './dialect.js';

export type Db = Kysely<Database>;

// node-postgres returns int8 as a string; our bigints are cents and counters well below 2^53.
pg.types.setTypeParser(20, (v: string) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new Error(`database value ${v} is beyond the safe integer range`);
  return n;
});

/** How long opening a PostgreSQL connection may take before it counts as unreachable. */
export const PG_CONNECT_TIMEOUT_MS = 10_000;

export interface OpenOptions {
  /** `postgres://…` for PostgreSQL; otherwise SQLite at `sqliteFile` (`:memory:` allowed). */
  databaseUrl?: string | undefined;
  sqliteFile?: string;
  /** true (default): apply pending migrations; 'check': refuse unless they are all applied (`start --no-migrate`); false: neither. */
  migrate?: boolean | 'check';
  /** A newer release's migrations are recorded (expand, then contract): one line naming them. Default: stderr. */
  onMigrationWarning?: (line: string) => void;
  /**
   * A pooled PostgreSQL connection that fails while idle (the server restarted, an administrator
   * ended the session): node-postgres emits `error` on the pool, and an unheard `error` event ends
   * the process. The pool drops that client and opens a new one on the next query; we only report it.
   */
  onIdleError?: (err: Error) => void;
}

/** The SQLite file a database was opened from, and which file it was then (device and inode). */
export interface SqliteFileIdentity {
  file: string;
  dev: number;
  ino: number;
}
const openedFiles = new WeakMap<object, SqliteFileIdentity>();
const sqliteFiles = new WeakMap<Db, SqliteFileIdentity>();

/** For `/readyz`: the file this SQLite database was opened from (undefined for PostgreSQL and `:memory:`). */
export function sqliteFileOf(db: Db): SqliteFileIdentity | undefined {
  return sqliteFiles.get(db);
}

export interface OpenDb {
  db: Db;
  dialect: Dialect;
  close(): Promise<void>;
}

/** Our PostgreSQL application_name: this process, where (PostgreSQL keeps 63 bytes). */
export const APPLICATION_NAME_PREFIX = 'qbo-connect';
const APPLICATION_NAME = `${APPLICATION_NAME_PREFIX} pid ${process.pid} on ${os.hostname()}`.slice(0, 63);

/**
 * Other processes of ours with this PostgreSQL database open (their application_name, e.g.
 * "qbo-connect pid 4242 on web-1"); none means no start, sync or other command is using it.
 */
export async function otherPostgresUsers(db: Db): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select distinct application_name as name from pg_stat_activity
    where datname = current_database() and application_name like ${APPLICATION_NAME_PREFIX + ' %'} and application_name <> ${APPLICATION_NAME}`.execute(db);
  return rows.map((r) => r.name).sort();
}

export async function openDatabase(opts: OpenOptions): Promise<OpenDb> {
  let db: Db;
  let dialect: Dialect;
  if (opts.databaseUrl) {
    dialect = 'postgres';
    // A server that accepts the connection and never answers (a wrong port, a proxy in front of a dead
    // database) would hold a start for ever: pg waits without limit unless told (issue 17).
    // Named so a command that must run alone (rotate-key) can see the other processes using this database.
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10, connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS, application_name: APPLICATION_NAME });
    pool.on('error', (err) => (opts.onIdleError ?? reportIdleError)(err));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  } else {
    dialect = 'sqlite';
    const file = opts.sqliteFile ?? ':memory:';
    if (file !== ':memory:') {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      // Made 0600 before SQLite opens it, so the database (and its -wal/-shm, which copy its mode) is private.
      if (!fs.existsSync(file)) fs.closeSync(fs.openSync(file, 'a', 0o600));
    }
    const sqlite = new SQLite(file);
    if (file !== ':memory:') {
      const st = fs.statSync(file);
      openedFiles.set(sqlite, { file, dev: st.dev, ino: st.ino });
    }
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('synchronous = NORMAL');
    db = new Kysely<Database>({ dialect: new TransactionalSqliteDialect({ database: sqlite }) });
    const opened = openedFiles.get(sqlite);
    if (opened) sqliteFiles.set(db, opened);
  }
  const warn = opts.onMigrationWarning ?? ((line: string) => process.stderr.write(`qbo-connect: warning: ${line}\n`));
  try {
    if (opts.migrate === 'check') await checkMigrations(db, warn);
    else if (opts.migrate !== false) {
      await runMigrations(db, warn);
      if (opts.databaseUrl) await installWorkerSchema(opts.databaseUrl);
    }
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return { db, dialect, close: () => db.destroy() };
}

function reportIdleError(err: Error): void {
  process.stderr.write(`PostgreSQL: an idle pooled connection failed (${err.message}); the next query opens a new one\n`);
}

/** Applies pending migrations (see migrate.ts for renamed and newer ones); warnings go to stderr. */
export async function migrateToLatest(db: Db): Promise<void> {
  await runMigrations(db, (line) => process.stderr.write(`qbo-connect: warning: ${line}\n`));
}

/**
 * graphile-worker's own schema (`graphile_worker`), installed and upgraded by its `runMigrations`
 * as part of our migrate step, so `graphile_worker.add_job` exists before the web process adds a job
 * (jobs/pg-runner.ts). Loaded only on PostgreSQL.
 *
 * graphile-worker 0.17 takes no lock of its own: two processes installing a fresh schema at once
 * race on `create schema if not exists` and its first migration (node_modules/graphile-worker/dist/
 * migrate.js retries a clash once, then throws; CI saw `migrate` ×2 fail). So the install runs under a
 * session advisory lock held on a connection of its own, and the second process finds it done.
 */
export async function installWorkerSchema(databaseUrl: string): Promise<void> {
  const { runMigrations: runWorkerMigrations, Logger } = await import('graphile-worker');
  const quiet = new Logger(() => (level: string, message: string) => {
    if (level === 'error') process.stderr.write(`qbo-connect: graphile-worker migration: ${message}\n`);
  });
  const holder = new pg.Client({ connectionString: databaseUrl });
  await holder.connect();
  try {
    await holder.query('select pg_advisory_lock($1)', [WORKER_SCHEMA_LOCK]);
    await runWorkerMigrations({ connectionString: databaseUrl, logger: quiet, maxPoolSize: 1 });
  } finally {
    // Ending the session releases its advisory lock, also when the migration threw.
    await holder.end().catch(() => {});
  }
}

/** The advisory lock key of graphile-worker's schema install (any constant no other lock of ours uses). */
const WORKER_SCHEMA_LOCK = 0x51b0_3017;
