/**
 * The fleet's verifier can fail (issue 16's worker-kill check is only as good as it): on one
 * installation on PostgreSQL serving two companies, a company never synced is reported (its documents
 * missing, no run), a synced one passes, and then a document planted twice in QBO, a run left running
 * and a 429 for QBO's rate limit are each reported, naming the company.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { sync } from '../../src/connect/run/sync.js';
import { clonePostgres } from '../helpers/db.js';
import { startFleet, waitForQuiet, type Fleet } from './fleet.js';
import { verifyFleet } from './fleet-verify.js';

describe('the fleet verifier [postgres]', () => {
  let fleet: Fleet;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const pg = await clonePostgres();
    drop = pg.drop;
    fleet = await startFleet({ companies: 2, databaseUrl: pg.url, seed: 7 });
  }, 120_000);
  afterAll(async () => {
    await fleet?.close();
    await drop?.();
  });

  const syncCompany = async (i: number) => {
    const realmId = fleet.companies[i]!.realmId;
    const r = await sync(syncDepsFor(fleet.app.ctx, realmId, { env: {} }), { realmId, actor: 'test' });
    expect(r.status, r.message ?? '').toBe('succeeded');
  };

  it('reports a company never synced, passes once both are synced', async () => {
    await syncCompany(0);
    const before = await verifyFleet(fleet);
    const second = `company 2 (${fleet.companies[1]!.realmId})`;
    expect(before.problems.some((p) => p.startsWith(`${second}: `) && /not in QBO and not held/.test(p))).toBe(true);
    expect(before.problems).toContain(`${second}: no run at all`);
    expect(before.problems.filter((p) => p.startsWith('company 1 '))).toEqual([]);

    await syncCompany(1);
    const after = await verifyFleet(fleet);
    expect(after.problems).toEqual([]);
    expect(after.documents).toBeGreaterThan(60);
    expect(after.documentsOnce).toBe(after.documents);
    expect(after.runs.byStatus).toEqual({ succeeded: 2 });
    expect(await waitForQuiet(fleet, 1_000)).toEqual([]);
  }, 120_000);

  it('reports a document twice in QBO, a run left running, and a limit 429', async () => {
    const c = fleet.companies[0]!;
    const tag = `company 1 (${c.realmId})`;
    // A second copy of a synced invoice (as QBO holds it, marker and all), as a retried write
    // without recovery would leave it.
    const bearer = await bearerOf(fleet, c.realmId);
    const dump = fleet.emu.control.dump(c.realmId) as { entities: Record<string, Array<Record<string, unknown>>> };
    const invoice = dump.entities['Invoice']!.find((i) => /qbo-connect:invoice:/.test(String(i['PrivateNote'])))!;
    const { Id: _id, SyncToken: _t, MetaData: _m, LinkedTxn: _l, Balance: _b, ...copy } = invoice;
    const dup = await fetch(`${fleet.emu.url}/v3/company/${c.realmId}/invoice?include=allowduplicatedocnum`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${bearer}`, Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify(copy),
    });
    expect(dup.status, await dup.clone().text()).toBe(200);
    await fleet.app.ctx.db
      .insertInto('runs')
      .values({
        id: 'run-left-running',
        realm_id: c.realmId,
        started_by: 'test',
        started_at: '2999-01-01T00:00:00.000Z',
        finished_at: null,
        status: 'running',
        settings: '{}',
        processed: 0,
        created: 0,
        adopted: 0,
        updated: 0,
        voided: 0,
        imported: 0,
        failed: 0,
        held: 0,
        message: null,
        undoes: null,
      })
      .execute();
    // 11 requests at once with 300 ms latency: QBO's 10-in-flight limit refuses one.
    fleet.emu.control.armFaults({ latencyMs: 300, jitterMs: 0 });
    const url = `${fleet.emu.url}/v3/company/${c.realmId}/companyinfo/${c.realmId}`;
    const answers = await Promise.all(Array.from({ length: 11 }, () => fetch(url, { headers: { Authorization: `Bearer ${bearer}`, Accept: 'application/json' } })));
    fleet.emu.control.clearFaults();
    expect(answers.filter((a) => a.status === 429)).toHaveLength(1);

    const v = await verifyFleet(fleet);
    expect(v.problems.some((p) => p.startsWith(`${tag}: invoice:`) && /in QBO 2 times/.test(p))).toBe(true);
    expect(v.problems).toContain(`${tag}: run run-left-running left running`);
    expect(v.problems).toContain(`${tag}: last run run-left-running running: `);
    expect(v.problems.some((p) => p.startsWith(`${tag}: QBO refused 1 request(s) for its limits`))).toBe(true);
    expect(v.limit429s).toBe(1);
    expect(await waitForQuiet(fleet, 600, 100)).toEqual([`run run-left-running of ${c.realmId} still running`]);
  }, 60_000);
});

/** The company's current access token, from the installation's own connection (decrypted as the product does). */
async function bearerOf(fleet: Fleet, realmId: string): Promise<string> {
  let token = '';
  const client = syncDepsFor(fleet.app.ctx, realmId, {
    env: {},
    client: {
      fetch: async (input, init) => {
        token = new Headers(init?.headers).get('authorization')?.replace(/^Bearer /, '') ?? '';
        return fetch(input, init);
      },
    },
  }).client;
  await client.companyInfo();
  return token;
}
