/**
 * Any string a person can type survives the query builder: the emulator's own parser (written
 * separately, from the same reference) reads back exactly the value we quoted, and over HTTP a
 * name query finds exactly the record with that name.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseQuery } from '../src/emulator/core/query/parse.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/run/server.js';
import { createApp, type App } from '../src/app.js';
import { ConnectionStore } from '../src/connect/connection/store.js';
import { createTokenCipher, loadOrCreateKey } from '../src/connect/connection/crypto.js';
import { endpointsFromConfig } from '../src/qbo/endpoints.js';
import { createQboClient, type CompanyClient } from '../src/qbo/client.js';
import { QueryBuilder, chunkedIn } from '../src/qbo/query.js';
import { testConfig } from './helpers/config.js';
import { connectCompany } from './helpers/qbo.js';
import { numRuns } from './helpers/seed.js';

describe('query builder ↔ the emulator’s parser', () => {
  it('parses every quoted string back to exactly itself, in = , LIKE and IN', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        const eq = parseQuery(QueryBuilder.from('Customer').where('DisplayName', '=', a).where('CompanyName', 'LIKE', b).text());
        expect(eq.where.map((w) => [w.field, w.op, w.values])).toEqual([
          ['DisplayName', '=', [a]],
          ['CompanyName', 'LIKE', [b]],
        ]);
        const inList = parseQuery(
          QueryBuilder.from('Invoice')
            .whereIn('DocNumber', [a, b, `${a}\\`])
            .text(),
        );
        expect(inList.where[0]!.values).toEqual([a, b, `${a}\\`]);
      }),
      { numRuns: numRuns(2000) },
    );
  });

  it('keeps chunked IN lists and paging parseable', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 30 }), { minLength: 1, maxLength: 60 }), (values) => {
        const chunks = chunkedIn(QueryBuilder.from('Customer'), 'DisplayName', values, { maxValues: 9, maxChars: 200 });
        const back = chunks.flatMap((c) => parseQuery(c.page(1, 1000)).where[0]!.values);
        expect(back.sort()).toEqual([...new Set(values)].sort());
      }),
    );
  });
});

describe('name queries over HTTP find exactly the typed name', () => {
  let emu: RunningEmulator;
  let app: App;
  let co: CompanyClient;

  beforeAll(async () => {
    emu = await startEmulator({ preset: 'us' });
    app = await createApp(testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url }));
    const endpoints = endpointsFromConfig(app.ctx.config);
    const store = new ConnectionStore({ db: app.ctx.db, cipher: createTokenCipher(loadOrCreateKey(app.ctx.config)) });
    const realmId = await connectCompany(endpoints, store, emu.control.companies()[0]!.realmId);
    co = createQboClient({ endpoints, store }).company(realmId);
  });
  afterAll(async () => {
    await app?.close();
    await emu?.close();
  });

  // Names people type: printable text, quotes, backslashes, accents, emoji; QBO forbids ':' and
  // trims names, so those are left out of the generator rather than asserted against.
  const typedName = fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
    .map((s) => s.replace(/[:\p{C}]/gu, '').trim())
    .filter((s) => s.length > 0);

  it('creates a customer with any typed name and finds exactly it by that name', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(typedName, fc.constantFrom("O'Keefe", 'C\\temp\\', "\\'", "a\\\\'b", '%_%', "''")), async (name) => {
        const unique = `${name} ${crypto.randomBytes(3).toString('hex')}`;
        if (seen.has(unique)) return;
        seen.add(unique);
        const c = await co.create('Customer', { DisplayName: unique }, { requestId: `rt-${crypto.randomBytes(8).toString('hex')}` });
        const found = [];
        for await (const row of co.query('Customer', (q) => q.where('DisplayName', '=', unique))) found.push(row);
        expect(found.map((r) => [r.Id, r.DisplayName])).toEqual([[c.Id, unique]]);
      }),
      { numRuns: numRuns(60) },
    );
  });
});
