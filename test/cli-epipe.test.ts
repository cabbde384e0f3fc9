/**
 * `qbo-connect … | head`: the reader closes the pipe early and the next write fails with EPIPE. The
 * command ends quietly (exit 0, nothing on stderr), not with an unhandled-error stack.
 */
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { bin } from './ops/spawn-start.js';

it('a closed stdout pipe (| head) ends the command quietly, exit 0, no stack', async () => {
  const child = spawn(process.execPath, [bin, 'help', 'history'], { stdio: ['ignore', 'pipe', 'pipe'] });
  // The reader is gone before the command writes anything.
  child.stdout.destroy();
  let err = '';
  child.stderr.on('data', (d) => (err += String(d)));
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  expect(err).toBe('');
  expect(code).toBe(0);
}, 30_000);
