/**
 * Undo a sync through each surface (issue 18), against the strict emulator:
 * - the history page: a bookkeeper sees "Undo this sync…", its preview page (what will be voided,
 *   deleted, made inactive) writes nothing, the confirm button undoes and lands on the undo's run; a
 *   viewer sees no button and cannot open or post the preview;
 * - the API: `GET /api/v1/undo/{run}` previews (bookkeeper only), `POST` undoes, a wrong run is a 404;
 * - the CLI, spawned: `undo RUN` without --yes prints the preview and changes nothing (exit 0); a
 *   refused record makes `undo RUN --yes` end with exit 1 naming it; a wrong run, or an undo run, exit 2.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../src/accounts/api-tokens.js';
import { hashPassword } from '../../src/accounts/passwords.js';
import { createUser } from '../../src/accounts/users.js';
import { syncDepsFor } from '../../src/connect/run/deps.js';
import { sync } from '../../src/connect/run/sync.js';
import { createHttpApp } from '../../src/server/http.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { signIn, WebClient } from '../helpers/web-client.js';
import { readyDemo } from '../sync/demo-setup.js';

const PASS = 'a long enough password';
type Dump = { entities: Record<string, Array<Record<string, unknown> & { Id: string; SyncToken: string }>> };

async function syncedDemo(c: ReturnType<typeof withConnectedEmulator>) {
  const ctx = c.app.ctx;
  const deps = syncDepsFor(ctx, c.realmId);
  const from = new Date(ctx.clock().getTime() - 400 * 86_400_000).toISOString().slice(0, 10);
  await readyDemo(ctx, deps.client, c.realmId, { size: 'small', direction: 'export', exportFrom: from, applyCredits: false });
  const r = await sync(deps, { realmId: c.realmId, actor: 'tester' });
  expect(r.status, r.message ?? '').toBe('succeeded');
  return { deps, runId: r.runId };
}

describe('undo on the history page and the API', () => {
  const c = withConnectedEmulator('sqlite', { fidelity: 'strict' });
  let http: Hono;
  let runId: string;
  let keeperToken: string;
  let viewerToken: string;
  const as = async (email: string) => {
    const w = new WebClient(http);
    expect((await signIn(w, email, PASS)).status).toBe(303);
    return w;
  };

  beforeAll(async () => {
    ({ runId } = await syncedDemo(c));
    const db = c.app.ctx.db;
    const bo = await createUser(db, { email: 'bo@example.com', name: 'Bo', role: 'bookkeeper', passwordHash: await hashPassword(PASS) });
    const vi = await createUser(db, { email: 'vi@example.com', name: 'Vi', role: 'viewer', passwordHash: await hashPassword(PASS) });
    keeperToken = (await createApiToken(db, bo.id, 't')).token;
    viewerToken = (await createApiToken(db, vi.id, 't')).token;
    http = createHttpApp(c.app.ctx);
  }, 120_000);

  it('the API previews for a bookkeeper, refuses a viewer and an unknown run, and undoes on POST', async () => {
    const ctx = c.app.ctx;
    const deps = syncDepsFor(ctx, c.realmId);
    // A second sync with something new to undo: one more invoice.
    const { createRecord, getRecord } = await import('../../src/practice/store.js');
    const anyInvoice = await ctx.db.selectFrom('links').select('record_key').where('record_kind', '=', 'invoice').executeTakeFirstOrThrow();
    const base = (await getRecord(ctx.db, 'default', 'invoice', anyInvoice.record_key))!.record;
    await createRecord(ctx.db, 'default', 'invoice', { ...base, number: 'API-1' }, ctx.clock());
    const second = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    expect(second.summary.created).toBe(1);
    const auth = (token: string, method = 'GET') => ({
      method,
      headers: { authorization: `Bearer ${token}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
      ...(method === 'POST' ? { body: '{}' } : {}),
    });
    expect((await http.request(`/api/v1/undo/${second.runId}?realm=${c.realmId}`, auth(viewerToken))).status).toBe(403);
    const missing = await http.request(`/api/v1/undo/run-nope?realm=${c.realmId}`, auth(keeperToken));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('undo.no-such-run');
    const p = (await (await http.request(`/api/v1/undo/${second.runId}?realm=${c.realmId}`, auth(keeperToken))).json()) as {
      preview: { items: Array<{ action: string; label: string }> };
    };
    expect(p.preview.items).toEqual([expect.objectContaining({ action: 'void', label: expect.stringContaining('API-1') })]);
    const r = await http.request(`/api/v1/undo/${second.runId}?realm=${c.realmId}`, auth(keeperToken, 'POST'));
    expect(r.status).toBe(200);
    const body = (await r.json()) as { status: string; run: { kind: string; undoes: string; voided: number } };
    expect(body).toMatchObject({ status: 'succeeded', run: { kind: 'undo', undoes: second.runId, voided: 0, undo: { voided: 1, refused: 0 } } });
  });

  it('a viewer sees no undo; a bookkeeper previews (nothing written), then confirms', async () => {
    const before = JSON.stringify(c.emu.control.dump(c.realmId));
    const viewer = await as('vi@example.com');
    expect(await (await viewer.get(`/history/${runId}`)).text()).not.toContain('Undo this sync');
    expect((await viewer.get(`/history/${runId}/undo`)).status).toBe(403);

    const book = await as('bo@example.com');
    const page = await (await book.get(`/history/${runId}`)).text();
    expect(page).toContain(`href="/history/${runId}/undo"`);
    const preview = await book.get(`/history/${runId}/undo`);
    expect(preview.status).toBe(200);
    const html = await preview.text();
    for (const words of ['Will be voided', 'Will be deleted (QuickBooks cannot void these)', 'Will be made inactive', 'cannot void a credit memo']) expect(html).toContain(words);
    expect(html).toMatch(/Undo: \d+ changes in QuickBooks/);
    expect(JSON.stringify(c.emu.control.dump(c.realmId))).toBe(before);

    // A viewer cannot post it either.
    await viewer.get('/history');
    expect((await viewer.post(`/history/${runId}/undo`)).status).toBe(403);
    expect(JSON.stringify(c.emu.control.dump(c.realmId))).toBe(before);

    const done = await book.post(`/history/${runId}/undo`);
    expect(done.status).toBe(303);
    const where = done.headers.get('location')!;
    expect(where).toMatch(/^\/history\/undo-/);
    const undoPage = await (await book.get(where)).text();
    expect(undoPage).toContain('Undo of');
    expect(undoPage).toContain(`href="/history/${runId}"`);
    expect(undoPage).toContain('Voided');
    expect(undoPage).toContain('Deleted');
    expect(undoPage).toContain('Made inactive');
    // The undo run has no undo button of its own.
    expect(undoPage).not.toContain('Undo this sync');
    const list = await (await book.get('/history')).text();
    expect(list).toContain('Undo of a sync');
    // A sync undone entirely (the API test's) shows no undo button any more.
    const whole = await c.app.ctx.db.selectFrom('runs').select('undoes').where('kind', '=', 'undo').where('status', '=', 'succeeded').executeTakeFirstOrThrow();
    expect(await (await book.get(`/history/${whole.undoes!}`)).text()).not.toContain('Undo this sync');
  });
});

describe('qbo-connect undo, spawned', () => {
  const c = withConnectedEmulator('sqlite', { fidelity: 'strict' });
  let env: NodeJS.ProcessEnv;
  let runId: string;
  let edited: string;
  const cli = (args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, [path.resolve('bin/qbo-connect.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.on('exit', (code) => resolve({ code, out, err }));
    });
  const dump = () => c.emu.control.dump(c.realmId) as Dump;

  beforeAll(async () => {
    const s = await syncedDemo(c);
    runId = s.runId;
    // An accountant edits one invoice in QBO: the undo refuses it.
    const inv = dump().entities['Invoice']![0]!;
    edited = String(inv['DocNumber']);
    await s.deps.client.sparseUpdate('Invoice', { Id: inv.Id, SyncToken: inv.SyncToken, PrivateNote: 'changed by hand' } as never, { requestId: 'accountant-1' });
    await c.app.close();
    env = c.cliEnv();
  }, 120_000);

  it('previews without --yes (nothing changes, exit 0); undoes with --yes, naming the refused record (exit 1); wrong runs exit 2', async () => {
    const before = JSON.stringify(dump());
    const preview = await cli(['undo', runId]);
    expect(preview.code, preview.err).toBe(0);
    expect(preview.out).toContain('Will be voided');
    expect(preview.out).toContain('Cannot be undone (1):');
    expect(preview.out).toContain(edited);
    expect(preview.err).toContain(`qbo-connect undo ${runId} --yes`);
    expect(JSON.stringify(dump())).toBe(before);

    const nope = await cli(['undo', 'run-nope', '--yes']);
    expect(nope.code).toBe(2);
    expect(nope.err).toContain('There is no run run-nope');
    expect(JSON.stringify(dump())).toBe(before);

    const done = await cli(['undo', runId, '--yes']);
    expect(done.code, done.out + done.err).toBe(1);
    expect(done.out).toMatch(/Run undo-\S+ failed: Undo of run/);
    expect(done.out).toContain(`was changed in QuickBooks since the sync wrote it`);
    const after = dump();
    expect(after.entities['Invoice']!.filter((i) => i['TotalAmt'] === 0).length).toBe(after.entities['Invoice']!.length - 1);

    const undoId = /Run (undo-\S+) failed/.exec(done.out)![1]!;
    const again = await cli(['undo', undoId, '--yes']);
    expect(again.code).toBe(2);
    expect(again.err).toContain('is an undo, not a sync');
    const history = await cli(['history', '--json']);
    const runs = (JSON.parse(history.out) as { runs: Array<{ id: string; kind: string; undoes: string | null }> }).runs;
    expect(runs.find((r) => r.id === undoId)).toMatchObject({ kind: 'undo', undoes: runId });
  }, 120_000);
});
