/**
 * Issue 15's check, on both dialects: two practices in one installation whose ledgers share record
 * numbers (both have invoice INV-10001 and contact C0001: the small demo, seed 1 and seed 2, so the
 * names and amounts differ), each synced to its own emulator company. Each company holds only its
 * practice's records, exactly once (read back from the emulator's dump); history, skips, settings
 * and their audit never mix (read through each company's public functions). The connection flow
 * refuses a company another practice holds, and lets a practice connect a second company.
 */
import { describe, expect, it } from 'vitest';
import { actingAs } from '../../src/connect/acting-practice.js';
import { createConnectionService } from '../../src/connect/connection/connection.js';
import { practiceOfRealm } from '../../src/connect/realm.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { listRuns } from '../../src/connect/run/history.js';
import { sync } from '../../src/connect/run/sync.js';
import { getSettings, listAudit, setSetting } from '../../src/connect/settings/store.js';
import { listSkipped, skip } from '../../src/connect/skips.js';
import { followEmulatorConsent } from '../../src/cli/auto-consent.js';
import { createPractice } from '../../src/practice/practices.js';
import { getRecord, listRecords } from '../../src/practice/store.js';
import { toCents } from '../../src/qbo/money.js';
import { UserFacingError } from '../../src/user-facing-error.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { snapshotTables } from '../helpers/snapshot.js';
import { readyDemo } from './demo-setup.js';

type Row = Record<string, unknown> & { Id: string };
const cents = (v: unknown) => (typeof v === 'number' ? toCents(v, 'half-up') : 0);

