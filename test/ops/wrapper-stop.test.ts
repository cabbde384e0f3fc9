/**
 * Issue 17: `npm start` and `npx qbo-connect start` under a supervisor left the server orphaned when
 * the wrapper was killed (npm passes SIGTERM to its `sh` only; the node server lived on, port held).
 * The real wrapper is spawned in a fresh data folder on free ports, signalled, and then the whole
 * process tree it had must be gone and the port free. Reads the process tree from /proc (Linux).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/net.js';

const root = path.resolve(import.meta.dirname, '../..');
const npmCli = process.env.npm_execpath && fs.existsSync(process.env.npm_execpath) ? process.env.npm_execpath : undefined;

/** Every descendant of `pid` now, from /proc/<pid>/task/<pid>/children. */
function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((c) => [c, ...descendants(c)]);
}

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms: number, out: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; output:\n${out()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function startWrapper(args: string[]): Promise<{ wrapper: ChildProcess; port: number; out: () => string }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    QBO_CONNECT_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-wrapper-')),
    QBO_CONNECT_PORT: String(port),
    QBO_EMULATOR_PORT: String(await freePort()),
    QBO_CONNECT_LOG_LEVEL: 'warn',
    QBO_ENV: 'emulator',
  };
  delete env.DATABASE_URL;
  // npm itself, run by this node (the npm on PATH may belong to another node).
  const [cmd, argv] = npmCli ? [process.execPath, [npmCli, ...args]] : ['npm', args];
  const wrapper = spawn(cmd, argv, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  wrapper.stdout!.on('data', (d) => (text += String(d)));
  wrapper.stderr!.on('data', (d) => (text += String(d)));
  const out = () => text;
  try {
    await until('the "running at" line', () => /running at http/.test(text), 90_000, out);
  } catch (err) {
    for (const p of [...descendants(wrapper.pid!), wrapper.pid!]) if (alive(p)) process.kill(p, 'SIGKILL');
    throw err;
  }
  return { wrapper, port, out };
}

describe.skipIf(process.platform !== 'linux')('stopping the npm wrapper stops the server (issue 17)', () => {
  for (const [name, args] of [
    ['npm start', ['start']],
    ['npx qbo-connect start', ['exec', '--yes', '--', 'qbo-connect', 'start']],
  ] as const) {
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      it(`${name}, wrapper sent ${signal}: no process left, port free`, async () => {
        const { wrapper, port, out } = await startWrapper([...args]);
        const tree = descendants(wrapper.pid!);
        expect(tree.length, 'npm runs the server below it').toBeGreaterThan(0);
        expect(await portTaken(port)).toBe(true);
        try {
          wrapper.kill(signal);
          await until('the server to stop', () => tree.every((p) => !alive(p)), 20_000, out);
          expect(await portTaken(port), out()).toBe(false);
        } finally {
          // A failed run leaves no orphan behind for the next test.
          for (const p of [wrapper.pid!, ...tree]) if (alive(p)) process.kill(p, 'SIGKILL');
        }
      }, 150_000);
    }
  }
});
