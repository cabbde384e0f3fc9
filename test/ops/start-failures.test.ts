/**
 * Issue 17, defects of `qbo-connect start` (the real bin, spawned):
 * - with DATABASE_URL and a data folder that does not exist yet, it starts (the folder is made 0700);
 * - a busy QBO_CONNECT_PORT, with the embedded emulator already listening and PostgreSQL open, is one
 *   line naming the setting, exit 2, and the process ends (nothing left listening holds it);
 * - a PostgreSQL server that cannot be used — one that closes the connection, or one that accepts it
 *   and never answers — is one line naming DATABASE_URL, exit 2, within a bound: never a stack
 *   labelled "migration failed", never a hang.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clonePostgres } from '../helpers/db.js';
import { freePort } from '../helpers/net.js';
import { killIfRunning, runningUrl, spawnStart, type Started } from './spawn-start.js';

const SECRET = 'test-secret-for-ops-tests-0123456789abcdef';
/** A start that fails must end well inside this (the database connect timeout is 10 s). */
const ENDS_WITHIN_MS = 25_000;

let pg: { url: string; drop: () => Promise<void> };
let running: Started | undefined;
const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  pg = await clonePostgres();
});
afterAll(async () => {
  await pg.drop();
});
afterEach(async () => {
  killIfRunning(running);
  running = undefined;
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

function tmpDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `qbo-connect-ops-${name}-`));
}

/** A TCP server on a free port that does `onSocket` with each connection. */
async function tcpServer(onSocket: (s: net.Socket) => void): Promise<number> {
  const port = await freePort();
  const server = net.createServer((s) => {
    sockets.add(s);
    onSocket(s);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return port;
}

/** The failure is one line on stderr starting "qbo-connect:", no stack frame, exit 2, within the bound. */
async function expectOneLineFailure(s: Started, mentions: RegExp | string): Promise<void> {
  const end = await s.exited;
  const lines = s.err().trim().split('\n');
  expect(end.code, s.err()).toBe(2);
  expect(lines, s.err()).toHaveLength(1);
  expect(lines[0]).toMatch(/^qbo-connect: /);
  if (typeof mentions === 'string') expect(lines[0]).toContain(mentions);
  else expect(lines[0]).toMatch(mentions);
  expect(s.err()).not.toMatch(/\n\s+at |migration/);
  expect(end.ms).toBeLessThan(ENDS_WITHIN_MS);
}

describe('qbo-connect start: operations defects', () => {
  it('DATABASE_URL with a data folder that does not exist yet: starts, and the folder is made 0700', async () => {
    const dataDir = path.join(tmpDir('fresh'), 'not', 'yet');
    running = spawnStart(['--port', String(await freePort()), '--data-dir', dataDir], {
      DATABASE_URL: pg.url,
      QBO_CONNECT_SECRET: SECRET,
      QBO_ENV: 'emulator',
      QBO_EMULATOR_PORT: String(await freePort()),
    });
    const url = await runningUrl(running);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(fs.statSync(dataDir).mode & 0o777).toBe(0o700);
    // Under PostgreSQL no SQLite ledger is made in the folder.
    expect(fs.existsSync(path.join(dataDir, 'qbo-connect.db'))).toBe(false);
    running.child.kill('SIGTERM');
    expect((await running.exited).code).toBe(0);
  }, 90_000);

  it('a busy QBO_CONNECT_PORT with the emulator listening and PostgreSQL open: one line, exit 2, the process ends', async () => {
    const busy = await tcpServer(() => {});
    running = spawnStart(['--data-dir', tmpDir('busy')], {
      QBO_CONNECT_PORT: String(busy),
      DATABASE_URL: pg.url,
      QBO_CONNECT_SECRET: SECRET,
      QBO_ENV: 'emulator',
      QBO_EMULATOR_PORT: String(await freePort()),
    });
    await expectOneLineFailure(running, `QBO_CONNECT_PORT=${busy}: port ${busy} on 127.0.0.1 is in use`);
  }, 60_000);

  it('a PostgreSQL that closes the connection: one line naming DATABASE_URL, exit 2', async () => {
    const port = await tcpServer((s) => s.once('data', () => s.end()));
    running = spawnStart(['--port', String(await freePort()), '--data-dir', tmpDir('closed')], {
      DATABASE_URL: `postgres://qbo:pw@127.0.0.1:${port}/qbo`,
      QBO_CONNECT_SECRET: SECRET,
      QBO_ENV: 'emulator',
      QBO_EMULATOR_PORT: String(await freePort()),
    });
    await expectOneLineFailure(running, /DATABASE_URL: /);
    expect(running.err()).not.toContain('pw@');
  }, 60_000);

  it('a PostgreSQL that accepts the connection and never answers: one line naming DATABASE_URL, exit 2, no hang', async () => {
    const port = await tcpServer(() => {});
    running = spawnStart(['--port', String(await freePort()), '--data-dir', tmpDir('silent')], {
      DATABASE_URL: `postgres://qbo:pw@127.0.0.1:${port}/qbo`,
      QBO_ENV: 'emulator',
      QBO_EMULATOR_PORT: String(await freePort()),
    });
    // Not "closed the connection": node-postgres gave up waiting, and the line says so with the bound.
    await expectOneLineFailure(running, 'DATABASE_URL: the server accepted the connection but did not answer within 10 s');
  }, 60_000);

  it('SIGTERM during start-up (the database still connecting): a line saying it is stopping, then an exit code of its own, not death by signal', async () => {
    let connected!: () => void;
    const reached = new Promise<void>((r) => (connected = r));
    // The connection arriving proves start-up is under way (the handlers are installed before it opens the database).
    const port = await tcpServer(() => connected());
    running = spawnStart(['--port', String(await freePort()), '--data-dir', tmpDir('signal')], {
      DATABASE_URL: `postgres://qbo:pw@127.0.0.1:${port}/qbo`,
      QBO_ENV: 'emulator',
      QBO_EMULATOR_PORT: String(await freePort()),
    });
    await reached;
    running.child.kill('SIGTERM');
    const end = await running.exited;
    // The old code had no handler yet: killed by the signal (exit 143 under a shell), nothing said.
    expect(end.signal, running.out() + running.err()).toBeNull();
    expect(running.out()).toContain('Stopping (SIGTERM) during start-up: after the current step.');
    expect(end.code).toBe(2);
    expect(running.err().trim().split('\n')).toHaveLength(1);
    expect(end.ms).toBeLessThan(ENDS_WITHIN_MS);
  }, 60_000);
});
