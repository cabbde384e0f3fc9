/**
 * One sync per company at a time, across processes and machines sharing the database. The lock is a
 * row in `sync_locks` holding a lease: its holder renews `expires_at` with a heartbeat (and with every
 * journal resolution, the fence below), so a holder that died (kill -9, power cut) stops renewing and
 * the next sync takes the lock over once the lease has lapsed.
 *
 * The lease is measured by the DATABASE's clock, never a host's: every claim, takeover, heartbeat and
 * fence computes `now` and `now + ttl` inside its SQL statement (PostgreSQL `clock_timestamp()`, SQLite
 * `strftime('now')`), so a machine whose clock runs ahead cannot take a live lock and one whose clock
 * runs behind cannot keep a lapsed one. Only `started_at` (shown in the refusal) is the injected clock.
 * The timestamps stay ISO-8601 text in UTC with milliseconds, the format of rows written before, so
 * text comparison orders them and existing rows keep working (no migration).
 *
 * The holder id is `host:pid:process:lease` — `process` is random and made once per process, `lease`
 * counts this process's claims — so it is unique even when two containers share a hostname and a pid.
 * A holder on this machine whose process is gone is taken over at once on SQLite only: SQLite is one
 * machine by design, while on PostgreSQL another container may have the same hostname and reuse the
 * pid in its own PID namespace (issue 16: a live lock was taken that way).
 *
 * Claims are single statements (insert, or update guarded by the old expiry or holder), so two
 * processes racing for the same lock cannot both win.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Db } from '../../store/db.js';
import { dialectOf } from '../../store/dialect.js';
import type { Database } from '../../store/schema.js';
import { LockLostError } from './context.js';
import { actorName, localWhen, refusal } from './reasons.js';

export const DEFAULT_LOCK_TTL_MS = 60_000;

/** This process's id in lock holders: random, made once (a pid is not unique across PID namespaces). */
const PROCESS_ID = crypto.randomBytes(8).toString('hex');
let claims = 0;

/**
 * What fences a run's journal resolutions: the lease they renew, and refuse to write without.
 * `lost` turns true once a renewal was refused, so no further batch is sent.
 */
export interface Lease {
  readonly realmId: string;
  readonly holderId: string;
  readonly ttlMs: number;
  readonly lost: boolean;
  /** Called by the fence when a renewal was refused. */
  markLost(): void;
}

export interface SyncLock extends Lease {
  /** Renews the lock; false when it was lost (taken over, or its lease lapsed by the database's clock). */
  heartbeat(): Promise<boolean>;
  setRunId(runId: string): Promise<void>;
  release(): Promise<void>;
}

export interface AcquireLockInput {
  realmId: string;
  /** Who started the sync, for the refusal message ("alice@example.com (cli)"). */
  holder: string;
  clock: () => Date;
  ttlMs?: number;
}

type Executor = Db | Transaction<Database>;

