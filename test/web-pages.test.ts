/**
 * The working screens' routes in-process (`app.request`) against a connected emulator company with
 * the small demo practice: every page as each role and with no session, forbidden actions (403 with
 * a message), state-changing requests without the CSRF token refused, a second sync refused with
 * who holds the company, the progress fragment, and the pages' answers when nothing is connected.
 * The whole journey in a real browser is test/web-journey.browser.test.ts.
 */
import { createJobQueue, startJobRunner, type JobRunner } from '../src/jobs/index.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../src/app.js';
import { createQboClients } from '../src/connect/connection/qbo-client.js';
import { loadConfig } from '../src/config.js';
import { hashPassword } from '../src/accounts/passwords.js';
import { createUser } from '../src/accounts/users.js';
import { acquireSyncLock } from '../src/connect/run/lock.js';
import { createConnectionService } from '../src/connect/connection/connection.js';
import { getSettings } from '../src/connect/settings/store.js';
import { listSkipped } from '../src/connect/skips.js';
import { loadDemoPractice } from '../src/practice/demo.js';
import { getRecord } from '../src/practice/store.js';
import { createHttpApp } from '../src/server/http.js';
import { connectedCompany, type ConnectedCompany } from './helpers/preview.js';
import { testConfig } from './helpers/config.js';
import { signIn, WebClient } from './helpers/web-client.js';
import { basic } from './helpers/emulator-connect.js';
import { testClockEnv, testDate } from './helpers/test-time.js';

const PASS = 'a long enough password';
const ADMIN = { email: 'ada@example.com', name: 'Ada Admin', role: 'administrator' };
const BOOK = { email: 'bob@example.com', name: 'Bob Books', role: 'bookkeeper' };
const VIEW = { email: 'vic@example.com', name: 'Vic Viewer', role: 'viewer' };

/** Every page the working screens add, as a person opens them. */
const PAGES = ['/preview', '/sync', '/history', '/skipped', '/settings', '/settings?tab=tax', '/settings/audit', '/practice', '/practice?kind=invoice', '/practice/contact/C0001'];

