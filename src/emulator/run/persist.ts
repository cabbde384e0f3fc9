/**
 * `--data FILE`: the emulator's state (core + OAuth grants, the latter as digests only) saved as a
 * snapshot in a SQLite file, debounced after writes and once more on close, and read back on start.
 * A snapshot rather than row-level storage: the core lives in memory for speed, and a demo only
 * needs to survive a restart, not a crash in the middle of a write burst.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { z } from 'zod';

export interface Snapshot {
  core: unknown;
  oauth: unknown;
}

export interface Persistence {
  load(): Snapshot | undefined;
  /** Saves soon (debounced): call after every change. */
  changed(): void;
  flush(): void;
  close(): void;
}

/** The data file cannot be used (not SQLite, another format, damaged): the message says which and what to do. */
export class PersistenceError extends Error {
  override name = 'PersistenceError';
}

const FORMAT = 1;
const rowSchema = z.object({ format: z.number(), core: z.string(), oauth: z.string() });

export function openPersistence(file: string, take: () => Snapshot, debounceMs = 200): Persistence {
  let db: Database.Database;
  try {
    // The snapshot holds a company's books and OAuth grant digests: only this account may read it.
    // SQLite gives -wal and -shm the main file's mode, so creating that one 0600 covers all three.
    if (file !== ':memory:' && !fs.existsSync(file)) fs.closeSync(fs.openSync(file, 'a', 0o600));
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 5000');
    db.exec(`CREATE TABLE IF NOT EXISTS emulator_snapshot (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      format INTEGER NOT NULL,
      saved_at TEXT NOT NULL,
      core TEXT NOT NULL,
      oauth TEXT NOT NULL
    )`);
  } catch (err) {
    throw new PersistenceError(`${file}: cannot be used as the emulator's data file (${(err as Error).message}); give a new file name or an earlier emulator data file`);
  }
  const upsert = db.prepare(
    `INSERT INTO emulator_snapshot (id, format, saved_at, core, oauth) VALUES (1, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET format = excluded.format, saved_at = excluded.saved_at, core = excluded.core, oauth = excluded.oauth`,
  );
  let timer: NodeJS.Timeout | undefined;
  let dirty = false;
  let closed = false;
  // A big company takes a while to serialise; spacing snapshots by a multiple of that keeps the
  // emulator from spending most of a write burst saving.
  let lastCostMs = 0;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!dirty || closed) return;
    dirty = false;
    const started = Date.now();
    const snap = take();
    upsert.run(FORMAT, new Date().toISOString(), JSON.stringify(snap.core), JSON.stringify(snap.oauth));
    lastCostMs = Date.now() - started;
  };

  return {
    load() {
      const raw = db.prepare('SELECT format, core, oauth FROM emulator_snapshot WHERE id = 1').get();
      if (!raw) return undefined;
      const row = rowSchema.parse(raw);
      if (row.format !== FORMAT)
        throw new PersistenceError(`${file}: emulator data format ${row.format} is not supported by this version (expected ${FORMAT}); start with a new data file`);
      try {
        return { core: JSON.parse(row.core) as unknown, oauth: JSON.parse(row.oauth) as unknown };
      } catch {
        throw new PersistenceError(`${file}: the saved emulator state is damaged; start with a new data file`);
      }
    },
    changed() {
      if (closed) return;
      dirty = true;
      if (!timer) timer = setTimeout(flush, Math.max(debounceMs, lastCostMs * 10));
    },
    flush,
    close() {
      if (closed) return;
      dirty = true;
      flush();
      closed = true;
      db.close();
    },
  };
}
