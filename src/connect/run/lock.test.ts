import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/db.js';
import { acquireSyncLock, holderIsDeadHere } from './lock.js';
import { UserFacingError } from '../../user-facing-error.js';

describeEachDialect('sync lock', (t) => {
  const clock = () => new Date();

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

  it('takes over a lock whose heartbeat lapsed; the old holder learns it lost the lock', async () => {
    let now = new Date('2026-11-26T02:00:00Z');
    const at = () => now;
    const old = await acquireSyncLock(t.db, { realmId: '102', holder: 'stalled', clock: at, ttlMs: 1000 });
    await expect(acquireSyncLock(t.db, { realmId: '102', holder: 'next', clock: at, ttlMs: 1000 })).rejects.toThrow(/started by stalled/);
    now = new Date(now.getTime() + 1001);
    const next = await acquireSyncLock(t.db, { realmId: '102', holder: 'next', clock: at, ttlMs: 1000 });
    expect(await old.heartbeat()).toBe(false);
    // Releasing a lost lock does not free the new holder's.
    await old.release();
    await expect(acquireSyncLock(t.db, { realmId: '102', holder: 'third', clock: at, ttlMs: 1000 })).rejects.toThrow(/started by next/);
    await next.release();
  });

  it('a holder on this machine whose process is gone is taken over at once', async () => {
    const now = new Date().toISOString();
    const later = new Date(Date.now() + 3600_000).toISOString();
    const host = (await import('node:os')).hostname();
    // A pid far above Linux's pid_max is never alive.
    await t.db
      .insertInto('sync_locks')
      .values({ realm_id: '103', holder_id: `${host}:99999999:abc`, holder: 'killed', run_id: null, started_at: now, heartbeat_at: now, expires_at: later })
      .execute();
    expect(holderIsDeadHere(`${host}:99999999:abc`)).toBe(true);
    expect(holderIsDeadHere(`${host}:${process.pid}:abc`)).toBe(false);
    expect(holderIsDeadHere(`another-host:99999999:abc`)).toBe(false);
    const lock = await acquireSyncLock(t.db, { realmId: '103', holder: 'restart', clock });
    await lock.release();
  });
});
