/**
 * The firm overview end to end (issue 15), on both dialects: a company's figures taken by the
 * `company-status` task from its real preview against the emulator; a check QBO cannot answer keeps
 * the last figures and says why; every practice and company on the Firm page, the API and the CLI's
 * data, "needs attention" first; "Check now" queues one check per connected company.
 */
import type { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/accounts/passwords.js';
import { createUser } from '../../src/accounts/users.js';
import { buildPlan } from '../../src/connect/plan/index.js';
import { firmOverview, readStatus, refreshCompanyStatus, sortOverview } from '../../src/connect/overview/index.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { sync } from '../../src/connect/run/sync.js';
import { companyStatus } from '../../src/jobs/tasks/company-status.js';
import type { JobQueue, TaskContext } from '../../src/jobs/queue.js';
import { loadDemoPractice } from '../../src/practice/demo.js';
import { createHttpApp } from '../../src/server/http.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { signIn, WebClient } from '../helpers/web-client.js';

const PASS = 'a long enough password';

describe.each(dialects)('the firm overview [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);

  it("takes a company's figures from its preview, keeps them when QBO cannot answer, and lists every practice and company, those needing someone first", async () => {
    const ctx = c.app.ctx;
    const now = ctx.clock();
    await loadDemoPractice(ctx.db, 'default', { size: 'small', seed: 1, today: now });
    const client = syncDepsFor(ctx, c.realmId, { actor: 'tester' }).client;
    const plan = await buildPlan({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, qbo: client }, c.realmId, { prefill: false });
    expect(plan.errors, 'the small demo plants problems').toBeGreaterThan(0);

    // The task with a company: its figures, from the same preview a person sees.
    const added: Array<{ payload: Record<string, unknown>; queueName?: string | undefined }> = [];
    const jobs: JobQueue = { add: async (_task, payload, opts) => void added.push({ payload, queueName: opts?.queueName }) };
    const t = { ctx, jobs, signal: new AbortController().signal, attempt: 1, maxAttempts: 3 } as TaskContext;
    await companyStatus({ realmId: c.realmId }, t);
    const taken = (await readStatus(ctx.db, c.realmId))!;
    expect(taken).toMatchObject({ errors: plan.errors, warnings: plan.warnings, problem: null });
    expect(Date.parse(taken.checkedAt)).toBeGreaterThanOrEqual(now.getTime());
    expect(taken.ready).toBeGreaterThan(0);

    // QBO cannot be reached: the figures stay, with why.
    const down: typeof fetch = async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) });
    };
    const unreachable = syncDepsFor(ctx, c.realmId, { actor: 'tester', client: { fetch: down } }).client;
    const kept = await refreshCompanyStatus({ db: ctx.db, clock: ctx.clock, logger: ctx.logger, client: unreachable }, c.realmId);
    expect(kept).toMatchObject({ errors: taken.errors, ready: taken.ready });
    expect(kept.problem).toBeTruthy();
    expect(kept.problem).not.toMatch(/Bearer|access_token|refresh_token/i);

    // The recurring job (no company named) queues one check per connected company on its own queue.
    await companyStatus({}, t);
    expect(added).toEqual([{ payload: { realmId: c.realmId }, queueName: `company:${c.realmId}` }]);

    // A second practice: one company disconnected, and a practice with none yet.
    const at = now.toISOString();
    await ctx.db
      .insertInto('practices')
      .values([
        { id: 'beta', name: 'Beta Architects', created_at: at, created_by: 'tester' },
        { id: 'gamma', name: 'Gamma Engineers', created_at: at, created_by: 'tester' },
      ])
      .execute();
    await ctx.db
      .insertInto('connections')
      .values({
        realm_id: '9130000000000001',
        practice_id: 'beta',
        company_name: 'Beta Pty Ltd',
        region: 'AU',
        status: 'disconnected',
        access_token_enc: null,
        refresh_token_enc: null,
        access_expires_at: null,
        refresh_expires_at: null,
        refresh_hard_expires_at: null,
        connected_at: at,
        connected_by: null,
        disconnected_reason: 'refresh token refused',
        updated_at: at,
        lock_owner: null,
        lock_until: null,
      })
      .execute();
    const rows = sortOverview(await firmOverview(ctx.db), 'attention', now);
    expect(rows.map((r) => [r.practiceId, r.realmId, r.connection])).toEqual([
      ['beta', '9130000000000001', 'disconnected'],
      // Errors waiting in the preview (and a check that could not be made).
      ['default', c.realmId, 'connected'],
      ['gamma', null, 'none'],
    ]);
    const mine = rows[1]!;
    expect(mine.preview).toMatchObject({ errors: plan.errors });
    expect(mine.lastSync).toBeNull();
    expect(mine.reconnectBy).toBeTruthy();

    // A sync shows on the overview at once, from its run.
    const run = await sync(syncDepsFor(ctx, c.realmId, { actor: 'tester' }), { realmId: c.realmId, actor: 'tester' });
    const after = (await firmOverview(ctx.db)).find((r) => r.realmId === c.realmId)!;
    expect(after.lastSync).toMatchObject({ runId: run.runId, status: run.status });

    // The Firm page and the API: administrators see every practice; "Check now" queues the checks.
    await createUser(ctx.db, { email: 'owner@example.com', name: 'Owner', role: 'administrator', owner: true, passwordHash: await hashPassword(PASS) });
    await createUser(ctx.db, { email: 'vic@example.com', name: 'Vic', role: 'viewer', passwordHash: await hashPassword(PASS) });
    await createUser(ctx.db, { email: 'ada@example.com', name: 'Ada', role: 'administrator', passwordHash: await hashPassword(PASS) });
    const http: Hono = createHttpApp(ctx);
    const web = new WebClient(http);
    expect((await signIn(web, 'owner@example.com', PASS)).status).toBe(303);
    expect((await web.get('/firm')).status).toBe(200);
    expect(web.lastHtml).toContain('href="/firm"');
    // The page's own rows (the header's practice switcher names the practices too).
    const mainOf = (page: string) => page.slice(page.indexOf('<main'));
    const html = mainOf(web.lastHtml);
    expect(html.indexOf('Beta Architects')).toBeGreaterThan(-1);
    expect(html.indexOf('Beta Architects')).toBeLessThan(html.indexOf('Gamma Engineers'));
    expect(html).toContain('no company connected');
    expect((await web.get('/firm?sort=practice&dir=desc')).status).toBe(200);
    expect(mainOf(web.lastHtml).indexOf('Gamma Engineers')).toBeLessThan(mainOf(web.lastHtml).indexOf('Beta Architects'));
    const checked = await web.post('/firm/check', {});
    expect(checked.status).toBe(200);
    expect(web.lastHtml).toContain('A check of 1 connected company is queued');
    const queued = await ctx.db.selectFrom('local_jobs').select(['task', 'payload', 'queue_name']).where('task', '=', 'company-status').execute();
    if (dialect === 'sqlite') expect(queued.map((j) => [j.queue_name, JSON.parse(j.payload)])).toEqual([[`company:${c.realmId}`, { realmId: c.realmId }]]);
    const api = await web.get('/api/v1/firm?sort=errors');
    expect(api.status).toBe(200);
    expect(((await api.json()) as { companies: unknown[] }).companies).toHaveLength(3);
    const bad = await web.get('/api/v1/firm?sort=nonsense');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('sort');

    // An owner creates a practice; a bad id is refused naming the field, with what was typed kept.
    const badId = await web.post('/firm/practices', { id: 'Not Valid', name: 'Delta Design' });
    expect(badId.status).toBe(400);
    expect(web.lastHtml).toContain('practice id');
    expect(web.lastHtml).toContain('value="Delta Design"');
    expect((await web.post('/firm/practices', { id: 'delta', name: 'Delta Design' })).status).toBe(200);
    expect(web.lastHtml).toContain('Practice &quot;Delta Design&quot; created at /p/delta/');
    expect((await web.post('/firm/practices', { id: 'delta', name: 'Again' })).status).toBe(409);
    expect(await ctx.db.selectFrom('practices').select(['id', 'name', 'created_by']).where('id', '=', 'delta').execute()).toEqual([
      { id: 'delta', name: 'Delta Design', created_by: 'user:owner@example.com' },
    ]);
    expect((await web.get('/p/delta/connection')).status).toBe(200);

    const viewer = new WebClient(http);
    expect((await signIn(viewer, 'vic@example.com', PASS)).status).toBe(303);
    expect((await viewer.get('/firm')).status).toBe(403);
    expect(viewer.lastHtml).not.toContain('Beta Architects');
    // A practice's administrator who is not an owner: no Firm entry in the nav, and the page is not theirs.
    const admin = new WebClient(http);
    expect((await signIn(admin, 'ada@example.com', PASS)).status).toBe(303);
    expect((await admin.get('/p/default/settings')).status).toBe(200);
    expect(admin.lastHtml).not.toContain('href="/firm"');
    expect((await admin.get('/firm')).status).toBe(403);
    expect((await admin.post('/firm/practices', { id: 'epsilon', name: 'Not theirs to make' }, { csrf: admin.csrf() })).status).toBe(403);
    expect(await ctx.db.selectFrom('practices').select('id').where('id', '=', 'epsilon').executeTakeFirst()).toBeUndefined();
    expect(admin.lastHtml).not.toContain('Beta Architects');
  }, 120_000);
});
