// Times a 1,000-value `DocNumber IN (…)` query over 100,000 invoices in the emulator core.
// Run: npx tsx bench/emulator-query.ts [documents] [values]

import { performance } from 'node:perf_hooks';
import { testCompany } from '../src/emulator/core/testing.js';

const docs = Number(process.argv[2] ?? 100_000);
const values = Number(process.argv[3] ?? 1_000);

const t = testCompany('US');
const started = performance.now();
for (let i = 0; i < docs; i++) {
  t.company.create('Invoice', {
    DocNumber: `D${i}`,
    CustomerRef: { value: t.basics.customer },
    Line: [{ Amount: 10, DetailType: 'SalesItemLineDetail', SalesItemLineDetail: { ItemRef: { value: t.basics.item } } }],
  });
}
const built = performance.now();
const wanted = Array.from({ length: values }, (_, k) => `'D${Math.floor((k * docs) / values)}'`);
const sql = `SELECT * FROM Invoice WHERE DocNumber IN (${wanted.join(', ')}) MAXRESULTS 1000`;
const runs: number[] = [];
let rows = 0;
for (let r = 0; r < 5; r++) {
  const a = performance.now();
  rows = t.company.query(sql).rows?.length ?? 0;
  runs.push(performance.now() - a);
}
const countStart = performance.now();
t.company.query("SELECT count(*) FROM Invoice WHERE TxnDate >= '2026-01-01'");
const scanMs = performance.now() - countStart;
console.log(`built ${docs} invoices in ${(built - started).toFixed(0)} ms`);
console.log(`DocNumber IN (${values} values): ${rows} rows; ms per run: ${runs.map((x) => x.toFixed(1)).join(', ')}`);
console.log(`full-scan count(*) over ${docs}: ${scanMs.toFixed(1)} ms`);
