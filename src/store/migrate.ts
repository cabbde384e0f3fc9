/**
 * Running and checking the migrations (docs/operations.md "Upgrading"): `qbo-connect migrate` is the
 * release step; `start` migrates too unless `--no-migrate`, when it only checks.
 *
 * Kysely's Migrator records each migration's name in `kysely_migration`. Two things it does not do
 * are done here, before it runs:
 * - names recorded by earlier releases are renamed to today's (migrations/renames.ts);
 * - a release tolerates the schema of the next one (expand, then contract): migrations recorded by a
 *   newer release, named after all of ours, are named in a warning and otherwise left alone. The
 *   Migrator would throw "previously executed migration … is missing" on them, so it is handed a
 *   placeholder for each (already executed, never run).
 * Order is checked here by name, not by Kysely (whose check reads the time each migration ran, and
 * the renumbering put 0004 and 0005 out of time order on databases made before it).
 */
import { sql, Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './db.js';
import { dialectOf } from './dialect.js';
import { migrations as ourMigrations } from './migrations/index.js';
import { renamedMigrations } from './migrations/renames.js';

const TABLE = 'kysely_migration';

/** The database's migrations cannot be brought to this release: one line saying which and what to do. */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

export interface MigrationState {
  /** This release's migrations, in order. */
  known: string[];
  /** Of ours, those the database has. */
  applied: string[];
  /** Of ours, those it lacks. */
  pending: string[];
  /** Recorded by a newer release: unknown to us and named after all of ours. */
  newer: string[];
  /** Recorded, unknown to us, and not newer: the database was changed by something that is not a release of ours. */
  foreign: string[];
  /** Of the pending ones, those named before one the database has: a release would have run them first. */
  skipped: string[];
}

async function hasTable(db: Db): Promise<boolean> {
  const query =
    dialectOf(db) === 'postgres'
      ? sql<{ n: number }>`select count(*)::int as n where to_regclass(${TABLE}) is not null`
      : sql<{ n: number }>`select count(*) as n from sqlite_master where type = 'table' and name = ${TABLE}`;
  const { rows } = await query.execute(db);
  return Number(rows[0]?.n ?? 0) > 0;
}

/**
 * Every name under which a release up to this one may have recorded one of this release's
 * migrations (today's names and earlier releases'): what a restore may accept from a backup.
 */
export function recognisedMigrationNames(): string[] {
  return [...Object.keys(ourMigrations), ...Object.keys(renamedMigrations)];
}

/** The names recorded in the database, as recorded (none when it was never migrated). */
async function recordedNames(db: Db): Promise<string[]> {
  if (!(await hasTable(db))) return [];
  const { rows } = await sql<{ name: string }>`select name from ${sql.table(TABLE)}`.execute(db);
  return rows.map((r) => r.name);
}

/** Where the database stands against this release (recorded names read under today's names; nothing written). */
export async function migrationState(
  db: Db,
  known: Record<string, Migration> = ourMigrations,
  renames: Readonly<Record<string, string>> = renamedMigrations,
): Promise<MigrationState> {
  const recorded = new Set((await recordedNames(db)).map((n) => renames[n] ?? n));
  const names = Object.keys(known).sort();
  const last = names[names.length - 1] ?? '';
  const applied = names.filter((n) => recorded.has(n));
  const pending = names.filter((n) => !recorded.has(n));
  const unknown = [...recorded].filter((n) => !(n in known)).sort();
  const newer = unknown.filter((n) => n > last);
  const foreign = unknown.filter((n) => n <= last);
  const lastRecorded = [...recorded].sort().pop() ?? '';
  const skipped = pending.filter((n) => n < lastRecorded);
  return { known: names, applied, pending, newer, foreign, skipped };
}

/** Rewrites names recorded by earlier releases to today's, in one transaction; returns the ones it renamed. */
export async function renameRecordedMigrations(db: Db, renames: Readonly<Record<string, string>> = renamedMigrations): Promise<string[]> {
  // Read first: a write transaction on every open would queue behind a running sync's writes (SQLite has one writer).
  const recorded = new Set(await recordedNames(db));
  if (!Object.keys(renames).some((from) => recorded.has(from))) return [];
  return db.transaction().execute(async (trx) => {
    const done: string[] = [];
    // No new name equals an old one (migration-names.test.ts), so the order of these updates does not matter.
    for (const [from, to] of Object.entries(renames)) {
      const r = await sql`update ${sql.table(TABLE)} set name = ${to} where name = ${from}`.execute(trx);
      if (Number(r.numAffectedRows ?? 0) > 0) done.push(`${from} -> ${to}`);
    }
    return done;
  });
}

function refuseUnusable(state: MigrationState): void {
  if (state.foreign.length > 0) {
    throw new MigrationError(
      `the database records migration${state.foreign.length === 1 ? '' : 's'} ${state.foreign.join(', ')}, which this release does not know and which sort${state.foreign.length === 1 ? 's' : ''} before its own last one (${state.known.at(-1)}): it was migrated by another build of QBO Connect; restore a backup or use that build.`,
    );
  }
  if (state.skipped.length > 0) {
    throw new MigrationError(
      `the database lacks migration${state.skipped.length === 1 ? '' : 's'} ${state.skipped.join(', ')} but records later ones: it was migrated by another build of QBO Connect; restore a backup or use that build.`,
    );
  }
}

export function newerWarning(newer: string[]): string {
  return `the database has migration${newer.length === 1 ? '' : 's'} from a newer release that this one does not know (${newer.join(', ')}); this release runs on that schema (expand, then contract), but do not stay on it longer than the upgrade takes.`;
}

/**
 * `start --no-migrate` and /readyz: refuses (MigrationError) unless every migration of this release
 * is applied; names a newer release's migrations through `warn`.
 */
export async function checkMigrations(db: Db, warn: (line: string) => void): Promise<MigrationState> {
  const state = await migrationState(db);
  refuseUnusable(state);
  if (state.pending.length > 0) {
    throw new MigrationError(
      `the database lacks ${state.pending.length} migration${state.pending.length === 1 ? '' : 's'} of this release (${state.pending.join(', ')}): run \`qbo-connect migrate\` first (start --no-migrate only checks).`,
    );
  }
  if (state.newer.length > 0) warn(newerWarning(state.newer));
  return state;
}

/** A newer release's migration, already recorded: listed so the Migrator accepts the record; never run. */
function placeholder(name: string): Migration {
  return {
    up: () => Promise.reject(new MigrationError(`migration ${name} belongs to a newer release and cannot run here`)),
  };
}

export interface MigrateResult {
  /** The migrations this call applied, in order. */
  applied: string[];
  /** Names of earlier releases it rewrote (`old -> new`). */
  renamed: string[];
  newer: string[];
}

/** The release step: renames old records, checks order, applies what is pending, all in one transaction. */
export async function runMigrations(db: Db, warn: (line: string) => void): Promise<MigrateResult> {
  const renamed = await renameRecordedMigrations(db);
  const state = await migrationState(db);
  refuseUnusable(state);
  if (state.newer.length > 0) warn(newerWarning(state.newer));
  // Nothing to apply: no migration transaction, which on SQLite takes the write lock (sqlite-dialect.ts)
  // and would make every command wait for, then fail behind, another process's write.
  if (state.pending.length === 0) return { applied: [], renamed, newer: state.newer };
  const all: Record<string, Migration> = { ...ourMigrations };
  for (const name of state.newer) all[name] = placeholder(name);
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(all) };
  // Order was checked above by name; Kysely's own check compares run times, which the renumbering reordered.
  const migrator = new Migrator({ db, provider, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    const cause = error instanceof Error ? error.message : String(error);
    // The cause keeps its code (ECONNREFUSED, 28P01…), so the CLI can say what to fix in one line.
    // The pending migrations run in one transaction (both dialects; sqlite-dialect.ts), so none of them is left half done.
    throw new MigrationError(
      `database migration ${failed?.migrationName ?? ''} failed: ${cause}; nothing of this upgrade was applied: fix the cause and run \`qbo-connect migrate\` again, or go back to the previous release (\`qbo-connect restore\` the backup taken before the upgrade if the data is in doubt)`.replace(
        'migration  failed',
        'migration failed',
      ),
      { cause: error },
    );
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName), renamed, newer: state.newer };
}
