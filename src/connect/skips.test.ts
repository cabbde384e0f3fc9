import { expect, it } from 'vitest';
import { describeEachDialect } from '../../test/helpers/db.js';
import { UserFacingError } from '../user-facing-error.js';
import { listSkipped, parseRef, skip, skipMany, skippedKeys, unskip, unskipMany, type RecordRef } from './skips.js';

let now = new Date('2026-11-26T01:00:00Z');
const clock = () => now;

describeEachDialect('skipped records', (ctx) => {
  it('skips a record once, lists who and when, and adds it back', async () => {
    expect(await skip(ctx.db, { realmId: 'r1', kind: 'invoice', id: 'INV-1', actor: 'cli:alice', clock, date: '2026-11-03' })).toBe(true);
    expect(await skip(ctx.db, { realmId: 'r1', kind: 'invoice', id: 'INV-1', actor: 'cli:bob', clock })).toBe(false);
    const [s] = await listSkipped(ctx.db, 'r1');
    expect(s).toMatchObject({
      kind: 'invoice',
      recordId: 'INV-1',
      recordDate: '2026-11-03',
      skippedBy: 'cli:alice',
      skippedAt: now.toISOString(),
      heldByEngine: false,
      reasonCode: null,
    });
    expect(await skippedKeys(ctx.db, 'r1')).toEqual(new Set(['invoice:INV-1']));
    now = new Date('2026-11-26T02:00:00Z');
    await unskip(ctx.db, { realmId: 'r1', kind: 'invoice', id: 'INV-1', actor: 'cli:bob', clock });
    expect(await listSkipped(ctx.db, 'r1')).toEqual([]);
    // History stays: who restored it and when.
    const rows = await ctx.db.selectFrom('skips').selectAll().where('realm_id', '=', 'r1').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ unskipped_by: 'cli:bob', unskipped_at: now.toISOString() });
    // And it can be skipped again.
    expect(await skip(ctx.db, { realmId: 'r1', kind: 'invoice', id: 'INV-1', actor: 'cli:alice', clock })).toBe(true);
  });

  it('refuses to add back a record that is not skipped, naming it', async () => {
    const err = await unskip(ctx.db, { realmId: 'r1', kind: 'bill', id: 'B-9', actor: 'cli:bob', clock }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserFacingError);
    expect((err as UserFacingError).message).toBe('bill B-9 is not skipped, so there is nothing to add back.');
  });

  it('skips a row with its linked rows, or a whole group, in one go', async () => {
    const refs: RecordRef[] = [
      { kind: 'invoice', id: 'INV-2', date: '2026-11-04' },
      { kind: 'payment', id: 'P-7', date: '2026-11-10' },
      { kind: 'payment', id: 'P-8', date: '2026-11-11' },
      { kind: 'payment', id: 'P-7' },
    ];
    const added = await skipMany(ctx.db, { realmId: 'r2', refs, actor: 'cli:alice', clock });
    expect(added.map((r) => `${r.kind}:${r.id}`)).toEqual(['invoice:INV-2', 'payment:P-7', 'payment:P-8']);
    const group = Array.from({ length: 1200 }, (_, i): RecordRef => ({ kind: 'bill', id: `B-${i}` }));
    expect(await skipMany(ctx.db, { realmId: 'r2', refs: [...group, { kind: 'payment', id: 'P-7' }], actor: 'cli:alice', clock })).toHaveLength(1200);
    expect((await skippedKeys(ctx.db, 'r2')).size).toBe(1203);
    expect(
      await unskipMany(ctx.db, {
        realmId: 'r2',
        refs: [
          { kind: 'payment', id: 'P-7' },
          { kind: 'payment', id: 'P-404' },
        ],
        actor: 'cli:bob',
        clock,
      }),
    ).toEqual([{ kind: 'payment', id: 'P-7', date: null }]);
    expect((await listSkipped(ctx.db, 'r2', { kind: 'payment' })).map((s) => s.recordId)).toEqual(['P-8']);
  });

  it('records a hold by the engine with its reason code', async () => {
    await skipMany(ctx.db, { realmId: 'r3', refs: [{ kind: 'contact', id: 'C-1' }], actor: 'engine', clock, reasonCode: 'contact.missing-unique-id', heldByEngine: true });
    expect((await listSkipped(ctx.db, 'r3'))[0]).toMatchObject({ heldByEngine: true, reasonCode: 'contact.missing-unique-id', skippedBy: 'engine' });
  });

  it('lists only records within the export window; undated records and names always show', async () => {
    await skipMany(ctx.db, {
      realmId: 'r4',
      actor: 'cli:alice',
      clock,
      refs: [
        { kind: 'invoice', id: 'old', date: '2026-09-30' },
        { kind: 'invoice', id: 'new', date: '2026-10-01' },
        { kind: 'invoice', id: 'undated' },
        { kind: 'bill', id: 'old-bill', date: '2026-09-30' },
        { kind: 'contact', id: 'C-2' },
      ],
    });
    const listed = await listSkipped(ctx.db, 'r4', { exportFrom: { invoices: '2026-10-01', bills: '2026-09-01' } });
    expect(listed.map((s) => s.recordId).sort()).toEqual(['C-2', 'new', 'old-bill', 'undated']);
    // Another company's skips never show here.
    expect(await listSkipped(ctx.db, 'r5')).toEqual([]);
  });

  it('refuses an unknown kind or an empty id with the allowed kinds listed', () => {
    expect(() => parseRef('receipt', 'X')).toThrow(/no record kind receipt; use one of: invoice, credit-note, payment/);
    expect(() => parseRef('invoice', '  ')).toThrow(UserFacingError);
  });

  it('refuses an id with a NUL or another control character, naming the field, and stores nothing', async () => {
    for (const id of ['C\u0000X', 'INV\u00071', 'A\u009fB']) {
      const err = await skip(ctx.db, { realmId: 'r-nul', kind: 'contact', id, actor: 'cli:alice', clock }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserFacingError);
      expect(err).toMatchObject({ field: 'id' });
      expect((err as UserFacingError).message).toContain('without control characters');
    }
    expect(await listSkipped(ctx.db, 'r-nul')).toEqual([]);
  });

  it('counts a record skipped by several people at once as skipped once', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => skip(ctx.db, { realmId: 'r6', kind: 'bill', id: 'B-1', actor: `cli:user${i}`, clock })));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await listSkipped(ctx.db, 'r6')).toHaveLength(1);
  });
});
