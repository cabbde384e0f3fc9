/**
 * A 401 AuthenticationFailed answering a batch write, over HTTP against the emulator's fault injection
 * (`next: ['401']`): it is about the connection, never the records in the batch. One 401 on a valid
 * token: the client refreshes and sends again, and every record lands once. A 401 that comes back
 * straight after the refresh (the fresh token refused too): the run stops with the connection's reason
 * and no record is blamed ("QuickBooks refused it … Correct the record" was recorded per row before);
 * the next sync, with QBO answering again, writes everything exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { sync } from '../../src/connect/run/sync.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/run/server.js';
import { connectedApp, type ConnectedApp } from '../helpers/emulator-company.js';
import { testDate } from '../helpers/test-time.js';
import { readyDemo } from './demo-setup.js';

type Row = Record<string, unknown> & { Id: string };
const from = () =>
  testDate(-400 * 86_400_000)
    .toISOString()
    .slice(0, 10);

async function setUp() {
  const emu = await startEmulator({ preset: 'au', limits: 'off' });
  const c = await connectedApp(emu);
  const deps = syncDepsFor(c.app.ctx, c.realmId, { actor: 'tester', client: { limits: { intervalMs: 1000 } } });
  await readyDemo(c.app.ctx, deps.client, c.realmId, { size: 'small', direction: 'export', exportFrom: from(), applyCredits: false });
  return { emu, c, deps };
}

/** Each practice marker once in QBO, and every link pointing at an entity QBO has. */
async function expectOnceEach(emu: RunningEmulator, c: ConnectedApp) {
  const entities = (emu.control.dump(c.realmId) as { entities: Record<string, Row[]> }).entities;
  const seen = new Map<string, number>();
  for (const [entity, rows] of Object.entries(entities)) {
    for (const r of rows) {
      const m = /qbo-connect:[a-z-]+:\S+/.exec(String(r['PrivateNote'] ?? ''));
      if (m) seen.set(`${entity} ${m[0]}`, (seen.get(`${entity} ${m[0]}`) ?? 0) + 1);
    }
  }
  expect([...seen].filter(([, n]) => n > 1)).toEqual([]);
  const links = await c.app.ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).execute();
  for (const l of links)
    expect(
      entities[l.qbo_entity]?.some((r) => r.Id === l.qbo_id),
      `${l.qbo_entity} ${l.qbo_id}`,
    ).toBe(true);
  return seen.size;
}

describe('one batch answered 401 with a valid token', () => {
  let emu: RunningEmulator;
  let c: ConnectedApp;
  let deps: ReturnType<typeof syncDepsFor>;
  beforeAll(async () => {
    ({ emu, c, deps } = await setUp());
  }, 120_000);
  afterAll(async () => {
    await c?.app.close();
    await emu?.close();
  });

  it('refreshes the token, sends the batch again, and every record lands once', async () => {
    const refreshesBefore = emu.control.stats().tokenEndpoint.requests;
    emu.control.armFaults({ appliesTo: 'writes', next: ['401'] });
    const result = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    emu.control.clearFaults();
    expect(emu.control.stats(c.realmId).companies[0]!.faults['401']).toBe(1);
    expect(emu.control.stats().tokenEndpoint.requests).toBe(refreshesBefore + 1);
    expect(
      result.status,
      `${result.message}\n${result.summary.records
        .filter((r) => r.status !== 'done')
        .map((r) => r.message)
        .join('\n')}`,
    ).toBe('succeeded');
    expect(await expectOnceEach(emu, c)).toBeGreaterThan(20);
  }, 120_000);
});

// A 401 is final only after `maxRefreshes` (3) refreshed tokens in a row were each refused (src/qbo/classify.ts):
// one refused token could have been revoked while its request waited for the company's budget.
describe('a batch answered 401 again after each of three refreshes', () => {
  let emu: RunningEmulator;
  let c: ConnectedApp;
  let deps: ReturnType<typeof syncDepsFor>;
  beforeAll(async () => {
    ({ emu, c, deps } = await setUp());
  }, 120_000);
  afterAll(async () => {
    await c?.app.close();
    await emu?.close();
  });

  it('stops the run with the connection reason, blames no record, and the next sync writes each record once', async () => {
    const refreshesBefore = emu.control.stats().tokenEndpoint.requests;
    emu.control.armFaults({ appliesTo: 'writes', next: ['401', '401', '401', '401'] });
    const result = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    emu.control.clearFaults();
    expect(emu.control.stats(c.realmId).companies[0]!.faults['401']).toBe(4);
    expect(emu.control.stats().tokenEndpoint.requests).toBe(refreshesBefore + 3);
    expect(result.status).toBe('failed');
    expect(result.message).toMatch(
      /^The sync stopped: QuickBooks refused the connection for company \S+ \(401 AuthenticationFailed, even with a newly refreshed access token\); nothing more was sent and no record is at fault\. Sync again; if it happens again, connect the company again from the Connection page\.$/,
    );
    const messages = result.summary.records.map((r) => r.message ?? '');
    expect(messages.filter((m) => /QuickBooks refused it|Correct the record/.test(m))).toEqual([]);
    // Every record of the run is accounted for, none as done by QBO's refusal.
    expect(result.summary.records.length).toBeGreaterThan(20);
    const refusedRows = await c.app.ctx.db.selectFrom('run_records').select(['row_key', 'code']).where('code', '=', 'run.qbo-refused').execute();
    expect(refusedRows).toEqual([]);

    const again = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(
      again.status,
      `${again.message}\n${again.summary.records
        .filter((r) => r.status !== 'done')
        .map((r) => r.message)
        .join('\n')}`,
    ).toBe('succeeded');
    expect(await expectOnceEach(emu, c)).toBeGreaterThan(20);
    const third = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(third.summary.processed).toBe(0);
  }, 180_000);
});
