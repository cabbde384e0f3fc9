#!/usr/bin/env node
/**
 * `npm run fuzz [-- files…]`: the property tests (every test file that uses fast-check, and the
 * stateful model test under test/model/) on a fresh random seed and FC_RUNS_SCALE times their runs
 * (default 10). FC_SEED=… replays a seed; a counterexample found becomes a regression test.
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

function testFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : testFiles(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

const all = [...testFiles('src'), ...testFiles('test')];
const property = all.filter((f) => f.startsWith(`test${path.sep}model${path.sep}`) || /from 'fast-check'/.test(fs.readFileSync(f, 'utf8')));
const files = process.argv.slice(2).length ? process.argv.slice(2) : property;
const seed = process.env.FC_SEED || String(randomInt(1, 2 ** 31 - 1));
const scale = process.env.FC_RUNS_SCALE || '10';
console.log(`fuzz: FC_SEED=${seed} FC_RUNS_SCALE=${scale}, ${files.length} file(s): ${files.join(' ')}`);
// More runs take longer: each test's time limit grows with them.
const timeout = Math.round(30_000 * Math.max(1, Number(scale)));
const r = spawnSync('npx', ['vitest', 'run', `--testTimeout=${timeout}`, ...files], { env: { ...process.env, FC_SEED: seed, FC_RUNS_SCALE: scale }, stdio: 'inherit' });
console.log(`fuzz: ${r.status === 0 ? 'no counterexample' : 'FAILED'} with FC_SEED=${seed} FC_RUNS_SCALE=${scale}`);
process.exit(r.status ?? 1);
