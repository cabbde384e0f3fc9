/** The `qbo-connect` command as a real child process: start, health check, clean stop, bad config. */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from './helpers/net.js';

const bin = path.resolve('bin/qbo-connect.js');

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
}

describe('qbo-connect command', () => {
  it('prints help', () => {
    const r = run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('start');
  });

  it.each([
    [{ QBO_CONNECT_PORT: 'abc' }, [], 'QBO_CONNECT_PORT=abc: must be a port number'],
    [{ DATABASE_URL: 'nonsense' }, [], 'DATABASE_URL: must be a PostgreSQL URL'],
    [{}, ['--port', '0x'], '--port=0x: must be a port number'],
  ])('refuses bad configuration %j %j with one line and a non-zero exit', (env, flags, message) => {
    const r = run([...flags, 'start'], env);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('starts, answers /healthz, and stops cleanly on SIGINT', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-cli-'));
    const port = await freePort();
    const child = spawn(process.execPath, [bin, 'start', '--port', String(port), '--data-dir', dataDir], {
      // start also runs the embedded emulator: on a free port, so parallel tests never collide.
      env: { ...process.env, QBO_CONNECT_LOG_LEVEL: 'warn', QBO_EMULATOR_PORT: String(await freePort()) },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
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
    const health = (await (await fetch(`${url}/healthz`)).json()) as { status: string; database: string };
    expect(health).toMatchObject({ status: 'ok', database: 'sqlite' });
    expect(fs.existsSync(path.join(dataDir, 'qbo-connect.db'))).toBe(true);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(0);
    expect(out).toContain('stopped');
  });
});
