/**
 * Bad input from QuickBooks, end to end: the product's preview API asks a stand-in QBO (a tiny
 * local HTTP server) that answers fast-check's odd bodies — HTML pages, truncated JSON, wrong types,
 * Faults — under any status. The API answers the preview (200) or a sentence saying QuickBooks could
 * not be asked (502), never a 500 nor the access token, and nothing already stored changes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnectionService } from '../../src/connect/connection/connection.js';
import { sampleLedger } from '../helpers/practice.js';
import { changedTables, snapshotTables } from '../helpers/snapshot.js';
import { makeBench, stackTraceIn, type Bench } from '../security/harness.js';
import { damage, damageArb } from './arbitraries.js';
import { numRuns } from '../helpers/seed.js';
import { testDate } from '../helpers/test-time.js';

const ACCESS = 'ACCESS-TOKEN-IN-THE-VAULT-0001';
const REALM = '9130357766';
const emptyList = { QueryResponse: {}, time: '2026-11-26T01:00:00.000-08:00' };

describe('preview API against a QuickBooks that answers oddly', () => {
  let server: http.Server;
  let b: Bench;
  let answer: (path: string) => { status: number; contentType?: string; body: string } = () => ({ status: 200, contentType: 'application/json', body: JSON.stringify(emptyList) });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const a = answer(req.url ?? '/');
        res.writeHead(a.status, a.contentType ? { 'content-type': a.contentType } : {});
        res.end(a.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Time-scaled so the client's retries and backoff take milliseconds, not minutes.
    b = await makeBench({ env: { QBO_EMULATOR_URL: url, QBO_EMULATOR_TIME_SCALE: '1000' } });
    const svc = createConnectionService({ db: b.app.ctx.db, config: b.app.ctx.config, logger: b.app.ctx.logger, clock: b.app.ctx.clock });
    await svc.store.saveConnection({
      realmId: REALM,
      companyName: 'Odd Co',
      region: 'AU',
      connectedBy: 'test',
      tokens: {
        accessToken: ACCESS,
        refreshToken: 'REFRESH-TOKEN-IN-THE-VAULT-0002',
        accessExpiresAt: testDate(3_600_000),
        refreshExpiresAt: testDate(86_400_000),
        refreshHardExpiresAt: null,
      },
    });
    expect((await b.call('/api/v1/practice/import', { method: 'POST', body: JSON.stringify(sampleLedger()), as: { person: b.people.bookkeeper, via: 'token' } })).status).toBe(200);
  });
  afterAll(async () => {
    await b?.close();
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  it('answers 200 or 502 with a sentence, never 500 or a token, and changes nothing stored on a 502', async () => {
    const odd = fc.oneof(
      fc.constantFrom(
        { status: 200, contentType: 'text/html', body: '<html><body>Service temporarily unavailable</body></html>' },
        { status: 502, contentType: 'text/html', body: '<html><body><h1>502 Bad Gateway</h1></body></html>' },
        { status: 200, contentType: 'application/json', body: '{"QueryResponse":{"Account":[{"Id":7' },
        { status: 200, contentType: 'application/json', body: '{"QueryResponse":{"Account":"x"}}' },
        { status: 200, contentType: 'application/json', body: '{"QueryResponse":{"TaxCode":[{"Name":"GST"}]}}' },
        { status: 200, contentType: 'application/json', body: `{"Fault":{"Error":[{"Message":"x","Detail":"token ${ACCESS} bad","code":"6000"}]}}` },
        { status: 400, contentType: 'application/json', body: `{"Fault":{"Error":[{"Message":"x","Detail":"Bearer ${ACCESS}","code":"4000"}],"type":"ValidationFault"}}` },
        { status: 500, contentType: undefined, body: '' },
        { status: 200, contentType: 'application/json', body: '{"CDCResponse":[{"QueryResponse":[{"Customer":[{"Id":null}]}]}],"time":"x"}' },
        { status: 200, contentType: 'application/json', body: 'null' },
      ),
      damageArb.map((d) => ({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify(
          damage(
            {
              QueryResponse: {
                Account: [{ Id: '1', SyncToken: '0', Name: 'Sales', AccountType: 'Income', MetaData: { CreateTime: 'x', LastUpdatedTime: 'x' } }],
                startPosition: 1,
                maxResults: 1,
              },
              time: 'x',
            },
            d.pick,
            d.replacement,
            d.how,
          ),
        ),
      })),
    );
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(odd, fc.nat({ max: 6 }), async (bad, nth) => {
        // The nth request (by the order the preview asks) gets the odd answer; the others an empty list.
        let n = 0;
        answer = (path) => (n++ === nth || path.includes('cdc') ? bad : { status: 200, contentType: 'application/json', body: JSON.stringify(emptyList) });
        const before = await snapshotTables(b.app.ctx.db);
        const res = await b.call(`/api/v1/preview?realm=${REALM}`, { as: { person: b.people.viewer, via: 'token' } });
        const text = await res.text();
        const what = `request ${nth} ← ${JSON.stringify(bad).slice(0, 200)} → ${res.status} ${text.slice(0, 300)}`;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect([200, 502], what).toContain(res.status);
        expect(text, what).not.toContain(ACCESS);
        expect(stackTraceIn(text), what).toBeUndefined();
        if (res.status === 502) {
          const body = JSON.parse(text) as { error: { code: string; message: string } };
          expect(body.error.code).toBe('qbo.unavailable');
          expect(body.error.message).toMatch(/^QuickBooks could not be asked for the preview: .{10,}/);
          expect(changedTables(before, await snapshotTables(b.app.ctx.db)), what).toEqual({});
        }
      }),
      { numRuns: numRuns(30) },
    );
    expect(statuses.get(502) ?? 0).toBeGreaterThan(10);
    expect(b.lines.join('\n')).not.toContain(ACCESS);
  });
});