describe.each(dialects)('two practices with the same record numbers, two companies [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);

  it('each company holds only its practice’s records, once; history, skips, settings and audit stay apart', async () => {
    const ctx = c.app.ctx;
    const clock = ctx.clock;
    const a = c.realmId; // the default practice's company (connected by the bench)
    const b = c.emu.control.seedCompany({ preset: 'au', name: 'North Studio Pty Ltd' }).realmId;
    const third = c.emu.control.seedCompany({ preset: 'au', name: 'North Studio Branch' }).realmId;
    await createPractice(ctx.db, { id: 'north', name: 'North Studio' }, 'tester', clock());

    // ---- connecting: a company belongs to one practice ------------------------------------------
    const svc = createConnectionService({ db: ctx.db, config: ctx.config, logger: ctx.logger, clock });
    const connect = async (realmId: string, practiceId: string) =>
      svc.completeConnect({
        ...(await followEmulatorConsent((await svc.beginConnect({ actor: 'user:nora@example.com', practiceId })).url, realmId)),
        actor: 'user:nora@example.com',
      });
    const before = await snapshotTables(ctx.db, ['connections']);
    const refused = await connect(a, 'north').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(UserFacingError);
    expect((refused as UserFacingError).code).toBe('connection.other-practice');
    expect((refused as Error).message).toContain(`company ${a} is connected to another practice of this installation, so practice "north" cannot connect it; nothing was changed`);
    expect((refused as Error).message).not.toContain('"default"');
    expect(await snapshotTables(ctx.db, ['connections'])).toEqual(before);
    expect((await connect(b, 'north')).state).toBe('connected');
    expect((await connect(third, 'north')).state).toBe('connected'); // a second company of one practice
    expect([await practiceOfRealm(ctx.db, a), await practiceOfRealm(ctx.db, b), await practiceOfRealm(ctx.db, third)]).toEqual(['default', 'north', 'north']);
    // The practice's first company takes its whole ledger; the second none, until its offices are chosen (no overlap).
    const offices = await ctx.db.selectFrom('connections').select(['realm_id', 'offices']).where('realm_id', 'in', [b, third]).execute();
    expect(Object.fromEntries(offices.map((o) => [o.realm_id, o.offices]))).toEqual({ [b]: null, [third]: '[]' });

    // ---- two ledgers with the same numbers -------------------------------------------------------
    const from = new Date(clock().getTime() - 400 * 86_400_000).toISOString().slice(0, 10);
    const depsA = syncDepsFor(ctx, a, { actor: 'tester', client: { limits: { intervalMs: 1000 } } });
    const depsB = syncDepsFor(ctx, b, { actor: 'tester', client: { limits: { intervalMs: 1000 } } });
    await readyDemo(ctx, depsA.client, a, { size: 'small', direction: 'export', exportFrom: from });
    await readyDemo(ctx, depsB.client, b, { size: 'small', direction: 'export', exportFrom: from, practiceId: 'north', seed: 2 });
    const [invA, invB] = [await getRecord(ctx.db, 'default', 'invoice', 'INV-10001'), await getRecord(ctx.db, 'north', 'invoice', 'INV-10001')];
    const [cA, cB] = [await getRecord(ctx.db, 'default', 'contact', 'C0001'), await getRecord(ctx.db, 'north', 'contact', 'C0001')];
    expect(invA && invB && cA && cB).toBeTruthy();
    expect(cA!.record.name).not.toBe(cB!.record.name);

    // A skip and a setting in one company only.
    await skip(ctx.db, { realmId: b, kind: 'payment', id: 'RCT-20001', actor: 'user:nora@example.com', clock });
    await setSetting(ctx.db, { realmId: b, path: 'invoices.memo', value: 'none', actor: 'user:nora@example.com', clock });

    for (const deps of [depsA, depsB]) {
      const r = await sync(deps, { realmId: deps === depsA ? a : b, actor: 'tester' });
      expect(r.status, r.message ?? undefined).toBe('succeeded');
      expect(r.summary.failed + r.summary.held).toBe(0);
    }

    // ---- each company holds its own practice's documents, exactly once ---------------------------
    for (const [realmId, practiceId] of [
      [a, 'default'],
      [b, 'north'],
    ] as const) {
      const dump = c.emu.control.dump(realmId) as { entities: Record<string, Row[]> };
      const invoices = dump.entities['Invoice'] ?? [];
      const practiceInvoices = (await listRecords(ctx.db, practiceId, 'invoice', { limit: 1000 })).items;
      const links = await ctx.db.selectFrom('links').selectAll().where('realm_id', '=', realmId).where('record_kind', '=', 'invoice').execute();
      expect(links.length).toBeGreaterThan(5);
      for (const l of links) {
        const stored = practiceInvoices.find((s) => s.key === l.record_key)!;
        const inQbo = invoices.filter((i) => i.DocNumber === l.record_key);
        expect(inQbo, `${realmId} ${l.record_key}`).toHaveLength(1);
        expect(inQbo[0]!.Id).toBe(l.qbo_id);
        expect(cents(inQbo[0]!['TotalAmt'])).toBe((stored.record as { totalCents: number }).totalCents);
      }
      // Nothing in the company that its practice does not hold (every QBO invoice is one of its links).
      expect(invoices.map((i) => i.Id).sort()).toEqual(links.map((l) => l.qbo_id).sort());
      const inv = invoices.find((i) => i.DocNumber === 'INV-10001')!;
      expect(cents(inv['TotalAmt'])).toBe((practiceId === 'default' ? invA! : invB!).record.totalCents);
      const customer = (dump.entities['Customer'] ?? []).filter((x) => x.Id === (inv['CustomerRef'] as { value: string }).value);
      expect(customer.map((x) => x['DisplayName'])).toEqual([(practiceId === 'default' ? cA! : cB!).record.name]);
    }
    expect((c.emu.control.dump(third) as { entities: Record<string, Row[]> }).entities['Invoice'] ?? []).toEqual([]); // connected, never synced

    // ---- history, skips, settings and audit, per company ------------------------------------------
    const runsA = await listRuns(ctx.db, { realmId: a });
    const runsB = await listRuns(ctx.db, { realmId: b });
    expect(runsA).toHaveLength(1);
    expect(runsB).toHaveLength(1);
    expect(runsA[0]!.id).not.toBe(runsB[0]!.id);
    expect((await listSkipped(ctx.db, b)).map((s) => `${s.kind}:${s.recordId}`)).toContain('payment:RCT-20001');
    expect((await listSkipped(ctx.db, a)).map((s) => `${s.kind}:${s.recordId}`)).not.toContain('payment:RCT-20001');
    const paymentLink = (realmId: string) =>
      ctx.db.selectFrom('links').select('qbo_id').where('realm_id', '=', realmId).where('record_kind', '=', 'payment').where('record_key', '=', 'RCT-20001').executeTakeFirst();
    expect(await paymentLink(b)).toBeUndefined();
    const paidInA = await paymentLink(a);
    expect((c.emu.control.dump(a) as { entities: Record<string, Row[]> }).entities['Payment']!.filter((p) => p.Id === paidInA?.qbo_id)).toHaveLength(1);
    expect((await getSettings(ctx.db, b, clock)).invoices.memo).toBe('none');
    expect((await getSettings(ctx.db, a, clock)).invoices.memo).not.toBe('none');
    expect((await listAudit(ctx.db, b)).some((e) => e.path === 'invoices.memo' && e.actor === 'user:nora@example.com')).toBe(true);
    expect((await listAudit(ctx.db, a)).some((e) => e.actor === 'user:nora@example.com')).toBe(false);

    // ---- disconnecting names its company; a practice never reaches another's ------------------------
    // (attack finding: "disconnect" without a company disconnected the most recent one, another practice's.)
    const connections = () => snapshotTables(ctx.db, ['connections']);
    const untouched = await connections();
    await expect(svc.disconnect(undefined, 'tester', { revoke: false })).rejects.toMatchObject({ code: 'connection.which-company' });
    await expect(actingAs('north', () => svc.disconnect(undefined, 'tester', { revoke: false }))).rejects.toMatchObject({ code: 'connection.which-company' });
    await expect(actingAs('default', () => svc.disconnect(b, 'tester', { revoke: false }))).rejects.toMatchObject({ code: 'connection.not-connected' });
    expect(await connections()).toEqual(untouched);
    expect((await actingAs('north', () => svc.disconnect(third, 'tester', { revoke: false }))).state).not.toBe('connected');
    expect((await svc.store.get(b))!.status).toBe('connected');
    expect((await svc.store.get(a))!.status).toBe('connected');
  });
});
