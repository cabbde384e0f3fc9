import { describe, expect, it } from 'vitest';
import { createEmulatorClock } from './clock.js';

describe('emulator clock', () => {
  it('runs N times faster, never jumps back on a scale change, and advances on request', () => {
    let real = 1_000;
    const clock = createEmulatorClock({ realNow: () => real, startMs: 0, scale: 10 });
    real += 100;
    expect(clock.nowMs()).toBe(1_000);
    clock.setScale(1);
    expect(clock.nowMs()).toBe(1_000);
    real += 100;
    expect(clock.nowMs()).toBe(1_100);
    clock.advance(60_000);
    expect(clock.nowMs()).toBe(61_100);
    expect(clock.realMs(60_000)).toBe(60_000);
    clock.setScale(20);
    expect(clock.realMs(60_000)).toBe(3_000);
  });

  it('refuses a non-positive scale and a backwards move', () => {
    const clock = createEmulatorClock();
    expect(() => clock.setScale(0)).toThrow(RangeError);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => createEmulatorClock({ scale: Number.NaN })).toThrow(RangeError);
  });
});
