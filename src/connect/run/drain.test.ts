import { describe, expect, it } from 'vitest';
import { isUserFacing } from '../../user-facing-error.js';
import { Drain } from './drain.js';

const at = new Date('2026-11-26T02:00:00.000Z');

describe('drain', () => {
  it('refuses new work with 503 run.draining only once begun, naming the signal', () => {
    const d = new Drain();
    expect(() => d.refuseIfDraining()).not.toThrow();
    d.begin('SIGTERM', at);
    d.begin('SIGINT', new Date(at.getTime() + 1000));
    expect(d.state).toEqual({ signal: 'SIGTERM', since: at.toISOString() });
    let err: unknown;
    try {
      d.refuseIfDraining();
    } catch (e) {
      err = e;
    }
    expect(isUserFacing(err) && err.status).toBe(503);
    expect(isUserFacing(err) && err.code).toBe('run.draining');
    expect((err as Error).message).toContain('shutting down (SIGTERM)');
  });

  it('waits for the runs it tracks, a failed one too; names those still going at the timeout', async () => {
    const d = new Drain();
    let finish!: () => void;
    d.track('run-a', new Promise<void>((r) => (finish = r)));
    d.track('run-b', Promise.reject(new Error('stopped')));
    await Promise.resolve();
    expect(await d.settled(20)).toEqual({ settled: false, left: ['run-a'] });
    finish();
    expect(await d.settled(1_000)).toEqual({ settled: true, left: [] });
    expect(d.running()).toEqual([]);
  });
});
