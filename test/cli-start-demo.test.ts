/**
 * Issue 19, demo data in real ledgers: the real `qbo-connect start`, spawned, loads the demo practice
 * only with the emulator into an empty ledger; with QBO_ENV=production it says in one line how to load
 * it and the ledger stays empty.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from './helpers/net.js';

const bin = path.resolve('bin/qbo-connect.js');

/** Starts the product, waits for its "running at" line, stops it with SIGINT; the output and exit code. */
async function startOnce(dataDir: string, env: NodeJS.ProcessEnv): Promise<{ out: string; code: number | null }> {
  const child = spawn(process.execPath, [bin, 'start', '--port', String(await freePort()), '--data-dir', dataDir], {
    env: { ...process.env, QBO_CONNECT_LOG_LEVEL: 'warn', QBO_EMULATOR_PORT: String(await freePort()), ...env },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (out += String(d)));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no start line: ${out}`)), 20_000);
    child.stdout.on('data', () => {
      const m = /running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
  });
  // Up and answering (its signal handlers are in place by then).
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  child.kill('SIGINT');
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  return { out, code };
}

function contacts(dataDir: string, env: NodeJS.ProcessEnv): string {
  const r = spawnSync(process.execPath, [bin, 'practice', 'list', 'contact', '--data-dir', dataDir], {
    env: { ...process.env, QBO_CONNECT_LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('qbo-connect start and the demo practice', () => {
  it('QBO_ENV=production: no demo, one line saying how', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-start-prod-'));
    const env = { QBO_ENV: 'production' };
    const { out, code } = await startOnce(dataDir, env);
    expect(code).toBe(0);
    const hint = out.split('\n').filter((l) => l.includes('Demo practice not loaded'));
    expect(hint).toHaveLength(1);
    expect(hint[0]).toContain('QBO_ENV=production');
    expect(contacts(dataDir, env)).not.toMatch(/C90\d\d/);
  }, 60_000);

  it('emulator, empty ledger: the demo is loaded', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-start-emu-'));
    const { out, code } = await startOnce(dataDir, { QBO_ENV: 'emulator' });
    expect(code, out).toBe(0);
    expect(out).toContain('Loaded the small demo practice');
    expect(contacts(dataDir, { QBO_ENV: 'emulator' })).toMatch(/C90\d\d/);
  }, 60_000);
});
