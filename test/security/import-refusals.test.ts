/**
 * The practice import under attack (issue 12 §2, outside review): a million broken records, members
 * that are not kinds or are listed twice, texts that are not an object. Each is refused after reading
 * at most MAX_ISSUES refused records or one member name, with its problems listed once and capped.
 */
import http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiToken } from '../../src/accounts/api-tokens.js';
import { createUser } from '../../src/accounts/users.js';
import { createQboClients } from '../../src/connect/connection/qbo-client.js';
import type { AppContext } from '../../src/context.js';
import { createLogger } from '../../src/log.js';
import { parseImportFile, parseJsonImport } from '../../src/practice/import-file.js';
import { kindInfo } from '../../src/practice/kinds.js';
import { importRecords } from '../../src/practice/import.js';
import { loadReferenceIndex } from '../../src/practice/store.js';
import { MAX_ISSUES } from '../../src/practice/validate.js';
import { createHttpApp } from '../../src/server/http.js';
import { listen } from '../../src/server/serve.js';
import { describeEachDialect } from '../helpers/db.js';
import { testConfig } from '../helpers/config.js';

interface Answer {
  error: { code: string; message: string; field: string; issues?: unknown[] };
  report?: { ok: boolean; issues: Array<{ message: string; field: string }>; more?: { issues: number; records: number; message: string } };
}

describeEachDialect('practice import refusals', (ctx) => {
  let base: string;
  let close: () => Promise<void>;
  let token: string;
  const post = async (body: string) => {
    const res = await fetch(`${base}/api/v1/practice/import`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
    return { status: res.status, json: (await res.json()) as Answer };
  };
  const stored = async () =>
    Number(
      (
        await ctx.db
          .selectFrom('practice_records')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    const config = testConfig();
    const logger = createLogger('silent');
    const clock = () => new Date('2026-11-26T01:00:00Z');
    const app: AppContext = { config, db: ctx.db, dialect: ctx.dialect, logger, clock, version: 'test', qbo: createQboClients({ db: ctx.db, config, logger, clock }) };
    const bob = await createUser(ctx.db, { email: 'bob@example.com', name: 'Bob', role: 'bookkeeper' });
    token = (await createApiToken(ctx.db, bob.id, 't')).token;
    const server = await listen(createHttpApp(app), '127.0.0.1', 0);
    base = server.url;
    close = () => server.close();
  });
  afterAll(async () => close());

  it('answers a million empty records with the first MAX_ISSUES problems, once, and says the rest was not checked', async () => {
    // 3 MB; before the cap it answered 500 (RangeError: Invalid string length) after holding 2.5 GB.
    const res = await post(`{"offices":[${Array.from({ length: 1_000_000 }, () => '{}').join(',')}]}`);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('practice.invalid');
    expect(res.json.error.issues, 'the issues are sent once, in the report').toBeUndefined();
    expect(res.json.report!.issues.length).toBe(MAX_ISSUES);
    expect(res.json.report!.more!.message).toMatch(/reading stopped at offices\[\d+\], so the rest of the input was not checked/);
    expect(await stored()).toBe(0);
  }, 120_000);

  it('refuses a kind listed twice whatever its second value', async () => {
    const res = await post('{"offices":[{"code":"DK1","name":"first"}],"offices":null}');
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'practice.bad-file', field: 'offices' });
    expect(res.json.error.message).toMatch(/offices is listed twice/);
    expect(await stored()).toBe(0);
  });

  it('refuses a member that is not a kind on its name, without reading its value', () => {
    // The value is broken JSON: were it read, the answer would be "not valid JSON".
    const r = parseJsonImport('{"junk":[[[[ not json at all', 'x.json');
    expect(r.issues).toMatchObject([{ code: 'practice.unknown-kind', field: 'junk' }]);
    expect(r.stoppedAt).toBe('"junk"');
  });

  it('refuses a text that is not an object on its first character, without reading the rest', () => {
    const r = parseJsonImport('[[[[ not json at all', 'x.json');
    expect(r.issues[0]!.message).toMatch(/^x\.json: must be a JSON object/);
    expect(r.stoppedAt).toBeDefined();
  });

  it('answers 413 for a body over 200 MB, like every other size limit', async () => {
    // Declared over the limit: refused before reading it (a raw request, since fetch will not send a false length).
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = http.request(
        `${base}/api/v1/practice/import`,
        { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': String(201 * 1024 * 1024) } },
        (res) => {
          resolve(res.statusCode);
          req.destroy();
        },
      );
      req.on('error', reject);
      req.write('{');
    });
    expect(status).toBe(413);
  });

  it('accepts a leading UTF-8 BOM (Excel-made files) in the CLI as the API does', async () => {
    const text = '\uFEFF{"offices":[{"code":"B1","name":"Bom"}]}';
    expect(parseJsonImport(text, 'x.json')).toMatchObject({ inputs: [{ kind: 'office', value: { code: 'B1' } }], issues: [] });
    const res = await post(text);
    expect(res.status).toBe(200);
  });

  it('refuses a lone surrogate as a damaged character, not as a control character', () => {
    const r = kindInfo.office.schema.safeParse({ code: 'S1', name: 'Caf\uD83D' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toMatch(/damaged character \(half of a UTF-16 surrogate pair/);
    expect(r.error!.issues[0]!.message).not.toMatch(/control/);
  });

  it('refuses a CSV column named twice, naming it', () => {
    const r = parseImportFile('offices.csv', 'code,name,name\nA1,first,second\n');
    expect(r.issues).toMatchObject([{ code: 'practice.bad-file', field: 'column 3 "name"' }]);
    expect(r.issues[0]!.message).toMatch(/repeats column 2/);
  });

  it('reads the stored lists for reference checks page by page, yielding between pages (not all in one go)', async () => {
    const n = 2500;
    const offices = Array.from({ length: n }, (_, i) => ({ kind: 'office' as const, value: { code: `P${String(i).padStart(5, '0')}`, name: 'Paged' } }));
    expect((await importRecords(ctx.db, 'default', offices, new Date('2026-11-26T01:00:00Z'))).ok).toBe(true);
    let pauses = 0;
    const index = await loadReferenceIndex(ctx.db, 'default', [], () => {
      pauses++;
      return undefined;
    });
    expect(pauses, 'one pause per page of stored offices at least').toBeGreaterThanOrEqual(3);
    for (const i of [0, 999, 1000, 1999, 2000, n - 1]) expect(index.has('office', `P${String(i).padStart(5, '0')}`)).toBe(true);
  }, 60_000);
});
