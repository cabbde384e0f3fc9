/**
 * The real `qbo-connect start` (bin/qbo-connect.js), spawned for operations tests: its output, its exit
 * code and how long it took to end, so a test can tell "one line and exit 2" from a stack or a hang.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const bin = path.resolve('bin/qbo-connect.js');

export interface Started {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  /** Resolves with the exit code (or the signal's name) and the milliseconds since spawn. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

export function spawnStart(args: string[], env: NodeJS.ProcessEnv, cwd?: string): Started {
  const t0 = Date.now();
  const child = spawn(process.execPath, [bin, 'start', ...args], { env: { ...process.env, QBO_CONNECT_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'], cwd });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (err += String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - t0 })),
  );
  return { child, out: () => out, err: () => err, exited };
}

/** Waits for the "running at URL" line; rejects with what was printed when the process ends first or `ms` passes. */
export function runningUrl(s: Started, ms = 40_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "running at" line within ${ms} ms: ${s.out()} ${s.err()}`)), ms);
    const look = () => {
      const m = /running at (http:\/\/\S+)/.exec(s.out());
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    };
    s.child.stdout!.on('data', look);
    void s.exited.then(() => {
      clearTimeout(t);
      reject(new Error(`ended before running: ${s.out()} ${s.err()}`));
    });
  });
}

/** Kills the process if a failed assertion left it running (no test leaves one behind). */
export function killIfRunning(s: Started | undefined): void {
  if (s && s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
}
