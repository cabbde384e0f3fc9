import { describe, expect, it } from 'vitest';
import type { PlanRow } from '../plan/types.js';
import { inParallel, writeWaves } from './execute.js';

/** Only what writeWaves reads: the key and the dependencies. */
const row = (key: string, dependsOn: string[] = []) => ({ key, dependsOn }) as unknown as PlanRow;
const keys = (waves: PlanRow[][]) => waves.map((w) => w.map((r) => r.key));

describe('writeWaves', () => {
  it('puts a row one wave after the latest row of its own list it depends on, keeping input order', () => {
    const rows = [row('items:c', ['items:b']), row('items:a'), row('items:b', ['items:a', 'customers:x']), row('items:d')];
    // customers:x is another group's row (written before this group): it does not hold items:b back.
    expect(keys(writeWaves(rows))).toEqual([['items:a', 'items:d'], ['items:b'], ['items:c']]);
  });

  it('keeps every row once, even in a dependency cycle', () => {
    const rows = [row('a', ['b']), row('b', ['a']), row('c')];
    expect(
      writeWaves(rows)
        .flat()
        .map((r) => r.key)
        .sort(),
    ).toEqual(['a', 'b', 'c']);
  });
});

describe('inParallel', () => {
  it('runs the workers together and, after a failure, starts no new work but lets running work finish', async () => {
    const queue = Array.from({ length: 20 }, (_, i) => i);
    const started: number[] = [];
    const finished: number[] = [];
    let running = 0;
    let most = 0;
    const err = new Error('crash');
    await expect(
      inParallel(3, async (stopped) => {
        while (queue.length && !stopped()) {
          const n = queue.shift()!;
          started.push(n);
          running++;
          most = Math.max(most, running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
          if (n === 4) throw err;
          finished.push(n);
        }
      }),
    ).rejects.toBe(err);
    expect(most).toBe(3);
    // Everything started, except the failed one, finished; the rest of the queue never started.
    expect(finished.sort((a, b) => a - b)).toEqual(started.filter((n) => n !== 4).sort((a, b) => a - b));
    expect(started.length).toBeLessThan(20);
    expect(queue.length).toBe(20 - started.length);
  });
});
