/** `qbo-connect practice …` as a real child process: demo, list, import with a full report, exit codes. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleLedger } from './helpers/practice.js';

const bin = path.resolve('bin/qbo-connect.js');

function run(dataDir: string, args: string[]) {
  return spawnSync(process.execPath, [bin, '--data-dir', dataDir, ...args], { env: { ...process.env, QBO_CONNECT_LOG_LEVEL: 'silent' }, encoding: 'utf8', timeout: 60_000 });
}

describe('qbo-connect practice', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-practice-'));

  it('loads the demo and lists its documents', () => {
    const demo = run(dir, ['practice', 'demo', '--size', 'small', '--seed', '4']);
    expect(demo.status, demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/Loaded the small demo practice: \d+ records/);
    const list = run(dir, ['practice', 'list', 'invoices', '--json', '--limit', '5']);
    expect(list.status).toBe(0);
    const page = JSON.parse(list.stdout) as { items: unknown[]; total: number };
    expect(page.items).toHaveLength(5);
    expect(page.total).toBeGreaterThan(5);
  });

  it('creates and lists practices; ledger commands act on --practice, else the only practice, else refuse naming them', () => {
    const own = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-practice-'));
    const bad = run(own, ['practice', 'create', '--id', 'North Studio', '--name', 'North']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^qbo-connect: practice id "North Studio" is not allowed: 1–40 characters, lower-case letters, digits and "-"/);
    const demo = run(own, ['practice', 'demo']); // one practice: the default, without naming it
    expect(demo.stdout).toMatch(/\(into practice default\)\.$/m);
    const created = run(own, ['practice', 'create', '--id', 'north', '--name', 'North Studio']);
    expect(created.status, created.stderr).toBe(0);
    expect(created.stdout.trim()).toBe('Created practice north (North Studio).');
    const list = run(own, ['practice', 'list', '--json']);
    expect((JSON.parse(list.stdout) as Array<{ id: string }>).map((p) => p.id)).toEqual(['default', 'north']);
    const several = run(own, ['practice', 'list', 'contacts']);
    expect([several.status, several.stderr.trim()]).toEqual([2, 'qbo-connect: several practices: name one with --practice ID (default, north)']);
    const empty = run(own, ['--practice', 'north', 'practice', 'list', 'contacts', '--json']);
    expect(empty.status, empty.stderr).toBe(0);
    expect(JSON.parse(empty.stdout)).toMatchObject({ items: [], total: 0 });
  });

  it('imports a file, then the same file again with nothing changed', () => {
    const own = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-practice-'));
    const file = path.join(own, 'ledger.json');
    fs.writeFileSync(file, JSON.stringify(sampleLedger()));
    const first = run(own, ['practice', 'import', file, '--json']);
    expect(first.status, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ ok: true, created: 17 });
    const again = run(own, ['practice', 'import', file, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, created: 0, updated: 0, unchanged: 17 });
  });

  it('refuses a bad CSV with every bad row and field, exit 2, nothing imported', () => {
    const file = path.join(dir, 'contacts.csv');
    fs.writeFileSync(file, `code,name,isClient,isSupplier\nN1,Fine,true,false\nN2,${'x'.repeat(201)},true,false\nN3,Odd,maybe,false\n`);
    const r = run(dir, ['practice', 'import', file]);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      'contact N2 (contacts.csv row 3): name must be at most 200 characters',
      'contact N3 (contacts.csv row 4): isClient must be true or false',
      `qbo-connect: ${file}: 2 problems; nothing was imported`,
    ]);
    const list = run(dir, ['practice', 'list', 'contacts', '--json', '--limit', '1000']);
    expect((JSON.parse(list.stdout) as { items: Array<{ key: string }> }).items.map((i) => i.key)).not.toContain('N1');
  });

  it('refuses NUL in an imported CSV with the row, record and field, exit 2, nothing imported', () => {
    const file = path.join(dir, 'offices.csv');
    fs.writeFileSync(file, 'code,name\nOK1,Fine\nNUL1,Bad\u0000name\n');
    const r = run(dir, ['practice', 'import', file]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')[0]).toBe('office NUL1 (offices.csv row 3): name must not hold control characters (such as NUL, a tab or a line break)');
    const list = run(dir, ['practice', 'list', 'offices', '--json', '--limit', '1000']);
    expect((JSON.parse(list.stdout) as { items: Array<{ key: string }> }).items.map((i) => i.key)).not.toContain('OK1');
  });

  it.each([
    [['practice', 'list', 'widgets'], 'kind widgets: not a kind of practice record'],
    [['practice', 'list', 'invoices', '--from', '2026-02-30'], '--from 2026-02-30: must be a date YYYY-MM-DD'],
    [['practice', 'import', '/nonexistent/file.json'], '/nonexistent/file.json: cannot read the file (ENOENT)'],
    [['practice', 'demo', '--seed', 'abc'], '--seed abc: must be a whole number'],
    [['practice', 'demo', '--size', 'huge'], '--size huge: must be one of small, medium, large'],
    [['practice', 'list', 'invoices', '--state', 'gone'], '--state gone: must be one of active, cancelled'],
  ])('answers bad input %j with one line and exit 2', (args, message) => {
    const r = run(dir, args);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });
});
