/**
 * Bad input from QuickBooks: a tiny local HTTP server stands in for QBO (API and token endpoint) and
 * answers what fast-check generates — wrong types, missing Id or SyncToken, huge numbers, more than
 * two decimals, non-JSON, truncated JSON, HTML error pages, odd Faults, odd batch and CDC answers,
 * under any status. Every call through the real client either returns a value of the promised
 * shape or fails with one of the client's own errors carrying a sentence; never a raw TypeError,
 * SyntaxError or zod error, and never with the access token in the message.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQboClient, type CompanyClient } from '../../src/qbo/client.js';
import { endpointsFromConfig } from '../../src/qbo/endpoints.js';
import type { TokenStore } from '../../src/qbo/token-store.js';
import { damage, damageArb, oddValue } from './arbitraries.js';
import { numRuns } from '../helpers/seed.js';
import { testDate } from '../helpers/test-time.js';

const ACCESS = 'ACCESS-TOKEN-SECRET-VALUE-123';
const REFRESH = 'REFRESH-TOKEN-SECRET-VALUE-456';

/** The client's own error classes: anything else escaping is a bug. */
const known = ['QboProtocolError', 'QboFault', 'QboUnavailableError', 'OutcomeUnknownError', 'ConnectionLostError', 'OAuthError', 'RefreshLockBusyError'];

interface Answer {
  status: number;
  contentType: string | undefined;
  body: string;
}

const customer = {
  Id: '58',
  SyncToken: '2',
  DisplayName: 'Harbour Trust',
  Balance: 120.5,
  Active: true,
  MetaData: { CreateTime: '2026-11-01T10:00:00-08:00', LastUpdatedTime: '2026-11-02T10:00:00-08:00' },
};
const valid: Record<string, unknown> = {
  read: { Customer: customer, time: '2026-11-26T01:00:00.000-08:00' },
  query: { QueryResponse: { Customer: [customer, { ...customer, Id: '59' }], startPosition: 1, maxResults: 2 }, time: '2026-11-26T01:00:00.000-08:00' },
  count: { QueryResponse: { totalCount: 2 }, time: '2026-11-26T01:00:00.000-08:00' },
  create: { Customer: customer, time: '2026-11-26T01:00:00.000-08:00' },
  batch: {
    BatchItemResponse: [
      { bId: 'b1', Customer: customer },
      { bId: 'b2', Fault: { Error: [{ Message: 'Duplicate Name Exists Error', code: '6240' }], type: 'ValidationFault' } },
    ],
    time: '2026-11-26T01:00:00.000-08:00',
  },
  cdc: { CDCResponse: [{ QueryResponse: [{ Customer: [customer], startPosition: 1, maxResults: 1 }] }], time: '2026-11-26T01:00:00.000-08:00' },
  companyInfo: {
    QueryResponse: { CompanyInfo: [{ Id: '1', SyncToken: '0', CompanyName: 'Acme', Country: 'AU' }] },
    CompanyInfo: { Id: '1', SyncToken: '0', CompanyName: 'Acme', Country: 'AU' },
  },
};
const ops = Object.keys(valid);

const html = '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><pre>at Object.<anonymous> (/opt/app/index.js:1:1)</pre></body></html>';

