/** The firm overview's order (a pure function of the rows and the time): properties over random firms, and what "needs attention" means. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attentionOf, overviewSorts, sortOverview, type OverviewRow } from './firm.js';
import { numRuns } from '../../../test/helpers/seed.js';

const NOW = new Date('2026-03-10T09:00:00.000Z');
const day = 86_400_000;

const iso = fc.integer({ min: -60, max: 400 }).map((d) => new Date(NOW.getTime() + d * day).toISOString());
const row: fc.Arbitrary<OverviewRow> = fc
  .record({
    practiceId: fc.constantFrom('alpha', 'beta', 'gamma', 'delta'),
    realm: fc.option(fc.constantFrom('100', '200', '300', '400', '500'), { nil: null }),
    companyName: fc.option(fc.constantFrom('Acme', 'Birch', 'Cedar', 'Dune'), { nil: null }),
    connection: fc.constantFrom('connected' as const, 'disconnected' as const),
    reconnectBy: fc.option(iso, { nil: null }),
    lastSync: fc.option(
      fc.record({
        runId: fc.uuid(),
        startedAt: iso,
        finishedAt: fc.constant(null),
        status: fc.constantFrom('succeeded', 'failed', 'refused', 'running'),
        failed: fc.nat(3),
        held: fc.nat(3),
      }),
      { nil: null },
    ),
    preview: fc.option(
      fc.record({
        checkedAt: iso,
        errors: fc.nat(5),
        warnings: fc.nat(5),
        ready: fc.nat(50),
        held: fc.nat(3),
        problem: fc.option(fc.constant('QuickBooks could not be reached'), { nil: null }),
      }),
      { nil: null },
    ),
  })
  .map((r): OverviewRow =>
    r.realm === null
      ? {
          practiceId: r.practiceId,
          practiceName: r.practiceId.toUpperCase(),
          realmId: null,
          companyName: null,
          connection: 'none',
          reconnectBy: null,
          lastSync: null,
          preview: null,
        }
      : {
          practiceId: r.practiceId,
          practiceName: r.practiceId.toUpperCase(),
          realmId: r.realm,
          companyName: r.companyName,
          connection: r.connection,
          reconnectBy: r.reconnectBy,
          lastSync: r.lastSync,
          preview: r.preview,
        },
  );
const firm = fc.array(row, { maxLength: 30 });
const key = (r: OverviewRow) => JSON.stringify(r);

describe('sortOverview', () => {
  it('is a permutation of the rows, whatever the order asked', () => {
    fc.assert(
      fc.property(firm, fc.constantFrom(...overviewSorts), fc.boolean(), (rows, sort, desc) => {
        const out = sortOverview(rows, sort, NOW, desc);
        expect(out.map(key).sort()).toEqual(rows.map(key).sort());
      }),
      { numRuns: numRuns(200) },
    );
  });

  it('does not depend on the order the database answered in', () => {
    fc.assert(
      fc.property(firm, fc.constantFrom(...overviewSorts), fc.boolean(), fc.nat(), (rows, sort, desc, seed) => {
        const shuffled = [...rows].sort((a, b) => ((key(a).length * 31 + seed) % 7) - ((key(b).length * 31 + seed) % 7));
        // Rows equal in every shown field may swap; compare what a person sees.
        expect(sortOverview(shuffled, sort, NOW, desc).map(key)).toEqual(sortOverview(rows, sort, NOW, desc).map(key));
      }),
      { numRuns: numRuns(200) },
    );
  });

  it('puts the rows in the order of their key: attention most first, errors most first, reconnect-by soonest first', () => {
    fc.assert(
      fc.property(firm, (rows) => {
        const a = sortOverview(rows, 'attention', NOW).map((r) => attentionOf(r, NOW));
        expect(a).toEqual([...a].sort((x, y) => y - x));
        const e = sortOverview(rows, 'errors', NOW).map((r) => r.preview?.errors ?? -1);
        expect(e).toEqual([...e].sort((x, y) => y - x));
        const by = sortOverview(rows, 'reconnect-by', NOW).map((r) => r.reconnectBy ?? '\uffff');
        expect(by).toEqual([...by].sort());
        const byDesc = sortOverview(rows, 'reconnect-by', NOW, true).map((r) => r.reconnectBy ?? '\uffff');
        expect(byDesc).toEqual([...byDesc].sort().reverse());
      }),
      { numRuns: numRuns(200) },
    );
  });
});

describe('attentionOf', () => {
  const base: OverviewRow = {
    practiceId: 'alpha',
    practiceName: 'Alpha',
    realmId: '100',
    companyName: 'Acme',
    connection: 'connected',
    reconnectBy: new Date(NOW.getTime() + 90 * day).toISOString(),
    lastSync: { runId: 'r1', startedAt: NOW.toISOString(), finishedAt: NOW.toISOString(), status: 'succeeded', failed: 0, held: 0 },
    preview: { checkedAt: NOW.toISOString(), errors: 0, warnings: 2, ready: 3, held: 0, problem: null },
  };
  it('ranks a disconnected company over a failed sync over errors over held records over a reconnection due within 30 days over a quiet one', () => {
    const ranked = [
      { ...base, connection: 'disconnected' as const },
      { ...base, lastSync: { ...base.lastSync!, status: 'failed', failed: 2 } },
      { ...base, preview: { ...base.preview!, errors: 3 } },
      { ...base, preview: { ...base.preview!, held: 1 } },
      { ...base, reconnectBy: new Date(NOW.getTime() + 29 * day).toISOString() },
      base,
    ].map((r) => attentionOf(r, NOW));
    expect(ranked).toEqual([...ranked].sort((x, y) => y - x));
    expect(new Set(ranked).size).toBe(ranked.length);
    expect(attentionOf(base, NOW)).toBe(0);
  });
  it('a run that failed only because records were held counts as held, not as a failed sync', () => {
    expect(attentionOf({ ...base, lastSync: { ...base.lastSync!, status: 'failed', failed: 0, held: 2 } }, NOW)).toBe(300);
  });
});