/** The database's now plus `offsetMs`, as ISO-8601 UTC text with milliseconds (`2026-12-04T23:55:00.000Z`). */
export function dbTime(db: Executor, offsetMs = 0): RawBuilder<string> {
  if (dialectOf(db) === 'postgres') {
    // clock_timestamp(), not now(): now() is the transaction's start, and a fence runs late in one.
    return sql<string>`to_char((clock_timestamp() + ${offsetMs}::integer * interval '1 millisecond') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
  }
  // %f is seconds with milliseconds (SS.SSS); 'now' is fixed within one statement.
  return sql<string>`strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ${`${offsetMs >= 0 ? '+' : ''}${(offsetMs / 1000).toFixed(3)} seconds`})`;
}

/** True when the holder id names a process on this host that no longer exists. */
export function holderIsDeadHere(holderId: string): boolean {
  const [host, pid] = holderId.split(':');
  if (host !== os.hostname() || !pid || !/^\d+$/.test(pid)) return false;
  if (Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** The dead-process shortcut, on SQLite only (see the top of this file). */
export function holderIsDeadOn(db: Executor, holderId: string): boolean {
  return dialectOf(db) === 'sqlite' && holderIsDeadHere(holderId);
}

/** The company locks whose lease is live by the database's clock (and, on SQLite, whose holder exists). */
export async function liveLocks(db: Db, realmIds: readonly string[]) {
  if (!realmIds.length) return [];
  const rows = await db
    .selectFrom('sync_locks')
    .selectAll()
    .where('realm_id', 'in', [...realmIds])
    .where('expires_at', '>', dbTime(db))
    .execute();
  return rows.filter((l) => !holderIsDeadOn(db, l.holder_id));
}

export async function acquireSyncLock(db: Db, input: AcquireLockInput): Promise<SyncLock> {
  const ttl = input.ttlMs ?? DEFAULT_LOCK_TTL_MS;
  const holderId = `${os.hostname()}:${process.pid}:${PROCESS_ID}:${++claims}`;
  const started = input.clock().toISOString();
  const row = () => ({
    realm_id: input.realmId,
    holder_id: holderId,
    holder: input.holder,
    run_id: null,
    started_at: started,
    heartbeat_at: dbTime(db),
    expires_at: dbTime(db, ttl),
  });
  let won = false;
  try {
    await db.insertInto('sync_locks').values(row()).execute();
    won = true;
  } catch {
    // Taken (or another process inserted first): take it over only if its lease lapsed by the database's clock.
    const r = await db.updateTable('sync_locks').set(row()).where('realm_id', '=', input.realmId).where('expires_at', '<=', dbTime(db)).executeTakeFirst();
    won = Number(r.numUpdatedRows) === 1;
  }
  if (!won) {
    // SQLite only: a holder on this machine whose process is gone (kill -9, crash) is not waited for.
    const held = await db.selectFrom('sync_locks').select('holder_id').where('realm_id', '=', input.realmId).executeTakeFirst();
    if (held && holderIsDeadOn(db, held.holder_id)) {
      const r = await db.updateTable('sync_locks').set(row()).where('realm_id', '=', input.realmId).where('holder_id', '=', held.holder_id).executeTakeFirst();
      won = Number(r.numUpdatedRows) === 1;
    }
  }
  if (!won) {
    const current = await db.selectFrom('sync_locks').selectAll().where('realm_id', '=', input.realmId).executeTakeFirst();
    throw refusal('run.locked', {
      holder: current ? actorName(current.holder) : 'another process',
      startedAt: current ? localWhen(current.started_at, input.clock()) : 'a moment ago',
      seconds: Math.round(ttl / 1000),
    });
  }
  const mine = () => db.updateTable('sync_locks').where('realm_id', '=', input.realmId).where('holder_id', '=', holderId);
  let lost = false;
  return {
    realmId: input.realmId,
    holderId,
    ttlMs: ttl,
    get lost() {
      return lost;
    },
    async heartbeat() {
      const ok = await renew(db, { realmId: input.realmId, holderId, ttlMs: ttl });
      if (!ok) lost = true;
      return ok;
    },
    async setRunId(runId) {
      await mine().set({ run_id: runId }).execute();
    },
    async release() {
      await db.deleteFrom('sync_locks').where('realm_id', '=', input.realmId).where('holder_id', '=', holderId).execute();
    },
    markLost() {
      lost = true;
    },
  };
}

/** Renews the lease if it is still ours and has not lapsed by the database's clock: one statement. */
async function renew(db: Executor, lease: Pick<Lease, 'realmId' | 'holderId' | 'ttlMs'>): Promise<boolean> {
  const r = await db
    .updateTable('sync_locks')
    .set({ heartbeat_at: dbTime(db), expires_at: dbTime(db, lease.ttlMs) })
    .where('realm_id', '=', lease.realmId)
    .where('holder_id', '=', lease.holderId)
    .where('expires_at', '>', dbTime(db))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * The fence, first statement of every transaction that resolves a journal row: renews the lease and
 * throws LockLostError (rolling the transaction back) when the lock is no longer ours — another process
 * took it over, or the lease lapsed by the database's clock. On PostgreSQL the renewal holds the lock
 * row until the resolution commits, so a takeover waits for it and then finds the lease renewed: a
 * resolution commits only while its writer holds the lock. Without a lease (tests of the journal alone)
 * nothing is fenced.
 */
export async function fenceWrite(trx: Transaction<Database>, lease: Lease | undefined): Promise<void> {
  if (!lease) return;
  if (lease.lost || !(await renew(trx, lease))) {
    lease.markLost();
    throw new LockLostError();
  }
}

/** Renews the lock every third of its life until stopped; reports a lost lock once. */
export function keepAlive(lock: SyncLock, ttlMs: number, onLost: () => void): () => void {
  let stopped = false;
  const timer = setInterval(
    () => {
      void lock.heartbeat().then(
        (ok) => {
          if (!ok && !stopped) {
            stopped = true;
            clearInterval(timer);
            onLost();
          }
        },
        () => {},
      );
    },
    Math.max(50, Math.floor(ttlMs / 3)),
  );
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
