/**
 * Isolation of the practice ledger is enforced in one place (issue 15): every query of
 * `practice_records` goes through `recordsOf` in store.ts (between its `ledger-door` markers), which
 * reads only the practice named and writes into it. A source scan fails on any other place that names
 * the table in code (a query builder call or raw SQL); the fixtures below show it catches a new one.
 * Then the same keys in two practices, read back through the store's public functions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../test/helpers/db.js';
import { sampleLedger, sampleOf } from '../../test/helpers/practice.js';
import { exportDocument, importDocument } from './import.js';
import { createPractice } from './practices.js';
import { countRecords, createRecord, getRecord, getRecordsByKeys, listDocumentsForExport, listRecords, PracticeError, updateRecord } from './store.js';

const srcRoot = fileURLToPath(new URL('../', import.meta.url));
const STORE = 'src/practice/store.ts';

/** Code that names the table: a quoted name (query builders, types) or raw SQL after from/into/update/join/table. */
const NAMES_TABLE = /['"`]practice_records['"`]|\b(?:from|into|update|join|table)\s+practice_records\b/i;

/** Comments removed, lines kept (so a line number still points at the source). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Every place outside the door that names practice_records in code, as `path:line`. */
function ledgerDoorOffenders(files: Array<{ path: string; text: string }>): string[] {
  const out: string[] = [];
  for (const f of files) {
    // Migrations create and reshape the table; they are the schema, not queries of a practice's data.
    if (f.path.startsWith('src/store/migrations/')) continue;
    let inDoor = false;
    code(f.text)
      .split('\n')
      .forEach((line, i) => {
        const raw = f.text.split('\n')[i] ?? '';
        if (f.path === STORE && raw.includes('// ledger-door:start')) inDoor = true;
        if (f.path === STORE && raw.includes('// ledger-door:end')) inDoor = false;
        if (!inDoor && NAMES_TABLE.test(line)) out.push(`${f.path}:${i + 1}`);
      });
  }
  return out;
}

function sourceFiles(dir: string): Array<{ path: string; text: string }> {
  const out: Array<{ path: string; text: string }> = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(full));
    else if (/\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name)) {
      out.push({ path: path.relative(path.join(srcRoot, '..'), full).split(path.sep).join('/'), text: fs.readFileSync(full, 'utf8') });
    }
  }
  return out;
}

describe('the ledger door', () => {
  const files = sourceFiles(srcRoot);
  const store = files.find((f) => f.path === STORE)!;

  it('no source file queries practice_records except through the one door in store.ts', () => {
    expect(store).toBeDefined();
    expect(files.length).toBeGreaterThan(100);
    expect(ledgerDoorOffenders(files)).toEqual([]);
  });

  it('the door reads only the practice named and writes into it', () => {
    const door = store.text.slice(store.text.indexOf('// ledger-door:start'), store.text.indexOf('// ledger-door:end'));
    expect(door).toContain(".selectFrom('practice_records').where('practice_id', '=', practiceId)");
    expect(door).toContain('practice_id: practiceId');
    expect(door).toContain("oc.columns(['practice_id', 'kind', 'key'])");
    // One door: it is opened once for selects and once for writes.
    expect(door.match(/selectFrom\(/g)).toHaveLength(1);
    expect(door.match(/insertInto\(/g)).toHaveLength(1);
  });

  it('catches a new offender: a query elsewhere, raw SQL, or a query in the store outside the door', () => {
    const offenders = ledgerDoorOffenders([
      { path: 'src/connect/sneaky.ts', text: "// practice_records in a comment is fine\nconst rows = await db.selectFrom('practice_records').selectAll().execute();" },
      { path: 'src/server/raw.ts', text: 'await sql`SELECT count(*) FROM practice_records`.execute(db);' },
      { path: STORE, text: `${store.text}\nexport const leak = (db: Db) => db.selectFrom("practice_records").selectAll().execute();\n` },
      { path: 'src/store/migrations/0099_later.ts', text: "await db.schema.alterTable('practice_records').execute();" },
    ]);
    expect(offenders).toEqual(['src/connect/sneaky.ts:2', 'src/server/raw.ts:1', `${STORE}:${store.text.split('\n').length + 1}`]);
  });
});

const t1 = new Date('2026-11-20T10:00:00Z');
const t2 = new Date('2026-11-21T10:00:00Z');

describeEachDialect('two practices, the same keys', (ctx) => {
  const other = 'second-practice';
  beforeAll(async () => {
    await createPractice(ctx.db, { id: other, name: 'Second Practice' }, 'tester', t1);
    expect((await importDocument(ctx.db, 'default', sampleLedger(), t1)).issues).toEqual([]);
    // The same natural keys in the second practice, with other names.
    const doc = sampleLedger() as unknown as Record<string, Array<Record<string, unknown>>>;
    for (const c of doc.contacts ?? []) c.name = `Other ${String(c.name)}`;
    expect((await importDocument(ctx.db, other, doc, t1)).issues).toEqual([]);
  });

  it('each practice reads only its own records, whatever the function', async () => {
    const key = String((sampleOf('contact') as { code: string }).code);
    const mine = await getRecord(ctx.db, 'default', 'contact', key);
    const theirs = await getRecord(ctx.db, other, 'contact', key);
    expect(mine?.record.name).toBe((sampleOf('contact') as { name: string }).name);
    expect(theirs?.record.name).toBe(`Other ${mine?.record.name}`);
    expect(mine?.id).not.toBe(theirs?.id);
    expect((await getRecordsByKeys(ctx.db, other, 'contact', [key])).get(key)?.record.name).toBe(theirs?.record.name);
    expect((await listRecords(ctx.db, other, 'contact', { limit: 1000 })).items.every((s) => s.record.name.startsWith('Other '))).toBe(true);
    expect(await countRecords(ctx.db, other)).toEqual(await countRecords(ctx.db, 'default'));
    expect(await countRecords(ctx.db, 'nobody')).toEqual({});
    const docs = await listDocumentsForExport(ctx.db, other, { kind: 'invoice', fromDate: '2000-01-01' });
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) if (d.contact) expect(d.contact.record.name).toMatch(/^Other /);
    const exported = (await exportDocument(ctx.db, other)) as { contacts: Array<{ name: string }> };
    expect(exported.contacts.every((c) => c.name.startsWith('Other '))).toBe(true);
  });

  it('a write in one practice leaves the other as it was; a key new to one is absent from the other', async () => {
    const key = String((sampleOf('contact') as { code: string }).code);
    const before = await getRecord(ctx.db, 'default', 'contact', key);
    const theirs = (await getRecord(ctx.db, other, 'contact', key))!;
    const { changed } = await updateRecord(ctx.db, other, 'contact', key, { ...theirs.record, name: 'Renamed in the second practice' }, t2);
    expect(changed).toBe(true);
    expect(await getRecord(ctx.db, 'default', 'contact', key)).toEqual(before);

    await createRecord(ctx.db, other, 'contact', { ...sampleOf('contact'), code: 'ONLY-THERE' }, t2);
    expect(await getRecord(ctx.db, 'default', 'contact', 'ONLY-THERE')).toBeUndefined();
    const e = await updateRecord(ctx.db, 'default', 'contact', 'ONLY-THERE', { ...sampleOf('contact'), code: 'ONLY-THERE' }, t2).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(PracticeError);
    expect((e as PracticeError).status).toBe(404);
  });
});
