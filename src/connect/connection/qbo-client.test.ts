import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { timeScaledOptions } from './qbo-client.js';

describe('timeScaledOptions', () => {
  it('leaves the client at real time unless an emulator runs faster', () => {
    expect(timeScaledOptions(loadConfig({ QBO_ENV: 'emulator' }))).toEqual({});
    // Intuit's sandbox and production are never sped up, whatever the variable says.
    expect(timeScaledOptions(loadConfig({ QBO_ENV: 'sandbox', QBO_EMULATOR_TIME_SCALE: '20', QBO_CLIENT_ID: 'x', QBO_CLIENT_SECRET: 'y' }))).toEqual({});
  });

  it('shrinks the rate window, the 429 pause, the backoff and the timeout by the emulator time scale', () => {
    const o = timeScaledOptions(loadConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_TIME_SCALE: '20' }));
    // The window is QBO's minute plus its 2 s margin (62 s), shrunk alike.
    expect(o.limits).toEqual({ intervalMs: 3_100 });
    expect(o.retry).toEqual({ throttleWaitMs: 3_000, baseMs: 25, capMs: 1_500 });
    expect(o.timeoutMs).toBe(3_000);
    // The timeout keeps a floor, so a busy machine does not turn slow answers into timeouts.
    expect(timeScaledOptions(loadConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_TIME_SCALE: '600' })).timeoutMs).toBe(2_000);
  });

  it('refuses a time scale that is not a number from 1 to 1000, naming the variable', () => {
    expect(() => loadConfig({ QBO_EMULATOR_TIME_SCALE: 'fast' })).toThrow(/QBO_EMULATOR_TIME_SCALE=fast: must be a number from 1 to 1000/);
    expect(() => loadConfig({ QBO_EMULATOR_TIME_SCALE: '0.5' })).toThrow(/QBO_EMULATOR_TIME_SCALE/);
  });

  it('reads QBO_BATCH_METERING, item unless set, and refuses anything else naming the variable', () => {
    expect(loadConfig({}).batchMetering).toBe('item');
    expect(loadConfig({ QBO_BATCH_METERING: 'request' }).batchMetering).toBe('request');
    expect(() => loadConfig({ QBO_BATCH_METERING: 'batch' })).toThrow(/QBO_BATCH_METERING=batch: must be request or item/);
  });
});
