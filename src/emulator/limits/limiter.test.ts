import { describe, expect, it } from 'vitest';
import { createEmulatorClock } from '../run/clock.js';
import { createLimiter } from './limiter.js';

function setup(patch = {}) {
  let real = 1_000_000;
  const clock = createEmulatorClock({ realNow: () => real, startMs: 0 });
  const limiter = createLimiter(clock, patch);
  return { limiter, clock, tick: (ms: number) => (real += ms) };
}

describe('limiter', () => {
  it('refuses the 501st request in a minute and admits again once the window slides', () => {
    const { limiter, tick } = setup();
    for (let i = 0; i < 500; i++) {
      const a = limiter.admit('1', 'read', 1);
      expect(a.ok).toBe(true);
      if (a.ok) a.release();
      tick(100); // 500 requests over 50 s
    }
    const refused = limiter.admit('1', 'read', 1);
    expect(refused).toMatchObject({ ok: false, reason: 'rate' });
    // The first request was at t=0; at t=60 000 it has left the window.
    tick(10_000);
    expect(limiter.admit('1', 'read', 1).ok).toBe(true);
    expect(limiter.stats('1')[0]).toMatchObject({ sent429: 1, maxPerMinute: 500 });
  });

  it('never lets an 11th request be in flight, and counts the highest concurrency', () => {
    const { limiter } = setup();
    const held = Array.from({ length: 10 }, () => limiter.admit('1', 'write', 1));
    expect(held.every((a) => a.ok)).toBe(true);
    expect(limiter.admit('1', 'write', 1)).toMatchObject({ ok: false, reason: 'concurrency' });
    // Another company has its own budget.
    expect(limiter.admit('2', 'write', 1).ok).toBe(true);
    for (const a of held) if (a.ok) a.release();
    expect(limiter.admit('1', 'write', 1).ok).toBe(true);
    expect(limiter.stats('1')[0]!.maxInFlight).toBe(10);
  });

  it('allows 40 batches a minute', () => {
    const { limiter } = setup();
    for (let i = 0; i < 40; i++) {
      const a = limiter.admit('1', 'batch', 30);
      expect(a.ok).toBe(true);
      if (a.ok) a.release();
    }
    expect(limiter.admit('1', 'batch', 1)).toMatchObject({ ok: false, reason: 'batch-rate' });
    expect(limiter.admit('1', 'query', 1).ok).toBe(true);
  });

  it('meters a batch once under request metering and per operation under item metering', () => {
    const req = setup({ batchMetering: 'request' });
    const item = setup({ batchMetering: 'item' });
    for (const { limiter } of [req, item]) {
      for (let i = 0; i < 16; i++) {
        const a = limiter.admit('1', 'batch', 30);
        if (a.ok) a.release();
      }
    }
    // 16 batches of 30: 16 units vs 480 units; a 17th batch of 30 would pass 500 only under item.
    expect(req.limiter.admit('1', 'batch', 30).ok).toBe(true);
    expect(item.limiter.admit('1', 'batch', 30)).toMatchObject({ ok: false, reason: 'rate' });
    expect(item.limiter.admit('1', 'read', 1).ok).toBe(true);
  });

  it('admits everything when limits are off, still counting', () => {
    const { limiter } = setup({ enabled: false });
    for (let i = 0; i < 700; i++) limiter.admit('1', 'read', 1);
    expect(limiter.stats('1')[0]).toMatchObject({ sent429: 0, maxInFlight: 700 });
  });

  it('runs an emulated minute in 60/N seconds under a time scale', () => {
    const { limiter, clock, tick } = setup();
    clock.setScale(20);
    for (let i = 0; i < 500; i++) {
      const a = limiter.admit('1', 'read', 1);
      if (a.ok) a.release();
    }
    expect(limiter.admit('1', 'read', 1).ok).toBe(false);
    tick(3_001); // 3 real seconds = one emulated minute at ×20
    expect(limiter.admit('1', 'read', 1).ok).toBe(true);
  });
});
