/**
 * A large import yields to the event loop between records and write batches (time-slice.ts), inside
 * its one transaction. These tests make it yield at every step and check what that could break: a
 * reader meanwhile sees none of the import or all of it, and a second import arriving meanwhile waits
 * for the first (SQLite: kysely's one connection; PostgreSQL: an advisory lock), so it neither fails
 * nor loses a version step.
 */
import { expect, it } from 'vitest';
import { describeEachDialect } from '../../test/helpers/db.js';
import { generateDemoPractice } from './demo.js';
import { recordsFromDocument } from './import-file.js';
import { importDocument, importRecords } from './import.js';
import { countRecords, getRecord } from './store.js';
import type { Pause } from './time-slice.js';

const today = new Date('2026-11-20T10:00:00Z');
const later = new Date('2026-11-21T10:00:00Z');

/** Yields at every call: the most interleaving an import can meet. */
const always: Pause = () => new Promise<void>((r) => setImmediate(r));
const total = (counts: Partial<Record<string, number>>) => Object.values(counts).reduce((a: number, b) => a + (b ?? 0), 0);

describeEachDialect('an import that yields as it goes', (ctx) => {
  it('is seen by other readers meanwhile as nothing or everything, never half; it yielded many times', async () => {
    const doc = generateDemoPractice({ size: 'medium', seed: 7, today });
    const { inputs } = recordsFromDocument(doc);
    const seen: Array<Promise<number>> = [];
    let pauses = 0;
    const pause: Pause = () => {
      // Every 50th turn, another request reads the ledger while the import is paused.
      if (++pauses % 50 === 0) seen.push(countRecords(ctx.db, 'default').then(total));
      return always();
    };
    const report = await importRecords(ctx.db, 'default', inputs, today, [], pause);
    expect(report).toMatchObject({ ok: true, created: inputs.length });
    const counts = await Promise.all(seen);
    // Schema checks, reference checks and one per record written, at least.
    expect(pauses).toBeGreaterThan(3 * inputs.length);
    expect(counts.length).toBeGreaterThan(10);
    for (const n of counts) expect([0, inputs.length]).toContain(n);
  });

  it('runs a second import that arrives meanwhile after the first: both succeed and every change moves the version', async () => {
    const contact = { code: 'Y2', uniqueId: 'Y2', isClient: true, isSupplier: false };
    const a = recordsFromDocument({ contacts: [{ ...contact, name: 'From A' }] }).inputs;
    const b = recordsFromDocument({ contacts: [{ ...contact, name: 'From B' }] }).inputs;
    // The two are made to overlap. A one-record import pauses once for its schema (outside the
    // transaction), then inside it: indexing, references, after reading what is stored, after writing.
    // A holds at its 4th pause (it has read that Y2 is absent) until B is inside its own transaction
    // (B's 2nd pause), or half a second if B cannot get in; B holds at its 4th pause (it has read
    // what is stored) until A has finished, or two seconds. Were the two let in side by side, both
    // would read Y2 as absent and write version 1, whichever started first.
    let aCalls = 0;
    let bCalls = 0;
    let bInside: () => void = () => undefined;
    const bIsInside = new Promise<void>((r) => (bInside = r));
    let aFinished: () => void = () => undefined;
    const aIsDone = new Promise<void>((r) => (aFinished = r));
    const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
    const pauseA: Pause = () => (++aCalls === 4 ? Promise.race([bIsInside, sleep(500)]) : always());
    const pauseB: Pause = () => {
      if (++bCalls === 2) bInside();
      return bCalls === 4 ? Promise.race([aIsDone, sleep(2000)]) : always();
    };
    const [ra, rb] = await Promise.all([importRecords(ctx.db, 'default', a, today, [], pauseA).finally(aFinished), importRecords(ctx.db, 'default', b, later, [], pauseB)]);
    expect(ra.ok && rb.ok, JSON.stringify([ra.issues, rb.issues])).toBe(true);
    // One created Y2 and the other changed it (which one got in first is up to the scheduler): version 2.
    expect([ra.created + rb.created, ra.updated + rb.updated]).toEqual([1, 1]);
    expect(await getRecord(ctx.db, 'default', 'contact', 'Y2')).toMatchObject({ version: 2, record: { name: ra.updated ? 'From A' : 'From B' } });
  });

  it('refuses an import whose last record is bad after yielding through all the others, and stores nothing', async () => {
    const before = total(await countRecords(ctx.db, 'default'));
    const doc = generateDemoPractice({ size: 'small', seed: 8, today });
    const last = doc.staffExpenses[doc.staffExpenses.length - 1]!;
    doc.staffExpenses[doc.staffExpenses.length - 1] = { ...last, expenseTypeCode: 'NO-SUCH-TYPE' };
    const report = await importRecords(ctx.db, 'default', recordsFromDocument(doc).inputs, today, [], always);
    expect(report.ok).toBe(false);
    expect(report.issues).toEqual([expect.objectContaining({ kind: 'staff-expense', key: last.number, field: 'expenseTypeCode' })]);
    expect(total(await countRecords(ctx.db, 'default'))).toBe(before);
    // And the same document, corrected, goes in.
    doc.staffExpenses[doc.staffExpenses.length - 1] = last;
    expect((await importDocument(ctx.db, 'default', doc, today)).ok).toBe(true);
  });
});