describe('web app: the working screens, route by route', () => {
  let app: App;
  let co: ConnectedCompany;
  let http: Hono;
  const as = async (u: { email: string }) => {
    const c = new WebClient(http);
    const res = await signIn(c, u.email, PASS);
    expect(res.status).toBe(303);
    return c;
  };
  /** A page's CSRF token, for a post as that person. */
  const post = async (c: WebClient, page: string, action: string, form: Record<string, string>, opts: { csrf?: boolean } = {}) => {
    await c.get(page);
    return c.post(action, form, opts);
  };

  let runner: JobRunner | undefined;
  beforeAll(async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-web-pages-'));
    app = await createApp(loadConfig({ QBO_CONNECT_LOG_LEVEL: 'silent', ...testClockEnv(), QBO_CONNECT_DATA_DIR: dataDir }));
    // Same data folder, so the tokens the helper stores are readable by the app's connection service.
    co = await connectedCompany(app.ctx.db, app.ctx.clock, { dataDir });
    expect((await loadDemoPractice(app.ctx.db, 'default', { size: 'small', seed: 1, today: app.ctx.clock() })).ok).toBe(true);
    for (const u of [ADMIN, BOOK, VIEW]) await createUser(app.ctx.db, { ...u, passwordHash: await hashPassword(PASS) });
    // The app pointed at this test's emulator: its QBO clients are built for that configuration.
    const ctx = { ...app.ctx, config: co.config };
    const webCtx = { ...ctx, qbo: createQboClients(ctx), jobs: createJobQueue(app.ctx.db, app.ctx.dialect, app.ctx.clock) };
    http = createHttpApp(webCtx);
    // A click's sync is a job: run the jobs in this process, as `start` does, on the same context.
    runner = await startJobRunner(webCtx);
  }, 60_000);

  afterAll(async () => {
    await runner?.stop();
    await co?.close();
    await app?.close();
  });

  it('sends people without a session to sign in, and refuses their posts', async () => {
    const c = new WebClient(http);
    for (const p of PAGES) {
      const res = await c.get(p);
      expect(res.status, p).toBe(303);
      expect(res.headers.get('location'), p).toBe(`/signin?next=${encodeURIComponent(p)}`);
    }
    await c.get('/signin');
    for (const action of ['/preview/skip', '/preview/skip-group', '/sync', '/skipped/restore', '/settings', '/practice/contact/C0001']) {
      const res = await c.post(action, { row: 'invoices:INV-10001' });
      expect([303, 403], action).toContain(res.status);
      if (res.status === 303) expect(res.headers.get('location'), action).toBe('/signin');
    }
    expect(await listSkipped(app.ctx.db, co.realmId)).toEqual([]);
  });

  it('opens every page for every role, with the nav entries', async () => {
    for (const u of [ADMIN, BOOK, VIEW]) {
      const c = await as(u);
      for (const p of PAGES) {
        const res = await c.get(p);
        expect(res.status, `${u.role} ${p}`).toBe(200);
        const html = await res.text();
        for (const label of ['Preview', 'Sync', 'History', 'Skipped records', 'Settings', 'Practice data']) expect(html, `${u.role} ${p}`).toContain(`>${label}</a>`);
        // Pages carry the security headers and never a token.
        expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
        expect(html).not.toContain(co.tokens.access_token);
        expect(html).not.toContain(co.tokens.refresh_token);
      }
    }
  }, 60_000);

  it('shows a viewer no buttons that change anything, and refuses the actions (403 with a message)', async () => {
    const c = await as(VIEW);
    const preview = await (await c.get('/preview')).text();
    expect(preview).toContain('Only a bookkeeper or an administrator can run the sync.');
    expect(preview).not.toContain('Skip this record');
    const settings = await (await c.get('/settings?tab=invoices')).text();
    expect(settings).toContain('Only an administrator can change settings');
    expect(settings).not.toContain('>Save</button>');
    for (const [page, action, form] of [
      ['/preview', '/preview/skip', { row: 'invoices:INV-10001' }],
      ['/preview', '/preview/skip-group', { group: 'bills' }],
      ['/sync', '/sync', {}],
      ['/skipped', '/skipped/restore', { one: 'invoice:INV-10001' }],
      ['/practice/contact/C0001', '/practice/contact/C0001', { uniqueId: 'X1', email: 'x@example.com' }],
      ['/settings', '/settings', { path: 'invoices.memo', value: 'none' }],
    ] as const) {
      const res = await post(c, page, action, form);
      expect(res.status, action).toBe(403);
      expect(await res.text(), action).toMatch(/This needs the (bookkeeper|administrator) role; you are signed in as a viewer/);
    }
    expect(await listSkipped(app.ctx.db, co.realmId)).toEqual([]);
    expect((await getRecord(app.ctx.db, 'default', 'contact', 'C0001'))?.version).toBe(1);
    expect((await getSettings(app.ctx.db, co.realmId, app.ctx.clock)).invoices.memo).toBe('project-number');
  });

  it('lets a bookkeeper skip and add back, and edit a contact, but not change settings', async () => {
    const c = await as(BOOK);
    const skipped = await post(c, '/preview', '/preview/skip', { row: 'invoices:INV-10001' });
    expect(skipped.status).toBe(303);
    expect(skipped.headers.get('location')).toMatch(/^\/preview\?skipped=[1-9]/);
    const list = await listSkipped(app.ctx.db, co.realmId);
    expect(list.map((s) => `${s.kind}:${s.recordId}`)).toContain('invoice:INV-10001');
    expect(list[0]!.skippedBy).toBe(`user:${BOOK.email}`);

    const page = await (await c.get('/skipped')).text();
    expect(page).toContain('INV-10001');
    expect(page).toContain(BOOK.email);
    const restored = await c.post('/skipped/restore', { ref: 'invoice:INV-10001' });
    expect(restored.status).toBe(303);
    expect(restored.headers.get('location')).toBe(`/skipped?restored=1`);
    expect((await listSkipped(app.ctx.db, co.realmId)).map((s) => s.recordId)).not.toContain('INV-10001');
    // Nothing ticked: refused with what to do.
    const none = await post(c, '/skipped', '/skipped/restore', {});
    expect(none.status).toBe(400);
    expect(await none.text()).toContain('No record was ticked');

    const edited = await post(c, '/practice/contact/C0002', '/practice/contact/C0002', { uniqueId: 'CL-NEW-2', email: 'ar@example.com.au' });
    expect(edited.status).toBe(200);
    expect(await edited.text()).toContain('Saved contact C0002 (now version 2)');
    const after = await getRecord(app.ctx.db, 'default', 'contact', 'C0002');
    expect(after?.record).toMatchObject({ uniqueId: 'CL-NEW-2', email: 'ar@example.com.au' });
    // A unique ID longer than the practice allows is refused naming the record and the field; nothing changes.
    const bad = await post(c, '/practice/contact/C0002', '/practice/contact/C0002', { uniqueId: 'X'.repeat(31), email: 'ar@example.com.au' });
    expect(bad.status).toBe(400);
    const badText = await bad.text();
    expect(badText).toMatch(/contact C0002: uniqueId/);
    expect(badText).toContain(`value="${'X'.repeat(31)}"`); // what was typed stays in the form
    expect((await getRecord(app.ctx.db, 'default', 'contact', 'C0002'))?.version).toBe(2);

    const settings = await post(c, '/settings', '/settings', { path: 'invoices.memo', value: 'none' });
    expect(settings.status).toBe(403);
    expect(await settings.text()).toContain('This needs the administrator role');
  });

  it('saves a setting as an administrator (audited) and refuses a bad value naming the setting', async () => {
    const c = await as(ADMIN);
    const ok = await post(c, '/settings?tab=invoices', '/settings', { path: 'invoices.memo', value: 'invoice-text', tab: 'invoices' });
    // Post, then redirect back to the tab, scrolled to the setting, which says it was saved.
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/settings?tab=invoices&saved=invoices.memo&changed=1#form-s-invoices-memo');
    const back = await (await c.get('/settings?tab=invoices&saved=invoices.memo&changed=1')).text();
    expect(back).toMatch(/<p class="saved" role="status">Saved invoices.memo.<\/p>/);
    expect((await getSettings(app.ctx.db, co.realmId, app.ctx.clock)).invoices.memo).toBe('invoice-text');
    const bad = await post(c, '/settings?tab=invoices', '/settings', { path: 'invoices.memo', value: 'everything' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('Setting invoices.memo: everything is not allowed');
    const off = await post(c, '/settings?tab=bills', '/settings', { path: 'bills.export', value: 'off' });
    expect(off.status).toBe(303);
    expect((await getSettings(app.ctx.db, co.realmId, app.ctx.clock)).bills.export).toBe(false);
    await post(c, '/settings?tab=bills', '/settings', { path: 'bills.export', value: 'on' });

    const audit = await (await c.get(`/settings/audit?path=invoices.memo&actor=${encodeURIComponent(`user:${ADMIN.email}`)}`)).text();
    // In the settings page's words (issue 19), not paths and option codes.
    expect(audit).toContain('Invoices and credit notes › Memo</td><td>Project number</td><td>Invoice text</td>');
    expect(audit).not.toContain('title="bills.export"');
    // The settings page offers the company's QBO accounts as choices.
    const invoices = await (await c.get('/settings?tab=invoices')).text();
    expect(invoices).toMatch(/<select id="s-invoices-fixedIncomeAccountId"[^>]*>[\s\S]*<option value="\d+"/);
  });

  it('refuses state-changing requests without the CSRF token, changing nothing', async () => {
    const c = await as(ADMIN);
    for (const [page, action, form] of [
      ['/settings', '/settings', { path: 'invoices.memo', value: 'none' }],
      ['/preview', '/preview/skip', { row: 'invoices:INV-10002' }],
      ['/preview', '/preview/skip-group', { group: 'bills' }],
      ['/sync', '/sync', {}],
      ['/skipped', '/skipped/restore', { one: 'invoice:INV-10002' }],
      ['/practice/contact/C0003', '/practice/contact/C0003', { uniqueId: 'HACKED', email: '' }],
    ] as const) {
      const res = await post(c, page, action, form, { csrf: false });
      expect(res.status, action).toBe(403);
      expect(await res.text(), action).toContain('nothing was changed');
    }
    expect((await getSettings(app.ctx.db, co.realmId, app.ctx.clock)).invoices.memo).toBe('invoice-text');
    expect((await getRecord(app.ctx.db, 'default', 'contact', 'C0003'))?.record.uniqueId).not.toBe('HACKED');
    expect((await listSkipped(app.ctx.db, co.realmId)).map((s) => s.recordId)).not.toContain('INV-10002');
    expect(await app.ctx.db.selectFrom('runs').select('id').execute()).toEqual([]);
  });

  it('keeps Sync disabled while errors remain, with the reason, and errors link to their record', async () => {
    const c = await as(BOOK);
    const html = await (await c.get('/preview')).text();
    expect(html).toMatch(/<button type="submit" class="primary" disabled="" aria-describedby="sync-blocked">/);
    expect(html).toMatch(/The sync is disabled: \d+ errors remain/);
    expect(html).toContain('href="/practice/contact/C9001"');
    expect(html).toContain('href="/practice/bill/B-90005"');
  });

  it('refuses a second sync while one runs, naming who started it and when', async () => {
    const lock = await acquireSyncLock(app.ctx.db, { realmId: co.realmId, holder: 'user:someone@example.com', clock: app.ctx.clock });
    try {
      const c = await as(BOOK);
      const res = await post(c, '/sync', '/sync', {});
      expect(res.status).toBe(409);
      const text = await res.text();
      // Who (the person, not `user:…`) and since when in local time; no ISO time, no "heartbeat".
      expect(text).toMatch(/A sync of this company is already running: started by someone@example\.com at \d\d:\d\d (today|on \d{1,2} [A-Z][a-z]{2}) \(/);
      expect(text).not.toMatch(/user:someone|heartbeat/);
      // The preview says a sync is running, and leads to it.
      const counters = { processed: 0, created: 0, adopted: 0, updated: 0, voided: 0, imported: 0, failed: 0, held: 0 };
      await app.ctx.db
        .insertInto('runs')
        .values({
          id: 'run-elsewhere',
          realm_id: co.realmId,
          started_by: 'user:someone@example.com',
          started_at: testDate().toISOString(),
          finished_at: null,
          status: 'running',
          settings: '{}',
          message: null,
          ...counters,
        })
        .execute();
      try {
        const preview = await (await c.get('/preview')).text();
        expect(preview).toContain('A sync is running now, started by someone@example.com');
        expect(preview).toContain('href="/sync/runs/run-elsewhere"');
        // The sync page's button is disabled while it runs (the preview's is disabled by its errors here).
        const page = await (await c.get('/sync')).text();
        expect(page).toMatch(/<button type="submit" class="primary" disabled[^>]*>\s*Start the sync\s*<\/button>/);
        expect(page).toContain('A sync is running now, started by someone@example.com at ');
      } finally {
        await app.ctx.db.deleteFrom('runs').where('id', '=', 'run-elsewhere').execute();
      }
    } finally {
      await lock.release();
    }
  });

  it('starts a sync (refused by the plan errors) and shows its progress fragment, which stops polling at the end', async () => {
    const c = await as(BOOK);
    const res = await post(c, '/sync', '/sync', {});
    expect(res.status).toBe(303);
    const to = res.headers.get('location')!;
    expect(to).toMatch(/^\/sync\/runs\/run-/);
    const runId = decodeURIComponent(to.split('/').pop()!);
    let fragment = '';
    for (let i = 0; i < 100; i++) {
      fragment = await (await c.get(`${to}/progress`)).text();
      if (!fragment.includes('hx-trigger')) break;
      expect(fragment).toContain(`hx-get="/sync/runs/${runId}/progress"`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(fragment).toContain('role="status"');
    expect(fragment).toContain('Did not start');
    expect(fragment).toContain(`href="/history/${runId}"`);
    const history = await (await c.get('/history')).text();
    expect(history).toContain('class="row-failed"');
    expect((await c.get(`/history/${runId}`)).status).toBe(200);
    expect((await c.get('/history/run-nope')).status).toBe(404);
  });

  it('answers a record that does not exist with 404 and a way back', async () => {
    const c = await as(VIEW);
    const res = await c.get('/practice/contact/NOPE');
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('contact NOPE: no such record');
    expect((await c.get('/practice/widget/1')).status).toBe(404);
    // "Open" by number leads to the record's page.
    const go = await c.get('/practice/go?kind=invoice&key=%20INV-10001%20');
    expect(go.status).toBe(303);
    expect(go.headers.get('location')).toBe('/practice/invoice/INV-10001');
    expect((await c.get('/practice/invoice/INV-10001')).status).toBe(200);
    expect((await c.get('/practice/go?kind=nonsense&key=')).headers.get('location')).toBe('/practice?kind=contact');
  });

  // Last: it ends the company's connection.
  it('says so when QuickBooks refuses the connection, then asks to connect again', async () => {
    const svc = createConnectionService({ db: app.ctx.db, config: co.config, logger: app.ctx.logger, clock: app.ctx.clock });
    const stored = await svc.store.load(co.realmId);
    // Revoked at "Intuit" behind the product's back (as a person can do from their QuickBooks account).
    const revoked = await fetch(co.emu.urls.revoke, {
      method: 'POST',
      headers: { Authorization: basic(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: stored!.refreshToken }),
    });
    expect(revoked.status).toBe(200);
    const c = await as(ADMIN);
    const preview = await c.get('/preview');
    expect(preview.status).toBe(502);
    const text = await preview.text();
    expect(text).toContain('QuickBooks could not be asked');
    expect(text).toContain('href="/connection"');
    // QuickBooks said the grant is gone: the company now shows as not connected.
    expect(await (await c.get('/preview')).text()).toContain('No QuickBooks company is connected');
  });
});

describe('web app: the working screens with no company connected', () => {
  let app: App;
  let http: Hono;
  beforeAll(async () => {
    app = await createApp(testConfig());
    await createUser(app.ctx.db, { ...ADMIN, passwordHash: await hashPassword(PASS) });
    http = createHttpApp(app.ctx);
  });
  afterAll(async () => app?.close());

  it('says to connect first', async () => {
    const c = new WebClient(http);
    await signIn(c, ADMIN.email, PASS);
    for (const p of ['/preview', '/sync', '/history', '/skipped', '/settings', '/settings/audit']) {
      const res = await c.get(p);
      expect(res.status, p).toBe(200);
      expect(await res.text(), p).toContain('No QuickBooks company is connected');
    }
    expect((await c.get('/practice')).status).toBe(200);
  });
});
