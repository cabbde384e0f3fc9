/**
 * A slow QBO (issue 19): every write is answered only after the client gave up (the emulator's
 * latency fault, past the client's timeout), yet QBO stores it. The sync must never send a create
 * again while the first could still be stored: each is looked up, looked up again once QBO's
 * processing window has passed, and linked — every record once in QBO, payments included (QBO has
 * no duplicate-number rule for payments to stop a second copy), and history says what happened.
 * Then half the writes stored with their answer dropped (commit-then-drop) and some refused with a
 * 500 before being stored, on a second company: the dropped ones are found and linked, the refused
 * ones sent again, nothing twice.
 */
import { describe, expect, it } from 'vitest';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { sync } from '../../src/connect/run/sync.js';
import type { RunningEmulator } from '../../src/emulator/run/server.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { readyDemo } from './demo-setup.js';

type Row = Record<string, unknown> & { Id: string };
const dump = (emu: RunningEmulator, realmId: string) => (emu.control.dump(realmId) as { entities: Record<string, Row[]> }).entities;

/** Markers that appear on more than one QBO document (a duplicate), and the documents by entity. */
function duplicates(emu: RunningEmulator, realmId: string): { dup: string[]; byEntity: Record<string, number> } {
  const seen = new Map<string, number>();
  const byEntity: Record<string, number> = {};
  for (const [entity, rows] of Object.entries(dump(emu, realmId))) {
    for (const r of rows) {
      const m = /qbo-connect:[a-z-]+:\S+/.exec(String(r['PrivateNote'] ?? ''));
      if (!m) continue;
      byEntity[entity] = (byEntity[entity] ?? 0) + 1;
      seen.set(`${entity} ${m[0]}`, (seen.get(`${entity} ${m[0]}`) ?? 0) + 1);
    }
  }
  return { dup: [...seen].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`), byEntity };
}

describe.each(dialects)('a slow QBO: answers after the client gave up [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect, { requestIdMemory: 0 });

  it('stores each record once, payments included, and history says each was found after the wait', async () => {
    const ctx = c.app.ctx;
    // Client timeout 300 ms; QBO stores each write 900 ms after it arrives; its processing window
    // (how long it may still store a request) is 2 s here. No retry of a timed-out create is blind.
    const deps = syncDepsFor(ctx, c.realmId, { client: { timeoutMs: 300, retry: { baseMs: 5, capMs: 20 } }, processingWindowMs: 2_000 });
    await readyDemo(ctx, deps.client, c.realmId, { size: 'small', direction: 'export', applyCredits: false });
    c.emu.control.armFaults({ seed: 3, latencyMs: 900, appliesTo: 'writes' });
    const result = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    c.emu.control.clearFaults();
    const { dup, byEntity } = duplicates(c.emu, c.realmId);
    expect(dup).toEqual([]);
    expect(byEntity['Payment'] ?? 0).toBeGreaterThanOrEqual(2);
    const s = result.summary;
    expect(
      result.status,
      `${result.message}\n${s.records
        .filter((r) => r.status !== 'done')
        .map((r) => r.message)
        .join('\n')}`,
    ).toBe('succeeded');
    // Every record was looked up and linked, none created twice; counts add up to the records.
    expect(s.created + s.adopted + s.updated + s.voided + s.imported + s.failed + s.held).toBe(s.processed);
    expect(s.records).toHaveLength(s.processed);
    const payments = s.records.filter((r) => r.qboEntity === 'Payment');
    expect(payments.length).toBe(byEntity['Payment']);
    for (const p of payments) {
      expect(p.code).toBe('run.found-after-lost-answer');
      expect(p.message).toMatch(/did not answer in time; .* found it as Payment \d+, and linked it \(nothing sent twice\)/);
    }
    // QBO's payments equal the practice's, to the cent: each link's total is QBO's.
    const links = await ctx.db.selectFrom('links').selectAll().where('realm_id', '=', c.realmId).where('qbo_entity', '=', 'Payment').execute();
    const inQbo = dump(c.emu, c.realmId)['Payment']!;
    for (const l of links) expect(Math.round(Number(inQbo.find((p) => p.Id === l.qbo_id)!['TotalAmt']) * 100)).toBe(Number(l.qbo_total_cents));
    // Nothing is left to send.
    const again = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(again.summary.processed).toBe(0);
    expect(duplicates(c.emu, c.realmId).dup).toEqual([]);
  }, 120_000);

  it('commit-then-drop and 500s on the writes: each record once, nothing missing', async () => {
    const company = c.emu.control.seedCompany({ preset: 'au', name: 'Dropping Answers' });
    const d = await c.connectAnother(company.realmId);
    try {
      const ctx = d.app.ctx;
      const deps = syncDepsFor(ctx, d.realmId, { client: { timeoutMs: 2_000, retry: { baseMs: 5, capMs: 20 } }, processingWindowMs: 300 });
      await readyDemo(ctx, deps.client, d.realmId, { size: 'small', direction: 'export', applyCredits: false });
      const seed = 11;
      console.log(`commit-then-drop seed ${seed}`);
      c.emu.control.armFaults({ seed, rates: { 'commit-then-drop': 0.5, '500': 0.2 }, appliesTo: 'writes', realmId: d.realmId });
      const result = await sync({ ...deps, batchSize: 5 }, { realmId: d.realmId, actor: 'tester' });
      c.emu.control.clearFaults();
      const { dup, byEntity } = duplicates(c.emu, d.realmId);
      expect(dup).toEqual([]);
      const s = result.summary;
      expect(s.created + s.adopted + s.updated + s.voided + s.imported + s.failed + s.held).toBe(s.processed);
      expect(s.adopted).toBeGreaterThan(0);
      // Whatever did not land this time lands on the next sync, once.
      await sync(deps, { realmId: d.realmId, actor: 'tester' });
      const after = duplicates(c.emu, d.realmId);
      expect(after.dup).toEqual([]);
      const links = await ctx.db
        .selectFrom('links')
        .selectAll()
        .where('realm_id', '=', d.realmId)
        .where('qbo_entity', 'in', ['Invoice', 'CreditMemo', 'Payment', 'Bill'])
        .execute();
      expect(
        Object.entries(after.byEntity)
          .filter(([e]) => ['Invoice', 'CreditMemo', 'Payment', 'Bill'].includes(e))
          .reduce((a, [, n]) => a + n, 0),
      ).toBe(links.length);
      expect(byEntity['Payment'] ?? 0).toBeGreaterThanOrEqual(1);
    } finally {
      await d.app.close();
    }
  }, 120_000);
});
