/**
 * The production profile through the real bin: NODE_ENV=production refuses a missing QBO_ENV and, with
 * PostgreSQL, a missing QBO_CONNECT_SECRET, in one line naming the setting; started for a real QBO
 * it neither loads the demo practice nor starts the embedded emulator.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { freePort } from './helpers/net.js';

const bin = path.resolve('bin/qbo-connect.js');

function dataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-prod-'));
}

function run(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, QBO_CONNECT_DATA_DIR: dataDir(), ...env }, encoding: 'utf8', timeout: 60_000 });
}

describe('NODE_ENV=production', () => {
  it.each([
    [{ NODE_ENV: 'production', QBO_ENV: '' }, /^qbo-connect: QBO_ENV: must be set when NODE_ENV=production/],
    [
      { NODE_ENV: 'production', QBO_ENV: 'production', DATABASE_URL: 'postgres://u:hunter2@127.0.0.1:1/db', QBO_CONNECT_SECRET: '' },
      /^qbo-connect: QBO_CONNECT_SECRET: must be set when NODE_ENV=production and DATABASE_URL is set/,
    ],
  ])('start refuses %j in one line naming the setting, exit 2', (env, line) => {
    const r = run(['start'], env);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(line);
    expect(r.stderr).not.toContain('hunter2');
  });

  it('started for a real QBO (QBO_ENV=sandbox) on an empty data folder: no demo practice, no embedded emulator', async () => {
    const dir = dataDir();
    const emulatorPort = await freePort();
    const child = spawn(process.execPath, [bin, 'start', '--port', String(await freePort())], {
      env: {
        ...process.env,
        NODE_ENV: 'production',
        QBO_ENV: 'sandbox',
        QBO_CLIENT_ID: 'ABclientid',
        QBO_CLIENT_SECRET: 'client-secret-value',
        QBO_CONNECT_DATA_DIR: dir,
        QBO_EMULATOR_PORT: String(emulatorPort),
        QBO_CONNECT_LOG_LEVEL: 'warn',
      },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no start line: ${out}`)), 40_000);
      child.stdout.on('data', () => {
        if (/running at http/.test(out)) {
          clearTimeout(t);
          resolve();
        }
      });
      void exited.then(() => reject(new Error(`exited: ${out}`)));
    });
    const emulatorAnswers = await new Promise<boolean>((resolve) => {
      const s = net.connect(emulatorPort, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    // One answered request: start has set its signal handlers (just after printing that line).
    expect((await fetch(`${/running at (http:\/\/\S+)/.exec(out)![1]!}/healthz`)).status).toBe(200);
    child.kill('SIGINT');
    expect(await exited, out).toBe(0);
    expect(emulatorAnswers).toBe(false);
    expect(out).not.toContain('QBO emulator');
    expect(out).toContain('Demo practice not loaded: QBO_ENV=sandbox');
    expect(fs.existsSync(path.join(dir, 'emulator.db'))).toBe(false);
    const db = new SQLite(path.join(dir, 'qbo-connect.db'), { readonly: true });
    const { n } = db.prepare('select count(*) as n from practice_records').get() as { n: number };
    db.close();
    expect(n).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
