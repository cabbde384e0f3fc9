import { describe, expect, it } from 'vitest';
import { QboUsageError, checkRequestId, createQboClient, resyncRequestId, rowsOf } from './client.js';
import { endpointsFromConfig } from './endpoints.js';
import type { TokenStore } from './token-store.js';

const endpoints = endpointsFromConfig({ qboEnv: 'emulator', publicUrl: 'http://127.0.0.1:3000' });
const store: TokenStore = {
  load: async (realmId) => ({ realmId, status: 'connected', accessToken: 'ACCESS-SECRET', refreshToken: 'r', accessExpiresAt: new Date(Date.now() + 3600_000), refreshExpiresAt: null, refreshHardExpiresAt: null }),
  saveRotated: async () => undefined,
  withRefreshLock: async (_r, fn) => fn(),
  markDisconnected: async () => undefined,
};

describe('client guards', () => {
  it('validates requestids: length, characters', () => {
    expect(() => checkRequestId('a'.repeat(50), 50)).not.toThrow();
    expect(() => checkRequestId('a'.repeat(51), 50)).toThrow(QboUsageError);
    expect(() => checkRequestId('a'.repeat(37), 36)).toThrow(QboUsageError);
    expect(() => checkRequestId('', 50)).toThrow(QboUsageError);
    expect(() => checkRequestId('has space', 50)).toThrow(QboUsageError);
    expect(() => checkRequestId('a&b=c', 50)).toThrow(QboUsageError);
  });

  it('derives a deterministic, valid requestid for the retry after a re-read', () => {
    const a = resyncRequestId('inv-1', '3');
    expect(a).toBe(resyncRequestId('inv-1', '3'));
    expect(a).not.toBe(resyncRequestId('inv-1', '4'));
    expect(() => checkRequestId(a, 36)).not.toThrow();
  });

  it('refuses bad batches before sending anything', async () => {
    let calls = 0;
    const client = createQboClient({ endpoints, store, fetch: (async () => (calls++, new Response('{}'))) as typeof fetch });
    const co = client.company('123');
    const item = (bId: string) => ({ bId, operation: 'create' as const, entity: 'Customer' as const, body: { DisplayName: bId } });
    await expect(co.batch(Array.from({ length: 31 }, (_, i) => item(`b${i}`)), { requestId: 'x' })).rejects.toThrow(/1 to 30/);
    await expect(co.batch([item('b1'), item('b1')], { requestId: 'x' })).rejects.toThrow(/twice/);
    await expect(co.batch([item('b-way-too-long')], { requestId: 'x' })).rejects.toThrow(QboUsageError);
    await expect(co.batch([item('b1')], { requestId: 'x'.repeat(37) })).rejects.toThrow(QboUsageError);
    await expect(co.create('Customer', { DisplayName: 'x' }, { requestId: 'bad id' })).rejects.toThrow(QboUsageError);
    expect(calls).toBe(0);
    expect(() => client.company('not-a-realm')).toThrow(/realm/);
  });

  it('treats a Fault inside a 200 as a fault, and keeps the token out of its message', async () => {
    const body = JSON.stringify({ Fault: { Error: [{ Message: 'x', Detail: 'Token expired: ACCESS-SECRET', code: '6000' }], type: 'ValidationFault' } });
    const client = createQboClient({ endpoints, store, fetch: (async () => new Response(body, { status: 400 })) as typeof fetch });
    const err = await client.company('123').read('Customer', '1').catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'fault', code: '6000' });
    expect(String((err as Error).message)).not.toContain('ACCESS-SECRET');
    const ok200 = createQboClient({ endpoints, store, fetch: (async () => new Response(JSON.stringify({ Fault: { Error: [{ Message: 'y', code: '6000' }] } }), { status: 200 })) as typeof fetch });
    await expect(ok200.company('123').read('Customer', '1')).rejects.toMatchObject({ kind: 'fault', code: '6000' });
  });

  it('finds the rows of a QueryResponse whatever the entity key', () => {
    expect(rowsOf({ startPosition: 1, maxResults: 1, Customer: [{ Id: '1' }] })).toEqual([{ Id: '1' }]);
    expect(rowsOf({})).toEqual([]);
  });
});
