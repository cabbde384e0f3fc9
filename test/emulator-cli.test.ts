/** `qbo-connect emulator` as a child process: prints its URLs, serves, stops on SIGINT, keeps --data across a restart. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { basic, demo } from './helpers/emulator-connect.js';
import { freePort } from './helpers/net.js';

const bin = path.resolve('bin/qbo-connect.js');
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

async function startCli(args: string[]): Promise<{ child: ChildProcess; out: () => string; urls: Record<string, string> }> {
  const child = spawn(process.execPath, [bin, 'emulator', ...args], { env: { ...process.env, QBO_CONNECT_LOG_LEVEL: 'warn' } });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no URL lines: ${out}`)), 20_000);
    const check = () => {
      if (/^companies: /m.test(out)) {
        clearTimeout(t);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', () => reject(new Error(`exited early: ${out}`)));
  });
  const urls: Record<string, string> = {};
  for (const m of out.matchAll(/^(authorize|token|revoke|api|control):\s+(\S+)/gm)) urls[m[1]!] = m[2]!;
  return { child, out: () => out, urls };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  child.kill('SIGINT');
  return exited;
}

describe('qbo-connect emulator', () => {
  it.each([
    [['--limits', 'maybe'], '--limits=maybe: must be one of real, off'],
    [['--batch-metering', 'both'], '--batch-metering=both: must be one of request, item'],
    [['--preset', 'nz'], '--preset=nz: must be one of au, us, uk, ca'],
    [['--time-scale', 'fast'], '--time-scale=fast: must be a positive number'],
    [['--control', 'yes'], '--control=yes: must be one of on, off'],
    [['--port', '70000'], '--port=70000: must be a whole number from 0 to 65535'],
    [['--seed', '-1'], '--seed=-1: must be a whole number'],
  ])('refuses %j with one line naming the flag', (args, message) => {
    const r = spawnSync(process.execPath, [bin, 'emulator', ...args], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });

  it('refuses a data file that is not an emulator database with one line naming --data', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-emu-cli-'));
    const bad = path.join(dir, 'notes.txt');
    fs.writeFileSync(bad, 'these are not the droids\n'.repeat(200));
    const r = spawnSync(process.execPath, [bin, 'emulator', '--port', '0', '--data', bad], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`--data=${bad}: cannot be used as the emulator's data file`);
  });

  it('prints one line per base URL, serves, and keeps its companies across a restart with --data', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-emu-cli-'));
    const data = path.join(dir, 'emulator.db');
    const port = await freePort();
    const args = ['--port', String(port), '--data', data, '--preset', 'uk', '--auto-consent', '--control', 'on'];
    const first = await startCli(args);
    const base = `http://127.0.0.1:${port}`;
    expect(first.urls).toEqual({
      authorize: `${base}/connect/oauth2`,
      token: `${base}/oauth2/v1/tokens/bearer`,
      revoke: `${base}/v2/oauth2/tokens/revoke`,
      api: base,
      control: `${base}/control`,
    });

    const auth = new URL(first.urls.authorize!);
    auth.search = new URLSearchParams({ client_id: demo.id, response_type: 'code', scope: 'com.intuit.quickbooks.accounting', redirect_uri: demo.redirect, state: 's' }).toString();
    const loc = new URL((await fetch(auth, { redirect: 'manual' })).headers.get('location')!);
    const realmId = loc.searchParams.get('realmId')!;
    const tokenRes = await fetch(first.urls.token!, {
      method: 'POST',
      headers: { Authorization: basic(), 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: loc.searchParams.get('code')!, redirect_uri: demo.redirect }),
    });
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const headers = { Authorization: `Bearer ${access_token}`, Accept: 'application/json', 'Content-Type': 'application/json' };
    const created = await fetch(`${base}/v3/company/${realmId}/customer`, { method: 'POST', headers, body: JSON.stringify({ DisplayName: 'Kept Across Restart' }) });
    expect(created.status).toBe(200);
    expect(await stop(first.child)).toBe(0);
    expect(first.out()).toContain('stopped');

    const second = await startCli(args);
    expect(second.out()).toContain(`companies: ${realmId} `);
    const q = encodeURIComponent("select * from Customer where DisplayName = 'Kept Across Restart'");
    const found = (await (await fetch(`${base}/v3/company/${realmId}/query?query=${q}`, { headers })).json()) as { QueryResponse: { Customer?: unknown[] } };
    expect(found.QueryResponse.Customer).toHaveLength(1);
    expect(await stop(second.child)).toBe(0);
  });
});
