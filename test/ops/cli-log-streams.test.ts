/**
 * The real bin, spawned with stdout and stderr piped (issue 17): stdout carries only the command's
 * answer (`--json` parses), the log goes to stderr — one JSON object a line when stderr is not a
 * terminal, pino-pretty's lines with QBO_CONNECT_LOG_FORMAT=pretty — and the sync's lines carry its
 * run id and company id.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { readyDemo } from '../sync/demo-setup.js';

/** util-linux's `script` gives the command a real terminal (a pty) for the auto format. */
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

interface Ran {
  code: number | null;
  out: string;
  err: string;
}

describe('CLI logs go to stderr, the answer to stdout [sqlite]', () => {
  const c = withConnectedEmulator('sqlite');
  let env: NodeJS.ProcessEnv;
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    new Promise<Ran>((resolve) => {
      const child = spawn(process.execPath, [path.resolve('bin/qbo-connect.js'), ...args], { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.on('exit', (code) => resolve({ code, out, err }));
    });

  beforeAll(async () => {
    await readyDemo(c.app.ctx, syncDepsFor(c.app.ctx, c.realmId).client, c.realmId, { size: 'small', direction: 'export', applyCredits: false });
    await c.app.close();
    env = c.cliEnv({ QBO_CONNECT_LOG_LEVEL: 'debug' });
  });

  it('sync --json: one JSON document on stdout; JSON log lines on stderr, the run’s carrying its run and company ids', async () => {
    const r = await cli(['sync', '--yes', '--json']);
    expect(r.code, r.err.slice(0, 400)).toBe(0);
    const answer = JSON.parse(r.out) as { runId: string; status: string };
    expect(answer.status).toBe('succeeded');
    const lines = r.err
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: number; msg: string; runId?: string; realmId?: string });
    expect(lines.length).toBeGreaterThan(5);
    const ofRun = lines.filter((l) => l.runId === answer.runId);
    expect(ofRun.map((l) => l.msg)).toEqual(expect.arrayContaining(['qbo: attempt', 'sync run finished']));
    expect(ofRun.every((l) => l.realmId === c.realmId)).toBe(true);
  }, 120_000);

  it('QBO_CONNECT_LOG_FORMAT=pretty: human lines on stderr, stdout unchanged', async () => {
    const r = await cli(['history', '--json'], { QBO_CONNECT_LOG_FORMAT: 'pretty' });
    expect(r.code, r.err.slice(0, 400)).toBe(0);
    expect(() => JSON.parse(r.out)).not.toThrow();
    const s = await cli(['sync', '--yes', '--json'], { QBO_CONNECT_LOG_FORMAT: 'pretty' });
    expect(s.code, s.err.slice(0, 400)).toBe(0);
    expect((JSON.parse(s.out) as { status: string }).status).toBe('succeeded');
    expect(s.err).toMatch(/DEBUG.*sync run finished/);
    expect(s.err.split('\n').filter((l) => l.startsWith('{'))).toEqual([]);
  }, 120_000);

  it.skipIf(!hasScript)(
    'on a terminal (a pty, QBO_CONNECT_LOG_FORMAT unset) the log is pretty',
    async () => {
      const command = [process.execPath, path.resolve('bin/qbo-connect.js'), 'sync', '--yes', '--json'].map((a) => `'${a}'`).join(' ');
      const r = await new Promise<Ran>((resolve) => {
        const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...env, QBO_CONNECT_LOG_FORMAT: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (b: Buffer) => (out += b.toString()));
        child.on('exit', (code) => resolve({ code, out, err: '' }));
      });
      expect(r.code, r.out.slice(0, 400)).toBe(0);
      expect(r.out).toMatch(/DEBUG.*sync run finished/);
      expect(r.out).not.toMatch(/^\{"level"/m);
    },
    120_000,
  );
});
