/**
 * The shared QBO budget on PostgreSQL (issue 16): two limiter instances over one database stand for two
 * processes. The budget's clock is injected (what the database's clock would say), and so is the sleep,
 * which moves that clock on: every wait is a figure, not a race. One test runs on the database's own clock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freshDatabase } from '../../../test/helpers/db.js';
import type { LimiterOptions, LimiterRegistry } from '../../qbo/limiter.js';
import type { OpenDb } from '../../store/db.js';
import { createSharedBudget, type SharedBudgetOptions } from './shared-budget.js';

const REALM = '9130350000000001';
const T0 = Date.UTC(2030, 0, 2, 3, 4, 5);
const limits: LimiterOptions = { requestsPerMinute: 5, concurrency: 10, batchesPerMinute: 2, intervalMs: 60_000, batchMetering: 'item' };

let opened: OpenDb;
beforeEach(async () => {
  opened = await freshDatabase('postgres');
});
afterEach(async () => {
  await opened?.close();
});

/** A fake database clock both instances read; their sleeps move it on by what they wait. */
function fakeClock() {
  const c = { t: T0, sleeps: [] as number[] };
  const sleep = async (ms: number) => {
    c.sleeps.push(ms);
    c.t += ms;
    await new Promise((r) => setImmediate(r));
  };
  return { c, now: () => c.t, sleep };
}

function two(o: Partial<SharedBudgetOptions> & Pick<SharedBudgetOptions, 'now' | 'sleep'>): [LimiterRegistry, LimiterRegistry] {
  const base: SharedBudgetOptions = { limits, leaseMs: 120_000, pollMs: 600_000, ...o };
  return [createSharedBudget(opened.db, { ...base, holder: 'a' }), createSharedBudget(opened.db, { ...base, holder: 'b' })];
}

