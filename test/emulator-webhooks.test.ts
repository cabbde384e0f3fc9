/**
 * The emulator's outgoing webhooks (src/emulator/webhooks/sender.ts): configured through the control
 * surface, it POSTs Intuit's payload for a company's changes, batched per company, signed with the
 * verifier token; it can forge the signature, send duplicates, use the CloudEvents format, and it
 * retries a delivery the receiver did not accept.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/emulator/run/server.js';
import { api, connect } from './helpers/emulator-connect.js';

const VERIFIER = 'emulator-verifier-token-1';
const CONTROL = 'control-token-for-webhooks-test';

interface Received {
  body: string;
  signature: string | undefined;
}

describe('emulator webhooks', () => {
  let emu: RunningEmulator;
  let receiver: http.Server;
  let url: string;
  const received: Received[] = [];
  let answer = 200;
  let call: ReturnType<typeof api>;

  beforeAll(async () => {
    emu = await startEmulator({ preset: 'au', limits: 'off', control: true, controlToken: CONTROL, timeScale: 1000 });
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: req.headers['intuit-signature'] as string | undefined });
        res.statusCode = answer;
        res.end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/intuit`;
    call = api(emu, await connect(emu));
  });
  afterAll(async () => {
    await emu?.close();
    await new Promise((r) => receiver?.close(r));
  });
  afterEach(() => {
    received.length = 0;
    answer = 200;
    emu.control.setWebhooks({ forge: false, duplicate: false, format: 'legacy' });
  });

  const sign = (body: string) => crypto.createHmac('sha256', VERIFIER).update(body).digest('base64');
  const realmId = () => emu.control.companies()[0]!.realmId;
  const newCustomer = async (name: string) => {
    const res = await call('customer', { method: 'POST', body: JSON.stringify({ DisplayName: name }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { Customer: { Id: string; SyncToken: string } }).Customer;
  };

  it('is configured over the control surface, which never shows the token back', async () => {
    const put = await fetch(`${emu.urls.control}/webhooks`, {
      method: 'PUT',
      headers: { 'x-control-token': CONTROL, 'content-type': 'application/json' },
      body: JSON.stringify({ url, verifierToken: VERIFIER, delayMs: 1500 }),
    });
    expect(put.status).toBe(200);
    const text = await put.text();
    expect(text).not.toContain(VERIFIER);
    expect(JSON.parse(text)).toMatchObject({ url, verifierToken: 'set', delayMs: 1500, format: 'legacy' });
    const bad = await fetch(`${emu.urls.control}/webhooks`, {
      method: 'PUT',
      headers: { 'x-control-token': CONTROL, 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'ftp://x' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/^url:/);
  });

  it('sends one signed legacy notification per company for a burst of changes, after the delay', async () => {
    const a = await newCustomer('Webhook One');
    const b = await newCustomer('Webhook Two');
    await call('customer', { method: 'POST', body: JSON.stringify({ Id: a.Id, SyncToken: a.SyncToken, sparse: true, CompanyName: 'Edited' }) });
    // One notification for the three writes, after the delay (1.5 s: wide enough for a loaded machine).
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(1);
    const [r] = received;
    expect(r!.signature).toBe(sign(r!.body));
    const body = JSON.parse(r!.body) as {
      eventNotifications: Array<{ realmId: string; dataChangeEvent: { entities: Array<{ name: string; id: string; operation: string; lastUpdated: string }> } }>;
    };
    expect(body.eventNotifications).toHaveLength(1);
    expect(body.eventNotifications[0]!.realmId).toBe(realmId());
    const entities = body.eventNotifications[0]!.dataChangeEvent.entities.map((e) => `${e.name} ${e.id} ${e.operation}`).sort();
    // One entry per record, its latest operation.
    expect(entities).toEqual([`Customer ${a.Id} Update`, `Customer ${b.Id} Create`].sort());
    expect(emu.control.webhooks().deliveries.at(-1)).toMatchObject({ status: 200, entities: 2, forged: false });
  });

  it('forges the signature when told to', async () => {
    emu.control.setWebhooks({ forge: true });
    await newCustomer('Webhook Forged');
    await emu.control.flushWebhooks();
    expect(received).toHaveLength(1);
    expect(received[0]!.signature).not.toBe(sign(received[0]!.body));
    expect(received[0]!.signature).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  it('sends each notification twice when told to, and the CloudEvents format when asked', async () => {
    emu.control.setWebhooks({ duplicate: true, format: 'cloudevents' });
    const c = await newCustomer('Webhook Twice');
    await emu.control.flushWebhooks();
    expect(received).toHaveLength(2);
    expect(received[0]!.body).toBe(received[1]!.body);
    const events = JSON.parse(received[0]!.body) as Array<Record<string, unknown>>;
    expect(events).toEqual([expect.objectContaining({ specversion: '1.0', type: 'qbo.customer.created.v1', intuitentityid: c.Id, intuitaccountid: realmId() })]);
    expect(received[0]!.signature).toBe(sign(received[0]!.body));
  });

  it('notifies only companies an app is connected to, as Intuit does', async () => {
    const other = emu.control.seedCompany({ preset: 'au', name: 'Nobody connected' });
    // Seeding wrote through the core, not the API: a write through the API is what notifies; the
    // sender is poked for the other company directly, as a write to it would.
    emu.webhooks.poke(other.realmId);
    await newCustomer('Webhook Connected');
    await emu.control.flushWebhooks();
    expect(received.map((r) => (JSON.parse(r.body) as { eventNotifications: Array<{ realmId: string }> }).eventNotifications[0]!.realmId)).toEqual([realmId()]);
  });

  it('retries a delivery the receiver refused, like Intuit', async () => {
    answer = 500;
    await newCustomer('Webhook Retried');
    await emu.control.flushWebhooks();
    answer = 200;
    // The first retry is 10 emulated seconds later: 10 ms at time scale 1000.
    await expect.poll(() => received.length, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    expect(received[1]!.body).toBe(received[0]!.body);
    expect(
      emu.control
        .webhooks()
        .deliveries.slice(-2)
        .map((d) => [d.status, d.attempt]),
    ).toEqual([
      [500, 1],
      [200, 2],
    ]);
  });
});
