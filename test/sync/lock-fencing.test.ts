/**
 * Fencing (issue 16): a sync whose company lock is taken over mid-run records nothing more and sends
 * no further write after its next journal resolution is refused; it closes 'interrupted', the answer
 * QBO gave to that last write stays pending in the journal, and the next holder's sync settles it by
 * looking it up, so every record is in QBO exactly once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { qboClientFor } from '../../src/connect/connection/qbo-client.js';
import { noCrash } from '../../src/connect/run/crash-point.js';
import { dbTime } from '../../src/connect/run/lock.js';
import { sync, type SyncDeps } from '../../src/connect/run/sync.js';
import type { CompanyClient } from '../../src/qbo/client.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { companyIds, handPlanner, smallPractice, type CompanyIds } from './hand-plan.js';

interface Dump {
  entities: Record<string, Array<Record<string, unknown>>>;
}

const WRITES = new Set(['create', 'update', 'batch', 'void', 'delete', 'deactivate']);

describe.each(dialects)('a sync whose lock is taken over mid-run [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);
  let ids: CompanyIds;
  let client: CompanyClient;

  beforeAll(async () => {
    client = qboClientFor(c.app.ctx, c.realmId);
    ids = await companyIds(client);
  });

  it('sends no write after its refused resolution, closes interrupted, and the next holder leaves each record in QBO exactly once', async () => {
    const db = c.app.ctx.db;
    const entityCount = () => Object.values((c.emu.control.dump(c.realmId) as Dump).entities).reduce((n, list) => n + list.length, 0);
    const before = entityCount();
    let writes = 0;
    let writesAtSteal = -1;
    // Another process takes the lock over just before the 4th write leaves (the lease is long: no heartbeat notices).
    const stealing = new Proxy(client, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof prop !== 'string' || !WRITES.has(prop) || typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          writes++;
          if (writes === 4) {
            writesAtSteal = writes;
            await db.updateTable('sync_locks').set({ holder_id: 'elsewhere:1:x:1', holder: 'someone else' }).where('realm_id', '=', c.realmId).execute();
          }
          return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      },
    });
    const plan = handPlanner(db, () => smallPractice(ids, 2, 'F'));
    const deps: SyncDeps = {
      db,
      clock: c.app.ctx.clock,
      logger: c.app.ctx.logger,
      client: stealing,
      crash: noCrash,
      buildPlan: plan,
      batchSize: 1,
      parallelRequests: 1,
      lockTtlMs: 600_000,
    };
    const first = await sync(deps, { realmId: c.realmId, actor: 'test' });
    console.log(`fencing [${dialect}]: ${writes} writes sent, the lock taken before write ${writesAtSteal}; run ${first.status}, ${first.summary.created} created`);
    expect(first.status).toBe('interrupted');
    expect(first.message).toContain('lock was lost');
    // The write in flight when the lock was taken reached QBO; nothing was sent after its resolution was refused.
    expect(writes).toBe(4);
    expect(entityCount() - before).toBe(4);
    expect(first.summary.created).toBe(3);
    // Its answer was not recorded: its journal row stays pending for the next holder.
    const pending = await db.selectFrom('journal').select('id').where('realm_id', '=', c.realmId).where('status', '=', 'pending').execute();
    expect(pending).toHaveLength(1);
    // The other holder's lock is left alone.
    expect((await db.selectFrom('sync_locks').select('holder').where('realm_id', '=', c.realmId).executeTakeFirstOrThrow()).holder).toBe('someone else');

    // That process dies in turn: once its lease lapses (by the database's clock) the next sync takes over.
    await db
      .updateTable('sync_locks')
      .set({ expires_at: dbTime(db, -1000) })
      .where('realm_id', '=', c.realmId)
      .execute();
    const next = await sync({ ...deps, client }, { realmId: c.realmId, actor: 'test' });
    expect(next.status, next.message ?? '').toBe('succeeded');
    expect(next.recovery).toMatchObject({ found: 1, adopted: 1 });
    expect(next.summary.created + first.summary.created).toBe(15);
    expect(entityCount() - before).toBe(16);
    const links = await db.selectFrom('links').select(['qbo_entity', 'qbo_id']).where('realm_id', '=', c.realmId).execute();
    expect(links).toHaveLength(16);
    expect(new Set(links.map((l) => `${l.qbo_entity}:${l.qbo_id}`)).size).toBe(16);
    expect(await db.selectFrom('journal').select('id').where('realm_id', '=', c.realmId).where('status', '=', 'pending').execute()).toHaveLength(0);
  });
});