function bodyArb(op: string): fc.Arbitrary<string> {
  const base = JSON.stringify(valid[op]);
  return fc.oneof(
    { weight: 3, arbitrary: damageArb.map((d) => JSON.stringify(damage(valid[op], d.pick, d.replacement, d.how))) },
    { weight: 2, arbitrary: fc.nat({ max: base.length - 1 }).map((n) => base.slice(0, n)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        html,
        '',
        'null',
        '[]',
        '"string"',
        '0',
        'Service Unavailable',
        '<?xml version="1.0"?><IntuitResponse><Fault><Error code="3200"><Message>AuthenticationFailed</Message></Error></Fault></IntuitResponse>',
      ),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        // Numbers beyond what JSON can carry, amounts with fractions of a cent, ids of the wrong type.
        base.replace('120.5', '1e400'),
        base.replace('120.5', '120.555'),
        base.replace('120.5', '-99999999999999999999999'),
        base.replaceAll('"58"', '58'),
        base.replaceAll('"SyncToken":"2"', '"SyncToken":2'),
        base.replaceAll('"Id":"58",', ''),
        base.replaceAll('"SyncToken":"2",', ''),
        JSON.stringify({ Fault: { Error: 'not a list', type: 7 } }),
        JSON.stringify({ Fault: null }),
        JSON.stringify({ Fault: { Error: [{ code: 6000, Message: null, Detail: `Token ${ACCESS} expired` }] } }),
        JSON.stringify({ fault: { error: [{ message: 'message=AuthenticationFailed; errorCode=003200', code: '3200' }], type: 'AUTHENTICATION' } }),
        JSON.stringify({ QueryResponse: { Customer: 'x' } }),
        JSON.stringify({ QueryResponse: { Customer: [null, 1] } }),
        JSON.stringify({ QueryResponse: { totalCount: -3 } }),
        JSON.stringify({ QueryResponse: { totalCount: 1e300 } }),
        JSON.stringify({ BatchItemResponse: [{ bId: 'b9', Customer: customer }] }),
        JSON.stringify({
          BatchItemResponse: [
            { bId: 'b1', Customer: customer },
            { bId: 'b1', Customer: customer },
          ],
        }),
        JSON.stringify({ BatchItemResponse: 'x' }),
        JSON.stringify({ CDCResponse: [{ QueryResponse: 'x' }] }),
        JSON.stringify({ CDCResponse: [] }),
        JSON.stringify({ CompanyInfo: { CompanyName: 7 } }),
      ),
    },
    { weight: 1, arbitrary: oddValue.map((v) => JSON.stringify(v) ?? '') },
  );
}

const answerArb = (op: string): fc.Arbitrary<Answer> =>
  fc.record({
    status: fc.constantFrom(200, 200, 200, 200, 400, 401, 403, 404, 429, 500, 502, 503),
    contentType: fc.constantFrom('application/json', 'application/json;charset=UTF-8', 'text/html', 'application/xml', 'text/plain', undefined),
    body: bodyArb(op),
  });

