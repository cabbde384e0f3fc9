import { describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../test/helpers/db.js';
import { practiceSnapshot } from '../../test/helpers/practice.js';
import { createLogger } from '../log.js';
import { getMeta } from '../store/meta.js';
import { clashingSupplierName, generateDemoPractice, loadDemoOnFirstStart, loadDemoPractice, plantedProblems, type DemoDocument } from './demo.js';
import { recordsFromDocument } from './import-file.js';
import { kindInfo, kinds, type Kind } from './kinds.js';
import { validateRecords, ReferenceIndex } from './validate.js';
import { countRecords, createRecord, getRecord, listDocumentsForExport } from './store.js';

const today = new Date('2026-11-26T09:30:00Z');
const monthStart = '2026-11-01';

const documents = (d: DemoDocument) => d.invoices.length + d.creditNotes.length + d.payments.length + d.bills.length + d.staffExpenses.length;
function find(doc: DemoDocument, kind: Kind, key: string): Record<string, unknown> | undefined {
  const list = doc[kindInfo[kind].fileKey as keyof DemoDocument] as unknown as Array<Record<string, unknown>>;
  return list.find((r) => r[kindInfo[kind].keyField] === key);
}

describe('demo practice generator', () => {
  it('is deterministic for a seed and different for another', () => {
    expect(generateDemoPractice({ size: 'small', seed: 7, today })).toEqual(generateDemoPractice({ size: 'small', seed: 7, today }));
    expect(generateDemoPractice({ size: 'small', seed: 8, today })).not.toEqual(generateDemoPractice({ size: 'small', seed: 7, today }));
  });

  it.each([
    ['small', 50, 75],
    ['medium', 1_800, 2_200],
  ] as const)('makes a %s practice of about the right number of valid documents', async (size, min, max) => {
    const doc = generateDemoPractice({ size, seed: 3, today });
    expect(documents(doc)).toBeGreaterThanOrEqual(min);
    expect(documents(doc)).toBeLessThanOrEqual(max);
    const { inputs, issues } = recordsFromDocument(doc);
    expect(issues).toEqual([]);
    expect((await validateRecords(inputs, new ReferenceIndex())).issues).toEqual([]);
  });

  it('dates documents over the past year up to today, with the current month well stocked', () => {
    const doc = generateDemoPractice({ size: 'small', seed: 1, today });
    const dates = [...doc.invoices, ...doc.creditNotes, ...doc.payments, ...doc.bills, ...doc.staffExpenses].map((d) => d.date);
    expect(dates.every((d) => d >= '2025-11-26' && d <= '2026-11-26')).toBe(true);
    const current = <T extends { date: string }>(xs: T[]) => xs.filter((d) => d.date >= monthStart);
    // Clean examples: invoices with several stage lines, a credit note against an invoice, payments, bills, cash and travel claims.
    expect(current(doc.invoices).filter((i) => i.lines.length > 1 && i.lines.every((l) => l.stageCode)).length).toBeGreaterThanOrEqual(3);
    expect(current(doc.creditNotes).some((c) => c.invoiceNumber && current(doc.invoices).some((i) => i.number === c.invoiceNumber))).toBe(true);
    expect(current(doc.payments).length).toBeGreaterThanOrEqual(2);
    expect(current(doc.bills).length).toBeGreaterThanOrEqual(2);
    expect(new Set(current(doc.staffExpenses).map((e) => e.kind))).toEqual(new Set(['cash', 'travel']));
    // GST is 10 % of each GST line, rounded per line (checked in integers: |10 × tax − amount| ≤ 5).
    for (const i of doc.invoices) for (const l of i.lines) if (l.taxCode === 'GST') expect(Math.abs(l.taxCents * 10 - l.amountCents)).toBeLessThanOrEqual(5);
  });

  it.each(['small', 'medium'] as const)('plants every listed problem in the %s practice, in the current month', (size) => {
    const doc = generateDemoPractice({ size, seed: 5, today });
    for (const p of plantedProblems) {
      const record = find(doc, p.kind as Kind, p.key);
      expect(record, `${p.kind} ${p.key}`).toBeDefined();
      const dated = p.via ? find(doc, 'invoice', p.via.key) : record;
      expect(dated, `${p.code} via`).toBeDefined();
      if (p.code !== 'payment.invoice-before-export-from') expect(String(dated!.date) >= monthStart, p.code).toBe(true);
    }
    expect(find(doc, 'contact', 'C9001')!.uniqueId ?? null).toBeNull();
    expect(String(find(doc, 'contact', 'C9002')!.name)).toContain(':');
    expect(find(doc, 'contact', 'C9003')!.name).toBe(clashingSupplierName);
    expect(doc.contacts.filter((c) => c.name === clashingSupplierName)).toHaveLength(1);
    expect('INV-2026-HARBOURVIEW-000077'.length).toBeGreaterThan(21);
    expect(find(doc, 'invoice', 'INV-90006')!.totalCents).toBe(0);
    const late = find(doc, 'payment', 'RCT-90007') as { date: string; allocations: Array<{ invoiceNumber: string }> };
    expect(late.date >= monthStart).toBe(true);
    expect(String(find(doc, 'invoice', late.allocations[0]!.invoiceNumber)!.date) < monthStart).toBe(true);
    expect((find(doc, 'bill', 'B-90005') as { lines: Array<{ taxCode: string }> }).lines[0]!.taxCode).toBe('GST-CAP');
  });

  it('keeps the planted problems the only ones of their kind among the current month’s documents', () => {
    const doc = generateDemoPractice({ size: 'medium', seed: 2, today });
    const plantedKeys = new Set(plantedProblems.flatMap((p) => [p.key, p.via?.key]));
    const inWindow = <T extends { date: string }>(xs: T[]) => xs.filter((d) => d.date >= monthStart);
    const invoiceDate = new Map(doc.invoices.map((i) => [i.number, i.date]));
    for (const p of inWindow(doc.payments).filter((x) => !plantedKeys.has(x.number))) {
      for (const a of p.allocations) expect(invoiceDate.get(a.invoiceNumber)! >= monthStart, `${p.number} pays ${a.invoiceNumber}`).toBe(true);
    }
    for (const i of inWindow(doc.invoices).filter((x) => !plantedKeys.has(x.number))) {
      expect(i.number.length).toBeLessThanOrEqual(21);
      expect(i.totalCents).toBeGreaterThan(0);
    }
    for (const c of doc.contacts.filter((x) => !plantedKeys.has(x.code))) {
      expect(c.uniqueId).toBeTruthy();
      expect(c.name).not.toContain(':');
    }
    const names = doc.contacts.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    const taxCodes = new Set(
      [
        ...doc.invoices.flatMap((i) => i.lines),
        ...doc.creditNotes.flatMap((c) => c.lines),
        ...doc.bills.filter((b) => b.number !== 'B-90005').flatMap((b) => b.lines),
        ...doc.staffExpenses,
      ].map((l) => l.taxCode),
    );
    expect([...taxCodes].sort()).toEqual(['FRE', 'GST']);
  });
});

describeEachDialect(
  'demo practice in the store',
  (ctx) => {
    /** The ledger as the first start of an emulator app leaves it: the demo loaded. */
    const loadedOnFirstStart = async () => {
      const first = await loadDemoOnFirstStart({ db: ctx.db, clock: () => today, logger: createLogger('silent') }, { qboEnv: 'emulator' });
      expect(first && 'loaded' in first && first.loaded.ok).toBe(true);
    };

    it('loads once on first start, then leaves the ledger alone', async () => {
      const app = { db: ctx.db, clock: () => today, logger: createLogger('silent') };
      const first = await loadDemoOnFirstStart(app, { qboEnv: 'emulator' });
      expect(first && 'loaded' in first && first.loaded.ok).toBe(true);
      expect(await getMeta(ctx.db, 'demo-loaded')).toBe(today.toISOString());
      const before = await practiceSnapshot(ctx.db);
      expect(await loadDemoOnFirstStart(app, { qboEnv: 'emulator' })).toBeUndefined();
      expect(await practiceSnapshot(ctx.db)).toBe(before);
      const counts = await countRecords(ctx.db, 'default');
      for (const k of kinds) expect(counts[k], k).toBeGreaterThan(0);
    });

    it('loading the same demo again changes nothing', async () => {
      await loadedOnFirstStart();
      const before = await practiceSnapshot(ctx.db);
      const again = await loadDemoPractice(ctx.db, 'default', { size: 'small', seed: 1, today, now: new Date('2026-11-27T00:00:00Z') });
      expect(again).toMatchObject({ ok: true, created: 0, updated: 0 });
      expect(await practiceSnapshot(ctx.db)).toBe(before);
    });

    it('gives the preview its planted records inside the default export window', async () => {
      await loadedOnFirstStart();
      const invoices = await listDocumentsForExport(ctx.db, 'default', { kind: 'invoice', fromDate: monthStart });
      const keys = invoices.map((d) => d.stored.key);
      for (const k of ['INV-90001', 'INV-90002', 'INV-90003', 'INV-2026-HARBOURVIEW-000077', 'INV-90006']) expect(keys).toContain(k);
      expect(keys).not.toContain('INV-90070');
      expect(invoices.find((d) => d.stored.key === 'INV-90001')?.contact?.record.uniqueId).toBeUndefined();
      const payments = await listDocumentsForExport(ctx.db, 'default', { kind: 'payment', fromDate: monthStart });
      expect(String(payments.find((d) => d.stored.key === 'RCT-90007')?.allocations[0]?.invoice?.record.date) < monthStart).toBe(true);
      expect((await getRecord(ctx.db, 'default', 'tax-code', 'GST-CAP'))?.record.forSales).toBe(false);
    });
  },
  { fresh: 'each' },
);

describeEachDialect(
  'the first start leaves a real ledger alone (issue 19)',
  (ctx) => {
    const app = () => ({ db: ctx.db, clock: () => today, logger: createLogger('silent') });
    const total = async () => Object.values(await countRecords(ctx.db, 'default')).reduce((a, b) => a + (b ?? 0), 0);

    it('does not load the demo with QBO_ENV=production or sandbox, and says how to load it', async () => {
      for (const qboEnv of ['production', 'sandbox'] as const) {
        const r = await loadDemoOnFirstStart(app(), { qboEnv });
        expect(r && 'hint' in r ? r.hint : '').toContain(`QBO_ENV=${qboEnv}`);
        expect(r && 'hint' in r ? r.hint.split('\n') : []).toHaveLength(1);
      }
      expect(await total()).toBe(0);
      expect(await getMeta(ctx.db, 'demo-loaded')).toBeUndefined();
    });

    it('does not load the demo into a ledger that holds records, and writes nothing', async () => {
      const demo = generateDemoPractice({ size: 'small', seed: 1, today });
      // An imported record the demo also has (same key, other content): it would be overwritten.
      const mine = { ...demo.contacts[0]!, name: 'Our own client, imported' };
      await createRecord(ctx.db, 'default', 'contact', mine, today);
      const before = await practiceSnapshot(ctx.db);
      const r = await loadDemoOnFirstStart(app(), { qboEnv: 'emulator' });
      expect(r && 'hint' in r ? r.hint : '').toMatch(/already holds \d+ record/);
      expect(await practiceSnapshot(ctx.db)).toBe(before);
      expect(await getMeta(ctx.db, 'demo-loaded')).toBeUndefined();
    });
  },
  { fresh: 'each' },
);
