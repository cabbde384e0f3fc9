import { describe, expect, it } from 'vitest';
import { QboUsageError, checkRequestId, createQboClient, resyncRequestId, rowsOf } from './client.js';
import { defaultRetryPolicy } from './classify.js';
import { endpointsFromConfig } from './endpoints.js';
import type { TokenStore } from './token-store.js';

const endpoints = endpointsFromConfig({ qboEnv: 'emulator', publicUrl: 'http://127.0.0.1:3000' });
const store: TokenStore = {
  load: async (realmId) => ({
    realmId,
    status: 'connected',
    accessToken: 'ACCESS-SECRET',
    refreshToken: 'r',
    accessExpiresAt: new Date(Date.now() + 3600_000),
    refreshExpiresAt: null,
    refreshHardExpiresAt: null,
  }),
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

  it('a limiter that fails sends nothing and ends the call with its own error, not as an uncertain write', async () => {
    let calls = 0;
    const broken = new Error('the budget database is unreachable');
    const limiters = { forRealm: () => ({ run: async () => Promise.reject(broken), batchesThrottled: false, pauseFor: () => undefined, inFlight: 0 }) };
    const client = createQboClient({ endpoints, store, limiters, fetch: (async () => (calls++, new Response('{}'))) as typeof fetch });
    await expect(client.company('123').create('Customer', { DisplayName: 'A' }, { requestId: 'c-1' })).rejects.toBe(broken);
    expect(calls).toBe(0);
  });

  it('refuses bad batches before sending anything', async () => {
    let calls = 0;
    const client = createQboClient({ endpoints, store, fetch: (async () => (calls++, new Response('{}'))) as typeof fetch });
    const co = client.company('123');
    const item = (bId: string) => ({ bId, operation: 'create' as const, entity: 'Customer' as const, body: { DisplayName: bId } });
    await expect(
      co.batch(
        Array.from({ length: 31 }, (_, i) => item(`b${i}`)),
        { requestId: 'x' },
      ),
    ).rejects.toThrow(/1 to 30/);
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
    const err = await client
      .company('123')
      .read('Customer', '1')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'fault', code: '6000' });
    expect(String((err as Error).message)).not.toContain('ACCESS-SECRET');
    const ok200 = createQboClient({
      endpoints,
      store,
      fetch: (async () => new Response(JSON.stringify({ Fault: { Error: [{ Message: 'y', code: '6000' }] } }), { status: 200 })) as typeof fetch,
    });
    await expect(ok200.company('123').read('Customer', '1')).rejects.toMatchObject({ kind: 'fault', code: '6000' });
  });

  it('finds the rows of a QueryResponse whatever the entity key', () => {
    expect(rowsOf({ startPosition: 1, maxResults: 1, Customer: [{ Id: '1' }] })).toEqual([{ Id: '1' }]);
    expect(rowsOf({})).toEqual([]);
  });
});