describe('bad answers from QuickBooks reach the client', () => {
  let server: http.Server;
  let answers: Answer[] = [];
  let served = 0;
  let co: CompanyClient;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        // The last answer repeats (retries see the same server behaviour).
        const a = answers[Math.min(served++, answers.length - 1)] ?? { status: 500, contentType: undefined, body: '' };
        res.writeHead(a.status, a.contentType ? { 'content-type': a.contentType, intuit_tid: 'tid-1' } : { intuit_tid: 'tid-1' });
        res.end(a.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const store: TokenStore = {
      load: async (realmId) => ({
        realmId,
        status: 'connected',
        accessToken: ACCESS,
        refreshToken: REFRESH,
        accessExpiresAt: testDate(3_600_000),
        refreshExpiresAt: null,
        refreshHardExpiresAt: null,
      }),
      saveRotated: async () => undefined,
      withRefreshLock: async (_r, fn) => fn(),
      markDisconnected: async () => undefined,
    };
    const client = createQboClient({
      endpoints: endpointsFromConfig({ qboEnv: 'emulator', emulatorUrl: url, publicUrl: 'http://127.0.0.1:3000' }),
      store,
      sleep: async () => undefined,
      // QBO's real ceilings would make the 60 runs wait for the next minute; they are tested elsewhere.
      limits: { requestsPerMinute: 1_000_000, batchesPerMinute: 1_000_000, concurrency: 10, intervalMs: 60_000 },
      retry: { maxAttempts: 2, baseMs: 1, capMs: 1, throttleWaitMs: 1, maxRetryAfterMs: 1 },
      timeoutMs: 5_000,
    });
    co = client.company('123');
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  async function call(op: string): Promise<unknown> {
    switch (op) {
      case 'read':
        return co.read('Customer', '58');
      case 'query': {
        const rows: unknown[] = [];
        for await (const r of co.query('Customer', undefined, { pageSize: 1000 })) rows.push(r);
        return rows;
      }
      case 'count':
        return co.count('Customer');
      case 'create':
        return co.create('Customer', { DisplayName: 'Harbour Trust' }, { requestId: 'req-1' });
      case 'batch':
        return co.batch(
          [
            { bId: 'b1', operation: 'create', entity: 'Customer', body: { DisplayName: 'A' } },
            { bId: 'b2', operation: 'create', entity: 'Customer', body: { DisplayName: 'B' } },
          ],
          { requestId: 'batch-1' },
        );
      case 'cdc':
        return co.cdc(['Customer'], '2026-11-01T00:00:00Z');
      default:
        return co.companyInfo();
    }
  }

  /** What a successful answer must look like, whatever the server sent. */
  function checkValue(op: string, v: unknown): void {
    const entity = (x: unknown) => {
      const e = x as { Id?: unknown; SyncToken?: unknown; Balance?: unknown };
      expect(typeof e.Id === 'string' && e.Id.length > 0, `${op}: Id ${String(e.Id)}`).toBe(true);
      if (e.SyncToken !== undefined) expect(String(e.SyncToken)).toMatch(/^\d+$/);
      if (e.Balance !== undefined)
        expect(Number.isFinite(e.Balance) && Math.round((e.Balance as number) * 100) === (e.Balance as number) * 100, `${op}: Balance ${String(e.Balance)}`).toBe(true);
    };
    if (op === 'read' || op === 'create') entity(v);
    else if (op === 'query') (v as unknown[]).forEach(entity);
    else if (op === 'count') expect(Number.isSafeInteger(v) && (v as number) >= 0, `count ${String(v)}`).toBe(true);
    else if (op === 'batch') {
      const r = v as Array<{ bId: string; ok: boolean; value?: unknown; fault?: { message: string } }>;
      expect(r.map((x) => x.bId)).toEqual(['b1', 'b2']);
      for (const x of r) {
        if (x.ok) entity(x.value);
        else {
          expect(x.fault!.message.length).toBeGreaterThan(0);
          expect(x.fault!.message).not.toContain(ACCESS);
        }
      }
    } else if (op === 'cdc') {
      const c = v as { time: unknown; changes: Record<string, unknown[]> };
      expect(typeof c.time).toBe('string');
      // CDC rows are checked for Id and SyncToken only (a deleted row carries little else).
      for (const rows of Object.values(c.changes)) rows.forEach((r) => entity({ ...(r as object), Balance: undefined }));
    } else {
      expect(typeof (v as { CompanyName?: unknown }).CompanyName).toBe('string');
    }
  }

  for (const op of ops) {
    it(`${op}: every odd answer is a value of the right shape or one of the client's errors`, async () => {
      let failures = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(answerArb(op), { minLength: 1, maxLength: 3 }), async (script) => {
          answers = script;
          served = 0;
          let value: unknown;
          let error: unknown;
          try {
            value = await call(op);
          } catch (err) {
            error = err;
          }
          const what = `${op} ← ${JSON.stringify(script).slice(0, 400)}`;
          if (error === undefined) {
            checkValue(op, value);
            return;
          }
          failures++;
          expect(error, what).toBeInstanceOf(Error);
          const e = error as Error;
          expect(known, `${what}: escaped as ${e.name}: ${e.message}`).toContain(e.name);
          expect(e.message.length, what).toBeGreaterThan(5);
          expect(e.message, what).not.toContain(ACCESS);
          expect(e.message, what).not.toContain(REFRESH);
          expect(e.message, what).not.toContain('/opt/app/index.js');
        }),
        { numRuns: numRuns(60) },
      );
      // Mostly refusals, or the property proves little.
      expect(failures).toBeGreaterThan(20);
    });
  }
});
