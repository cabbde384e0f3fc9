import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/db.js';
import { testConfig } from '../../../test/helpers/config.js';
import { practiceSnapshot, sampleLedger, sampleOf } from '../../../test/helpers/practice.js';
import type { AppContext } from '../../context.js';
import { createApiToken } from '../../accounts/api-tokens.js';
import { createUser } from '../../accounts/users.js';
import { createQboClients } from '../../connect/connection/qbo-client.js';
import { createLogger } from '../../log.js';
import { createHttpApp } from '../http.js';
import { listen } from '../serve.js';

interface ErrorBody {
  error: { code: string; message: string; record?: { kind: string; key: string }; field: string; issues?: Array<{ message: string; field: string }> };
}

describeEachDialect(
  'practice JSON API over HTTP',
  (ctx) => {
    let base: string;
    let close: () => Promise<void>;
    let bookkeeper: string;
    let viewer: string;
    const call = (path: string, token: string | undefined, init: { method?: string; body?: unknown; raw?: string } = {}) =>
      fetch(`${base}/api/v1/practice${path}`, {
        method: init.method ?? 'GET',
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
        ...(init.raw !== undefined ? { body: init.raw } : init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });

    beforeEach(async () => {
      const config = testConfig();
      const logger = createLogger('silent');
      const clock = () => new Date('2026-11-26T01:00:00Z');
      const app: AppContext = { config, db: ctx.db, dialect: ctx.dialect, logger, clock, version: 'test', qbo: createQboClients({ db: ctx.db, config, logger, clock }) };
      const bob = await createUser(ctx.db, { email: 'bob@example.com', name: 'Bob', role: 'bookkeeper' });
      const vic = await createUser(ctx.db, { email: 'vic@example.com', name: 'Vic', role: 'viewer' });
      bookkeeper = (await createApiToken(ctx.db, bob.id, 't')).token;
      viewer = (await createApiToken(ctx.db, vic.id, 't')).token;
      const server = await listen(createHttpApp(app), '127.0.0.1', 0);
      base = server.url;
      close = () => server.close();
    });
    afterEach(async () => close());
    /** The sample ledger imported over the API: what the import test leaves, and the tests after it start from. */
    const sampleImported = async () => expect((await call('/import', bookkeeper, { method: 'POST', body: sampleLedger() })).status).toBe(200);

    it('needs an API token (401) and the bookkeeper role to write (403)', async () => {
      expect((await call('/invoices', undefined)).status).toBe(401);
      expect((await call('/invoices', 'qbc_wrong')).status).toBe(401);
      expect((await call('/import', viewer, { method: 'POST', body: sampleLedger() })).status).toBe(403);
      expect((await call('/offices', viewer, { method: 'POST', body: sampleOf('office') })).status).toBe(403);
    });

    it('imports a document in bulk, then lists, gets, creates and updates records', async () => {
      const imported = await call('/import', bookkeeper, { method: 'POST', body: sampleLedger() });
      expect(imported.status).toBe(200);
      expect(((await imported.json()) as { report: { created: number } }).report.created).toBe(17);

      const list = await call('/invoices?from=2026-11-01&state=active&limit=10', viewer);
      expect(list.status).toBe(200);
      expect(((await list.json()) as { items: Array<{ key: string }>; total: number }).items.map((i) => i.key)).toEqual(['INV-1']);

      const one = await call('/credit-notes/CN-1', viewer);
      expect(((await one.json()) as { record: { kind: string } }).record.kind).toBe('discount');

      const created = await call('/staff-expenses', bookkeeper, { method: 'POST', body: { ...sampleOf('staff-expense'), number: 'EXP-API' } });
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({ kind: 'staff-expense', key: 'EXP-API', version: 1 });

      const unchanged = await call('/staff-expenses/EXP-API', bookkeeper, { method: 'PUT', body: { ...sampleOf('staff-expense'), number: 'EXP-API' } });
      expect(await unchanged.json()).toMatchObject({ version: 1, changed: false });
      const { number: _n, ...withoutKey } = sampleOf('staff-expense');
      const changed = await call('/staff-expenses/EXP-API', bookkeeper, { method: 'PUT', body: { ...withoutKey, description: 'Train to site' } });
      expect(changed.status).toBe(200);
      expect(await changed.json()).toMatchObject({ version: 2, changed: true, record: { description: 'Train to site', number: 'EXP-API' } });
    });

    it('answers bad input with 400/404/409 naming the record and the field, and changes nothing', async () => {
      await sampleImported();
      const before = await practiceSnapshot(ctx.db);
      const bad = await call('/invoices', bookkeeper, {
        method: 'POST',
        body: { ...sampleOf('invoice'), number: 'INV-1042', lines: [{ description: 'x', amountCents: 100, taxCode: 'GST-X', taxCents: 10 }], taxCents: 10, totalCents: 110 },
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as ErrorBody).error).toMatchObject({
        code: 'practice.unknown-reference',
        record: { kind: 'invoice', key: 'INV-1042' },
        field: 'lines[0].taxCode',
        message: expect.stringContaining('invoice INV-1042: lines[0].taxCode "GST-X" is not a known tax code'),
      });

      const dup = await call('/invoices', bookkeeper, { method: 'POST', body: sampleOf('invoice') });
      expect(dup.status).toBe(409);
      expect(((await dup.json()) as ErrorBody).error).toMatchObject({ code: 'practice.exists', field: 'number', record: { kind: 'invoice', key: 'INV-1' } });

      const missing = await call('/invoices/INV-404', viewer);
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as ErrorBody).error).toMatchObject({ record: { kind: 'invoice', key: 'INV-404' }, field: 'number' });

      expect((await call('/widgets', viewer)).status).toBe(404);
      const q = await call('/invoices?from=2026-02-30', viewer);
      expect(q.status).toBe(400);
      expect(((await q.json()) as ErrorBody).error).toMatchObject({ code: 'request.invalid-query', field: 'from' });
      const notJson = await call('/offices', bookkeeper, { method: 'POST', raw: '{not json' });
      expect(notJson.status).toBe(400);
      expect(((await notJson.json()) as ErrorBody).error.field).toBe('body');
      const notObject = await call('/offices', bookkeeper, { method: 'POST', body: [1, 2] });
      expect(notObject.status).toBe(400);
      const renamed = await call('/invoices/INV-1', bookkeeper, { method: 'PUT', body: { ...sampleOf('invoice'), number: 'INV-2' } });
      expect(renamed.status).toBe(400);
      expect(((await renamed.json()) as ErrorBody).error.field).toBe('number');

      const doc = sampleLedger();
      doc.bills[0]!.totalCents = 1;
      doc.payments[0]!.allocations[0]!.invoiceNumber = 'INV-404';
      const imp = await call('/import', bookkeeper, { method: 'POST', body: doc });
      expect(imp.status).toBe(400);
      const body = (await imp.json()) as ErrorBody & { report: { issues: Array<{ field: string }> } };
      // The issues once, in the report (a million of them twice over could not be sent); `error` names the first.
      expect(body.error.issues).toBeUndefined();
      expect(body.report.issues.map((i) => i.field).sort()).toEqual(['allocations[0].invoiceNumber', 'totalCents']);
      const notDoc = await call('/import', bookkeeper, { method: 'POST', body: { widgets: [] } });
      expect(notDoc.status).toBe(400);
      expect(((await notDoc.json()) as ErrorBody).error.field).toBe('widgets');

      expect(await practiceSnapshot(ctx.db)).toBe(before);
    });

    it('refuses NUL and control characters in a record or an import with 400 naming the record and field (PostgreSQL gave a 500)', async () => {
      await sampleImported();
      const before = await practiceSnapshot(ctx.db);
      const one = await call('/offices', bookkeeper, { method: 'POST', body: { code: 'NUL', name: 'Null\u0000office' } });
      expect(one.status).toBe(400);
      expect(((await one.json()) as ErrorBody).error).toMatchObject({
        record: { kind: 'office', key: 'NUL' },
        field: 'name',
        message: expect.stringContaining('control characters'),
      });
      const doc = sampleLedger();
      doc.contacts[1]!.name = 'Rock\u0000Engineers';
      const imp = await call('/import', bookkeeper, { method: 'POST', body: doc });
      expect(imp.status).toBe(400);
      expect(((await imp.json()) as ErrorBody).error).toMatchObject({ record: { kind: 'contact', key: 'S1' }, field: 'name' });
      // In a reference, and in a key from the URL: looked up nowhere, named, never a 500.
      const ref = sampleLedger();
      ref.payments[0]!.allocations[0]!.invoiceNumber = 'INV\u00001';
      const refImp = await call('/import', bookkeeper, { method: 'POST', body: ref });
      expect(refImp.status).toBe(400);
      expect(((await refImp.json()) as ErrorBody).error).toMatchObject({ record: { kind: 'payment' }, field: 'allocations[0].invoiceNumber' });
      const get = await call('/invoices/INV%001', viewer);
      expect([400, 404], await get.text()).toContain(get.status);
      const put = await call('/offices/SYD%00', bookkeeper, { method: 'PUT', body: { name: 'x' } });
      expect([400, 404], await put.text()).toContain(put.status);
      expect(await practiceSnapshot(ctx.db)).toBe(before);
    });
  },
  { fresh: 'each' },
);