const rows = async () => (await opened.db.selectFrom('qbo_budget_reservations').selectAll().orderBy('reserved_at').execute()).map((r) => ({ ...r }));

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('the shared QBO budget [postgres]', () => {
  it('holds the requests per minute across two instances: the sixth waits for the oldest to leave the window', async () => {
    const { c, now, sleep } = fakeClock();
    const [a, b] = two({ now, sleep });
    const startedAt: number[] = [];
    const req = (l: LimiterRegistry) => l.forRealm(REALM).run('request', async () => void startedAt.push(now()));
    await Promise.all([req(a), req(b), req(a), req(b), req(a)]);
    expect(startedAt).toEqual([T0, T0, T0, T0, T0]);
    c.t += 1_000;
    await req(b);
    // The window is 60 s from the first five: the sixth goes 1 ms after they leave it, not before.
    expect(startedAt[5]).toBe(T0 + 60_001);
    expect(c.sleeps).toEqual([59_001]);
  });

  it('weighs a batch by its operations across instances', async () => {
    const { c, now, sleep } = fakeClock();
    const [a, b] = two({ now, sleep, limits: { ...limits, requestsPerMinute: 50 } });
    const at: Record<string, number> = {};
    await a.forRealm(REALM).run('batch', async () => void (at['a'] = now()), 30);
    c.t += 10;
    // 30 + 25 > 50: the second batch waits for the first to leave the window.
    await b.forRealm(REALM).run('batch', async () => void (at['b'] = now()), 25);
    expect(at).toEqual({ a: T0, b: T0 + 60_001 });
    expect((await rows()).map((r) => r.weight)).toEqual([25]);
  });

  it('holds the batches per minute across instances', async () => {
    const { c, now, sleep } = fakeClock();
    const [a, b] = two({ now, sleep, limits: { ...limits, requestsPerMinute: 500 } });
    const at: number[] = [];
    await a.forRealm(REALM).run('batch', async () => void at.push(now()), 1);
    c.t += 10;
    await b.forRealm(REALM).run('batch', async () => void at.push(now()), 1);
    c.t += 10;
    // A single request still goes: only batches are capped at 2 a minute.
    await b.forRealm(REALM).run('request', async () => void at.push(now()));
    await a.forRealm(REALM).run('batch', async () => void at.push(now()), 1);
    expect(at).toEqual([T0, T0 + 10, T0 + 20, T0 + 60_001]);
  });

  it('counts a request toward the window from its answer, the latest it can have reached QBO', async () => {
    const { c, now, sleep } = fakeClock();
    const [a, b] = two({ now, sleep, limits: { ...limits, requestsPerMinute: 1 } });
    // Reserved at T0, answered 10 s later: QBO may have counted it at any moment in between.
    await a.forRealm(REALM).run('request', async () => void (c.t += 10_000));
    let startedAt = 0;
    await b.forRealm(REALM).run('request', async () => void (startedAt = now()));
    expect(startedAt).toBe(T0 + 10_000 + 60_001);
  });

  it('holds ten in flight across instances: the eleventh starts only when one of them ends', async () => {
    const sleeps: number[] = [];
    const sleep = async (ms: number) => {
      sleeps.push(ms);
      await new Promise((r) => setTimeout(r, 5));
    };
    const [a, b] = two({ now: () => T0, sleep, pollMs: 5, limits: { ...limits, requestsPerMinute: 500 } });
    const gates = Array.from({ length: 10 }, deferred);
    const running = gates.map((g, i) => (i % 2 ? a : b).forRealm(REALM).run('request', () => g.promise));
    // All ten hold their slot before the eleventh asks.
    while ((await rows()).length < 10) await new Promise((r) => setTimeout(r, 5));
    let eleventh = false;
    const last = b.forRealm(REALM).run('request', async () => void (eleventh = true));
    while (sleeps.length < 3) await new Promise((r) => setTimeout(r, 5));
    expect(eleventh).toBe(false);
    gates[3]!.resolve();
    await last;
    expect(eleventh).toBe(true);
    for (const g of gates) g.resolve();
    await Promise.all(running);
  });

  it('a 429 pause taken by one instance holds the other until it ends', async () => {
    const { c, now, sleep } = fakeClock();
    const [a, b] = two({ now, sleep });
    await a.forRealm(REALM).pauseFor(30_000);
    // A shorter pause never shortens a longer one.
    await b.forRealm(REALM).pauseFor(1_000);
    let startedAt = 0;
    await b.forRealm(REALM).run('request', async () => void (startedAt = now()));
    expect(startedAt).toBe(T0 + 30_000);
    expect(c.sleeps).toEqual([30_000]);
  });

  it("frees a crashed holder's in-flight slot when its lease lapses, not before", async () => {
    const { c, now, sleep } = fakeClock();
    const [a, b] = two({ now, sleep, pollMs: 1_000, leaseMs: 5_000, limits: { ...limits, concurrency: 1 } });
    // A takes the only slot and never comes back (its process died mid-request).
    void a.forRealm(REALM).run('request', () => new Promise<never>(() => undefined));
    while ((await rows()).length < 1) await new Promise((r) => setTimeout(r, 5));
    let startedAt = 0;
    await b.forRealm(REALM).run('request', async () => void (startedAt = now()));
    expect(startedAt).toBe(T0 + 5_000);
    expect(c.sleeps).toEqual([1_000, 1_000, 1_000, 1_000, 1_000]);
    expect((await rows()).map((r) => [r.holder, r.released_at === null])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });

  it('prunes rows that left the window, so the log stays small', async () => {
    const { c, now, sleep } = fakeClock();
    const [a] = two({ now, sleep, limits: { ...limits, requestsPerMinute: 500 } });
    for (let i = 0; i < 20; i++) await a.forRealm(REALM).run('request', async () => undefined);
    await a.forRealm('9130350000000002').run('request', async () => undefined);
    c.t += 60_000;
    await a.forRealm(REALM).run('request', async () => undefined);
    // The other company's row is pruned when that company next asks; this company keeps only the new one.
    expect((await rows()).map((r) => r.realm_id)).toEqual(['9130350000000002', REALM]);
  });

  it('sweeps the rows of a company nobody asks for any more, now and then, and the pauses long over', async () => {
    const { c, now, sleep } = fakeClock();
    const sweeps: Promise<void>[] = [];
    const [a] = two({ now, sleep, onSweep: (p) => sweeps.push(p) });
    const idle = '9130350000000002';
    // A process's first reservation sweeps (nothing yet); the next sweep comes 5 windows later.
    await a.forRealm(idle).run('request', async () => undefined);
    await a.forRealm(idle).pauseFor(1_000);
    c.t += 4 * 60_000;
    await a.forRealm(REALM).run('request', async () => undefined);
    expect(sweeps).toHaveLength(1);
    c.t += 60_000;
    await a.forRealm(REALM).run('request', async () => undefined);
    expect(sweeps).toHaveLength(2);
    await Promise.all(sweeps);
    // The idle company's row and pause are gone; this company's rows are its own to prune.
    expect((await rows()).map((r) => r.realm_id)).toEqual([REALM]);
    expect(await opened.db.selectFrom('qbo_budget_pauses').selectAll().execute()).toEqual([]);
  });

  it("on the database's own clock: a pause taken by one instance holds the other", async () => {
    const [a, b] = [createSharedBudget(opened.db, { limits, leaseMs: 10_000, pollMs: 50 }), createSharedBudget(opened.db, { limits, leaseMs: 10_000, pollMs: 50 })];
    await a.forRealm(REALM).run('request', async () => undefined);
    await a.forRealm(REALM).pauseFor(400);
    const t = performance.now();
    await b.forRealm(REALM).run('request', async () => undefined);
    // A lower bound only (a busy machine makes it longer); the database's clock and ours run at one rate.
    expect(performance.now() - t).toBeGreaterThanOrEqual(350);
    const r = await rows();
    expect(r).toHaveLength(2);
    expect(r.every((x) => x.released_at !== null && x.lease_until === x.reserved_at + 10_000)).toBe(true);
  });
});
