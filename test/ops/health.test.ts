/**
 * Issue 17: `/healthz` (alive: answers without touching the database) and `/readyz` (the database
 * answers a real query, every migration of this release has run, the process is not draining), both
 * open without a session or token and to a probe that asks by the machine's address (any Host). The
 * bodies name what is not ready and never carry a secret. On both dialects.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import type { AppContext } from '../../src/context.js';
import { Drain } from '../../src/connect/run/drain.js';
import { createLogger } from '../../src/log.js';
import { createHttpApp } from '../../src/server/http.js';
import { openDatabase } from '../../src/store/db.js';
import { migrations } from '../../src/store/migrations/index.js';
import { databaseReadiness } from '../../src/store/readiness.js';
import { testConfig } from '../helpers/config.js';
import { describeEachDialect } from '../helpers/db.js';
import { freePort } from '../helpers/net.js';

interface ReadyBody {
  status: string;
  database: { dialect: string; reachable: boolean; migrationsCurrent: boolean; pending: string[]; newer: string[] };
  draining: false | { signal: string; since: string };
  problems: string[];
}

let app: App;
beforeAll(async () => {
  app = await createApp(testConfig(), { logger: createLogger('silent') });
});
afterAll(async () => app.close());

const lastMigration = Object.keys(migrations).at(-1)!;

describeEachDialect(
  'health and readiness',
  (db) => {
    const ctxWith = (drain?: Drain): AppContext => ({ ...app.ctx, db: db.db, dialect: db.dialect, ...(drain ? { drain } : {}) });
    const get = (ctx: AppContext, path: string, host = '127.0.0.1:3000') => createHttpApp(ctx).request(`http://${host}${path}`);

    it('/healthz answers alive without a session, token or database query, whatever the Host', async () => {
      const res = await get(ctxWith(), '/healthz', '10.1.2.3:3000');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok', version: app.ctx.version, database: db.dialect });
    });

    it('/readyz: ready when the database answers and every migration has run; no secret in the body', async () => {
      const res = await get(ctxWith(), '/readyz', '10.1.2.3:3000');
      const text = await res.text();
      expect(res.status, text).toBe(200);
      const body = JSON.parse(text) as ReadyBody;
      expect(body.status).toBe('ready');
      expect(body.database).toEqual({ dialect: db.dialect, reachable: true, migrationsCurrent: true, pending: [], newer: [] });
      expect(body.draining).toBe(false);
      expect(body.problems).toEqual([]);
      expect(text).not.toMatch(/postgres:\/\/|password|secret/i);
    });

    it('/readyz: 503 naming a migration of this release that has not run; a newer release’s migration alone keeps it ready', async () => {
      await sql`delete from kysely_migration where name = ${lastMigration}`.execute(db.db);
      const res = await get(ctxWith(), '/readyz');
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('30');
      const body = (await res.json()) as ReadyBody;
      expect(body.status).toBe('not-ready');
      expect(body.database.pending).toEqual([lastMigration]);
      expect(body.problems.join(' ')).toContain(lastMigration);

      await sql`insert into kysely_migration (name, timestamp) values (${lastMigration}, ${new Date(0).toISOString()})`.execute(db.db);
      await sql`insert into kysely_migration (name, timestamp) values (${'9999_next_release'}, ${new Date(0).toISOString()})`.execute(db.db);
      const newer = await get(ctxWith(), '/readyz');
      expect(newer.status).toBe(200);
      expect(((await newer.json()) as ReadyBody).database.newer).toEqual(['9999_next_release']);
    });

    it('while draining: /readyz 503 naming the signal, /healthz still 200, a change refused with 503 run.draining, reads go on', async () => {
      const drain = new Drain();
      const at = app.ctx.clock();
      drain.begin('SIGTERM', at);
      const ctx = ctxWith(drain);
      const ready = await get(ctx, '/readyz');
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as ReadyBody;
      expect(body.draining).toEqual({ signal: 'SIGTERM', since: at.toISOString() });
      expect(body.problems.join(' ')).toContain('shutting down (SIGTERM');
      expect((await get(ctx, '/healthz')).status).toBe(200);
      const sync = await createHttpApp(ctx).request('http://127.0.0.1:3000/api/v1/sync', { method: 'POST' });
      expect(sync.status).toBe(503);
      const refused = (await sync.json()) as { error: { code: string; message: string } };
      expect(refused.error.code).toBe('run.draining');
      expect(refused.error.message).toContain('shutting down (SIGTERM)');
      // A read is not refused for draining (here: 401, no token).
      expect((await get(ctx, '/api/v1/history')).status).not.toBe(503);
    });
  },
  { fresh: 'each' },
);

describe('databaseReadiness: an unreachable database', () => {
  it('PostgreSQL that refuses the connection: not reachable, the reason without the URL or password', async () => {
    const port = await freePort();
    const opened = await openDatabase({ databaseUrl: `postgres://qbo:hunter2-pw@127.0.0.1:${port}/qbo`, migrate: false });
    try {
      const r = await databaseReadiness(opened.db);
      expect(r.ready).toBe(false);
      expect(r.reachable).toBe(false);
      expect(r.problem).toMatch(/^the database cannot be reached/);
      expect(r.problem).not.toContain('hunter2');
    } finally {
      await opened.close();
    }
  });

  it('a closed SQLite database: not reachable', async () => {
    const opened = await openDatabase({ sqliteFile: ':memory:' });
    await opened.close();
    const r = await databaseReadiness(opened.db);
    expect(r).toMatchObject({ ready: false, reachable: false });
  });

  it.each(['moved', 'deleted', 'replaced'] as const)('a SQLite file %s under the running app: not ready, naming the path', async (how) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-readyz-'));
    const file = path.join(dir, 'qbo-connect.db');
    const opened = await openDatabase({ sqliteFile: file });
    try {
      expect((await databaseReadiness(opened.db)).ready).toBe(true);
      if (how === 'moved') fs.renameSync(file, `${file}.bak`);
      if (how === 'deleted') fs.rmSync(file);
      if (how === 'replaced') {
        fs.renameSync(file, `${file}.bak`);
        fs.writeFileSync(file, '');
      }
      // The old check ran `select 1` on the open handle, which still answers: ready.
      const r = await databaseReadiness(opened.db);
      expect(r.ready).toBe(false);
      expect(r.problem).toContain(file);
    } finally {
      await opened.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
