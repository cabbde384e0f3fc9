/**
 * One budget per company per process (issue 14 §1): the "10 in flight" limit of ARCHITECTURE §7 is
 * held by the company, not by the client object. A preview and a sync of one company running at once
 * (and two previews) share it, so together they never have more than 10 requests in flight at QBO;
 * the emulator counts what it saw and refuses (429, counted as a concurrency throttle) the 11th.
 * Each request is held 40 ms at the emulator (armed latency), so requests sent together overlap; a
 * refusal says Retry-After: 0, so a client that overshoots retries at once and the test fails on the
 * count, not on a timeout.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KEY_FILE } from '../src/connect/connection/crypto.js';
import { qboClientFor } from '../src/connect/connection/qbo-client.js';
import { syncDepsFor } from '../src/connect/run/deps.js';
import { defaultLimits } from '../src/qbo/limiter.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/run/server.js';
import { connectedApp, type ConnectedApp } from './helpers/emulator-company.js';

describe('the per-company limiter is shared by every client of the company in the process', () => {
  let emu: RunningEmulator;
  let c: ConnectedApp;

  beforeAll(async () => {
    emu = await startEmulator({ preset: 'au' });
    emu.control.setLimits({ retryAfter: 0 });
    c = await connectedApp(emu);
  });
  afterAll(async () => {
    await c?.app.close();
    await emu?.close();
  });

  const stats = () => emu.control.stats(c.realmId).companies[0]!;

  /** `n` reads on each client at once; every one must succeed. */
  async function together(clients: { companyInfo(): Promise<unknown> }[], n: number): Promise<void> {
    const reads = clients.flatMap((client) => Array.from({ length: n }, () => client.companyInfo()));
    await Promise.all(reads);
  }

  it('a preview and a sync of one company at once never exceed the per-company concurrency', async () => {
    emu.control.resetStats();
    emu.control.armFaults({ latencyMs: 40, jitterMs: 0 });
    const before = stats().throttled.concurrency;
    const preview = qboClientFor(c.app.ctx, c.realmId);
    // The sync's own client (its request counter and crash point around fetch) must still queue behind the preview's.
    const sync = syncDepsFor(c.app.ctx, c.realmId, { env: {} }).client;
    await together([preview, sync], 2 * defaultLimits.concurrency);
    expect(stats().throttled.concurrency - before).toBe(0);
    expect(stats().maxInFlight).toBeLessThanOrEqual(defaultLimits.concurrency);
    expect(stats().maxInFlight).toBe(defaultLimits.concurrency); // the budget was used, not just respected
  });

  it('two previews of one company at once share one budget too', async () => {
    emu.control.armFaults({ latencyMs: 40, jitterMs: 0 });
    const before = stats().throttled.concurrency;
    await together([qboClientFor(c.app.ctx, c.realmId), qboClientFor(c.app.ctx, c.realmId)], 2 * defaultLimits.concurrency);
    expect(stats().throttled.concurrency - before).toBe(0);
  });

  it('reads the token key once per process, not per request', async () => {
    await qboClientFor(c.app.ctx, c.realmId).companyInfo(); // the key is loaded by now, whatever came before
    const reads = vi.spyOn(fs, 'readFileSync');
    try {
      for (let i = 0; i < 3; i++) {
        await qboClientFor(c.app.ctx, c.realmId).companyInfo();
        await syncDepsFor(c.app.ctx, c.realmId, { env: {} }).client.companyInfo();
      }
      expect(reads.mock.calls.filter(([file]) => String(file).endsWith(KEY_FILE))).toEqual([]);
    } finally {
      reads.mockRestore();
    }
  });
});
