/**
 * The web app in a real (headless) Chromium on a fresh data folder: create the administrator,
 * sign out, sign in, create an API token and use it, connect through the emulator's consent page,
 * see the company, disconnect. A screenshot of each step goes to test-results/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createApp, type App } from '../src/app.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/run/server.js';
import { createHttpApp } from '../src/server/http.js';
import { listen, type RunningServer } from '../src/server/serve.js';
import { launchBrowser, screenshot } from './helpers/browser.js';
import { createConnectionService } from '../src/connect/connection/connection.js';
import { testConfig } from './helpers/config.js';
import { freePort } from './helpers/net.js';

const ADMIN = { name: 'Ada Admin', email: 'ada@example.com', password: 'a long admin passphrase' };

describe('web app in a browser: accounts and connection', () => {
  let emu: RunningEmulator;
  let app: App;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let base: string;
  const consoleErrors: string[] = [];
  /** Every HTML page the browser received, to check no secret ever reached one. */
  const pagesSeen: string[] = [];

  beforeAll(async () => {
    emu = await startEmulator({ preset: 'au' });
    const port = await freePort();
    app = await createApp(testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url, QBO_CONNECT_PORT: String(port) }));
    server = await listen(createHttpApp(app.ctx), '127.0.0.1', port);
    base = server.url;
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1024, height: 768 } });
    // A CSP violation (an inline script or style) or a script error shows up here. The refused
    // sign-in's 401 is an expected "Failed to load resource" and is left out.
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    page.on('response', async (r) => {
      if ((r.headers()['content-type'] ?? '').includes('text/html') && r.url().startsWith(base)) pagesSeen.push(await r.text().catch(() => ''));
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await app?.close();
    await emu?.close();
  });

  it('creates the first administrator on a fresh data folder', async () => {
    await page.goto(base);
    expect(new URL(page.url()).pathname).toBe('/setup');
    await screenshot(page, '01-setup');
    await page.getByLabel('Your name').fill(ADMIN.name);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password (at least 10 characters)').fill(ADMIN.password);
    await page.getByLabel('Password again').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.waitForURL(`${base}/connection`);
    // Nothing connected yet: QBO Connect opens on the connect page.
    await expect(page.getByRole('button', { name: 'Connect to QuickBooks' }).isVisible()).resolves.toBe(true);
    await screenshot(page, '02-connect-prompt');
  });

  it('signs out and back in', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/signin`);
    await screenshot(page, '03-signed-out');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('do not match');
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/connection`);
    await expect(page.getByText(ADMIN.name).first().isVisible()).resolves.toBe(true);
  });

  it('creates an API token, shown once, that the JSON API accepts', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account' }).click();
    await page.waitForURL(`${base}/account`);
    await page.getByLabel('What the token is for').fill('browser test');
    await page.getByRole('button', { name: 'Create API token' }).click();
    const token = await page.getByLabel('Token', { exact: true }).inputValue();
    expect(token).toMatch(/^qbc_/);
    await screenshot(page, '04-api-token');
    const api = await fetch(`${base}/api/v1/practice/contacts`, { headers: { authorization: `Bearer ${token}` } });
    expect(api.status).toBe(200);
    await page.goto(`${base}/account`);
    expect(await page.content()).not.toContain(token);
    await expect(page.getByRole('cell', { name: 'browser test', exact: true }).isVisible()).resolves.toBe(true);
  });

  it('revokes the token in place with htmx (CSRF token sent as a header), and the API refuses it', async () => {
    const token = (await app.ctx.db.selectFrom('api_tokens').select('id').where('name', '=', 'browser test').executeTakeFirstOrThrow()).id;
    let reloaded = false;
    page.once('framenavigated', () => (reloaded = true));
    const answer = page.waitForResponse((r) => r.url().endsWith(`/account/tokens/${token}/revoke`));
    await page.getByRole('button', { name: 'Revoke token browser test' }).click();
    const res = await answer;
    expect(res.status()).toBe(200);
    expect(await res.request().headerValue('x-csrf-token')).toBeTruthy();
    await page.locator(`#token-${token}`).getByText('revoked').waitFor();
    expect(reloaded).toBe(false); // htmx swapped the row; no page load
    await screenshot(page, '04b-token-revoked');
  });

  it("connects through the emulator's consent page and shows the company", async () => {
    const company = emu.control.companies()[0]!;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Connection' }).click();
    await page.getByRole('button', { name: 'Connect to QuickBooks' }).click();
    await page.waitForURL((u) => u.toString().startsWith(`${emu.url}/connect/oauth2`));
    await screenshot(page, '05-emulator-consent');
    await page.getByLabel(company.name).check();
    await page.getByRole('button', { name: 'Connect', exact: true }).click();
    await page.waitForURL(`${base}/connection?done=connected`);
    const text = await page.locator('main').textContent();
    expect(text).toContain('Connected to QuickBooks.');
    expect(text).toContain(company.name);
    expect(text).toContain('AU');
    expect(await page.locator('header').textContent()).toContain(`${company.name} — connected`);
    await screenshot(page, '06-connected');
    // No token, client secret or password in any page the browser was sent.
    const svc = createConnectionService({ db: app.ctx.db, config: app.ctx.config, logger: app.ctx.logger, clock: app.ctx.clock });
    const tokens = await svc.store.load(company.realmId);
    expect(tokens?.accessToken).toBeTruthy();
    expect(pagesSeen.length).toBeGreaterThan(5);
    for (const secret of [tokens!.accessToken, tokens!.refreshToken, svc.endpoints.clientSecret!, ADMIN.password]) {
      expect(pagesSeen.some((html) => html.includes(secret))).toBe(false);
    }
  });

  it('disconnects and shows the connect prompt again', async () => {
    // The header has Disconnect too (the seed's top toolbar); this is the connection page's own.
    expect(await page.locator('header').getByRole('button', { name: 'Disconnect' }).isVisible()).toBe(true);
    await page.locator('main').getByRole('button', { name: 'Disconnect' }).click();
    await page.waitForURL(`${base}/connection?done=disconnected`);
    expect(await page.locator('main').textContent()).toContain('Disconnected — connect again');
    await expect(page.getByRole('button', { name: 'Connect to QuickBooks' }).isVisible()).resolves.toBe(true);
    await screenshot(page, '07-disconnected');
  });

  it('kept within the CSP: no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });

  it('fits a tablet: the nav and the connect button are reachable at 768px', async () => {
    await page.setViewportSize({ width: 768, height: 1024 });
    await page.goto(`${base}/connection`);
    await expect(page.getByRole('button', { name: 'Connect to QuickBooks' }).isVisible()).resolves.toBe(true);
    // A string expression: it runs in the page, where `document` exists (this file compiles without DOM types).
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, '08-tablet');
  });
});
