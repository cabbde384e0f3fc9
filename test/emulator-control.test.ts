/** The /control surface over HTTP (off unless enabled), and persistence across a restart with a data file. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/emulator/run/server.js';
import { api, connect } from './helpers/emulator-connect.js';

const running: RunningEmulator[] = [];
afterEach(async () => {
  for (const e of running.splice(0)) await e.close();
});
const start = async (opts: Parameters<typeof startEmulator>[0]) => {
  const e = await startEmulator({ controlToken: TOKEN, ...opts });
  running.push(e);
  return e;
};

/** Control writes carry the emulator's control token (issue 12 §5); `start` fixes it for these tests. */
const TOKEN = 'control-token-for-tests';
const json = (method: string, body?: unknown): RequestInit => ({
  method,
  headers: { 'Content-Type': 'application/json', 'X-Control-Token': TOKEN },
  body: body === undefined ? undefined : JSON.stringify(body),
});

describe('emulator control surface', () => {
  it('is off unless enabled', async () => {
    const e = await start({ preset: 'au' });
    expect(e.urls.control).toBeUndefined();
    for (const p of ['/control', '/control/stats', '/control/companies']) expect((await fetch(e.url + p)).status).toBe(404);
    expect((await fetch(`${e.url}/control/reset`, json('POST', {}))).status).toBe(404);
    expect(e.control.companies()).toHaveLength(1);
  });

  it('seeds, lists, dumps, limits, faults, clock, consent, tokens, stats and reset as JSON', async () => {
    const e = await start({ preset: 'au', control: true });
    const c = e.urls.control!;
    const seeded = await fetch(`${c}/companies`, json('POST', { preset: 'uk', name: 'Thames Ltd' }));
    expect(seeded.status).toBe(201);
    const uk = (await seeded.json()) as { realmId: string; region: string };
    expect(uk.region).toBe('UK');
    const list = (await (await fetch(`${c}/companies`)).json()) as { companies: { realmId: string }[] };
    expect(list.companies).toHaveLength(2);

    const dump = (await (await fetch(`${c}/companies/${list.companies[0]!.realmId}/dump`)).json()) as { entities: Record<string, { Name?: string; AccountSubType?: string }[]> };
    expect(dump.entities.TaxCode!.map((t) => t.Name)).toEqual(expect.arrayContaining(['GST', 'GST free', 'Input taxed']));
    expect(dump.entities.Account!.map((a) => a.AccountSubType)).toEqual(
      expect.arrayContaining(['Checking', 'AccountsReceivable', 'AccountsPayable', 'UndepositedFunds', 'ServiceFeeIncome', 'OfficeGeneralAdministrativeExpenses']),
    );
    expect(dump.entities.Item!.map((i) => i.Name)).toContain('Services');
    expect(dump.entities.PaymentMethod!.length).toBeGreaterThan(0);
    expect(dump.entities.Term!.length).toBeGreaterThan(0);
    expect((await fetch(`${c}/companies/nope/dump`)).status).toBe(404);

    const limits = (await (await fetch(`${c}/limits`, json('PUT', { perMinute: 100, batchMetering: 'item' }))).json()) as Record<string, unknown>;
    expect(limits).toMatchObject({ perMinute: 100, batchMetering: 'item', concurrent: 10 });
    const bad = await fetch(`${c}/limits`, json('PUT', { perMinute: -1 }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('perMinute');
    expect((await fetch(`${c}/limits`, json('PUT', { bogus: 1 }))).status).toBe(400);

    const faults = (await (await fetch(`${c}/faults`, json('PUT', { rates: { '500': 0.5 }, seed: 3 }))).json()) as Record<string, unknown>;
    expect(faults).toMatchObject({ seed: 3, rates: { '500': 0.5 } });
    expect(((await (await fetch(`${c}/faults`, json('DELETE'))).json()) as { rates: object }).rates).toEqual({});

    const before = Date.parse(((await (await fetch(`${c}/stats`)).json()) as { now: string }).now);
    const adv = (await (await fetch(`${c}/clock/advance`, json('POST', { seconds: 3600 }))).json()) as { now: string };
    expect(Date.parse(adv.now) - before).toBeGreaterThanOrEqual(3600_000);
    expect(((await (await fetch(`${c}/time-scale`, json('PUT', { scale: 20 }))).json()) as { timeScale: number }).timeScale).toBe(20);
    expect((await fetch(`${c}/time-scale`, json('PUT', { scale: 0 }))).status).toBe(400);

    expect(((await (await fetch(`${c}/auto-consent`, json('PUT', { enabled: true }))).json()) as { enabled: boolean }).enabled).toBe(true);
    expect(e.control.autoConsent()).toBe(true);
    expect(((await (await fetch(`${c}/tokens/lifetimes`, json('PUT', { accessSeconds: 5 }))).json()) as { accessSeconds: number }).accessSeconds).toBe(5);
    expect(((await (await fetch(`${c}/requestid-memory`, json('PUT', { size: 0 }))).json()) as { size: number }).size).toBe(0);

    const t = await connect(e, uk.realmId);
    expect((await api(e, t)(`companyinfo/${t.realmId}`)).status).toBe(200);
    const expired = (await (await fetch(`${c}/tokens/expire`, json('POST', { realmId: uk.realmId }))).json()) as { expired: number };
    expect(expired.expired).toBe(1);
    expect((await api(e, t)(`companyinfo/${t.realmId}`)).status).toBe(401);

    const stats = (await (await fetch(`${c}/stats?realmId=${uk.realmId}`)).json()) as { companies: { requests: { read: number } }[] };
    expect(stats.companies[0]!.requests.read).toBe(1);

    const reset = (await (await fetch(`${c}/reset`, json('POST', { preset: 'ca' }))).json()) as { companies: { region: string }[] };
    expect(reset.companies.map((x) => x.region)).toEqual(['CA']);
    expect((await fetch(`${c}/companies`, json('POST', { preset: 'xx' }))).status).toBe(400);
  });
});

describe('emulator control of company state', () => {
  it('closes the books through preferences and locks a deposited payment', async () => {
    const e = await start({ preset: 'us', control: true });
    const realmId = e.control.companies()[0]!.realmId;
    const t = await connect(e);
    const call = api(e, t);
    const c = e.urls.control!;

    const prefs = await fetch(`${c}/companies/${realmId}/preferences`, json('PUT', { AccountingInfoPrefs: { BookCloseDate: '2026-01-31' } }));
    expect(prefs.status).toBe(200);
    const customer = ((await (await call('customer', { method: 'POST', body: JSON.stringify({ DisplayName: 'Closed Books Co' }) })).json()) as { Customer: { Id: string } })
      .Customer;
    const closed = await call('payment', { method: 'POST', body: JSON.stringify({ CustomerRef: { value: customer.Id }, TotalAmt: 10, TxnDate: '2026-01-15' }) });
    expect(closed.status).toBe(400);
    expect(JSON.stringify(await closed.json())).toContain('"6210"');

    const paid = await call('payment', { method: 'POST', body: JSON.stringify({ CustomerRef: { value: customer.Id }, TotalAmt: 10, TxnDate: '2026-02-15' }) });
    expect(paid.status).toBe(200);
    const payment = ((await paid.json()) as { Payment: { Id: string; SyncToken: string } }).Payment;
    const dep = await fetch(`${c}/companies/${realmId}/deposited`, json('POST', { entity: 'Payment', id: payment.Id }));
    expect(await dep.json()).toEqual({ deposited: true });
    const edit = await call('payment', { method: 'POST', body: JSON.stringify({ Id: payment.Id, SyncToken: payment.SyncToken, sparse: true, PrivateNote: 'too late' }) });
    expect(edit.status).toBe(400);
    expect(JSON.stringify(await edit.json())).toContain('"6540"');

    const missing = await fetch(`${c}/companies/${realmId}/deposited`, json('POST', { entity: 'Payment', id: '99999' }));
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toBeTruthy();
  });
});

describe('emulator persistence', () => {
  it('keeps companies, records and connections across a restart with a data file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-emu-'));
    const dataFile = path.join(dir, 'emu.db');
    const first = await start({ preset: 'au', dataFile });
    const t = await connect(first);
    const created = await api(first, t)('customer', { method: 'POST', body: JSON.stringify({ DisplayName: 'Survivor Pty Ltd' }) });
    expect(created.status).toBe(200);
    const id = ((await created.json()) as { Customer: { Id: string } }).Customer.Id;
    await first.close();
    running.splice(running.indexOf(first), 1);

    const second = await start({ preset: 'us', dataFile, port: 0 });
    expect(second.control.companies().map((c) => c.realmId)).toEqual([t.realmId]);
    const read = await api(second, t)(`customer/${id}`);
    expect(read.status).toBe(200);
    expect(((await read.json()) as { Customer: { DisplayName: string } }).Customer.DisplayName).toBe('Survivor Pty Ltd');
    // The same refresh token still works after the restart.
    const refreshed = await fetch(second.urls.token, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from('qbo-connect-demo:qbo-connect-demo-secret').toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: t.refresh_token }),
    });
    expect(refreshed.status).toBe(200);
    // Only digests of tokens are on disk.
    const bytes = fs.readFileSync(dataFile).toString('latin1') + (fs.existsSync(`${dataFile}-wal`) ? fs.readFileSync(`${dataFile}-wal`).toString('latin1') : '');
    expect(bytes).not.toContain(t.access_token);
    expect(bytes).not.toContain(t.refresh_token);
  });
});
