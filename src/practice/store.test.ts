import { beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../test/helpers/db.js';
import { editableField, practiceSnapshot, sampleLedger, sampleOf } from '../../test/helpers/practice.js';
import { importDocument } from './import.js';
import { kindInfo, kinds, type Kind } from './kinds.js';
import { createRecord, getRecord, listDocumentsForExport, listRecords, PracticeError, updateRecord } from './store.js';

const t1 = new Date('2026-11-20T10:00:00Z');
const t2 = new Date('2026-11-21T10:00:00Z');

/** A copy of the sample record of a kind under a new natural key. */
function fresh(kind: Kind, key: string): Record<string, unknown> {
  return { ...sampleOf(kind), [kindInfo[kind].keyField]: key };
}

async function rejection(p: Promise<unknown>): Promise<PracticeError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PracticeError) return err;
    throw err;
  }
  throw new Error('expected the write to be refused');
}

describeEachDialect('practice store', (ctx) => {
  beforeAll(async () => {
    const r = await importDocument(ctx.db, 'default', sampleLedger(), t1);
    expect(r.issues).toEqual([]);
  });

  it.each(kinds)('creates, gets, lists and updates a %s; the version moves only when content changes', async (kind) => {
    const key = `NEW-${kind}`.slice(0, 30);
    const created = await createRecord(ctx.db, 'default', kind, fresh(kind, key), t1);
    expect(created).toMatchObject({ kind, key, version: 1, state: 'active', createdAt: t1.toISOString() });
    expect((await getRecord(ctx.db, 'default', kind, key))?.record).toEqual(created.record);

    const page = await listRecords(ctx.db, 'default', kind, { limit: 1000 });
    expect(page.items.map((s) => s.key)).toContain(key);

    // The same content again: no new version, no new updated_at.
    const same = await updateRecord(ctx.db, 'default', kind, key, fresh(kind, key), t2);
    expect(same.changed).toBe(false);
    expect(same.stored).toMatchObject({ version: 1, updatedAt: t1.toISOString(), contentHash: created.contentHash });

    const field = editableField[kind];
    const changed = await updateRecord(ctx.db, 'default', kind, key, { ...fresh(kind, key), [field]: 'Changed text' }, t2);
    expect(changed.changed).toBe(true);
    expect(changed.stored).toMatchObject({ id: created.id, version: 2, updatedAt: t2.toISOString(), createdAt: t1.toISOString() });
    expect((changed.stored.record as Record<string, unknown>)[field]).toBe('Changed text');

    // Cancelling is a state, and a content change.
    const cancelled = await updateRecord(ctx.db, 'default', kind, key, { ...fresh(kind, key), [field]: 'Changed text', state: 'cancelled' }, t2);
    expect(cancelled.stored).toMatchObject({ state: 'cancelled', version: 3 });
    expect((await listRecords(ctx.db, 'default', kind, { state: 'cancelled' })).items.map((s) => s.key)).toContain(key);
  });

  it('refuses a second record with the same key (409) and updates of missing records (404)', async () => {
    const dup = await rejection(createRecord(ctx.db, 'default', 'invoice', sampleOf('invoice'), t2));
    expect(dup.status).toBe(409);
    expect(dup.issues[0]).toMatchObject({ kind: 'invoice', key: 'INV-1', field: 'number' });
    const missing = await rejection(updateRecord(ctx.db, 'default', 'invoice', 'INV-404', sampleOf('invoice'), t2));
    expect(missing.status).toBe(404);
    const moved = await rejection(updateRecord(ctx.db, 'default', 'invoice', 'INV-1', { ...sampleOf('invoice'), number: 'INV-2' }, t2));
    expect(moved.issues[0]?.field).toBe('number');
  });

  const inv = sampleOf('invoice');
  const bad: Array<[string, Kind, Record<string, unknown>, string, RegExp]> = [
    ['a wrong type', 'invoice', { ...inv, number: 'INV-B1', totalCents: '770000' }, 'totalCents', /must be a whole number of cents/],
    [
      'a negative amount',
      'bill',
      { ...sampleOf('bill'), number: 'B-B2', lines: [{ ...(sampleOf('bill').lines as object[])[0], amountCents: -5 }] },
      'lines[0].amountCents',
      /must not be negative/,
    ],
    ['a total that does not add up', 'invoice', { ...inv, number: 'INV-B3', totalCents: 770_001 }, 'totalCents', /is 770001 cents but .* is 770000 cents/],
    ['tax that does not add up', 'invoice', { ...inv, number: 'INV-B4', taxCents: 1 }, 'taxCents', /is 1 cents/],
    [
      'an unknown tax code',
      'invoice',
      { ...inv, number: 'INV-B5', lines: [{ ...(inv.lines as object[])[0], taxCode: 'GST-X' }, (inv.lines as object[])[1]] },
      'lines[0].taxCode',
      /"GST-X" is not a known tax code/,
    ],
    [
      'an unknown stage',
      'invoice',
      { ...inv, number: 'INV-B6', lines: [{ ...(inv.lines as object[])[0], stageCode: 'ZZ' }, (inv.lines as object[])[1]] },
      'lines[0].stageCode',
      /not a stage of project P1/,
    ],
    ['an unknown contact', 'invoice', { ...inv, number: 'INV-B7', contactCode: 'NOBODY' }, 'contactCode', /"NOBODY" is not a known contact/],
    ['a supplier as client', 'invoice', { ...inv, number: 'INV-B8', contactCode: 'S1' }, 'contactCode', /not marked as a client/],
    ['a string over its limit', 'contact', { ...sampleOf('contact'), code: 'C-B9', name: 'x'.repeat(201) }, 'name', /at most 200 characters/],
    ['an invalid date', 'invoice', { ...inv, number: 'INV-B10', date: '2026-02-30' }, 'date', /not a calendar date/],
    ['a date in the wrong format', 'staff-expense', { ...sampleOf('staff-expense'), number: 'EXP-B11', date: '26/11/2026' }, 'date', /YYYY-MM-DD/],
    ['a due date before the date', 'bill', { ...sampleOf('bill'), number: 'B-B12', dueDate: '2026-11-01' }, 'dueDate', /before the document date/],
    ['allocations over the payment', 'payment', { ...sampleOf('payment'), number: 'RCT-B13', amountCents: 100 }, 'allocations', /more than the payment amount/],
    [
      'an allocation to an unknown invoice',
      'payment',
      { ...sampleOf('payment'), number: 'RCT-B14', allocations: [{ invoiceNumber: 'INV-404', amountCents: 1 }] },
      'allocations[0].invoiceNumber',
      /"INV-404" is not a known invoice/,
    ],
    [
      'an allocation over its invoice',
      'payment',
      { ...sampleOf('payment'), number: 'RCT-B24', amountCents: 1_000_000, allocations: [{ invoiceNumber: 'INV-1', amountCents: 800_000 }] },
      'allocations[0].amountCents',
      /more than the total of invoice INV-1/,
    ],
    [
      'a credit note over its invoice',
      'credit-note',
      {
        ...sampleOf('credit-note'),
        number: 'CN-B25',
        lines: [{ description: 'all', amountCents: 800_000, taxCode: 'GST', taxCents: 80_000 }],
        taxCents: 80_000,
        totalCents: 880_000,
      },
      'totalCents',
      /cannot credit more than its invoice/,
    ],
    ['a key with surrounding spaces', 'invoice', { ...inv, number: ' INV-1' }, 'number', /must not start or end with spaces/],
    ['a zero payment', 'payment', { ...sampleOf('payment'), number: 'RCT-B15', amountCents: 0, allocations: [] }, 'amountCents', /more than zero/],
    [
      'a negative credit note line',
      'credit-note',
      { ...sampleOf('credit-note'), number: 'CN-B16', lines: [{ ...(sampleOf('credit-note').lines as object[])[0], amountCents: -10_000 }] },
      'lines[0].amountCents',
      /must not be negative/,
    ],
    ['an unknown credit note kind', 'credit-note', { ...sampleOf('credit-note'), number: 'CN-B17', kind: 'refund' }, 'kind', /discount, cancellation or write-off/],
    ['an unknown field', 'office', { code: 'X', name: 'X', colour: 'red' }, 'colour', /office X: colour is an unknown field: remove it/],
    ['a missing field', 'staff-expense', { ...sampleOf('staff-expense'), number: 'EXP-B19', taxCode: undefined }, 'taxCode', /is required/],
    ['a non-integer rate', 'tax-code', { ...sampleOf('tax-code'), code: 'T-B20', rateBasisPoints: 10.5 }, 'rateBasisPoints', /whole number of basis points/],
    ['no lines', 'bill', { ...sampleOf('bill'), number: 'B-B21', lines: [] }, 'lines', /at least one line/],
    ['a project of an unknown client', 'project', { ...sampleOf('project'), number: 'P-B22', clientCode: 'NOBODY' }, 'clientCode', /not a known contact/],
    [
      'a stage with an unknown discipline',
      'project',
      { ...sampleOf('project'), number: 'P-B23', stages: [{ code: 'CD', name: 'CD', disciplineCode: 'XX', feeCents: 1 }] },
      'stages[0].disciplineCode',
      /not a known discipline/,
    ],
  ];

  it.each(bad)('refuses %s, naming record and field, and changes nothing', async (_what, kind, value, field, message) => {
    const before = await practiceSnapshot(ctx.db);
    const err = await rejection(createRecord(ctx.db, 'default', kind, value, t2));
    expect(err.status).toBe(400);
    const key = String(value[kindInfo[kind].keyField]);
    const found = err.issues.find((i) => i.field === field);
    expect(found, JSON.stringify(err.issues)).toBeDefined();
    expect(found!.message).toMatch(message);
    expect(found!.message.startsWith(`${kindInfo[kind].label} ${key}: ${field}`)).toBe(true);
    expect(await practiceSnapshot(ctx.db)).toBe(before);
    // The same bad content as an update of an existing record changes nothing either (when the
    // problem is not the key itself, which an update takes from the URL).
    if (field === kindInfo[kind].keyField) return;
    const existing = await listRecords(ctx.db, 'default', kind, { limit: 1 });
    const target = existing.items[0]!;
    await expect(updateRecord(ctx.db, 'default', kind, target.key, { ...value, [kindInfo[kind].keyField]: target.key }, t2)).rejects.toBeInstanceOf(PracticeError);
    expect(await practiceSnapshot(ctx.db)).toBe(before);
  });

  it('lists pages filtered by date range and state, documents in date order', async () => {
    for (let i = 0; i < 5; i++) {
      await createRecord(ctx.db, 'default', 'staff-expense', { ...sampleOf('staff-expense'), number: `EXP-L${i}`, date: `2026-10-0${i + 1}` }, t1);
    }
    const page = await listRecords(ctx.db, 'default', 'staff-expense', { from: '2026-10-02', to: '2026-10-04', limit: 2 });
    expect(page.total).toBe(3);
    expect(page.items.map((s) => s.key)).toEqual(['EXP-L1', 'EXP-L2']);
    expect(page.nextOffset).toBe(2);
    const rest = await listRecords(ctx.db, 'default', 'staff-expense', { from: '2026-10-02', to: '2026-10-04', limit: 2, offset: 2 });
    expect(rest.items.map((s) => s.key)).toEqual(['EXP-L3']);
    expect(rest.nextOffset).toBeNull();
  });

  it('reads documents for export with every reference resolved', async () => {
    const invoices = await listDocumentsForExport(ctx.db, 'default', { kind: 'invoice', fromDate: '2026-11-01', states: ['active'] });
    const one = invoices.find((d) => d.stored.key === 'INV-1')!;
    expect(one.contact?.record.name).toBe('Harbour Trust');
    expect(one.project?.key).toBe('P1');
    expect(one.lines.map((l) => [l.stage?.code, l.taxCode?.key, l.discipline?.key, l.costCentre?.record.incomeAccountCode])).toEqual([
      ['CD', 'GST', 'ARCH', '4100'],
      ['DD', 'GST', 'ARCH', '4100'],
    ]);
    const [cn] = (await listDocumentsForExport(ctx.db, 'default', { kind: 'credit-note', fromDate: '2026-11-01' })).filter((d) => d.stored.key === 'CN-1');
    expect(cn?.invoice?.key).toBe('INV-1');
    const [pay] = (await listDocumentsForExport(ctx.db, 'default', { kind: 'payment', fromDate: '2026-11-01' })).filter((d) => d.stored.key === 'RCT-1');
    expect(pay?.allocations[0]?.invoice?.record.totalCents).toBe(770_000);
    expect(pay?.paymentType?.key).toBe('EFT');
    const [bill] = (await listDocumentsForExport(ctx.db, 'default', { kind: 'bill', fromDate: '2026-11-01' })).filter((d) => d.stored.key === 'B-1');
    expect(bill?.contact?.key).toBe('S1');
    expect(bill?.lines[0]?.expenseType?.record.expenseAccountCode).toBe('5100');
    const [exp] = (await listDocumentsForExport(ctx.db, 'default', { kind: 'staff-expense', fromDate: '2026-11-01' })).filter((d) => d.stored.key === 'EXP-1');
    expect(exp?.staff?.record.name).toBe('Ann Lee');
    expect(exp?.lines[0]?.stage?.name).toBe('Concept design');
    // The window excludes older documents.
    expect((await listDocumentsForExport(ctx.db, 'default', { kind: 'invoice', fromDate: '2026-11-04' })).map((d) => d.stored.key)).not.toContain('INV-1');
  });
});
