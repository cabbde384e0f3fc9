/**
 * `qbo-connect users add --help` says that --name is required (issue 17): Commander's help lists a
 * required option like any other, so the usage line and its text say it.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = path.resolve('bin/qbo-connect.js');

describe('qbo-connect users add --help', () => {
  it('marks --name as required, in the usage line and beside the option', () => {
    const r = spawnSync(process.execPath, [bin, 'users', 'add', '--help'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: qbo-connect users add \[options\] <email> --name <name>$/m);
    expect(r.stdout).toMatch(/^ {2}--name <name> +full name \(required\)$/m);
  });
});
