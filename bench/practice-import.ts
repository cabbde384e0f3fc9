// Times importing the demo practice into a fresh SQLite file (and PostgreSQL when DATABASE_URL is set):
// the first import, and the same import again (all unchanged). The target: medium in under 10 s,
// large generated and imported in under 30 s.
// Run: npx tsx bench/practice-import.ts [small|medium|large ...]

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDatabase } from '../src/store/db.js';
import { demoSizes, generateDemoPractice, type DemoSize } from '../src/practice/demo.js';
import { importDocument } from '../src/practice/import.js';

const sizes = (process.argv.slice(2).length ? process.argv.slice(2) : ['medium']).filter((s): s is DemoSize => (demoSizes as readonly string[]).includes(s));
const today = new Date();
const rows: Array<Record<string, string | number>> = [];

for (const size of sizes) {
  const targets: Array<{ name: string; url?: string }> = [{ name: 'sqlite' }];
  if (process.env.DATABASE_URL) targets.push({ name: 'postgres', url: process.env.DATABASE_URL });
  for (const target of targets) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-bench-practice-'));
    const opened = await openDatabase({ databaseUrl: target.url, sqliteFile: path.join(dir, 'bench.db') });
    try {
      const g = performance.now();
      const doc = generateDemoPractice({ size, seed: 1, today });
      const generatedMs = performance.now() - g;
      const a = performance.now();
      const first = await importDocument(opened.db, 'default', doc, today);
      const importMs = performance.now() - a;
      const b = performance.now();
      const again = await importDocument(opened.db, 'default', doc, today);
      const againMs = performance.now() - b;
      if (!first.ok || again.created + again.updated > 0) throw new Error(`unexpected import result: ${JSON.stringify(first.issues.slice(0, 3))}`);
      const documents = doc.invoices.length + doc.creditNotes.length + doc.payments.length + doc.bills.length + doc.staffExpenses.length;
      rows.push({
        size,
        database: target.name,
        documents,
        records: first.records,
        'generate ms': Math.round(generatedMs),
        'import ms': Math.round(importMs),
        'reimport ms': Math.round(againMs),
      });
    } finally {
      await opened.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}

console.table(rows);
const out = path.resolve(import.meta.dirname, 'results');
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'practice-import.json'), `${JSON.stringify({ at: today.toISOString(), rows }, null, 2)}\n`);
