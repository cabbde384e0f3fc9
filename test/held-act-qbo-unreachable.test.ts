/**
 * An action on a held record while QuickBooks cannot be reached (issue: POST /held/act answered after
 * seconds of retries — ~70 attempts, 6 per read, each with backoff — and asked QBO a second time for
 * the list). The app is served on a real port and driven over HTTP; a diverged invoice is held, then
 * the emulator stops, so its port is closed. The answer says QuickBooks could not be reached and that
 * nothing changed; nothing stored changes; every read gave up after the bounded 2 attempts (the
 * client's `maxUnreachableAttempts`), counted from the client's own attempt log, not from a clock. The
 * emulator then comes back on the same port with its data: the invoice is still held, and the same
 * action now goes through.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { qboClientFor } from '../src/connect/connection/qbo-client.js';
import { heldAnchor } from '../src/connect/reconcile/index.js';
import { startEmulator, type RunningEmulator } from '../src/emulator/run/server.js';
import { getRecord, updateRecord } from '../src/practice/store.js';
import { defaultRetryPolicy } from '../src/qbo/classify.js';
import { listen, type RunningServer } from '../src/server/serve.js';
import { dialects } from './helpers/db.js';
import { freePort } from './helpers/net.js';
import { sampleLedger } from './helpers/practice.js';
import { snapshotTables, storedTables } from './helpers/snapshot.js';
import { makeBench, type Bench } from './security/harness.js';
import { callbackPath, consentAs } from './security/web-connect.js';

const dayBefore = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);

for (const dialect of dialects)
  describe(`an action on a held record with QuickBooks unreachable [${dialect}]`, () => {
    const dataFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-held-unreachable-')), 'emu.db');
    let emu: RunningEmulator;
    let emuPort: number;
    let b: Bench;
    let server: RunningServer;
    let realmId: string;
    let key: string;

    /** A request over the socket as the bookkeeper's browser session, with its CSRF token. */
    const http = (p: string, form?: Record<string, string>) =>
      fetch(`${server.url}${p}`, {
        method: form ? 'POST' : 'GET',
        redirect: 'manual',
        headers: {
          accept: 'text/html',
          cookie: `qbc_session=${b.people.bookkeeper.cookie}`,
          ...(form ? { 'content-type': 'application/x-www-form-urlencoded', origin: server.url, 'x-csrf-token': b.people.bookkeeper.csrf } : {}),
        },
        ...(form ? { body: new URLSearchParams(form).toString() } : {}),
      });
    /** The form of the invoice's card on /held, as the page shows it. */
    const shownForm = async () => {
      const html = await (await http('/held')).text();
      const at = html.indexOf(`id="${heldAnchor('invoice', key)}"`);
      if (at < 0) return undefined;
      const card = html.slice(at, html.indexOf('</section>', at));
      const syncToken = /name="syncToken" value="([^"]*)"/.exec(card)?.[1];
      return { kind: 'invoice', id: key, action: 'keep-qbo', ...(syncToken !== undefined ? { syncToken } : {}) };
    };

    beforeAll(async () => {
      emu = await startEmulator({ preset: 'au', dataFile });
      emuPort = Number(new URL(emu.url).port);
      const port = await freePort();
      b = await makeBench({ env: { QBO_EMULATOR_URL: emu.url, QBO_CONNECT_PUBLIC_URL: `http://127.0.0.1:${port}` }, dialect });
      server = await listen(b.http, '127.0.0.1', port);
      const cb = await consentAs(b, b.people.administrator);
      expect((await b.call(callbackPath(cb), { as: { person: b.people.administrator, via: 'session' } })).status).toBe(303);
      realmId = cb.realmId!;
      const token = { as: { person: b.people.bookkeeper, via: 'token' as const } };
      expect((await b.call('/api/v1/practice/import', { method: 'POST', body: JSON.stringify(sampleLedger()), ...token })).status).toBe(200);
      const started = (await (await b.call('/api/v1/sync', { method: 'POST', body: '{}', ...token })).json()) as { runId: string };
      let status = 'queued';
      for (let i = 0; i < 600 && (status === 'queued' || status === 'running'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        status = ((await (await b.call(`/api/v1/sync/runs/${started.runId}`, token)).json()) as { run: { status: string } }).run.status;
      }
      expect(status).toBe('succeeded');
      // Diverged: the invoice's date changed in QBO (2 days back) and in the practice (1 day back).
      const ctx = b.app.ctx;
      const link = await ctx.db
        .selectFrom('links')
        .selectAll()
        .where('realm_id', '=', realmId)
        .where('record_kind', '=', 'invoice')
        .where('state', '=', 'linked')
        .executeTakeFirstOrThrow();
      key = link.record_key;
      const client = qboClientFor(ctx, realmId);
      const inQbo = (await client.read('Invoice', link.qbo_id)) as { SyncToken: string; TxnDate: string };
      await client.sparseUpdate('Invoice', { Id: link.qbo_id, SyncToken: inQbo.SyncToken, TxnDate: dayBefore(inQbo.TxnDate, 2) } as never, {
        requestId: 'accountant-unreachable-1',
      });
      const inv = (await getRecord(ctx.db, 'default', 'invoice', key))!;
      await updateRecord(ctx.db, 'default', 'invoice', key, { ...inv.record, date: dayBefore(inQbo.TxnDate, 1) }, ctx.clock());
    }, 120_000);
    afterAll(async () => {
      await server?.close();
      await b?.close();
      await emu?.close();
    });

    it('says QuickBooks could not be reached, changes nothing, gives up after the bounded attempts; the record is still held and the action works once QBO is back', async () => {
      const form = (await shownForm())!;
      expect(form, 'the diverged invoice is held').toBeDefined();
      expect(form.syncToken).toMatch(/^\d+$/);

      await emu.close();
      const tables = [...storedTables, 'held_actions'];
      const before = await snapshotTables(b.app.ctx.db, tables);
      const from = b.lines.length;
      const res = await http('/held/act', form);
      const text = await res.text();
      expect(res.status, text.slice(0, 300)).toBe(502);
      expect(text).toContain('QuickBooks could not be reached');
      expect(text).toContain('Nothing was changed: the record is still held.');
      expect(await snapshotTables(b.app.ctx.db, tables)).toBe(before);

      // The attempts this answer made, from the client's log: each read gave up after 2 (not 6), on
      // "unreachable", and the list was not asked for again — so no wait but a short backoff or two.
      const attempts = b.lines
        .slice(from)
        .filter((l) => l.includes('"qbo: attempt"'))
        .map((l) => JSON.parse(l) as { op: string; attempt: number; reason: string });
      expect(attempts.length).toBeGreaterThan(0);
      expect(defaultRetryPolicy.maxUnreachableAttempts).toBe(2);
      expect(Math.max(...attempts.map((a) => a.attempt))).toBeLessThanOrEqual(defaultRetryPolicy.maxUnreachableAttempts);
      expect(new Set(attempts.map((a) => a.reason))).toEqual(new Set(['unreachable']));
      // One plan's reads at most (the preview's bulk reads: company info, preferences, a query per entity), twice each.
      expect(attempts.length).toBeLessThanOrEqual(2 * 16);

      // QuickBooks back, on the same port with its data: still held, as shown, and the action goes through.
      emu = await startEmulator({ preset: 'au', dataFile, port: emuPort });
      expect(await shownForm()).toEqual(form);
      const ok = await http('/held/act', form);
      const okText = await ok.text();
      expect(ok.status, okText.slice(0, 300)).toBe(200);
      expect(okText).toContain('TxnDate kept; the practice');
      expect(await shownForm()).toBeUndefined();
    }, 60_000);
  });
