/**
 * A clone's bin started from another working folder (a supervisor's, `npx --prefix`, a shell in $HOME)
 * renders its pages: tsx must compile the JSX with the project's tsconfig, not look for one in the
 * working folder (the pages answered 500 "React is not defined" before, found from outside in issue 18).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/net.js';
import { killIfRunning, runningUrl, spawnStart, type Started } from './spawn-start.js';

describe('start from another working folder', () => {
  const elsewhere = mkdtempSync(path.join(tmpdir(), 'qbo-elsewhere-'));
  let s: Started | undefined;
  afterAll(() => {
    killIfRunning(s);
    rmSync(elsewhere, { recursive: true, force: true });
  });

  it('serves the sign-in page (JSX) with status 200', async () => {
    s = spawnStart(
      ['--port', String(await freePort()), '--data-dir', path.join(elsewhere, 'data')],
      { QBO_ENV: 'emulator', QBO_EMULATOR_PORT: String(await freePort()) },
      elsewhere,
    );
    const url = await runningUrl(s);
    const res = await fetch(`${url}/signin`);
    const body = await res.text();
    expect(res.status, body.slice(0, 300)).toBe(200);
    expect(body).toContain('<form');
    s.child.kill('SIGTERM');
    expect((await s.exited).code).toBe(0);
  }, 90_000);
});
