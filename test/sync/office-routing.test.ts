/**
 * Office routing (issue 15, "Companies"): one practice with two offices on two QBO companies of one
 * emulator. Each document lands in the company of its project's office, exactly once (read back from
 * the emulator); two companies taking the same office refuse the preview and the sync; a project moved
 * to the other office after a sync leaves its synced documents where they are, with a clear row in the
 * other company's preview, never a second copy.
 */
import { describe, expect, it } from 'vitest';
import { getCompanyScope, setCompanyOffices } from '../../src/connect/company-scope.js';
import { buildPlan, type Plan } from '../../src/connect/plan/index.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { sync, type SyncResult } from '../../src/connect/run/sync.js';
import { listAudit, setSetting } from '../../src/connect/settings/store.js';
import { loadDemoPractice } from '../../src/practice/demo.js';
import { createRecord, getRecord, listRecords, updateRecord } from '../../src/practice/store.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { connectCompany } from '../helpers/emulator-company.js';
import { testDate } from '../helpers/test-time.js';
import { readyDemo } from './demo-setup.js';

type Row = Record<string, unknown>;
const DOC_KINDS = ['invoice', 'credit-note', 'payment', 'bill', 'staff-expense'];

const why = (r: SyncResult) =>
  `${r.message ?? ''}\n${r.summary.records
    .filter((x) => x.status !== 'done')
    .map((x) => x.message)
    .join('\n')}`;
const rowsOf = (plan: Plan) => plan.groups.flatMap((g) => g.rows);