describe('pipeline decisions with a scripted server', () => {
  type Step = { status: number; body?: string; headers?: Record<string, string> } | 'network' | 'refused';
  function scripted(steps: Step[]) {
    const seen: { url: string; auth: string | undefined }[] = [];
    const f = (async (url: string | URL | Request, init?: RequestInit) => {
      const u = String(url);
      if (u.includes('/oauth2/v1/tokens/bearer')) {
        return new Response(JSON.stringify({ access_token: `fresh-${seen.length}`, refresh_token: 'r2', expires_in: 3600 }), { status: 200 });
      }
      seen.push({ url: u, auth: (init?.headers as Record<string, string>)['authorization'] });
      const step = steps.shift() ?? { status: 200, body: '{"CompanyInfo":{"Id":"1","CompanyName":"X"}}' };
      if (step === 'network') throw new TypeError('fetch failed');
      // As undici says it: nothing was sent.
      if (step === 'refused') throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }) });
      return new Response(step.body ?? '', { status: step.status, headers: step.headers });
    }) as typeof fetch;
    return { f, seen };
  }
  const memStore = (): TokenStore & { saved: number; disconnected: number } => {
    let t = { accessToken: 'first', refreshToken: 'r1', accessExpiresAt: new Date(Date.now() + 3600_000), refreshExpiresAt: null, refreshHardExpiresAt: null };
    const s = {
      saved: 0,
      disconnected: 0,
      load: async (realmId: string) => ({ ...t, realmId, status: 'connected' as const }),
      saveRotated: async (_r: string, n: typeof t) => {
        t = n;
        s.saved++;
      },
      withRefreshLock: async <T>(_r: string, fn: () => Promise<T>) => fn(),
      markDisconnected: async () => {
        s.disconnected++;
      },
    };
    return s;
  };
  const waits: number[] = [];
  const opts = (f: typeof fetch, store: TokenStore) => ({
    endpoints,
    store,
    fetch: f,
    sleep: async (ms: number) => void waits.push(ms),
    random: () => 0.5,
    retry: { maxAttempts: 3 },
  });

  it('refreshes on 401 and gives up once maxRefreshes refreshed tokens in a row met a 401, without disconnecting', async () => {
    const s = memStore();
    const gateway401 = JSON.stringify({
      fault: { error: [{ message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401', detail: 'Token expired: first', code: '3200' }], type: 'AUTHENTICATION' },
    });
    const { f, seen } = scripted(Array.from({ length: 6 }, () => ({ status: 401, body: gateway401 })));
    const err = await createQboClient({ ...opts(f, s), retry: { maxAttempts: 10, maxRefreshes: 2 } })
      .company('1')
      .companyInfo()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'fault', code: '3200', status: 401 });
    expect(String((err as Error).message)).not.toContain('first');
    expect(seen.map((x) => x.auth)).toEqual(['Bearer first', 'Bearer fresh-1', 'Bearer fresh-2']);
    expect(s.saved).toBe(2);
    expect(s.disconnected).toBe(0);
  });

  it('gets the token after the limiter let the request go: a token ended during the wait is never sent', async () => {
    // Like the emulator's expireAccessTokens: every token issued so far is ended while the request
    // waits for the limiter (a shared budget's poll, a 429 pause). Only a token got afterwards passes.
    const s = memStore();
    let ended = new Set<string>();
    const issued = ['first'];
    const seen: string[] = [];
    const f = (async (url: string | URL | Request, init?: RequestInit) => {
      if (String(url).includes('/oauth2/v1/tokens/bearer')) {
        const t = `fresh-${issued.length}`;
        issued.push(t);
        return new Response(JSON.stringify({ access_token: t, refresh_token: 'r2', expires_in: 3600 }), { status: 200 });
      }
      const auth = (init?.headers as Record<string, string>)['authorization'] ?? '';
      seen.push(auth);
      return ended.has(auth.replace('Bearer ', ''))
        ? new Response('{"fault":{"error":[{"message":"AuthenticationFailed","code":"3200"}],"type":"AUTHENTICATION"}}', { status: 401 })
        : new Response('{"CompanyInfo":{"Id":"1","CompanyName":"X"}}');
    }) as typeof fetch;
    const limiters = {
      forRealm: () => ({
        run: async <T>(_k: 'request' | 'batch', fn: () => Promise<T>) => {
          ended = new Set(issued);
          return fn();
        },
        batchesThrottled: false,
        pauseFor: () => undefined,
        inFlight: 0,
      }),
    };
    const info = await createQboClient({ ...opts(f, s), limiters, retry: { maxAttempts: 6, maxRefreshes: 1 } })
      .company('1')
      .companyInfo();
    expect(info.CompanyName).toBe('X');
    // The cached token went first and was refused; the refresh came after the second wait, so it went through.
    expect(seen).toEqual(['Bearer first', 'Bearer fresh-1']);
  });

  it('a connection Intuit ended fails at its first refresh, whatever maxRefreshes allows', async () => {
    const s = memStore();
    let posts = 0;
    const f = (async (url: string | URL | Request) => {
      if (String(url).includes('/oauth2/v1/tokens/bearer')) {
        posts++;
        return new Response(JSON.stringify({ error: 'invalid_grant' }), { status: 400 });
      }
      return new Response('{"fault":{"error":[{"message":"AuthenticationFailed","code":"3200"}],"type":"AUTHENTICATION"}}', { status: 401 });
    }) as typeof fetch;
    const err = await createQboClient({ ...opts(f, s), retry: { maxAttempts: 10, maxRefreshes: 3 } })
      .company('1')
      .companyInfo()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ConnectionLostError' });
    expect(posts).toBe(1);
    expect(s.disconnected).toBe(1);
  });

  it('refreshes again on a 401 that comes after other failures (the refreshed token expired during the retries)', async () => {
    const s = memStore();
    const gateway401 = JSON.stringify({
      fault: { error: [{ message: 'message=AuthenticationFailed; errorCode=003200; statusCode=401', detail: 'Token expired', code: '3200' }], type: 'AUTHENTICATION' },
    });
    const { f, seen } = scripted([{ status: 401, body: gateway401 }, { status: 503 }, { status: 401, body: gateway401 }]);
    const info = await createQboClient({ ...opts(f, s), retry: { maxAttempts: 6 } })
      .company('1')
      .companyInfo();
    expect(info.CompanyName).toBe('X');
    expect(seen).toHaveLength(4);
    expect(s.saved).toBe(2);
    expect(s.disconnected).toBe(0);
  });

  it('retries an XML 429 and a 503, then succeeds, every request carrying minorversion=75', async () => {
    const xml =
      '<IntuitResponse><Fault type="SERVICE"><Error code="3001"><Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message></Error></Fault></IntuitResponse>';
    const { f, seen } = scripted([{ status: 429, body: xml, headers: { 'retry-after': '1' } }, { status: 503 }]);
    const info = await createQboClient(opts(f, memStore())).company('1').companyInfo();
    expect(info.CompanyName).toBe('X');
    expect(seen).toHaveLength(3);
    expect(seen.every((x) => new URL(x.url).searchParams.get('minorversion') === '75')).toBe(true);
  });

  it('ends a write that never got an answer as outcome-unknown, carrying the same requestid on every attempt', async () => {
    const { f, seen } = scripted(['network', { status: 502 }, 'network']);
    const err = await createQboClient(opts(f, memStore()))
      .company('1')
      .create('Customer', { DisplayName: 'A' }, { requestId: 'cust-1' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'outcome-unknown', requestId: 'cust-1', attempts: 3 });
    expect(seen.map((x) => new URL(x.url).searchParams.get('requestid'))).toEqual(['cust-1', 'cust-1', 'cust-1']);
  });

  it('ends a read that never got an answer as unavailable, and a business fault at once', async () => {
    const a = scripted(['network', 'network', 'network']);
    await expect(createQboClient(opts(a.f, memStore())).company('1').companyInfo()).rejects.toMatchObject({ kind: 'unavailable' });
    const b = scripted([
      { status: 400, body: JSON.stringify({ Fault: { Error: [{ Message: 'Duplicate Name Exists Error', code: '6240', element: '' }], type: 'ValidationFault' } }) },
    ]);
    await expect(createQboClient(opts(b.f, memStore())).company('1').create('Customer', { DisplayName: 'A' }, { requestId: 'c2' })).rejects.toMatchObject({
      kind: 'fault',
      code: '6240',
    });
    expect(b.seen).toHaveLength(1);
  });
});

