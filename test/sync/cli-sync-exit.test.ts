/**
 * The real `qbo-connect` bin, spawned, against the emulator:
 * - a sync with more than one of the client's rate windows of work ends with exit code 0 and its
 *   summary (the limiter's window timer once was unref'd: the event loop emptied while the sync
 *   waited for the next window and Node ended the command with code 13 and no output);
 * - with logs on (debug), every `--json` command prints one JSON document on stdout, logs on stderr.
 * The client's window is shortened by QBO_EMULATOR_TIME_SCALE and its cap by
 * QBO_CONNECT_REQUESTS_PER_MINUTE, so several windows pass in seconds.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { readyDemo } from './demo-setup.js';

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

// SQLite only, to keep the suite's time (~50 s a dialect, most of it the rate windows waited out):
// what it proves is the CLI's, not the database's; the spawned CLI syncs on PostgreSQL in robustness
// (the lock) and disconnect-during-sync.
describe.each(dialects.filter((d) => d === 'sqlite'))('qbo-connect sync, spawned [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);
  let env: NodeJS.ProcessEnv;
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    new Promise<Ran>((resolve) => {
      const child = spawn(process.execPath, [path.resolve('bin/qbo-connect.js'), ...args], { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.on('exit', (code, signal) => resolve({ code, signal, out, err }));
    });

  beforeAll(async () => {
    await readyDemo(c.app.ctx, syncDepsFor(c.app.ctx, c.realmId).client, c.realmId, { size: 'small', direction: 'export', applyCredits: false });
    await c.app.close();
    env = c.cliEnv({
      // A window of 620 ms (62 s / 100) holding 15 requests: the sync below needs several.
      QBO_EMULATOR_TIME_SCALE: '100',
      QBO_CONNECT_REQUESTS_PER_MINUTE: '15',
    });
  });

  it('a sync that waits for the next rate window finishes: exit code 0 and its summary', async () => {
    const started = Date.now();
    const r = await cli(['sync', '--yes']);
    const elapsed = Date.now() - started;
    expect({ code: r.code, signal: r.signal }, `${r.out}\n${r.err}`).toEqual({ code: 0, signal: null });
    const m = /Run run-\S+ succeeded in [\d.]+ s: (\d+) records .*; (\d+) QuickBooks requests\./.exec(r.out);
    expect(m, r.out).not.toBeNull();
    // More than one window of work: every request weighs at least 1 (a batch its operations), so
    // more than 15 requests reached the cap of 15 a window and waited for the next one.
    expect(Number(m![1])).toBeGreaterThan(15);
    expect(Number(m![2])).toBeGreaterThan(15);
    expect(elapsed).toBeGreaterThan(620);
    const history = await cli(['history', '--json']);
    const runs = (JSON.parse(history.out) as { runs: Array<{ status: string }> }).runs;
    expect(runs.map((x) => x.status)).toEqual(['succeeded']);
  }, 180_000);

  it('with debug logs on, each --json command prints exactly one JSON document on stdout', async () => {
    const loud = { QBO_CONNECT_LOG_LEVEL: 'debug' };
    for (const args of [
      ['sync', '--yes', '--json'],
      ['history', '--json'],
      ['status', '--json'],
      ['recover', '--json'],
      ['preview', '--json'],
      ['settings', 'show', '--json'],
      ['skipped', '--json'],
    ]) {
      const r = await cli(args, loud);
      expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(0);
      expect(() => JSON.parse(r.out), `${args.join(' ')} stdout:\n${r.out.slice(0, 400)}`).not.toThrow();
    }
    // The logs were written, to stderr.
    const r = await cli(['sync', '--yes', '--json'], loud);
    expect(r.err).toMatch(/"level":20/);
    expect((JSON.parse(r.out) as { status: string }).status).toBe('succeeded');
  }, 180_000);
});
