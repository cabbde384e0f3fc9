/**
 * The preview asks QBO in bulk: its request count grows with NEW records ÷ 1,000 and not with the
 * records already synced. Read from the emulator's own request statistics, not from our counter.
 *
 * What a preview sends (qbo-snapshot.ts): 6 fixed reads (company info, preferences, tax codes, tax
 * rates, accounts, payment methods), at most one CDC, and `IN` queries chunked at 1,000 values for
 * eight look-ups (DocNumber of invoices, credit memos, bills; payment reference numbers; DisplayName in
 * customers, vendors, employees; item names). Σ⌈n/1000⌉ ≤ 8 + Σn/1000, and a name is looked up in all
 * three name lists, so the bound is 15 + (documents + items + 3 × names) / 1000. (An IN list is also
 * cut at 20,000 characters, so long names take a few more queries; still one per several hundred:
 * the large demo, 50,000 new documents with 3,879 names and 3,951 items, took 86 requests.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlan, contentHash, type Plan, type PlanRow } from '../src/connect/plan/index.js';
import { setSettings } from '../src/connect/settings/store.js';
import { loadDemoPractice } from '../src/practice/demo.js';
import { createRecord, getRecord } from '../src/practice/store.js';
import type { Db } from '../src/store/db.js';
import { freshDatabase } from './helpers/db.js';
import { connectedCompany, requestCount, silentLogger, type ConnectedCompany } from './helpers/preview.js';
import { testClock } from './helpers/test-time.js';

const clock = testClock();
const rows = (plan: Plan): PlanRow[] => plan.groups.flatMap((g) => g.rows);

function bound(plan: Plan): { bound: number; documents: number; names: number; items: number } {
  const live = rows(plan).filter((r) => r.action === 'create' || r.action === 'adopt' || r.action === 'none');
  const names = live.filter((r) => r.group === 'customers' || r.group === 'suppliers').length;
  const items = live.filter((r) => r.group === 'items').length;
  const documents = live.length - names - items;
  return { bound: Math.floor(15 + (documents + items + 3 * names) / 1000), documents, names, items };
}

describe('preview request counts (medium demo, 2,000 documents)', () => {
  let db: Db;
  let closeDb: () => Promise<void>;
  let co: ConnectedCompany;
  beforeAll(async () => {
    ({ db, close: closeDb } = await freshDatabase('sqlite'));
    co = await connectedCompany(db, clock);
    const report = await loadDemoPractice(db, 'default', { size: 'medium', seed: 7, today: clock() });
    expect(report.ok).toBe(true);
    const from = new Date(clock().getTime() - 400 * 86_400_000).toISOString().slice(0, 10);
    await setSettings(db, {
      realmId: co.realmId,
      actor: 'tester',
      clock,
      changes: [
        ...['invoices', 'creditNotes', 'payments', 'bills', 'staffExpenses'].map((k) => ({ path: `general.exportFrom.${k}`, value: from })),
        { path: 'payments.direction', value: 'export' },
      ],
    });
  }, 120_000);
  afterAll(async () => {
    await co?.close();
    await closeDb?.();
  });

  it('2,000 new documents on an empty company, then 20 new after the 2,000 are linked', async () => {
    const deps = { db, clock, logger: silentLogger, qbo: co.qbo };
    let before = requestCount(co);
    const first = await buildPlan(deps, co.realmId);
    const firstRequests = requestCount(co) - before;
    const b1 = bound(first);
    expect(b1.documents).toBeGreaterThanOrEqual(1990);
    expect(first.qboRequests).toBe(firstRequests);
    expect(firstRequests).toBeLessThanOrEqual(b1.bound);
    console.log(`preview of ${b1.documents} new documents, ${b1.names} names, ${b1.items} items: ${firstRequests} QBO requests (bound ${b1.bound})`);

    // The earlier sync, simulated: every row linked as the sync would link it.
    const now = clock().toISOString();
    let n = 1;
    const links = rows(first)
      .filter((r) => r.action === 'create')
      .map((r) => ({
        realm_id: co.realmId,
        record_kind: r.record.kind,
        record_key: r.record.id,
        qbo_entity: r.qbo.entity,
        qbo_id: String(100_000 + n++),
        sync_token: '0',
        payload_hash: r.payload ? contentHash(r.payload) : '',
        record_version: r.record.version ?? 1,
        state: 'linked',
        qbo_total_cents: r.qboTotalCents,
        created_at: now,
        updated_at: now,
        last_run_id: null,
      }));
    for (let i = 0; i < links.length; i += 200)
      await db
        .insertInto('links')
        .values(links.slice(i, i + 200))
        .execute();

    const template = (await getRecord(db, 'default', 'invoice', rows(first).find((r) => r.group === 'invoices' && r.action === 'create')!.record.id))!.record;
    const today = clock().toISOString().slice(0, 10);
    for (let i = 1; i <= 20; i++) await createRecord(db, 'default', 'invoice', { ...template, number: `INV-NEW-${i}`, date: today, dueDate: today }, clock());

    before = requestCount(co);
    const second = await buildPlan(deps, co.realmId);
    const secondRequests = requestCount(co) - before;
    const b2 = bound(second);
    expect(
      rows(second)
        .filter((r) => r.group === 'invoices' && r.action !== 'none')
        .map((r) => r.record.id)
        .sort(),
    ).toEqual(Array.from({ length: 20 }, (_, i) => `INV-NEW-${i + 1}`).sort());
    expect(second.qboRequests).toBe(secondRequests);
    expect(secondRequests).toBeLessThanOrEqual(b2.bound);
    expect(b2.bound).toBe(15);
    console.log(`preview of 20 new documents after ${links.length} linked: ${secondRequests} QBO requests (bound ${b2.bound})`);
  }, 180_000);
});