describe.each(dialects)('office routing: one practice, two offices, two companies [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);

  /** The practice documents each company's QBO holds, by the marker the sync writes (`qbo-connect:<kind>:<key>`). */
  const docsIn = (realmId: string): string[] => {
    const entities = (c.emu.control.dump(realmId) as { entities: Record<string, Row[]> }).entities;
    const out: string[] = [];
    for (const rows of Object.values(entities)) {
      for (const r of rows) {
        const note = `${String(r['PrivateNote'] ?? '')}`;
        for (const m of note.matchAll(/qbo-connect:([a-z-]+):(\S+)/g)) if (DOC_KINDS.includes(m[1]!) && r['status'] !== 'Deleted') out.push(`${m[1]}:${m[2]}`);
      }
    }
    return out;
  };

  it('routes each document to its office company once, refuses overlapping offices, and keeps a moved project’s synced documents where they are', async () => {
    const { db, clock } = c.app.ctx;
    const realmA = c.realmId;
    const companyB = c.emu.control.seedCompany({ preset: 'au', name: 'Melbourne books' });
    const realmB = await connectCompany(c.app, c.emu, companyB.realmId);
    const plan = (realmId: string) => buildPlan({ db, clock, logger: c.app.ctx.logger, qbo: syncDepsFor(c.app.ctx, realmId).client }, realmId, { prefill: false });

    const report = await loadDemoPractice(db, 'default', { size: 'small', seed: 1, today: clock() });
    expect(report.ok).toBe(true);
    const offices = (await listRecords(db, 'default', 'office')).items.map((o) => o.key).sort();
    expect(offices).toEqual(['MEL', 'SYD']);

    // Setting offices: an unknown code is refused naming the field and the code; a change is audited.
    await expect(setCompanyOffices(db, { realmId: realmA, offices: ['SYD', 'PER'], actor: 'user:admin@example.com', clock })).rejects.toMatchObject({
      code: 'company.unknown-office',
      field: 'offices',
      message: expect.stringContaining('"PER"'),
    });
    expect((await getCompanyScope(db, realmA)).offices).toBeNull();
    await setCompanyOffices(db, { realmId: realmA, offices: ['SYD'], actor: 'user:admin@example.com', clock });
    await setCompanyOffices(db, { realmId: realmB, offices: ['MEL', 'SYD'], actor: 'user:admin@example.com', clock });
    const audit = await listAudit(db, realmA, { path: 'company.offices' });
    expect(audit).toMatchObject([{ path: 'company.offices', oldValue: null, newValue: ['SYD'], actor: 'user:admin@example.com' }]);

    const from = testDate(-400 * 86_400_000)
      .toISOString()
      .slice(0, 10);
    for (const k of ['invoices', 'creditNotes', 'payments', 'bills', 'staffExpenses'])
      await setSetting(db, { realmId: realmA, path: `general.exportFrom.${k}`, value: from, actor: 'tester', clock });

    // Overlap: both take SYD. Each SYD document is an error naming the office and both companies; the sync refuses.
    const overlapping = rowsOf(await plan(realmA)).filter((r) => r.issues.some((i) => i.code === 'company.offices-overlap'));
    expect(overlapping.length).toBeGreaterThan(0);
    const msg = overlapping[0]!.issues.find((i) => i.code === 'company.offices-overlap')!.message;
    expect(msg).toContain('office SYD');
    expect(msg).toContain(realmA);
    expect(msg).toContain(realmB);
    const refused = await sync(syncDepsFor(c.app.ctx, realmA), { realmId: realmA, actor: 'test' });
    expect(refused.status).toBe('refused');
    expect(docsIn(realmA)).toEqual([]);

    // Separate offices: SYD to A, MEL to B. Readied (mappings set, planted problems skipped) and synced.
    await setCompanyOffices(db, { realmId: realmB, offices: ['MEL'], actor: 'user:admin@example.com', clock });
    // Documents without an office (bills on no project) reach no company: an error naming them in each office company.
    const unrouted = rowsOf(await plan(realmA)).filter((r) => r.issues.some((i) => i.code === 'company.document-unrouted'));
    expect(unrouted.length).toBeGreaterThan(0);
    expect(unrouted[0]!.issues[0]!.message).toMatch(/^bill \S+ .*has no office .* no company of this practice takes the whole ledger/);
    await readyDemo(c.app.ctx, syncDepsFor(c.app.ctx, realmA).client, realmA, { size: 'small', direction: 'export', exportFrom: from, applyCredits: false });
    await readyDemo(c.app.ctx, syncDepsFor(c.app.ctx, realmB).client, realmB, { size: 'small', direction: 'export', exportFrom: from, applyCredits: false });
    for (const realmId of [realmA, realmB]) {
      const r = await sync(syncDepsFor(c.app.ctx, realmId), { realmId, actor: 'test' });
      expect(r.status, why(r)).toBe('succeeded');
    }
    const inA = docsIn(realmA);
    const inB = docsIn(realmB);
    expect(inA.length).toBeGreaterThan(0);
    expect(inB.length).toBeGreaterThan(0);
    expect(new Set(inA).size, 'no document twice in company A').toBe(inA.length);
    expect(new Set(inB).size, 'no document twice in company B').toBe(inB.length);
    expect(
      inA.filter((d) => inB.includes(d)),
      'no document in both companies',
    ).toEqual([]);
    // Every invoice is in the company of its project's office (read from the ledger, not from the router).
    const projects = new Map((await listRecords(db, 'default', 'project', { limit: 1000 })).items.map((p) => [p.key, p.record.officeCode ?? null]));
    for (const inv of (await listRecords(db, 'default', 'invoice', { limit: 1000 })).items) {
      const office = inv.record.projectNumber ? projects.get(inv.record.projectNumber) : null;
      const key = `invoice:${inv.key}`;
      if (office === 'SYD') expect(inB, key).not.toContain(key);
      if (office === 'MEL') expect(inA, key).not.toContain(key);
      if (inA.includes(key)) expect(office).toBe('SYD');
      if (inB.includes(key)) expect(office).toBe('MEL');
    }

    // A project moves from SYD to MEL after its invoice was synced to A.
    const movedInvoice = (await listRecords(db, 'default', 'invoice', { limit: 1000 })).items.find(
      (i) => i.record.projectNumber && projects.get(i.record.projectNumber) === 'SYD' && inA.includes(`invoice:${i.key}`),
    )!;
    const project = (await getRecord(db, 'default', 'project', movedInvoice.record.projectNumber!))!;
    await updateRecord(db, 'default', 'project', project.key, { ...project.record, officeCode: 'MEL' }, clock());
    // ...and a new invoice is raised on it, now a MEL job.
    const fresh = { ...movedInvoice.record, number: `${movedInvoice.key}-M` };
    await createRecord(db, 'default', 'invoice', fresh, clock());

    const planB = await plan(realmB);
    const moved = rowsOf(planB).find((r) => r.record.kind === 'invoice' && r.record.id === movedInvoice.key)!;
    expect(moved.action).toBe('none');
    const note = moved.issues.find((i) => i.code === 'company.document-in-other-company')!;
    expect(note.message).toContain(`invoice ${movedInvoice.key}`);
    expect(note.message).toContain(realmA);
    expect(note.message).toContain('cancel it in the practice');
    expect(rowsOf(planB).find((r) => r.record.id === fresh.number)?.action).toBe('create');
    // A does not void (or re-send) it on its own, and does not take the new invoice.
    const planA = await plan(realmA);
    expect(rowsOf(planA).filter((r) => r.record.id === movedInvoice.key || r.record.id === fresh.number)).toEqual([]);

    // Its later changes still go to A, saying where its project is now.
    await updateRecord(db, 'default', 'invoice', movedInvoice.key, { ...movedInvoice.record, text: `${movedInvoice.record.text ?? ''} (revised)` }, clock());
    const update = rowsOf(await plan(realmA)).find((r) => r.record.id === movedInvoice.key)!;
    expect(update.action).toBe('update');
    expect(update.issues.map((i) => i.code)).toContain('company.document-stays-here');
    expect(rowsOf(await plan(realmB)).find((r) => r.record.id === movedInvoice.key)?.action).toBe('none');

    for (const realmId of [realmB, realmA]) {
      const r = await sync(syncDepsFor(c.app.ctx, realmId), { realmId, actor: 'test' });
      expect(r.status, why(r)).toBe('succeeded');
    }
    expect(docsIn(realmA)).toContain(`invoice:${movedInvoice.key}`);
    expect(docsIn(realmB)).not.toContain(`invoice:${movedInvoice.key}`);
    expect(docsIn(realmB)).toContain(`invoice:${fresh.number}`);
    expect(docsIn(realmA)).not.toContain(`invoice:${fresh.number}`);
    const all = [...docsIn(realmA), ...docsIn(realmB)];
    expect(new Set(all).size, 'each document once across both companies').toBe(all.length);
  }, 240_000);
});
