/**
 * A database error on one row fails that row, with a sentence naming the record, not the run
 * (issue 19: a QBO customer already linked to one contact was adopted for another; the links unique
 * constraint then stopped the whole sync with a raw error naming no record, every time).
 */
import { describe, expect, it } from 'vitest';
import { qboClientFor } from '../../src/connect/connection/qbo-client.js';
import { noCrash } from '../../src/connect/run/crash-point.js';
import { sync } from '../../src/connect/run/sync.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { handPlanner, row } from './hand-plan.js';

describe.each(dialects)('a row the database refuses [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);

  it('fails that row alone, naming it; the other rows are written', async () => {
    const ctx = c.app.ctx;
    const client = qboClientFor(ctx, c.realmId);
    const taken = await client.create('Customer', { DisplayName: 'Harbour Trust' }, { requestId: 'test-harbour' });
    const at = ctx.clock().toISOString();
    // Contact C0001 is linked to that customer already.
    await ctx.db
      .insertInto('links')
      .values({
        realm_id: c.realmId,
        record_kind: 'contact',
        record_key: 'C0001',
        qbo_entity: 'Customer',
        qbo_id: taken.Id,
        sync_token: '0',
        payload_hash: 'h',
        record_version: 1,
        state: 'linked',
        qbo_total_cents: null,
        created_at: at,
        updated_at: at,
        last_run_id: null,
      })
      .execute();
    const plan = handPlanner(ctx.db, () => [
      // A plan that (wrongly) adopts the same customer for another contact, and a new one.
      row('customers', 'contact', 'C0002', 'Customer', {}, { action: 'adopt', qbo: { entity: 'Customer', id: taken.Id, syncToken: '0' } }),
      row('customers', 'contact', 'C0003', 'Customer', { DisplayName: 'Kestrel Landscapes' }),
    ]);
    const r = await sync({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, client, crash: noCrash, buildPlan: plan }, { realmId: c.realmId, actor: 'tester' });
    const s = r.summary;
    expect(r.message ?? '').not.toContain('The sync stopped');
    expect(s).toMatchObject({ processed: 2, created: 1, failed: 1 });
    const failed = s.records.find((x) => x.status === 'failed')!;
    expect(failed).toMatchObject({ recordKey: 'C0002', code: 'run.store-refused' });
    expect(failed.message!.startsWith(`contact C0002: could not be linked to Customer ${taken.Id}: another practice record may already be linked to it`)).toBe(true);
    const links = await ctx.db
      .selectFrom('links')
      .select(['record_key', 'qbo_id'])
      .where('realm_id', '=', c.realmId)
      .where('qbo_entity', '=', 'Customer')
      .orderBy('record_key')
      .execute();
    expect(links.map((l) => l.record_key)).toEqual(['C0001', 'C0003']);
  });
});
