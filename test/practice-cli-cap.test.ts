/** `qbo-connect practice import` of a file with a million broken records: the first 1,000 problems, one line saying the rest, exit 2. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = path.resolve('bin/qbo-connect.js');

describe('qbo-connect practice import, capped report', () => {
  it('prints at most 1,000 problems and says reading stopped; nothing imported', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-cap-'));
    const file = path.join(dir, 'broken.json');
    fs.writeFileSync(file, `{"offices":[${Array.from({ length: 1_000_000 }, () => '{}').join(',')}]}`);
    const r = spawnSync(process.execPath, [bin, '--data-dir', dir, 'practice', 'import', file], {
      env: { ...process.env, QBO_CONNECT_LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    const lines = r.stderr.trim().split('\n');
    expect(r.status, r.stderr.slice(-500)).toBe(2);
    // 1,000 problems (each record misses code and name: two per record, so 1,000 of them fill the cap), the "more" line, the summary.
    expect(lines).toHaveLength(1002);
    expect(lines[1000]).toMatch(/reading stopped at offices\[\d+\], so the rest of the input was not checked/);
    expect(lines[1001]).toMatch(/^qbo-connect: .*broken\.json: 1000 or more problems; nothing was imported$/);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 180_000);
});