describe('QBO unreachable (nothing sent)', () => {
  const store = (): TokenStore => ({
    load: async (realmId: string) => ({
      realmId,
      status: 'connected' as const,
      accessToken: 'a',
      refreshToken: 'r',
      accessExpiresAt: new Date(Date.now() + 3600_000),
      refreshExpiresAt: null,
      refreshHardExpiresAt: null,
    }),
    saveRotated: async () => undefined,
    withRefreshLock: async <T>(_r: string, fn: () => Promise<T>) => fn(),
    markDisconnected: async () => undefined,
  });
  const refused = () => new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }) });
  const counting = (answers: (() => Error)[]) => {
    let calls = 0;
    const f = (async () => {
      const a = answers[calls++];
      if (a) throw a();
      return new Response('{"CompanyInfo":{"Id":"1","CompanyName":"X"}}', { status: 200 });
    }) as unknown as typeof fetch;
    return { f, calls: () => calls };
  };
  const client = (f: typeof fetch) => createQboClient({ endpoints, store: store(), fetch: f, sleep: async () => undefined, random: () => 0.5 });

  it('a read ends as unavailable after maxUnreachableAttempts (2) attempts, not the policy’s 6', async () => {
    const c = counting(Array.from({ length: 10 }, () => refused));
    const err = await client(c.f)
      .company('1')
      .companyInfo()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'unavailable' });
    expect(String((err as Error).message)).toContain('no connection could be opened');
    expect(c.calls()).toBe(defaultRetryPolicy.maxUnreachableAttempts);
    expect(defaultRetryPolicy.maxUnreachableAttempts).toBe(2);
  });

  it('a blip is retried once and answers', async () => {
    const c = counting([refused]);
    expect((await client(c.f).company('1').companyInfo()).CompanyName).toBe('X');
    expect(c.calls()).toBe(2);
  });

  it('a create that never connected is no uncertain write; one that may have landed before stays uncertain', async () => {
    const never = counting([refused, refused]);
    await expect(client(never.f).company('1').create('Customer', { DisplayName: 'A' }, { requestId: 'c-1' })).rejects.toMatchObject({ kind: 'unavailable' });
    const reset = () => new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
    const maybe = counting([reset, refused, refused, refused]);
    await expect(client(maybe.f).company('1').create('Customer', { DisplayName: 'A' }, { requestId: 'c-2' })).rejects.toMatchObject({ kind: 'outcome-unknown', requestId: 'c-2' });
    // Attempts are counted in all: a refusal on the second attempt ends it there.
    expect(maybe.calls()).toBe(2);
  });

  it('real sockets: a closed port and the blocked port 9 are each tried twice', async () => {
    const net = await import('node:net');
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    for (const base of [`http://127.0.0.1:${port}`, 'http://127.0.0.1:9']) {
      let calls = 0;
      const f = ((input: string | URL | Request, init?: RequestInit) => {
        calls++;
        return fetch(input, init);
      }) as typeof fetch;
      const c = createQboClient({ endpoints: { ...endpoints, apiBase: base }, store: store(), fetch: f, sleep: async () => undefined });
      await expect(c.company('1').companyInfo(), base).rejects.toMatchObject({ kind: 'unavailable' });
      expect(calls, base).toBe(2);
    }
  });
});

