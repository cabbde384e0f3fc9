/**
 * Many practices in a real (headless) Chromium (issue 15): an owner of two practices signs in, lands on
 * her first practice's pages under `/p/{practice}/`, switches practice from the header, and every nav
 * link, form and redirect she follows keeps the practice in the URL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createApp, type App } from '../src/app.js';
import { createHttpApp } from '../src/server/http.js';
import { listen, type RunningServer } from '../src/server/serve.js';
import { hashPassword } from '../src/accounts/passwords.js';
import { createUser } from '../src/accounts/users.js';
import { launchBrowser, screenshot } from './helpers/browser.js';
import { testConfig } from './helpers/config.js';
import { freePort } from './helpers/net.js';

const OWNER = { name: 'Olive Owner', email: 'olive@example.com', password: 'an owner passphrase' };

describe('web app in a browser: two practices', () => {
  let app: App;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let base: string;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    app = await createApp(testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: 'http://127.0.0.1:9', QBO_CONNECT_PORT: String(port) }));
    await app.ctx.db.insertInto('practices').values({ id: 'bravo', name: 'Bravo Partners', created_at: app.ctx.clock().toISOString(), created_by: 'test' }).execute();
    await createUser(app.ctx.db, { ...OWNER, role: 'administrator', owner: true, passwordHash: await hashPassword(OWNER.password) });
    server = await listen(createHttpApp(app.ctx), '127.0.0.1', port);
    base = server.url;
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await app?.close();
  });

  it('signs in and lands on the first practice, its URL naming it', async () => {
    await page.goto(`${base}/history`);
    expect(new URL(page.url()).pathname).toBe('/signin');
    await page.getByLabel('Email').fill(OWNER.email);
    await page.getByLabel('Password').fill(OWNER.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // The page asked for, in her first practice by name (Bravo Partners before Practice).
    await page.waitForURL(`${base}/p/bravo/history`);
    await screenshot(page, 'practices-01-bravo-history');
  });

  it('switches practice from the header and stays in it through the nav and a form', async () => {
    const switcher = page.getByRole('navigation', { name: 'Practices' });
    await expect(switcher.getByRole('link', { name: 'Bravo Partners' }).getAttribute('aria-current')).resolves.toBe('page');
    await switcher.getByRole('link', { name: 'Practice', exact: true }).click();
    await page.waitForURL(`${base}/p/default/connection`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.waitForURL(`${base}/p/default/settings`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    await page.waitForURL(`${base}/p/default/account`);
    await page.getByLabel('What the token is for').fill('script');
    await page.getByRole('button', { name: 'Create API token' }).click();
    await page.waitForURL(`${base}/p/default/account**`);
    const tokens = await app.ctx.db.selectFrom('api_tokens').select('practice_id').execute();
    expect(tokens.map((t) => t.practice_id)).toEqual(['default']);
    await screenshot(page, 'practices-02-default-account');
  });

  it('signs out to the sign-in page, outside every practice, with no script or CSP error', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/signin`);
    expect(consoleErrors).toEqual([]);
  });
});
