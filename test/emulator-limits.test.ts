/** The emulator's per-company throttling over real HTTP: envelopes, both batch-metering models, time scale. */
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator, type StartEmulatorOptions } from '../src/emulator/run/server.js';
import { api, connect, type Tokens } from './helpers/emulator-connect.js';

let emu: RunningEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

async function setup(opts: StartEmulatorOptions = {}) {
  emu = await startEmulator({ preset: 'us', ...opts });
  const tokens = await connect(emu);
  return { e: emu, t: tokens, call: api(emu, tokens) };
}

const query = (call: ReturnType<typeof api>, q = 'select * from Term') => call(`query?query=${encodeURIComponent(q)}&minorversion=75`);

async function burst(n: number, one: () => Promise<Response>, parallel = 8): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i += parallel) {
    const chunk = await Promise.all(Array.from({ length: Math.min(parallel, n - i) }, one));
    for (const r of chunk) {
      statuses.push(r.status);
      await r.arrayBuffer();
    }
  }
  return statuses;
}

const batchOfQueries = (n: number) => JSON.stringify({ BatchItemRequest: Array.from({ length: n }, (_, i) => ({ bId: `b${i}`, Query: 'select * from Term' })) });

describe('emulator limits', () => {
  it('answers 429 ThrottleExceeded in JSON by default and in XML when Accept asks for it', async () => {
    const { e, call } = await setup();
    e.control.setLimits({ perMinute: 2 });
    expect((await query(call)).status).toBe(200);
    expect((await query(call)).status).toBe(200);

    const json = await query(call);
    expect(json.status).toBe(429);
    expect(json.headers.get('retry-after')).toBeNull();
    expect(json.headers.get('intuit_tid')).toBeTruthy();
    const body = (await json.json()) as { Fault: { Error: Record<string, string>[]; type: string }; time: string };
    expect(body.Fault.type).toBe('SERVICE');
    expect(body.Fault.Error[0]).toEqual({
      Message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429',
      Detail: 'The request limit was reached.  Try again later',
      code: '3001',
    });
    expect(typeof body.time).toBe('string');

    const xml = await call(`query?query=${encodeURIComponent('select * from Term')}`, { headers: { Accept: 'application/xml' } });
    expect(xml.status).toBe(429);
    expect(xml.headers.get('content-type')).toContain('application/xml');
    const text = await xml.text();
    expect(text).toMatch(/<IntuitResponse xmlns="http:\/\/schema.intuit.com\/finance\/v3" time="[^"]+">/);
    expect(text).toContain('<Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>');

    e.control.setLimits({ retryAfter: 7, throttleFormat: 'xml' });
    const withRetry = await query(call);
    expect(withRetry.headers.get('retry-after')).toBe('7');
    expect(await withRetry.text()).toContain('<IntuitResponse');
    expect(e.control.stats(e.control.companies()[0]!.realmId).companies[0]).toMatchObject({ sent429: 3, throttled: { rate: 3 } });

    // 'auto': seconds until the minute has room again.
    e.control.setLimits({ retryAfter: 'auto', throttleFormat: 'auto' });
    const auto = Number((await query(call)).headers.get('retry-after'));
    expect(Number.isInteger(auto)).toBe(true);
    expect(auto).toBeGreaterThanOrEqual(1);
    expect(auto).toBeLessThanOrEqual(60);
  });

  it('serves at most 500 requests a minute per company and keeps other companies apart', async () => {
    const { e, call } = await setup();
    const statuses = await burst(520, () => query(call));
    expect(statuses.filter((s) => s === 200)).toHaveLength(500);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
    const realmId = e.control.companies()[0]!.realmId;
    const stats = e.control.stats(realmId).companies[0]!;
    expect(stats.maxPerMinute).toBe(500);
    expect(stats.requests.query).toBe(500);

    const other = e.control.seedCompany({ preset: 'au' });
    const t2 = await connect(e, other.realmId);
    expect((await query(api(e, t2))).status).toBe(200);
  });

  it('never has more than 10 requests in flight for a company', async () => {
    const { e, call } = await setup();
    // Latency keeps every admitted request in flight while the rest arrive.
    e.control.armFaults({ latencyMs: 1500 });
    const results = await Promise.all(Array.from({ length: 25 }, () => query(call)));
    const ok = results.filter((r) => r.status === 200).length;
    const throttled = results.filter((r) => r.status === 429).length;
    expect(ok + throttled).toBe(25);
    expect(ok).toBeGreaterThanOrEqual(1);
    expect(ok).toBeLessThanOrEqual(10);
    const stats = e.control.stats().companies[0]!;
    expect(stats.maxInFlight).toBeLessThanOrEqual(10);
    expect(stats.throttled.concurrency).toBe(throttled);
    expect(stats.inFlight).toBe(0);
  });

  it('counts a batch once under request metering (the default), 40 batches a minute', async () => {
    const { e, call } = await setup();
    const statuses = await burst(42, () => call('batch', { method: 'POST', body: batchOfQueries(30) }), 4);
    expect(statuses.filter((s) => s === 200)).toHaveLength(40);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
    const stats = e.control.stats().companies[0]!;
    expect(stats.throttled['batch-rate']).toBe(2);
    expect(stats.batchItems).toBe(1200);
    // 40 batches used 40 of the 500: plain requests still pass.
    expect((await query(call)).status).toBe(200);
  });

  it('counts each operation of a batch toward the 500 under item metering', async () => {
    const { e, call } = await setup({ batchMetering: 'item' });
    const statuses = await burst(17, () => call('batch', { method: 'POST', body: batchOfQueries(30) }), 1);
    // 16 × 30 = 480 operations; a 17th batch of 30 would make 510.
    expect(statuses.slice(0, 16).every((s) => s === 200)).toBe(true);
    expect(statuses[16]).toBe(429);
    const singles = await burst(25, () => query(call), 5);
    expect(singles.filter((s) => s === 200)).toHaveLength(20);
    expect(e.control.stats().companies[0]!.maxPerMinute).toBe(500);
  });

  it('lets everything through with --limits off', async () => {
    const { e, call } = await setup({ limits: 'off' });
    const statuses = await burst(530, () => query(call), 10);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(e.control.stats().companies[0]!.sent429).toBe(0);
  });

  it('runs an emulated minute in 60/N seconds, for limits and token lifetimes', async () => {
    const { e, call, t } = await setup({ timeScale: 30 });
    e.control.setLimits({ perMinute: 5 });
    const first = await burst(6, () => query(call), 1);
    expect(first.slice(0, 5).every((s) => s === 200)).toBe(true);
    expect(first[5]).toBe(429);
    // One emulated minute is two real seconds here.
    await new Promise((r) => setTimeout(r, 2200));
    expect((await query(call)).status).toBe(200);

    // The access token's hour would last 120 real seconds at ×30; a 1-minute token lasts two.
    e.control.setTokenLifetimes({ accessSeconds: 60 });
    const { access_token } = (await (
      await fetch(e.urls.token, {
        method: 'POST',
        headers: { Authorization: `Basic ${Buffer.from('qbo-connect-demo:qbo-connect-demo-secret').toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: t.refresh_token }),
      })
    ).json()) as Tokens;
    const short = api(e, { realmId: t.realmId, access_token });
    expect((await short(`companyinfo/${t.realmId}`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2200));
    expect((await short(`companyinfo/${t.realmId}`)).status).toBe(401);
  });
});
