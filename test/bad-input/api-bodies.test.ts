/**
 * Bad input over the JSON API: fast-check sends every JSON API route (with an API token of each
 * role) damaged practice records, import documents with odd values, duplicates and missing
 * references, odd settings values and paths, odd skip requests, odd path parameters and query
 * strings. Each answer is a success, or a refusal with a sentence naming the field; never a 500;
 * and a refusal leaves everything already stored exactly as it was (no partial import).
 * Runs against a connected emulator company holding a small practice ledger.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/run/server.js';
import { flatten } from '../../src/connect/settings/paths.js';
import { kindInfo, kinds, type Kind } from '../../src/practice/kinds.js';
import { sampleLedger, sampleOf } from '../helpers/practice.js';
import { changedTables, snapshotTables } from '../helpers/snapshot.js';
import { dialects } from '../helpers/db.js';
import { makeBench, roleNames, routesOf, stackTraceIn, type Bench } from '../security/harness.js';
import { callbackPath, consentAs } from '../security/web-connect.js';
import { damage, damageArb, oddString, oddValue } from './arbitraries.js';
import { numRuns as scaledRuns } from '../helpers/seed.js';

interface Attempt {
  method: string;
  path: string;
  body?: unknown;
  role: (typeof roleNames)[number];
}

const enc = (s: string) => {
  try {
    return encodeURIComponent(s);
  } catch {
    return '%ED%A0%80'; // a lone surrogate cannot be encoded: send its raw bytes
  }
};

// On both databases: "nothing stored changes" depends on each one's transactions.
for (const dialect of dialects)
  describe(`bad input over every JSON API route [${dialect}]`, () => {
    let emu: RunningEmulator;
    let b: Bench;
    let baseline: string;
    let settingPaths: string[] = [];
    const seenRoutes = new Set<string>();
    const refusals = new Map<string, number>();

    beforeAll(async () => {
      emu = await startEmulator({ preset: 'au' });
      b = await makeBench({ env: { QBO_EMULATOR_URL: emu.url }, dialect });
      const cb = await consentAs(b, b.people.administrator);
      expect((await b.call(callbackPath(cb), { as: { person: b.people.administrator, via: 'session' } })).status).toBe(303);
      const imported = await b.call('/api/v1/practice/import', { method: 'POST', body: JSON.stringify(sampleLedger()), as: { person: b.people.bookkeeper, via: 'token' } });
      expect(imported.status).toBe(200);
      const settings = await b.call('/api/v1/settings', { as: { person: b.people.viewer, via: 'token' } });
      expect(settings.status).toBe(200);
      settingPaths = flatten(((await settings.json()) as { settings: unknown }).settings).map((x) => x.path);
      expect(settingPaths.length).toBeGreaterThan(10);
      // The first preview fills unset settings from QBO's lists once (by design): do it before the baseline.
      expect((await b.call('/api/v1/preview', { as: { person: b.people.viewer, via: 'token' } })).status).toBe(200);
      baseline = await snapshotTables(b.app.ctx.db);
    });
    afterAll(async () => {
      await b?.close();
      await emu?.close();
    });

    /** Sends one attempt and checks the answer; returns its status. */
    async function attempt(a: Attempt, route: string): Promise<number> {
      seenRoutes.add(route);
      const res = await b.call(a.path, {
        method: a.method,
        as: { person: b.people[a.role], via: 'token' },
        ...(a.body !== undefined ? { body: typeof a.body === 'string' && a.body.startsWith('RAW:') ? a.body.slice(4) : JSON.stringify(a.body) } : {}),
      });
      const text = await res.text();
      const what = `${a.role} ${a.method} ${a.path.slice(0, 120)} → ${res.status} ${text.slice(0, 300)}`;
      // On a 500 the app's own log line says why: put it in the failure message.
      expect(res.status, `${what}\n${res.status >= 500 ? (b.lines.filter((l) => l.includes('request failed')).at(-1) ?? '').slice(0, 600) : ''}`).toBeLessThan(500);
      expect(stackTraceIn(text), what).toBeUndefined();
      if (res.status >= 400) {
        refusals.set(route, (refusals.get(route) ?? 0) + 1);
        const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; field?: unknown } };
        expect(typeof body.error?.code, what).toBe('string');
        expect(typeof body.error?.message, what).toBe('string');
        expect((body.error!.message as string).length, what).toBeGreaterThan(10);
        // 403 is the role check (it names the role, not a field); every other refusal names the field,
        // or — when a whole record or document is of the wrong type — the record or "request body".
        if (res.status === 404 && body.error?.code === 'not-found') {
          // No such route at all (an empty kind in the path): the message names the path.
          expect(body.error.message as string, what).toContain('Nothing at /api/');
        } else if (res.status !== 403) {
          expect(typeof body.error?.field, what).toBe('string');
          // (A list named "" in an import document is refused with that empty name as its field.)
          const whole = /^(request body|[\w -]+ [^:]+): (must be a JSON object|is not a kind of record)/.test(body.error!.message as string);
          if (!whole) expect((body.error!.field as string).length, what).toBeGreaterThan(0);
        } else {
          expect(body.error!.message as string, what).toMatch(/needs the \w+ role/);
        }
        const after = await snapshotTables(b.app.ctx.db);
        expect(changedTables(baseline, after), `${what}: a refused request changed what was stored`).toEqual({});
      } else {
        // A sync accepted (202) goes on in the background: let it finish before taking the new baseline.
        const runId = res.status === 202 ? (JSON.parse(text) as { runId?: string }).runId : undefined;
        for (let i = 0; runId && i < 100; i++) {
          const r = (await (await b.call(`/api/v1/sync/runs/${runId}`, { as: { person: b.people.viewer, via: 'token' } })).json()) as { run?: { status?: string } };
          if (r.run?.status !== 'running' && r.run?.status !== 'queued') break;
          await new Promise((done) => setTimeout(done, 50));
        }
        baseline = await snapshotTables(b.app.ctx.db); // a valid change becomes the new baseline
      }
      return res.status;
    }

    const role = fc.constantFrom(...roleNames);
    const kind = fc.constantFrom(...kinds);
    const run = async (arb: fc.Arbitrary<Attempt>, route: string, numRuns: number) => {
      // Each property starts from what is stored now, so one failure does not cascade into the next.
      baseline = await snapshotTables(b.app.ctx.db);
      await fc.assert(
        fc.asyncProperty(arb, async (a) => void (await attempt(a, route))),
        { numRuns: scaledRuns(numRuns) },
      );
    };

    it('POST /api/v1/practice/import: damaged documents, duplicates and missing references are refused whole', async () => {
      const ledger = sampleLedger() as unknown as Record<string, Array<Record<string, unknown>>>;
      const doc = fc.oneof(
        damageArb.map((d) => damage({ ...ledger, invoices: ledger.invoices!.map((i) => ({ ...i, text: 'changed by a bad import' })) }, d.pick, d.replacement, d.how)),
        // The same record twice in one file.
        fc.constantFrom(...Object.keys(ledger)).map((k) => ({ ...ledger, [k]: [...ledger[k]!, ...ledger[k]!] })),
        // A reference to nothing.
        fc
          .tuple(fc.constantFrom('contactCode', 'projectNumber', 'taxCode', 'officeCode', 'stageCode', 'invoiceNumber', 'supplierCode', 'staffUniqueId'), oddString)
          .map(([field, v]) => {
            const copy = structuredClone(ledger);
            const hit = (x: unknown): void => {
              if (Array.isArray(x)) x.forEach(hit);
              else if (x && typeof x === 'object') {
                for (const [k, y] of Object.entries(x)) {
                  if (k === field) (x as Record<string, unknown>)[k] = `NOPE-${v}`;
                  else hit(y);
                }
              }
            };
            hit(copy);
            return copy;
          }),
        oddValue,
      );
      await run(
        fc.record({ role, body: doc }).map((x) => ({ method: 'POST', path: '/api/v1/practice/import', ...x })),
        'POST /api/v1/practice/import',
        60,
      );
    });

    it('POST and PUT /api/v1/practice/{kind}: damaged records, odd kinds and keys', async () => {
      let n = 0;
      const create = fc.record({ role, kind, d: damageArb, fresh: fc.boolean() }).map(({ role, kind, d, fresh }) => {
        const rec = sampleOf(kind);
        if (fresh) rec[kindInfo[kind].keyField] = `NEW-${++n}`;
        return { role, method: 'POST', path: `/api/v1/practice/${kindInfo[kind].slug}`, body: damage(rec, d.pick, d.replacement, d.how) };
      });
      await run(create, 'POST /api/v1/practice/:kind', 80);
      const update = fc.record({ role, kind, d: damageArb }).map(({ role, kind, d }) => {
        const rec = sampleOf(kind);
        return {
          role,
          method: 'PUT',
          path: `/api/v1/practice/${kindInfo[kind].slug}/${enc(String(rec[kindInfo[kind].keyField]))}`,
          body: damage(rec, d.pick, d.replacement, d.how),
        };
      });
      await run(update, 'PUT /api/v1/practice/:kind/:key', 80);
      const odd = fc.record({ role, k: oddString, key: oddString, body: oddValue, method: fc.constantFrom('POST', 'PUT', 'GET') }).map(({ role, k, key, body, method }) => ({
        role,
        method,
        path: method === 'POST' ? `/api/v1/practice/${enc(k)}` : `/api/v1/practice/${enc(k) || 'x'}/${enc(key) || 'x'}`,
        ...(method === 'GET' ? {} : { body }),
      }));
      await run(odd, 'POST /api/v1/practice/:kind', 40);
    });

    it('PUT /api/v1/settings/{path}: odd values, odd paths, bodies without "value"', async () => {
      const path = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...settingPaths) }, { weight: 1, arbitrary: oddString.map(enc) });
      const body = fc.oneof({ weight: 4, arbitrary: oddValue.map((value) => ({ value })) }, { weight: 1, arbitrary: oddValue });
      await run(
        fc.record({ role, path, body, realm: fc.option(oddString, { nil: undefined }) }).map(({ role, path, body, realm }) => ({
          role,
          method: 'PUT',
          path: `/api/v1/settings/${path || 'x'}${realm !== undefined ? `?realm=${enc(realm)}` : ''}`,
          body,
        })),
        'PUT /api/v1/settings/:path',
        120,
      );
    });

    it('POST /api/v1/skipped and DELETE /api/v1/skipped/{kind}/{id}: odd references', async () => {
      const ref = fc.record({
        kind: fc.oneof(fc.constantFrom(...kinds), oddValue),
        id: fc.oneof(fc.constantFrom('INV-1', 'C1', 'B-1'), oddValue),
        date: fc.option(oddValue, { nil: undefined }),
      });
      const body = fc.oneof(ref, fc.record({ refs: fc.oneof(fc.array(ref, { maxLength: 4 }), oddValue) }), oddValue);
      await run(
        fc.record({ role, body }).map((x) => ({ method: 'POST', path: '/api/v1/skipped', ...x })),
        'POST /api/v1/skipped',
        60,
      );
      await run(
        fc
          .record({ role, k: fc.oneof(fc.constantFrom(...kinds), oddString), id: oddString })
          .map(({ role, k, id }) => ({ role, method: 'DELETE', path: `/api/v1/skipped/${enc(k) || 'x'}/${enc(id) || 'x'}` })),
        'DELETE /api/v1/skipped/:kind/:id',
        40,
      );
    });

    it('POST /api/v1/preview/skip: odd row keys (the plan is built against the emulator)', async () => {
      // Building a preview fills settings for practice lists that are new since the last one (by
      // design, whatever the row): let it catch up with the records the tests above created first.
      expect((await b.call('/api/v1/preview', { as: { person: b.people.viewer, via: 'token' } })).status).toBe(200);
      const body = fc.oneof(fc.record({ row: fc.oneof(oddString, fc.constantFrom('invoices:INV-404', 'invoices:', ':', 'nope:INV-1')) }), oddValue);
      await run(
        fc.record({ role, body }).map((x) => ({ method: 'POST', path: '/api/v1/preview/skip', ...x })),
        'POST /api/v1/preview/skip',
        20,
      );
    });

    it('GET routes: odd query strings and path parameters', async () => {
      const q = fc.dictionary(fc.constantFrom('from', 'to', 'state', 'limit', 'offset', 'since', 'actor', 'path', 'realm', 'zz'), oddString, { maxKeys: 3 });
      const target = fc.oneof(
        fc.constantFrom(...kinds).map((k: Kind) => `/api/v1/practice/${kindInfo[k].slug}`),
        fc.constantFrom('/api/v1/settings', '/api/v1/settings/audit', '/api/v1/skipped', '/api/v1/history', '/api/v1/sync/progress', '/api/v1/connection'),
        oddString.map((id) => `/api/v1/history/${enc(id) || 'x'}`),
        oddString.map((id) => `/api/v1/sync/runs/${enc(id) || 'x'}`),
      );
      await run(
        fc.record({ role, target, q }).map(({ role, target, q }) => ({
          role,
          method: 'GET',
          path: `${target}?${Object.entries(q)
            .map(([k, v]) => `${k}=${enc(v)}`)
            .join('&')}`,
        })),
        'GET (query strings)',
        100,
      );
    });

    it('every API write route: truncated JSON, non-JSON and HTML bodies are refused naming the body', async () => {
      const writes = routesOf(b.http).filter((r) => r.includes(' /api/') && !r.startsWith('GET ') && r !== 'POST /api/v1/sync');
      const valid = JSON.stringify({ ...sampleLedger(), value: 'x', row: 'invoices:INV-1', kind: 'invoice', id: 'INV-1' });
      const raw = fc.oneof(
        fc.nat({ max: valid.length - 1 }).map((n) => valid.slice(0, n)),
        fc.constantFrom('<html><body>502 Bad Gateway</body></html>', 'not json', '{"value":}', '{,}', '[1,2', '\u0000', '{"a":1}{"b":2}', '\ufeff{}'),
      );
      for (const route of writes) {
        const [method, pattern] = route.split(' ') as [string, string];
        const path = pattern.replace(':kind', 'offices').replace(':key', 'SYD').replace(':path', 'invoices.memo').replace(':id', 'INV-1');
        await run(
          fc.record({ role, raw }).map(({ role, raw }) => ({ role, method, path, body: `RAW:${raw}` })),
          route,
          8,
        );
      }
    });

    it('POST /api/v1/sync with an odd company (realm) is refused naming the realm, and starts nothing', async () => {
      await run(
        fc.record({ role, realm: oddString }).map(({ role, realm }) => ({ role, method: 'POST', path: `/api/v1/sync?realm=${enc(realm) || '0'}` })),
        'POST /api/v1/sync',
        20,
      );
    });

    it('covered every JSON API route that takes input, and refused plenty (or the properties prove little)', () => {
      const writes = routesOf(b.http).filter((r) => r.includes(' /api/') && !r.startsWith('GET '));
      expect(writes.filter((r) => !seenRoutes.has(r))).toEqual([]);
      for (const r of writes) expect(refusals.get(r) ?? 0, r).toBeGreaterThan(5);
    });
  });
