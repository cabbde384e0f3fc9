/**
 * The whole journey of the seed ("How do I sync to QBO?") in a real headless Chromium, on a fresh
 * data folder with the small demo practice and an in-process emulator (AU): create the
 * administrator; connect through the emulator's consent page; the preview shows the demo's planted
 * problems; fix one (a contact's unique ID, on the practice data page), skip one; the remaining
 * errors are fixed (a tax mapping in the settings) or skipped, and the Sync button enables; sync with
 * the progress bar reaching 100%; the run in the history; add the skipped record back and sync it;
 * the setting change in the audit; disconnect. A screenshot of each step goes to test-results/.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createApp, type App } from '../src/app.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/index.js';
import { createHttpApp } from '../src/server/http.js';
import { listen, type RunningServer } from '../src/server/serve.js';
import { clashingSupplierName, loadDemoPractice, plantedProblems } from '../src/practice/demo.js';
import { getRecord } from '../src/practice/store.js';
import { listSkipped } from '../src/connect/skips.js';
import { launchBrowser, RESULTS_DIR, screenshot } from './helpers/browser.js';
import { testConfig } from './helpers/config.js';
import { freePort } from './helpers/net.js';
import { api, connect } from './helpers/emulator-connect.js';

const ADMIN = { name: 'Ada Admin', email: 'ada@example.com', password: 'a long admin passphrase' };
/** A clean bill: skipped first, added back later and sent by the second sync. */
const CLEAN_BILL = 'B-30002';

