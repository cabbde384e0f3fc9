import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { migrations } from './migrations/index.js';
import { renamedMigrations } from './migrations/renames.js';

const folder = fileURLToPath(new URL('./migrations/', import.meta.url));

/** The problems with a migration set: numbers from 0001 with no gap or repeat, every file listed, every listed name a file. */
function namingProblems(files: string[], registered: string[]): string[] {
  const problems: string[] = [];
  const names = files.filter((f) => /^\d/.test(f)).map((f) => f.replace(/\.ts$/, ''));
  for (const n of names) if (!/^\d{4}_[a-z0-9_]+$/.test(n)) problems.push(`${n}: not NNNN_lower_case_name`);
  const numbers = names.map((n) => Number(n.slice(0, 4))).sort((a, b) => a - b);
  numbers.forEach((num, i) => {
    if (i > 0 && num === numbers[i - 1]) problems.push(`number ${String(num).padStart(4, '0')} is used twice`);
  });
  const distinct = [...new Set(numbers)];
  distinct.forEach((num, i) => {
    if (num !== i + 1) problems.push(`gap: expected ${String(i + 1).padStart(4, '0')}, found ${String(num).padStart(4, '0')}`);
  });
  for (const n of names) if (!registered.includes(n)) problems.push(`${n}.ts is not listed in migrations/index.ts`);
  for (const r of registered) if (!names.includes(r)) problems.push(`${r} is listed but has no file`);
  return [...new Set(problems)];
}

describe('migration names', () => {
  const files = fs.readdirSync(folder).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

  it('are numbered 0001 upwards with no gap and no repeat, each file listed once in index.ts', () => {
    expect(namingProblems(files, Object.keys(migrations))).toEqual([]);
    expect(Object.keys(migrations).length).toBeGreaterThanOrEqual(9);
  });

  it('the check finds a gap, a repeated number, an unlisted file and a listed name with no file', () => {
    const ok = ['0001_a.ts', '0002_b.ts', '0003_c.ts', 'index.ts', 'renames.ts'];
    expect(namingProblems(ok, ['0001_a', '0002_b', '0003_c'])).toEqual([]);
    expect(namingProblems(['0001_a.ts', '0002_b.ts', '0004_d.ts'], ['0001_a', '0002_b', '0004_d'])).toEqual(['gap: expected 0003, found 0004']);
    expect(namingProblems(['0001_a.ts', '0002_b.ts', '0002_c.ts'], ['0001_a', '0002_b', '0002_c'])).toEqual(['number 0002 is used twice']);
    expect(namingProblems(ok, ['0001_a', '0002_b'])).toEqual(['0003_c.ts is not listed in migrations/index.ts']);
    expect(namingProblems(['0001_a.ts'], ['0001_a', '0002_b'])).toEqual(['0002_b is listed but has no file']);
  });

  it('the index lists them in file order', () => {
    const keys = Object.keys(migrations);
    expect(keys).toEqual([...keys].sort());
  });

  it('old names map to names of this release, and no old name is reused as a new one', () => {
    for (const [from, to] of Object.entries(renamedMigrations)) {
      expect(migrations, `${from} -> ${to}`).toHaveProperty([to]);
      expect(Object.keys(migrations)).not.toContain(from);
      expect(Object.values(renamedMigrations)).not.toContain(from);
    }
  });
});
