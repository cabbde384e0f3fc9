/**
 * A headless Chromium for browser tests, found without manual steps (ARCHITECTURE §10), in order:
 * CHROMIUM_PATH, Debian's /usr/bin/chromium, then the @sparticuz/chromium dev dependency (which
 * unpacks a Linux Chromium to /tmp on first use). The flags keep it off the network: these machines
 * have none, and a test must not depend on one. Screenshots go to test-results/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium as playwright, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export async function findChromium(): Promise<{ path: string; source: string }> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv}: no such file`);
    return { path: fromEnv, source: 'CHROMIUM_PATH' };
  }
  if (fs.existsSync('/usr/bin/chromium')) return { path: '/usr/bin/chromium', source: '/usr/bin/chromium' };
  return { path: await unpackSparticuz(), source: '@sparticuz/chromium' };
}

/**
 * @sparticuz/chromium unpacks to /tmp/chromium on first use and afterwards returns that path as soon
 * as the file exists, even while another process is still writing it. Test files run in parallel
 * processes, so the first one unpacks under a lock directory and the others wait for it.
 */
async function unpackSparticuz(): Promise<string> {
  const { default: sparticuz } = await import('@sparticuz/chromium');
  const lock = path.join(os.tmpdir(), 'qbo-connect-chromium.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock older than two minutes belongs to a process that died while unpacking.
      const held = fs.statSync(lock, { throwIfNoEntry: false });
      if (!held) continue; // released just now: try again
      const age = Date.now() - held.mtimeMs;
      if (age > 120_000 || Date.now() > deadline) fs.rmSync(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await sparticuz.executablePath();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

export async function launchBrowser(): Promise<Browser> {
  const found = await findChromium();
  return playwright.launch({ executablePath: found.path, headless: true, args: CHROMIUM_ARGS });
}

export const RESULTS_DIR = path.resolve('test-results');

/** Saves a full-page screenshot as test-results/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name.replace(/[^a-z0-9._-]+/gi, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
