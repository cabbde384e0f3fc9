import { describe, expect, it } from 'vitest';
import { clockFrom } from './clock.js';
import { loadConfig } from './config.js';

describe('the product clock (QBO_CONNECT_CLOCK_START)', () => {
  it('is real time when unset', () => {
    let real = 1_000;
    expect(clockFrom(undefined, () => real)().getTime()).toBe(1_000);
    real = 2_000;
    expect(clockFrom(undefined, () => real)().getTime()).toBe(2_000);
  });

  it('reads the instant when the process builds it, then runs at real speed', () => {
    let real = 5_000_000;
    const clock = clockFrom('2028-02-29T23:30:00Z', () => real);
    expect(clock().toISOString()).toBe('2028-02-29T23:30:00.000Z');
    real += 60_000;
    expect(clock().toISOString()).toBe('2028-02-29T23:31:00.000Z');
  });

  it('with @anchor, every process shares one timeline: one built later reads later', () => {
    const anchor = 7_000_000;
    expect(clockFrom(`2026-11-26T02:00:00Z@${anchor}`, () => anchor + 90_000)().toISOString()).toBe('2026-11-26T02:01:30.000Z');
  });

  it('is checked at start-up, naming the variable', () => {
    expect(loadConfig({ QBO_CONNECT_CLOCK_START: '2026-11-26T02:00:00Z@1764122400000' }).clockStart).toBe('2026-11-26T02:00:00Z@1764122400000');
    expect(() => loadConfig({ QBO_CONNECT_CLOCK_START: 'tomorrow' })).toThrow(/^QBO_CONNECT_CLOCK_START=tomorrow: must be a UTC instant/);
    expect(() => loadConfig({ QBO_CONNECT_CLOCK_START: '2026-11-26T02:00:00+13:00' })).toThrow(/QBO_CONNECT_CLOCK_START/);
  });
});
