/**
 * `qbo-connect connect|status|disconnect` as real child processes against an emulator over HTTP:
 * auto-consent, the browser path (this test plays the browser against the command's own callback
 * listener), and one-line errors without stack traces.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../src/emulator/run/server.js';
import { followEmulatorConsent } from '../src/cli/auto-consent.js';
import { freePort } from './helpers/net.js';
import { createApp } from '../src/app.js';
import { createHttpApp } from '../src/server/http.js';
import { listen } from '../src/server/serve.js';
import { loadConfig } from '../src/config.js';

const bin = path.resolve('bin/qbo-connect.js');

describe('qbo-connect connect, status, disconnect', () => {
  let emu: RunningEmulator;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    emu = await startEmulator({ preset: 'au' });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-cliconn-'));
    // The redirect URI's port is free: `connect` listens there itself (no product server running).
    env = {
      ...process.env,
      QBO_CONNECT_DATA_DIR: dataDir,
      QBO_CONNECT_LOG_LEVEL: 'silent',
      QBO_ENV: 'emulator',
      QBO_EMULATOR_URL: emu.url,
      QBO_CONNECT_PORT: String(await freePort()),
    };
  });
  afterAll(async () => emu?.close());

  // Asynchronous on purpose: the emulator runs in this process, so a blocking spawnSync would starve it.
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, ...args], { env: { ...env, ...extra } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += String(d)));
      child.stderr.on('data', (d) => (stderr += String(d)));
      child.on('exit', (status) => resolve({ status, stdout, stderr }));
    });

  it('shows disconnected before connecting, and refuses to disconnect with one line', async () => {
    const s = await run(['status', '--json']);
    expect(s.status).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ state: 'disconnected', reason: 'never-connected' });
    const d = await run(['disconnect']);
    expect(d.status).toBe(2);
    expect(d.stderr).toContain('Disconnected — connect again');
    expect(d.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('connects with --auto-consent --company, then status shows the company, then disconnects', async () => {
    const company = emu.control.companies()[0]!;
    const unknown = await run(['connect', '--auto-consent', '--company', 'No Such Company']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('--company No Such Company');
    expect(unknown.stderr).not.toMatch(/\n\s+at /);

    const c = await run(['connect', '--auto-consent', '--company', company.name]);
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    expect(c.stdout).toContain(`Connected to ${company.name} (AU)`);
    const s = JSON.parse((await run(['status', '--json'])).stdout);
    expect(s).toMatchObject({ state: 'connected', company: company.name, region: 'AU', realmId: company.realmId });
    expect((await run(['status'])).stdout).toContain('expires:');
    const d = await run(['disconnect']);
    expect(d.status).toBe(0);
    expect(d.stdout).toContain('Disconnected — connect again');
    expect(JSON.parse((await run(['status', '--json'])).stdout)).toMatchObject({ state: 'disconnected', reason: 'disconnected' });
  });

  it('refuses --auto-consent outside the emulator', async () => {
    const r = await run(['connect', '--auto-consent'], { QBO_ENV: 'sandbox', QBO_CLIENT_ID: 'x', QBO_CLIENT_SECRET: 'y' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('works only with the emulator');
  });

  it('prints the authorize URL and completes when the browser comes back to its listener', async () => {
    const child = spawn(process.execPath, [bin, 'connect'], { env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (err += String(d)));
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no URL printed: ${out}${err}`)), 30_000);
      const check = () => {
        const m = /(http:\/\/\S+\/connect\/oauth2\?\S+)/.exec(out);
        if (m && out.includes('Waiting')) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      };
      child.stdout.on('data', check);
    });
    // Play the browser: consent at the emulator, then follow the redirect to the command's listener.
    const cb = await followEmulatorConsent(url, undefined);
    const redirect = new URL(new URL(url).searchParams.get('redirect_uri')!);
    for (const [k, v] of Object.entries(cb)) redirect.searchParams.set(k, v);
    const page = await fetch(redirect);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('You can close this window');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toContain('Connected to');
  });

  it('completes through the product server when it runs on the redirect URI, even before set-up', async () => {
    const app = await createApp(loadConfig({ ...env }));
    const server = await listen(createHttpApp(app.ctx), '127.0.0.1', Number(env.QBO_CONNECT_PORT));
    try {
      const child = spawn(process.execPath, [bin, 'connect'], { env });
      let out = '';
      child.stdout.on('data', (d) => (out += String(d)));
      child.stderr.on('data', (d) => (out += String(d)));
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 30_000);
        child.stdout.on('data', () => {
          const m = /(http:\/\/\S+\/connect\/oauth2\?\S+)/.exec(out);
          if (m && out.includes('Waiting')) {
            clearTimeout(t);
            resolve(m[1]!);
          }
        });
      });
      const cb = await followEmulatorConsent(url, undefined);
      const redirect = new URL(new URL(url).searchParams.get('redirect_uri')!);
      expect(redirect.origin).toBe(server.url);
      for (const [k, v] of Object.entries(cb)) redirect.searchParams.set(k, v);
      const page = await fetch(redirect, { redirect: 'manual' });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Connected to QuickBooks. You can close this window.');
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      expect(code).toBe(0);
      expect(out).toContain('Connected to');
      expect(out).toContain('connected by: qbo-connect connect (command line)');
    } finally {
      await server.close();
      await app.close();
    }
  });
});
