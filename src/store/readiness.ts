/**
 * Is the database ready for this release (`/readyz`, issue 17)? Reachable — a real query, answered
 * within a bound — and its schema current: every migration this release knows has run, read by
 * migrate.ts `migrationState` (the same rules as `qbo-connect migrate` and `start --no-migrate`: names
 * recorded by earlier releases count under today's). Migrations a newer release ran are named but do
 * not make it unready: a release tolerates the schema of the next one (expand, then contract). The
 * answer names what is wrong and never carries the connection string.
 */
import fs from 'node:fs';
import { sql } from 'kysely';
import { sqliteFileOf, type Db } from './db.js';
import { migrationState } from './migrate.js';

export interface DatabaseReadiness {
  ready: boolean;
  /** Reachable: `select 1` answered within the bound. */
  reachable: boolean;
  /** Known to this release, not run yet: `qbo-connect start` (or the migrate step) runs them. */
  pending: string[];
  /** Run by a newer release, unknown to this one. */
  newer: string[];
  /** Why it is not ready, one sentence (no secret: the driver's message without the URL). */
  problem?: string;
}

/** A database that takes longer than this to answer `select 1` is not ready (a health check must answer fast). */
export const READINESS_QUERY_TIMEOUT_MS = 3_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Removes anything that looks like a connection string (with its password) from a driver's message. */
function clean(message: string): string {
  return message.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>');
}

/**
 * SQLite keeps answering from a file that was moved or deleted under the running app (the open handle
 * outlives the name), while every other process — the CLI, a backup, the next start — would open or
 * create whatever is at the path now: not ready, naming the path (issue 17).
 */
function sqliteFileProblem(db: Db): string | undefined {
  const opened = sqliteFileOf(db);
  if (!opened) return undefined;
  let now: fs.Stats;
  try {
    now = fs.statSync(opened.file);
  } catch (err) {
    return `the SQLite database file ${opened.file} is gone (${(err as NodeJS.ErrnoException).code ?? 'stat failed'}): it was moved or deleted while QBO Connect had it open; put it back or restart`;
  }
  if (now.dev !== opened.dev || now.ino !== opened.ino)
    return `the SQLite database file ${opened.file} is no longer the file QBO Connect opened (it was moved or replaced); restart to use the file now there, or put the original back`;
  return undefined;
}

export async function databaseReadiness(db: Db, opts: { timeoutMs?: number } = {}): Promise<DatabaseReadiness> {
  const timeoutMs = opts.timeoutMs ?? READINESS_QUERY_TIMEOUT_MS;
  const moved = sqliteFileProblem(db);
  if (moved) return { ready: false, reachable: false, pending: [], newer: [], problem: moved };
  try {
    await withTimeout(sql`select 1 as one`.execute(db), timeoutMs, 'the database');
  } catch (err) {
    return { ready: false, reachable: false, pending: [], newer: [], problem: `the database cannot be reached: ${clean(err instanceof Error ? err.message : String(err))}` };
  }
  try {
    const state = await withTimeout(migrationState(db), timeoutMs, 'the migration table');
    const { pending, newer } = state;
    const alien = [...state.foreign, ...state.skipped];
    if (alien.length) return { ready: false, reachable: true, pending, newer, problem: `the database was migrated by another build of QBO Connect (${alien.join(', ')})` };
    return pending.length
      ? {
          ready: false,
          reachable: true,
          pending,
          newer,
          problem: `${pending.length} migration(s) of this release have not run: ${pending.join(', ')}; run \`qbo-connect migrate\``,
        }
      : { ready: true, reachable: true, pending, newer };
  } catch (err) {
    return { ready: false, reachable: true, pending: [], newer: [], problem: `the migrations could not be read: ${clean(err instanceof Error ? err.message : String(err))}` };
  }
}