describe('web app in a browser: the whole sync journey', () => {
  let emu: RunningEmulator;
  let app: App;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let base: string;
  let shot = 0;
  const consoleErrors: string[] = [];
  const snap = (name: string) => screenshot(page, `journey-${String(++shot).padStart(2, '0')}-${name}`);
  const nav = (label: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
  const mainText = async () => (await page.locator('main').textContent()) ?? '';
  /** A preview row by the text of its summary, opened (rows with errors start open). */
  const openRow = async (text: string) => {
    const row = page
      .locator('details')
      .filter({ has: page.locator('summary', { hasText: text }) })
      .first();
    if ((await row.getAttribute('open')) === null) await row.locator('summary').click();
    return row;
  };
  const skippedNow = async () => listSkipped(app.ctx.db, (await app.ctx.db.selectFrom('connections').select('realm_id').executeTakeFirstOrThrow()).realm_id);
  const errorCount = async () => Number(/(\d+) errors?,/.exec((await page.locator('main .lead').textContent()) ?? '')?.[1] ?? NaN);

  beforeAll(async () => {
    // This run's screenshots only: an earlier run's steps would read as this one's.
    if (fs.existsSync(RESULTS_DIR)) for (const f of fs.readdirSync(RESULTS_DIR)) if (/^journey-.*\.png$/.test(f)) fs.rmSync(path.join(RESULTS_DIR, f));
    // control: the demo's emulator serves its company view, where the history's QuickBooks links lead.
    emu = await startEmulator({ preset: 'au', limits: 'off', control: true });
    // The QuickBooks company already has a supplier named like one of the demo's clients (planted).
    const tokens = await connect(emu);
    const vendor = await api(emu, tokens)('vendor', { method: 'POST', body: JSON.stringify({ DisplayName: clashingSupplierName }) });
    expect(vendor.status).toBe(200);
    const port = await freePort();
    // The Sync button queues a job: this app runs the jobs, as `start` does.
    app = await createApp(testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url, QBO_CONNECT_PORT: String(port) }), { runJobs: true });
    const loaded = await loadDemoPractice(app.ctx.db, 'default', { size: 'small', seed: 1, today: app.ctx.clock() });
    expect(loaded.ok).toBe(true);
    server = await listen(createHttpApp(app.ctx), '127.0.0.1', port);
    base = server.url;
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await app?.close();
    await emu?.close();
  });

  it('creates the administrator and connects through the consent page', async () => {
    await page.goto(base);
    await page.getByLabel('Your name').fill(ADMIN.name);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password (at least 10 characters)').fill(ADMIN.password);
    await page.getByLabel('Password again').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.waitForURL(`${base}/connection`);
    await snap('connect-prompt');
    await page.getByRole('button', { name: 'Connect to QuickBooks' }).click();
    await page.waitForURL((u) => u.toString().startsWith(`${emu.url}/connect/oauth2`));
    await page.getByLabel(emu.control.companies()[0]!.name).check();
    await snap('consent');
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.waitForURL(`${base}/connection?done=connected`);
    // Once connected, QBO Connect opens on the preview (the seed's step 1 → step 3).
    await page.goto(base);
    await page.waitForURL(`${base}/preview`);
  }, 30_000);

  it('shows the planted problems in the preview, with Sync disabled and the reason', async () => {
    for (const p of plantedProblems) {
      // Each planted record that reaches the preview carries its error or warning there (the payment
      // is not: payments are imported from QuickBooks by default, not exported).
      if (p.kind === 'payment') continue;
      const summary = page.locator('details summary', { hasText: `${p.kind} ${p.key} ` }).first();
      expect(await summary.locator('.tag').count(), p.code).toBeGreaterThan(0);
    }
    expect(await errorCount()).toBeGreaterThan(0);
    const sync = page.locator('main').getByRole('button', { name: 'Sync', exact: true });
    expect(await sync.isDisabled()).toBe(true);
    expect(await page.locator('#sync-blocked').textContent()).toMatch(/The sync is disabled: \d+ errors? remains?/);
    // A row opens to its exact payload and the totals.
    const row = await openRow('contact C0001');
    expect(await row.locator('pre.payload').textContent()).toContain('"DisplayName"');
    await snap('preview-with-problems');
  }, 30_000);

  it('fixes a contact with no unique ID from the error link', async () => {
    // The list of errors at the top leads to the row; the row's error links to the record.
    expect(await page.getByRole('region', { name: 'To resolve before the sync' }).textContent()).toContain('contact C9001');
    const row = await openRow('contact C9001');
    await row.getByRole('link', { name: 'Open contact C9001' }).click();
    await page.waitForURL(`${base}/practice/contact/C9001`);
    await page.getByLabel('Unique ID').fill('CL90001');
    await snap('practice-contact-edit');
    await page.getByRole('button', { name: 'Save the contact' }).click();
    expect(await mainText()).toContain('Saved contact C9001 (now version 2)');
    expect((await getRecord(app.ctx.db, 'default', 'contact', 'C9001'))?.record.uniqueId).toBe('CL90001');
    await page.getByRole('link', { name: 'Back to the preview' }).click();
    await page.waitForURL(`${base}/preview`);
    expect(await page.locator('details.has-error', { hasText: 'Kestrel Landscapes' }).count()).toBe(0);
  }, 30_000);

  it('skips one record and the long invoice number; maps the capital-purchases tax code; skips the staff expenses', async () => {
    const before = await errorCount();
    // Skip one clean record (it comes back later).
    const bill = await openRow(`bill ${CLEAN_BILL}`);
    await bill.getByRole('button', { name: /^Skip this record: / }).click();
    await page.waitForURL(/\/preview\?skipped=1$/);
    expect(await page.getByRole('status').first().textContent()).toContain('Skipped 1 record');
    expect((await skippedNow()).map((x) => `${x.kind}:${x.recordId}`)).toEqual([`bill:${CLEAN_BILL}`]);

    // An invoice number QuickBooks cannot take: skip it.
    const longInvoice = await openRow('invoice INV-2026-HARBOURVIEW-000077');
    await longInvoice.getByRole('button', { name: /^Skip this record: / }).click();
    await page.waitForURL(/\/preview\?skipped=\d+$/);
    expect(await errorCount()).toBe(before - 1);

    // A client named like a QuickBooks supplier: skip it (its invoice goes with it).
    const clash = await openRow('contact C9003');
    await clash.getByRole('button', { name: /^Skip this record: / }).click();
    await page.waitForURL(/\/preview\?skipped=2$/);
    expect(await errorCount()).toBe(before - 2);

    // The bill with an unmapped tax code: map it in the Tax settings (administrators).
    // Its error links to the settings that fix it: the Tax tab.
    const taxBill = await openRow('bill B-90005');
    await taxBill.getByRole('link', { name: 'Open the settings that fix it' }).click();
    await page.waitForURL(`${base}/settings?tab=tax`);
    const select = page.locator('#s-tax-purchases-GST-CAP');
    const option = await select.locator('option', { hasText: 'GST on capital' }).getAttribute('value');
    await select.selectOption(option!);
    await page
      .locator('#form-s-tax-purchases-GST-CAP')
      .getByRole('button', { name: /^Save / })
      .click();
    expect(await mainText()).toContain('Saved tax.purchases.GST-CAP.');
    await snap('settings-tax');

    // The staff expenses: leave them out of this sync, as a group.
    await nav('Preview');
    await page.getByRole('button', { name: 'Skip the whole group: Staff expenses' }).click();
    await page.waitForURL(/\/preview\?skipped=\d+$/);
    expect(await errorCount()).toBe(0);
    expect(await page.locator('main').getByRole('button', { name: 'Sync', exact: true }).isEnabled()).toBe(true);
    await snap('preview-ready');
  }, 40_000);

  it('syncs with the progress bar reaching 100%, then shows the run in the history', async () => {
    // QuickBooks answers writes slowly here, so the bar is seen moving (htmx polls the fragment).
    emu.control.armFaults({ latencyMs: 300, appliesTo: 'writes' });
    const polled: string[] = [];
    const onResponse = async (r: { url(): string; text(): Promise<string> }) => {
      if (/\/sync\/runs\/[^/]+\/progress$/.test(r.url())) polled.push(await r.text().catch(() => ''));
    };
    page.on('response', onResponse);
    await page.locator('main').getByRole('button', { name: 'Sync', exact: true }).click();
    await page.waitForURL(/\/sync\/runs\/run-/);
    await snap('sync-running');
    // The final fragment (role=status) replaces the polling one when the run ends.
    const done = page.locator('#sync-progress[role="status"]');
    await done.waitFor({ timeout: 30_000 });
    const bar = done.locator('progress');
    expect(await bar.getAttribute('value')).toBe(await bar.getAttribute('max'));
    expect(await done.textContent()).toContain('The sync finished.');
    page.off('response', onResponse);
    emu.control.clearFaults();
    // At least one poll answered while the run was going (a bar that polls itself), then the end.
    expect(polled.some((html) => html.includes('hx-trigger="every 1s"') && /<progress/.test(html))).toBe(true);
    expect(polled.at(-1)).toContain('role="status"');
    await snap('sync-done');
    await done.getByRole('link', { name: 'See this run in the history' }).click();
    await page.waitForURL(/\/history\/run-/);
    const text = await mainText();
    expect(text).toContain('Finished');
    expect(text).toContain('Redgum Couriers'); // the bill fixed by the tax mapping went
    expect(text).not.toContain(CLEAN_BILL);
    expect(await page.locator('tr.row-failed').count()).toBe(0);
    // Each record links to QuickBooks (the emulator's company view in the demo).
    const qboLinks = page.locator('main a[href*="/control/companies/"]');
    expect(await qboLinks.count()).toBeGreaterThan(0);
    const dump = await (await fetch((await qboLinks.first().getAttribute('href'))!)).text();
    expect(dump).toContain('Redgum Couriers');
    await snap('history-run');
    await nav('History');
    expect(await page.locator('main tbody tr').count()).toBe(1);
  }, 40_000);

  it('adds the skipped record back and sends it in the next sync', async () => {
    await nav('Skipped records');
    const text = await mainText();
    const inDb = (await skippedNow()).map((x) => `${x.kind}:${x.recordId}@${x.recordDate ?? '-'}`).join(', ');
    expect(text, `skipped in the database: ${inDb}`).toContain(CLEAN_BILL);
    expect(text).toContain(ADMIN.email);
    await snap('skipped');
    await page.getByLabel(`Select Bill ${CLEAN_BILL}`).check();
    await page.getByRole('button', { name: 'Add back the ticked records' }).click();
    await page.waitForURL(`${base}/skipped?restored=1`);
    expect(await mainText()).not.toContain(`Bill ${CLEAN_BILL}`);
    await nav('Preview');
    expect(await errorCount()).toBe(0);
    await page.locator('main').getByRole('button', { name: 'Sync', exact: true }).click();
    const done = page.locator('#sync-progress[role="status"]');
    await done.waitFor({ timeout: 30_000 });
    expect(await done.textContent()).toMatch(/[1-9]\d* created.* 0 failed/);
    await done.getByRole('link', { name: 'See this run in the history' }).click();
    await page.waitForURL(/\/history\/run-/);
    const text2 = await mainText();
    expect(text2).toContain(CLEAN_BILL);
    expect(text2).not.toContain('Greenfield'); // nothing from the first run is sent twice
    await nav('History');
    expect(await page.locator('main tbody tr').count()).toBe(2);
    await snap('history-two-runs');
  }, 40_000);

  it('finds the setting change in the audit, filtered by setting and person', async () => {
    await nav('Settings');
    await page.getByRole('link', { name: 'Changes (audit)' }).click();
    await page.getByLabel('Setting', { exact: true }).selectOption('tax.purchases.GST-CAP');
    await page.getByLabel('Person', { exact: true }).selectOption(`user:${ADMIN.email}`);
    await page.getByRole('button', { name: 'Filter' }).click();
    const rows = page.locator('main tbody tr');
    expect(await rows.count()).toBe(1);
    const row = (await rows.first().textContent()) ?? '';
    expect(row).toContain(ADMIN.email);
    // The audit speaks the settings page's labels, not internal paths (issue 19).
    expect(row).toContain('GST on capital purchases (GST-CAP)');
    expect(row).not.toContain('tax.purchases.GST-CAP');
    expect(row).toContain('(not set)');
    await snap('audit');
  }, 20_000);

  it('fits a tablet: the preview, history and settings have no sideways scroll at 768px', async () => {
    await page.setViewportSize({ width: 768, height: 1024 });
    for (const p of ['/preview', '/history', '/settings?tab=tax', '/skipped', '/practice?kind=invoice']) {
      await page.goto(`${base}${p}`);
      // A string expression: it runs in the page (this file compiles without DOM types).
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
      expect(overflow, p).toBeLessThanOrEqual(0);
    }
    await snap('tablet-practice');
  }, 30_000);

  it('names every control and has one main landmark and one h1 on each page (labels for screen readers)', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    // A string expression: it runs in the page (this file compiles without DOM types).
    const audit = `(() => {
      const unnamed = [];
      for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea, button')) {
        const name = (el.getAttribute('aria-label') || '').trim() || (el.labels && [...el.labels].map((l) => l.textContent).join(' ').trim()) || (el.tagName === 'BUTTON' ? el.textContent.trim() : '');
        if (!name) unnamed.push(el.outerHTML.slice(0, 80));
      }
      return { unnamed, mains: document.querySelectorAll('main').length, h1s: document.querySelectorAll('h1').length, lang: document.documentElement.lang };
    })()`;
    for (const p of ['/preview', '/sync', '/history', '/skipped', '/settings?tab=payments', '/settings?tab=tax', '/settings/audit', '/practice', '/practice/contact/C0001']) {
      await page.goto(`${base}${p}`);
      const r = await page.evaluate<{ unnamed: string[]; mains: number; h1s: number; lang: string }>(audit);
      expect(r, p).toEqual({ unnamed: [], mains: 1, h1s: 1, lang: 'en' });
    }
  }, 30_000);

  it('disconnects from the header toolbar', async () => {
    await page.locator('header').getByRole('button', { name: 'Disconnect' }).click();
    await page.waitForURL(`${base}/connection?done=disconnected`);
    await expect(page.getByRole('button', { name: 'Connect to QuickBooks' }).isVisible()).resolves.toBe(true);
    await snap('disconnected');
  }, 20_000);

  it('kept within the CSP: no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
