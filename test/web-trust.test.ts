/**
 * Issue 19, what people see and who is blamed, through the web pages in-process against an emulator
 * company with the small demo practice: a page view (even a viewer's) never writes, the settings
 * pre-fill is audited as `qbo-connect (pre-fill)` whoever starts it, and the audit shows the settings
 * page's labels and QuickBooks names instead of paths and Ids.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { hashPassword } from '../src/accounts/passwords.js';
import { createUser } from '../src/accounts/users.js';
import { prefillDoneKey } from '../src/connect/plan/index.js';
import { getSettings, listAudit } from '../src/connect/settings/store.js';
import { loadDemoPractice } from '../src/practice/demo.js';
import { createHttpApp } from '../src/server/http.js';
import { getMeta } from '../src/store/meta.js';
import { connectedCompany, type ConnectedCompany } from './helpers/preview.js';
import { signIn, WebClient } from './helpers/web-client.js';

const PASS = 'a long enough password';
const BOOK = { email: 'bob@example.com', name: 'Bob Books', role: 'bookkeeper' };
const VIEW = { email: 'vic@example.com', name: 'Vic Viewer', role: 'viewer' };

describe('web: nothing written by a page view, nothing blamed on the wrong person', () => {
  let app: App;
  let co: ConnectedCompany;
  let http: Hono;
  const as = async (u: { email: string }) => {
    const c = new WebClient(http);
    expect((await signIn(c, u.email, PASS)).status).toBe(303);
    return c;
  };

  beforeAll(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-web-trust-'));
    app = await createApp(loadConfig({ QBO_CONNECT_LOG_LEVEL: 'silent', QBO_CONNECT_DATA_DIR: dataDir }));
    co = await connectedCompany(app.ctx.db, app.ctx.clock, { dataDir });
    expect((await loadDemoPractice(app.ctx.db, { size: 'small', seed: 1, today: app.ctx.clock() })).ok).toBe(true);
    for (const u of [BOOK, VIEW]) await createUser(app.ctx.db, { ...u, passwordHash: await hashPassword(PASS) });
    http = createHttpApp({ ...app.ctx, config: co.config });
  }, 60_000);
  afterAll(async () => {
    await co?.close();
    await app?.close();
  });

  it("a viewer's preview writes nothing; a bookkeeper's pre-fill is audited as qbo-connect (pre-fill)", async () => {
    const before = await getSettings(app.ctx.db, co.realmId, app.ctx.clock);
    const viewer = await as(VIEW);
    for (let i = 0; i < 2; i++) {
      const res = await viewer.get('/preview');
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('have not been matched with QuickBooks yet');
      expect(html).not.toContain('Fill in the mappings that match</button>');
    }
    expect(await listAudit(app.ctx.db, co.realmId, {})).toEqual([]);
    expect(await getMeta(app.ctx.db, prefillDoneKey(co.realmId))).toBeUndefined();
    expect(await getSettings(app.ctx.db, co.realmId, app.ctx.clock)).toEqual(before);
    // Nor can a viewer post it.
    await viewer.get('/preview');
    expect((await viewer.post('/preview/prefill')).status).toBe(403);

    const book = await as(BOOK);
    await book.get('/preview');
    const done = await book.post('/preview/prefill');
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/preview?prefilled=1');
    const audit = await listAudit(app.ctx.db, co.realmId, {});
    expect(audit.length).toBeGreaterThan(5);
    expect([...new Set(audit.map((a) => a.actor))]).toEqual(['qbo-connect (pre-fill)']);
    const after = await (await book.get('/preview?prefilled=1')).text();
    expect(after).not.toContain('have not been matched with QuickBooks yet');
  });

  it('the audit shows the settings labels and QuickBooks names, not paths and Ids', async () => {
    const s = await getSettings(app.ctx.db, co.realmId, app.ctx.clock);
    const viewer = await as(VIEW);
    const html = await (await viewer.get('/settings/audit')).text();
    expect(html).toContain('Tax › Sales (invoices and credit notes) › ');
    expect(html).toContain('Invoice payments › Payment method by payment type › ');
    expect(html).not.toContain('<code>tax.sales.');
    // The income account by its name, not its Id.
    expect(s.invoices.fixedIncomeAccountId).toBeTruthy();
    expect(html).toMatch(/title="invoices.fixedIncomeAccountId">Invoices and credit notes › The one income account<\/td><td>\(not set\)<\/td><td>[^<]*Services<\/td>/);
  });
});
