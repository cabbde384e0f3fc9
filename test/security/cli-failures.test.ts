/**
 * Issue 12 §12 (and §9 through the command line): an expected failure — a key that cannot read the
 * stored tokens, a database that cannot be reached, a port in use — prints one line saying what and
 * how to fix it, no stack trace, and exits non-zero. The real bin is spawned.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/net.js';
import { stackTraceIn } from './harness.js';
import { dataDirWithTokens, SECRET_A, SECRET_B } from './stored-tokens.js';

const bin = path.resolve('bin/qbo-connect.js');

function run(args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, DATABASE_URL: '', QBO_CONNECT_SECRET: '', QBO_CONNECT_LOG_LEVEL: 'silent', ...env },
  });
  return { status: r.status, stderr: r.stderr.trim(), stdout: r.stdout };
}

function expectOneLine(r: { status: number | null; stderr: string }, ...parts: (string | RegExp)[]) {
  expect(r.status, r.stderr).not.toBe(0);
  expect(r.status, r.stderr).not.toBeNull();
  expect(r.stderr.split('\n'), r.stderr).toHaveLength(1);
  expect(stackTraceIn(r.stderr), r.stderr).toBeUndefined();
  expect(r.stderr).toMatch(/^qbo-connect: /);
  for (const p of parts) expect(r.stderr).toMatch(p);
}

describe('security: the CLI fails in one line', () => {
  it('with a QBO_CONNECT_SECRET that cannot read the stored tokens (status and preview)', async () => {
    const dataDir = await dataDirWithTokens(SECRET_A);
    for (const args of [['status'], ['preview']]) {
      const r = run(args, { QBO_CONNECT_DATA_DIR: dataDir, QBO_CONNECT_SECRET: SECRET_B });
      expectOneLine(r, /QBO_CONNECT_SECRET/, /token-key/);
      expect(r.stderr).not.toContain(SECRET_B);
      expect(r.stdout).not.toMatch(/Connected/);
    }
  }, 120_000);

  it('when QBO_CONNECT_DATA_DIR is a file, lies under a file, or cannot be created (/proc), quickly', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-sec-dir-')), 'plain-file');
    fs.writeFileSync(file, 'not a folder');
    const cases: [string, RegExp][] = [
      [file, /is a file, not a folder/],
      [path.join(file, 'x'), /part of that path is a file/],
      ['/dev/null/x', /part of that path is a file/],
    ];
    // Under /proc mkdir answers ENOENT although /proc exists; Node's recursive mkdir then looped for 40 s.
    if (process.platform === 'linux') cases.push(['/proc/qbo-sec-nope', /cannot be created/]);
    for (const [dir, why] of cases) {
      const started = Date.now();
      const r = run(['status'], { QBO_CONNECT_DATA_DIR: dir });
      expectOneLine(r, /QBO_CONNECT_DATA_DIR/, why);
      expect(r.stderr).toContain(dir);
      expect(Date.now() - started, `${dir} took too long`).toBeLessThan(20_000);
    }
  }, 120_000);

  it('when the database cannot be reached', async () => {
    const port = await freePort();
    const r = run(['status'], {
      QBO_CONNECT_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-sec-db-')),
      DATABASE_URL: `postgres://someone:hunter2secret@127.0.0.1:${port}/nothing`,
    });
    expectOneLine(r, /DATABASE_URL/, /cannot be reached/);
    expect(r.stderr).not.toContain('hunter2secret');
  }, 60_000);

  it('when the port is in use', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    const emulatorPort = await freePort();
    try {
      const child = spawn(process.execPath, [bin, 'start', '--port', String(port)], {
        env: {
          ...process.env,
          DATABASE_URL: '',
          QBO_CONNECT_SECRET: '',
          QBO_CONNECT_LOG_LEVEL: 'silent',
          QBO_EMULATOR_PORT: String(emulatorPort),
          QBO_CONNECT_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-sec-port-')),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const status = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve(null);
        }, 90_000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
      expectOneLine({ status, stderr: stderr.trim() }, /in use/, /--port/);
      expect(stderr).toContain(`port ${port}`);
    } finally {
      taken.close();
    }
  }, 120_000);
});
