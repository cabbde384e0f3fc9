/**
 * One QBO budget per company for every process on one PostgreSQL database (issue 16): the web and any
 * number of workers each used to keep their own limiter (qbo/limiter.ts), each believing it had the
 * company's whole "500 a minute, 10 in flight, 40 batches a minute"; three processes drew 429s that
 * paused the company for a minute. Here a request reserves its place in a log in the database first.
 *
 * A reservation is one short transaction serialized per company by `pg_advisory_xact_lock`: prune the
 * rows that no longer count, read what is in flight (rows not released whose lease has not lapsed, so
 * a crashed process's slots free themselves), the weight and the batches inside the window, and the
 * company's 429 pause; then either insert the row or answer how long to wait. A row counts toward
 * the window from its answer (see `counted`) and is pruned once that leaves it. Every time is the
 * database's clock (`clock_timestamp()`), one clock for every host. A waiter sleeps the computed wait,
 * at most `pollMs` at a time (another process's release is not announced), never a busy loop.
 * SQLite keeps the in-process limiter: one process by design.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { sql } from 'kysely';
import type { Logger } from '../../log.js';
import { requestWeight, type LimiterOptions, type LimiterRegistry, type RealmLimiter } from '../../qbo/limiter.js';
import type { Db } from '../../store/db.js';

export interface SharedBudgetOptions {
  limits: LimiterOptions;
  /**
   * How long an unreleased reservation counts in flight: longer than any request can last (the
   * client's timeout), so only a dead process's slot lapses, and then by itself.
   */
  leaseMs: number;
  /** The longest a waiter sleeps before asking again. Default 250 ms. */
  pollMs?: number;
  /** The budget's clock in epoch ms; default the database's. Tests inject one. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Names this process in its rows (diagnosis only). Default host:pid:random. */
  holder?: string;
  logger?: Pick<Logger, 'warn'>;
  /** Called with each background sweep of old rows (tests await it). */
  onSweep?: (done: Promise<void>) => void;
}

/** Sweep other companies' old rows at most once per this many windows (per process). */
const SWEEP_EVERY = 5;

/**
 * When a row counts toward the window, by the database's clock: QBO counts a request when it arrives,
 * some time between our reservation and its answer, so a row counts from its answer (released_at;
 * a row still in flight, from now; a dead process's, from its lapsed lease). Counted from the
 * reservation instead, a request that reached QBO late (a busy host, a slow commit) could leave our
 * window before QBO's, and only the 2 s margin of defaultLimits stood between it and a 429. It costs
 * one request's latency per window.
 */
const counted = (t: number) => sql<number>`(case when released_at is not null then released_at when lease_until <= ${t} then lease_until else ${t}::bigint end)`;

type Reservation = { ok: true; id: string; t: number } | { ok: false; waitMs: number };

