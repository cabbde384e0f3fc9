/**
 * One installation serving many practices, measured in a process of its own (bench/practices-scale.ts
 * prepares the PostgreSQL database and runs this twice: one practice, then N). It opens the
 * product on that database, then:
 *  - renders the firm overview page (GET /firm, signed in as an administrator) `BENCH_REPEAT` times;
 *  - builds the first practice's preview `BENCH_REPEAT` times (its company, over loopback HTTP);
 *  - builds every other practice's preview once (the process serving them all);
 * and prints one JSON line: median times and the process's memory (RSS now and at its peak).
 * With BENCH_COMPARE_URL/BENCH_COMPARE_REALM (the single-practice installation) it only times the
 * first practice's preview in both installations, alternated call by call.
 * Env: DATABASE_URL, BENCH_EMULATOR_URL, BENCH_REALMS (JSON list, the first practice's first), BENCH_REPEAT.
 */
import { performance } from 'node:perf_hooks';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { buildPlan } from '../src/connect/plan/index.js';
import { qboClientFor } from '../src/connect/connection/qbo-client.js';
import { createHttpApp } from '../src/server/http.js';
import { signIn, WebClient } from '../test/helpers/web-client.js';

const need = (k: string) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set (this script is run by bench/practices-scale.ts)`);
  return v;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round1 = (n: number) => Math.round(n * 10) / 10;

const appOn = (databaseUrl: string) =>
  createApp(loadConfig({ QBO_CONNECT_LOG_LEVEL: 'silent', QBO_ENV: 'emulator', QBO_EMULATOR_URL: need('BENCH_EMULATOR_URL'), DATABASE_URL: databaseUrl }));

// Compare mode: the first practice's preview in two installations, alternated call by call, so a
// change of the machine's load meanwhile weighs on both alike (one after the other measured the
// load, not the installations: ×0.98 and ×1.26 on two runs of the same code).
if (process.env['BENCH_COMPARE_URL']) {
  const [one, many] = [await appOn(need('BENCH_COMPARE_URL')), await appOn(need('DATABASE_URL'))];
  const [realmOne, realmMany] = [need('BENCH_COMPARE_REALM'), (JSON.parse(need('BENCH_REALMS')) as string[])[0]!];
  const time = async (a: typeof one, realmId: string) => {
    const qbo = qboClientFor(a.ctx, realmId, { limits: { intervalMs: 1000 } });
    const t0 = performance.now();
    await buildPlan({ db: a.ctx.db, clock: a.ctx.clock, logger: a.ctx.logger, qbo }, realmId, { actor: 'bench', prefill: false });
    return performance.now() - t0;
  };
  await time(one, realmOne);
  await time(many, realmMany);
  const [msOne, msMany]: [number[], number[]] = [[], []];
  for (let i = 0; i < Number(need('BENCH_REPEAT')) * 3; i++) {
    // Which goes first alternates too.
    if (i % 2) {
      msOne.push(await time(one, realmOne));
      msMany.push(await time(many, realmMany));
    } else {
      msMany.push(await time(many, realmMany));
      msOne.push(await time(one, realmOne));
    }
  }
  await one.close();
  await many.close();
  process.stdout.write(`BENCH-RESULT ${JSON.stringify({ aloneMedianMs: round1(median(msOne)), manyMedianMs: round1(median(msMany)), calls: msOne.length })}\n`);
  process.exit(0);
}

const app = await appOn(need('DATABASE_URL'));
const realms = JSON.parse(need('BENCH_REALMS')) as string[];
const repeat = Number(need('BENCH_REPEAT'));
const rssAtStartMb = process.memoryUsage().rss / 2 ** 20;

// The overview, as its owner sees it: the whole page through the app's HTTP handler.
const http = createHttpApp(app.ctx);
const web = new WebClient(http);
const signed = await signIn(web, 'owner@example.com', 'bench password, long enough');
if (signed.status !== 303) throw new Error(`sign-in failed (${signed.status})`);
const overviewMs: number[] = [];
let companiesShown = 0;
for (let i = 0; i < repeat + 1; i++) {
  const t0 = performance.now();
  const res = await web.get('/firm');
  const html = await res.text();
  if (res.status !== 200) throw new Error(`GET /firm answered ${res.status}`);
  if (i > 0) overviewMs.push(performance.now() - t0); // the first warms the code paths
  companiesShown = (html.match(/<tr/g) ?? []).length - 1;
}

// The first practice's preview, repeated; then each other practice's once.
const planOf = async (realmId: string) => {
  const qbo = qboClientFor(app.ctx, realmId, { limits: { intervalMs: 1000 } });
  const t0 = performance.now();
  const plan = await buildPlan({ db: app.ctx.db, clock: app.ctx.clock, logger: app.ctx.logger, qbo }, realmId, { actor: 'bench', prefill: false });
  return { ms: performance.now() - t0, rows: plan.groups.reduce((n, g) => n + g.rows.length, 0) };
};
const first = realms[0]!;
await planOf(first);
const previewMs: number[] = [];
let rows = 0;
for (let i = 0; i < repeat; i++) {
  const p = await planOf(first);
  previewMs.push(p.ms);
  rows = p.rows;
}
const otherMs: number[] = [];
for (const realm of realms.slice(1)) otherMs.push((await planOf(realm)).ms);

const out = {
  practices: realms.length,
  companiesShown,
  overviewMedianMs: round1(median(overviewMs)),
  overviewMaxMs: round1(Math.max(...overviewMs)),
  previewMedianMs: round1(median(previewMs)),
  previewRows: rows,
  othersPreviewMedianMs: otherMs.length ? round1(median(otherMs)) : null,
  rssAtStartMb: round1(rssAtStartMb),
  rssAtEndMb: round1(process.memoryUsage().rss / 2 ** 20),
  maxRssMb: round1(process.resourceUsage().maxRSS / 1024),
};
await app.close();
process.stdout.write(`BENCH-RESULT ${JSON.stringify(out)}\n`);
