import { describe, expect, it } from 'vitest';
import { unexpectedExit } from './soak.js';

const base = { code: 0 as number | null, signal: null as NodeJS.Signals | null, killed: false, watchdog: false, json: true, stdout: '{}', stderr: '' };

describe('the chaos soak fails on a sync process that ends in a way the CLI does not promise', () => {
  it('accepts 0, 1 and 3 with a JSON answer, 2 with its one line, and the kills it made itself', () => {
    for (const code of [0, 1, 3]) expect(unexpectedExit({ ...base, code })).toBeUndefined();
    expect(unexpectedExit({ ...base, code: 2, json: false, stdout: '', stderr: 'qbo-connect: A sync of this company is already running' })).toBeUndefined();
    expect(unexpectedExit({ ...base, code: null, signal: 'SIGKILL', killed: true, json: false })).toBeUndefined();
  });

  it('names the silent exit 13, a crash, output that is not JSON, and a watchdog kill', () => {
    expect(unexpectedExit({ ...base, code: 13, json: false, stdout: '' })).toBe('exit 13 (stderr: nothing)');
    expect(unexpectedExit({ ...base, code: null, signal: 'SIGSEGV', json: false })).toBe('exit SIGSEGV (stderr: nothing)');
    expect(unexpectedExit({ ...base, code: 0, json: false, stdout: '{"level":30,"msg":"qbo: retrying"}\n{' })).toMatch(
      /^exit 0 without a JSON answer on stdout \(stdout: \{"level":30/,
    );
    expect(unexpectedExit({ ...base, code: null, signal: 'SIGKILL', watchdog: true, json: false })).toMatch(/^watchdog/);
  });
});