const DB_NOW_MS = sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`;
const sleepReal = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function createSharedBudget(db: Db, opts: SharedBudgetOptions): LimiterRegistry {
  const limits = opts.limits;
  const windowMs = limits.intervalMs;
  const pollMs = opts.pollMs ?? 250;
  const sleep = opts.sleep ?? sleepReal;
  const holder = opts.holder ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
  const nowSql = () => (opts.now ? sql<number>`${opts.now()}::bigint` : DB_NOW_MS);

  async function reserve(realmId: string, weight: number, isBatch: boolean): Promise<Reservation> {
    return db.transaction().execute(async (trx) => {
      // One round trip for the lock and the time: the target list is evaluated left to right, so the
      // clock is read after the lock was granted (now() would be the transaction's start, before the wait).
      const t = Number((await sql<{ t: number }>`select pg_advisory_xact_lock(hashtext(${'qbo-budget:' + realmId})) as l, ${nowSql()} as t`.execute(trx)).rows[0]!.t);
      const since = t - windowMs;
      const at = counted(t);
      // Rows whose counted time left the window count for nothing: deleted, so the table stays small.
      // One statement with the reading: the select sees the rows as before the delete, so it skips them itself.
      const { rows } = await sql<{ in_flight: number; weight: number; batches: number; paused_until: number | null }>`
        with gone as (delete from qbo_budget_reservations where realm_id = ${realmId} and ${at} <= ${since})
        select count(*) filter (where released_at is null and lease_until > ${t}) as in_flight,
               coalesce(sum(weight), 0) as weight,
               count(*) filter (where is_batch = 1) as batches,
               (select paused_until from qbo_budget_pauses where realm_id = ${realmId}) as paused_until
        from qbo_budget_reservations where realm_id = ${realmId} and ${at} > ${since}`.execute(trx);
      const s = rows[0]!;
      const inWindow = Number(s.weight);
      const batches = Number(s.batches);
      const waits: number[] = [];
      if (s.paused_until !== null && Number(s.paused_until) > t) waits.push(Number(s.paused_until) - t);
      // Nothing tells us when another process's request ends: ask again after a poll.
      if (Number(s.in_flight) >= limits.concurrency) waits.push(pollMs);
      if (inWindow + weight > limits.requestsPerMinute) {
        // The window frees as its oldest rows age out: enough of them for this weight.
        const r = await sql<{ at: number }>`
          select at from (
            select ${at} as at, sum(weight) over (order by ${at}, id) as freed
            from qbo_budget_reservations where realm_id = ${realmId}) x
          where ${inWindow} - freed + ${weight} <= ${limits.requestsPerMinute}
          order by at limit 1`.execute(trx);
        waits.push(r.rows[0] ? Number(r.rows[0].at) + windowMs - t + 1 : windowMs);
      }
      if (isBatch && batches >= limits.batchesPerMinute) {
        const r = await sql<{ at: number }>`
          select ${at} as at from qbo_budget_reservations
          where realm_id = ${realmId} and is_batch = 1
          order by ${at}, id offset ${batches - limits.batchesPerMinute} limit 1`.execute(trx);
        waits.push(r.rows[0] ? Number(r.rows[0].at) + windowMs - t + 1 : windowMs);
      }
      if (waits.length) return { ok: false, waitMs: Math.max(...waits) };
      const id = crypto.randomUUID();
      await trx
        .insertInto('qbo_budget_reservations')
        .values({ id, realm_id: realmId, reserved_at: t, weight, is_batch: isBatch ? 1 : 0, holder, lease_until: t + opts.leaseMs, released_at: null })
        .execute();
      return { ok: true, id, t };
    });
  }

  /**
   * A company prunes its own rows when it next reserves; a company nobody asks for any more would keep
   * its last minute's rows for ever. Now and then (the budget's clock, at most once per SWEEP_EVERY
   * windows per process) the rows long out of every window are swept, company by company under the
   * company's own lock, so a sweep never races a reservation.
   */
  let lastSweep: number | undefined;
  async function sweep(t: number): Promise<void> {
    const stale = t - 2 * windowMs;
    const realms = await sql<{ realm_id: string }>`
      select distinct realm_id from qbo_budget_reservations where ${counted(t)} <= ${stale} limit 100`.execute(db);
    for (const { realm_id } of realms.rows) {
      await db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(hashtext(${'qbo-budget:' + realm_id}))`.execute(trx);
        await sql`delete from qbo_budget_reservations where realm_id = ${realm_id} and ${counted(t)} <= ${stale}`.execute(trx);
      });
    }
    await sql`delete from qbo_budget_pauses where paused_until <= ${stale}`.execute(db);
  }
  function maybeSweep(t: number): Promise<void> | undefined {
    if (lastSweep !== undefined && t - lastSweep < SWEEP_EVERY * windowMs) return undefined;
    lastSweep = t;
    return sweep(t).catch((err: unknown) => {
      opts.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'qbo budget: sweeping old reservations failed; the next sweep tries again');
    });
  }

  async function release(id: string): Promise<void> {
    try {
      await sql`update qbo_budget_reservations set released_at = ${nowSql()} where id = ${id}`.execute(db);
    } catch (err) {
      // The slot then frees when its lease lapses; the request itself is done, so its answer stands.
      opts.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'qbo budget: releasing a reservation failed; it frees when its lease lapses');
    }
  }

  function forRealmNew(realmId: string): RealmLimiter {
    let running = 0;
    let batchWaiters = 0;
    // This process asks for one reservation of the company at a time: one pooled connection waits on
    // the company's advisory lock, not one per waiting request, and this process's waiters keep their order.
    let turn: Promise<unknown> = Promise.resolve();
    const inTurn = <T>(f: () => Promise<T>): Promise<T> => {
      const next = turn.then(f, f);
      turn = next.catch(() => undefined);
      return next;
    };
    /** Batch-cap hint for batchesThrottled (local time): a batch waited for the batches-per-minute cap until then. */
    let batchFullUntil = 0;

    return {
      async run<T>(kind: 'request' | 'batch', fn: () => Promise<T>, units = 1): Promise<T> {
        const weight = requestWeight(kind, units, limits);
        const isBatch = kind === 'batch';
        let id: string;
        if (isBatch) batchWaiters++;
        try {
          for (;;) {
            const r = await inTurn(() => reserve(realmId, weight, isBatch));
            if (r.ok) {
              id = r.id;
              // Not awaited: the request need not wait for housekeeping (opts.onSweep lets a test).
              const swept = maybeSweep(r.t);
              if (swept) opts.onSweep?.(swept);
              break;
            }
            if (isBatch) batchFullUntil = Date.now() + Math.min(r.waitMs, windowMs);
            await sleep(Math.max(1, Math.min(r.waitMs, pollMs)));
          }
        } finally {
          if (isBatch) batchWaiters--;
        }
        running++;
        try {
          return await fn();
        } finally {
          running--;
          await release(id);
        }
      },
      get batchesThrottled() {
        return batchWaiters > 0 || Date.now() < batchFullUntil;
      },
      async pauseFor(ms: number) {
        const until = sql<number>`${nowSql()} + ${Math.max(0, Math.round(ms))}::bigint`;
        await sql`
          insert into qbo_budget_pauses (realm_id, paused_until) values (${realmId}, ${until})
          on conflict (realm_id) do update set paused_until = greatest(qbo_budget_pauses.paused_until, excluded.paused_until)`.execute(db);
      },
      get inFlight() {
        return running;
      },
    };
  }

  const byRealm = new Map<string, RealmLimiter>();
  return {
    forRealm(realmId) {
      let l = byRealm.get(realmId);
      if (!l) {
        l = forRealmNew(realmId);
        byRealm.set(realmId, l);
      }
      return l;
    },
  };
}
