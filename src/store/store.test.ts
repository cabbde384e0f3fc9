import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEachDialect } from '../../test/helpers/db.js';
import { getMeta, setMeta } from './meta.js';
import { migrateToLatest } from './db.js';
import { migrations } from './migrations/index.js';

describeEachDialect('store', (ctx) => {
  it('runs every migration on open', async () => {
    const rows = await ctx.db
      .selectFrom('kysely_migration' as never)
      .select(sql<string>`name`.as('name'))
      .execute();
    expect(rows.map((r) => r.name).sort()).toEqual(Object.keys(migrations).sort());
  });

  it('migrating again changes nothing', async () => {
    await migrateToLatest(ctx.db);
    const rows = await ctx.db
      .selectFrom('kysely_migration' as never)
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(rows.n)).toBe(Object.keys(migrations).length);
  });

  it('stores and replaces installation facts', async () => {
    expect(await getMeta(ctx.db, 'demo')).toBeUndefined();
    await setMeta(ctx.db, 'demo', 'small');
    await setMeta(ctx.db, 'demo', 'medium');
    expect(await getMeta(ctx.db, 'demo')).toBe('medium');
  });

  it('keeps big integers exact (cents beyond 2^31)', async () => {
    const n = 2 ** 40 + 7;
    const r = await sql<{ v: number }>`select cast(${String(n)} as bigint) as v`.execute(ctx.db);
    expect(Number(r.rows[0]!.v)).toBe(n);
  });
});

describe('dialects', () => {
  it('runs the store tests on both SQLite and PostgreSQL unless narrowed on purpose', async () => {
    const { dialects } = await import('../../test/helpers/db.js');
    if (!process.env.QBO_TEST_DIALECTS) expect(dialects).toEqual(['sqlite', 'postgres']);
  });
});
