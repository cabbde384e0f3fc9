import os from 'node:os';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/db.js';
import { acquireSyncLock, dbTime, fenceWrite, holderIsDeadHere } from './lock.js';
import { LockLostError } from './context.js';
import { UserFacingError } from '../../user-facing-error.js';

const YEAR_MS = 365 * 24 * 3600_000;

describeEachDialect('sync lock', (t) => {
  const clock = () => new Date();
  /** Ends a lock's lease now by the database's clock, as if its holder stopped renewing long ago. */
  const lapse = (realmId: string) =>
    t.db
      .updateTable('sync_locks')
      .set({ expires_at: dbTime(t.db, -1000) })
      .where('realm_id', '=', realmId)
      .execute();
  const expiresAt = async (realmId: string) => (await t.db.selectFrom('sync_locks').select('expires_at').where('realm_id', '=', realmId).executeTakeFirstOrThrow()).expires_at;

  it('two claims at once: exactly one wins; the other is told who holds it and since when', async () => {
    const results = await Promise.allSettled([
      acquireSyncLock(t.db, { realmId: '101', holder: 'alice (web)', clock }),
      acquireSyncLock(t.db, { realmId: '101', holder: 'bob (cli)', clock }),
    ]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(UserFacingError);
    expect((lost[0]!.reason as UserFacingError).code).toBe('run.locked');
    expect((lost[0]!.reason as Error).message).toMatch(/started by (alice \(web\)|bob \(cli\)) at \d\d:\d\d (today|on \d{1,2} [A-Z][a-z]{2}) \(just now\)\./);
    const lock = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireSyncLock>>>).value;
    expect(await lock.heartbeat()).toBe(true);
    await lock.release();
    const again = await acquireSyncLock(t.db, { realmId: '101', holder: 'carol', clock });
    await again.release();
  });

  it('takes over a lock whose lease lapsed by the database clock; the old holder learns it lost the lock', async () => {
    const at = () => new Date('2026-11-26T02:00:00Z');
    const old = await acquireSyncLock(t.db, { realmId: '102', holder: 'stalled', clock: at, ttlMs: 1000 });
    await expect(acquireSyncLock(t.db, { realmId: '102', holder: 'next', clock: at, ttlMs: 1000 })).rejects.toThrow(/started by stalled/);
    await lapse('102');
    const next = await acquireSyncLock(t.db, { realmId: '102', holder: 'next', clock: at, ttlMs: 1000 });
    expect(await old.heartbeat()).toBe(false);
    expect(old.lost).toBe(true);
    // Releasing a lost lock does not free the new holder's.
    await old.release();
    await expect(acquireSyncLock(t.db, { realmId: '102', holder: 'third', clock: at, ttlMs: 1000 })).rejects.toThrow(/started by next/);
    await next.release();
  });

  it('a host whose clock runs a year ahead cannot take a live lock; one whose clock runs a year behind keeps its live lock', async () => {
    const behind = () => new Date(Date.now() - YEAR_MS);
    const ahead = () => new Date(Date.now() + YEAR_MS);
    const held = await acquireSyncLock(t.db, { realmId: '104', holder: 'slow clock', clock: behind });
    // The lease is in the database's time, not the holder's: about a minute from now.
    const until = Date.parse(await expiresAt('104'));
    expect(Math.abs(until - (Date.now() + 60_000))).toBeLessThan(10 * 60_000);
    await expect(acquireSyncLock(t.db, { realmId: '104', holder: 'fast clock', clock: ahead })).rejects.toThrow(/started by slow clock/);
    expect(await held.heartbeat()).toBe(true);
    await expect(acquireSyncLock(t.db, { realmId: '104', holder: 'fast clock', clock: ahead })).rejects.toThrow(/started by slow clock/);
    await held.release();
  });

  it('a host whose clock runs a year behind cannot keep a lease that lapsed by the database clock', async () => {
    const behind = () => new Date(Date.now() - YEAR_MS);
    const held = await acquireSyncLock(t.db, { realmId: '105', holder: 'slow clock', clock: behind, ttlMs: 1 });
    // A 1 ms lease: lapsed by the database's clock once a few milliseconds passed.
    await new Promise((r) => setTimeout(r, 30));
    expect(await held.heartbeat()).toBe(false);
    const next = await acquireSyncLock(t.db, { realmId: '105', holder: 'next', clock });
    await held.release();
    await next.release();
  });

  it('the holder id is made per process (random) and per claim', async () => {
    const a = await acquireSyncLock(t.db, { realmId: '106', holder: 'a', clock });
    const b = await acquireSyncLock(t.db, { realmId: '107', holder: 'b', clock });
    const [hostA, pidA, procA, nA] = a.holderId.split(':');
    const [, , procB, nB] = b.holderId.split(':');
    expect([hostA, pidA]).toEqual([os.hostname(), String(process.pid)]);
    expect(procA).toMatch(/^[0-9a-f]{16}$/);
    expect(procB).toBe(procA);
    expect(nB).not.toBe(nA);
    await a.release();
    await b.release();
  });

  it(
    t.dialect === 'sqlite'
      ? 'SQLite: a holder on this machine whose process is gone is taken over at once'
      : 'PostgreSQL: a holder with this hostname and a dead pid (another PID namespace) keeps its live lock',
    async () => {
      const now = new Date().toISOString();
      const host = os.hostname();
      // A pid far above Linux's pid_max is never alive here; in another container it may well be.
      await t.db
        .insertInto('sync_locks')
        .values({
          realm_id: '103',
          holder_id: `${host}:99999999:abc`,
          holder: 'killed',
          run_id: null,
          started_at: now,
          heartbeat_at: dbTime(t.db),
          expires_at: dbTime(t.db, 3600_000),
        })
        .execute();
      expect(holderIsDeadHere(`${host}:99999999:abc`)).toBe(true);
      expect(holderIsDeadHere(`${host}:${process.pid}:abc`)).toBe(false);
      expect(holderIsDeadHere(`another-host:99999999:abc`)).toBe(false);
      if (t.dialect === 'sqlite') {
        const lock = await acquireSyncLock(t.db, { realmId: '103', holder: 'restart', clock });
        await lock.release();
      } else {
        await expect(acquireSyncLock(t.db, { realmId: '103', holder: 'restart', clock })).rejects.toThrow(/started by killed/);
        await t.db.deleteFrom('sync_locks').where('realm_id', '=', '103').execute();
      }
    },
  );

  it('the fence renews the lease inside the transaction, and refuses (rolling it back) once the lock was taken over', async () => {
    const lock = await acquireSyncLock(t.db, { realmId: '108', holder: 'writer', clock, ttlMs: 5000 });
    await lapse('108');
    // Lapsed but not taken: the lock is no longer ours to write under.
    await expect(t.db.transaction().execute((trx) => fenceWrite(trx, lock))).rejects.toBeInstanceOf(LockLostError);
    expect(lock.lost).toBe(true);
    await t.db.deleteFrom('sync_locks').where('realm_id', '=', '108').execute();

    const live = await acquireSyncLock(t.db, { realmId: '109', holder: 'writer', clock, ttlMs: 600_000 });
    await t.db
      .updateTable('sync_locks')
      .set({ expires_at: dbTime(t.db, 1000) })
      .where('realm_id', '=', '109')
      .execute();
    const short = await expiresAt('109');
    await t.db.transaction().execute((trx) => fenceWrite(trx, live));
    expect(Date.parse(await expiresAt('109')) - Date.parse(short)).toBeGreaterThan(500_000);
    // Another process took it over: the transaction's writes are rolled back with the refusal.
    await t.db.updateTable('sync_locks').set({ holder_id: 'elsewhere:1:x:1', holder: 'someone else' }).where('realm_id', '=', '109').execute();
    await expect(
      t.db.transaction().execute(async (trx) => {
        await fenceWrite(trx, live);
        await trx.updateTable('sync_locks').set({ holder: 'overwritten' }).where('realm_id', '=', '109').execute();
      }),
    ).rejects.toBeInstanceOf(LockLostError);
    expect((await t.db.selectFrom('sync_locks').select('holder').where('realm_id', '=', '109').executeTakeFirstOrThrow()).holder).toBe('someone else');
    await t.db.deleteFrom('sync_locks').execute();
  });
});
