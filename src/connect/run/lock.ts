/**
 * One sync per company at a time, across processes and machines sharing the database. The lock is a
 * row in `sync_locks`; its holder renews `expires_at` with a heartbeat, so a holder that died (kill
 * -9, power cut) stops renewing and the next sync takes the lock over once it has lapsed.
 * A holder on the same machine whose process is gone is taken over at once.
 * Claims are single statements (insert, or update guarded by the old expiry or holder), so two
 * processes racing for the same lock cannot both win.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { Db } from '../../store/db.js';
import { actorName, localWhen, refusal } from './reasons.js';

export const DEFAULT_LOCK_TTL_MS = 60_000;

export interface SyncLock {
  readonly realmId: string;
  readonly holderId: string;
  /** Renews the lock; false when it was lost (taken over after a lapse). */
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

export async function acquireSyncLock(db: Db, input: AcquireLockInput): Promise<SyncLock> {
  const ttl = input.ttlMs ?? DEFAULT_LOCK_TTL_MS;
  const holderId = `${os.hostname()}:${process.pid}:${crypto.randomBytes(6).toString('hex')}`;
  const now = input.clock();
  const row = {
    realm_id: input.realmId,
    holder_id: holderId,
    holder: input.holder,
    run_id: null,
    started_at: now.toISOString(),
    heartbeat_at: now.toISOString(),
    expires_at: new Date(now.getTime() + ttl).toISOString(),
  };
  let won = false;
  try {
    await db.insertInto('sync_locks').values(row).execute();
    won = true;
  } catch {
    // Taken (or another process inserted first): take it over only if its heartbeat lapsed.
    const r = await db.updateTable('sync_locks').set(row).where('realm_id', '=', input.realmId).where('expires_at', '<=', now.toISOString()).executeTakeFirst();
    won = Number(r.numUpdatedRows) === 1;
  }
  if (!won) {
    // A holder on this machine whose process is gone (kill -9, crash) is not waited for.
    const held = await db.selectFrom('sync_locks').select('holder_id').where('realm_id', '=', input.realmId).executeTakeFirst();
    if (held && holderIsDeadHere(held.holder_id)) {
      const r = await db.updateTable('sync_locks').set(row).where('realm_id', '=', input.realmId).where('holder_id', '=', held.holder_id).executeTakeFirst();
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
  return {
    realmId: input.realmId,
    holderId,
    async heartbeat() {
      const t = input.clock();
      const r = await mine()
        .set({ heartbeat_at: t.toISOString(), expires_at: new Date(t.getTime() + ttl).toISOString() })
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    async setRunId(runId) {
      await mine().set({ run_id: runId }).execute();
    },
    async release() {
      await db.deleteFrom('sync_locks').where('realm_id', '=', input.realmId).where('holder_id', '=', holderId).execute();
    },
  };
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