describe('change data capture', () => {
  const cdcClient = (perEntity: Record<string, number>) => {
    const body = {
      CDCResponse: [
        {
          QueryResponse: Object.entries(perEntity).map(([e, n]) => ({
            [e]: Array.from({ length: n }, (_, i) => ({ Id: String(i + 1), SyncToken: '0' })),
            startPosition: 1,
            maxResults: n,
          })),
        },
      ],
      time: '2026-01-01T00:00:00.000-08:00',
    };
    let url = '';
    const f = (async (u: string | URL | Request) => {
      url = String(u);
      return new Response(JSON.stringify(body), { status: 200 });
    }) as typeof fetch;
    return { co: createQboClient({ endpoints, store, fetch: f }).company('1'), url: () => url };
  };

  it('groups rows per entity and flags an answer that reached the 1,000 cap', async () => {
    const small = cdcClient({ Customer: 3, Invoice: 2 });
    const r = await small.co.cdc(['Customer', 'Invoice', 'Bill'], new Date('2025-12-31T00:00:00Z'));
    expect(new URL(small.url()).searchParams.get('entities')).toBe('Customer,Invoice,Bill');
    expect(new URL(small.url()).searchParams.get('changedSince')).toBe('2025-12-31T00:00:00.000Z');
    expect([r.changes.Customer!.length, r.changes.Invoice!.length, r.changes.Bill!.length]).toEqual([3, 2, 0]);
    expect(r).toMatchObject({ time: '2026-01-01T00:00:00.000-08:00', anyTruncated: false, truncated: { Customer: false, Invoice: false, Bill: false } });
    const big = await cdcClient({ Customer: 1000, Invoice: 5 }).co.cdc(['Customer', 'Invoice', 'Bill'], '2025-12-31T00:00:00Z');
    // The cap is on the whole answer: Bill, with no row in it, may have been left out too.
    expect(big.truncated).toEqual({ Customer: true, Invoice: true, Bill: true });
    expect(big.anyTruncated).toBe(true);
  });
});
