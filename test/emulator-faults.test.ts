/** Armed faults over real HTTP: latency, 429/500/503, hang, commit-then-drop, commit-then-500; seeded replay. */
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/emulator/run/server.js';
import { api, connect, tokenRequest } from './helpers/emulator-connect.js';

let emu: RunningEmulator | undefined;
afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

async function setup() {
  emu = await startEmulator({ preset: 'us', seed: 7 });
  const tokens = await connect(emu);
  return { e: emu, t: tokens, call: api(emu, tokens) };
}

const createCustomer = (call: ReturnType<typeof api>, name: string, requestid?: string) =>
  call(`customer?minorversion=75${requestid ? `&requestid=${requestid}` : ''}`, { method: 'POST', body: JSON.stringify({ DisplayName: name }) });

async function customersNamed(call: ReturnType<typeof api>, name: string): Promise<{ Id: string }[]> {
  const r = await call(`query?query=${encodeURIComponent(`select * from Customer where DisplayName = '${name}'`)}`);
  const body = (await r.json()) as { QueryResponse: { Customer?: { Id: string }[] } };
  return body.QueryResponse.Customer ?? [];
}

describe('emulator faults', () => {
  it('adds latency of at least the armed amount', async () => {
    const { e, t, call } = await setup();
    e.control.armFaults({ latencyMs: 120, jitterMs: 30 });
    const started = Date.now();
    const r = await call(`companyinfo/${t.realmId}`);
    expect(r.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(120);
  });

  it('answers 429, 500 and 503 before storing anything', async () => {
    const { e, call } = await setup();
    e.control.armFaults({ next: ['429', '500', '503'], retryAfterSeconds: 3 });
    const r429 = await createCustomer(call, 'Fault A');
    expect(r429.status).toBe(429);
    expect(r429.headers.get('retry-after')).toBe('3');
    expect(((await r429.json()) as { Fault: { Error: { code: string }[] } }).Fault.Error[0]!.code).toBe('3001');
    const r500 = await createCustomer(call, 'Fault B');
    expect(r500.status).toBe(500);
    expect(((await r500.json()) as { fault: { error: { message: string }[] } }).fault.error[0]!.message).toContain('InternalServerError');
    const r503 = await createCustomer(call, 'Fault C');
    expect(r503.status).toBe(503);
    for (const name of ['Fault A', 'Fault B', 'Fault C']) expect(await customersNamed(call, name)).toHaveLength(0);
    const stats = e.control.stats().companies[0]!;
    expect(stats.faults).toEqual({ '429': 1, '500': 1, '503': 1 });
    expect(stats.sent429).toBe(1);
  });

  it('replays the same fault sequence from the same seed', async () => {
    const { e, t, call } = await setup();
    const run = async () => {
      e.control.armFaults({ seed: 99, rates: { '429': 0.3, '500': 0.2, '503': 0.1 } });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await call(`companyinfo/${t.realmId}`)).status);
      return statuses;
    };
    const first = await run();
    expect(new Set(first)).toEqual(new Set([200, 429, 500, 503]));
    expect(await run()).toEqual(first);
  });

  it('hangs until the client gives up, and frees the slot then', async () => {
    const { e, t, call } = await setup();
    e.control.armFaults({ next: ['hang'] });
    await expect(call(`companyinfo/${t.realmId}`, { signal: AbortSignal.timeout(300) })).rejects.toThrow();
    // The server notices the closed socket on its own schedule; poll instead of timing it.
    for (let i = 0; i < 50 && e.control.stats().companies[0]!.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(e.control.stats().companies[0]).toMatchObject({ inFlight: 0, faults: { hang: 1 } });
    expect((await call(`companyinfo/${t.realmId}`)).status).toBe(200);
  });

  it('commit-then-drop stores the write, destroys the socket, and a retry with the requestid replays it', async () => {
    const { e, call } = await setup();
    e.control.armFaults({ next: ['commit-then-drop'] });
    await expect(createCustomer(call, 'Dropped Reply', 'req-drop-1')).rejects.toThrow();
    const stored = await customersNamed(call, 'Dropped Reply');
    expect(stored).toHaveLength(1);
    const retry = await createCustomer(call, 'Dropped Reply', 'req-drop-1');
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { Customer: { Id: string } }).Customer.Id).toBe(stored[0]!.Id);
    expect(await customersNamed(call, 'Dropped Reply')).toHaveLength(1);
    // Without requestid memory the retry is a new create: here a duplicate name (6240).
    e.control.setRequestIdMemory(0);
    e.control.armFaults({ next: ['commit-then-drop'] });
    await expect(createCustomer(call, 'Dropped Twice', 'req-drop-2')).rejects.toThrow();
    const again = await createCustomer(call, 'Dropped Twice', 'req-drop-2');
    expect(again.status).toBe(400);
    expect(JSON.stringify(await again.json())).toContain('"6240"');
  });

  it('commit-then-500 stores the write and answers 500', async () => {
    const { e, call } = await setup();
    e.control.armFaults({ next: ['commit-then-500'] });
    const r = await createCustomer(call, 'Stored Anyway');
    expect(r.status).toBe(500);
    expect(await customersNamed(call, 'Stored Anyway')).toHaveLength(1);
  });

  it('aims faults at writes only when asked', async () => {
    const { e, t, call } = await setup();
    e.control.armFaults({ rates: { '503': 1 }, appliesTo: 'writes' });
    expect((await call(`companyinfo/${t.realmId}`)).status).toBe(200);
    // A query sent by POST is still a read.
    expect((await call('query', { method: 'POST', headers: { 'Content-Type': 'application/text' }, body: 'select * from Term' })).status).toBe(200);
    expect((await createCustomer(call, 'Never')).status).toBe(503);
    e.control.clearFaults();
    expect((await createCustomer(call, 'Now')).status).toBe(200);
  });

  it('drops a refresh reply after rotating (token endpoint commit-then-drop); the old token then works only within the grace', async () => {
    const { e, t } = await setup();
    e.control.setTokenLifetimes({ refreshGraceSeconds: 30 });
    e.control.armFaults({ tokenNext: ['commit-then-drop', '503'] });
    await expect(tokenRequest(e, { grant_type: 'refresh_token', refresh_token: t.refresh_token })).rejects.toThrow();
    const unavailable = await tokenRequest(e, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
    expect(unavailable.status).toBe(503);
    // The rotation happened: the token the client still holds is now the previous one.
    const inGrace = await tokenRequest(e, { grant_type: 'refresh_token', refresh_token: t.refresh_token });
    expect(inGrace.status).toBe(200);
    e.control.advanceClock({ seconds: 31 });
    expect(await (await tokenRequest(e, { grant_type: 'refresh_token', refresh_token: t.refresh_token })).json()).toMatchObject({ error: 'invalid_grant' });
    expect(e.control.stats().tokenEndpoint).toMatchObject({ faults: { 'commit-then-drop': 1, '503': 1 } });
  });
});
