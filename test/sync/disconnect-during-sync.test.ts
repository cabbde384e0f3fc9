/**
 * Disconnect and the sync (issue 19: a disconnect mid-sync ended a run "5 of 21 … 0 failed" with
 * 16 records in no count):
 * - `qbo-connect disconnect` (the real bin; the web page uses the same service) is refused while a
 *   sync runs, with a sentence saying who started it and when; once it has finished, it disconnects;
 * - a run whose connection ends part-way still counts every record: the ones it did not reach are
 *   failed ("not sent: the sync stopped …"), and its counts add up to its records.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { qboClientFor } from '../../src/connect/connection/qbo-client.js';
import { noCrash } from '../../src/connect/run/crash-point.js';
import { acquireSyncLock } from '../../src/connect/run/lock.js';
import { insertRun, sync } from '../../src/connect/run/sync.js';
import { ConnectionLostError } from '../../src/qbo/fault.js';
import type { CompanyClient } from '../../src/qbo/client.js';
import { withConnectedEmulator } from '../helpers/connected-emulator.js';
import { dialects } from '../helpers/db.js';
import { companyIds, handPlanner, smallPractice } from './hand-plan.js';

describe.each(dialects)('disconnect while a sync runs [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);

  const cli = (args: string[]) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const env = c.cliEnv();
      const child = spawn(process.execPath, [path.resolve('bin/qbo-connect.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.on('exit', (code) => resolve({ code, out, err }));
    });

  it('a run that loses its connection part-way counts every record', async () => {
    const ctx = c.app.ctx;
    const client = qboClientFor(ctx, c.realmId);
    const ids = await companyIds(client);
    let batches = 0;
    // The connection ends (revoked in QuickBooks) after the first batch.
    const ending: CompanyClient = {
      ...client,
      batch: async (items, o) => {
        if ((batches += 1) > 1) throw new ConnectionLostError(c.realmId, 'revoked');
        return client.batch(items, o);
      },
    };
    const deps = {
      db: ctx.db,
      clock: ctx.clock,
      logger: ctx.logger,
      client: ending,
      crash: noCrash,
      batchSize: 2,
      parallelRequests: 1,
      buildPlan: handPlanner(ctx.db, () => smallPractice(ids, 3, 'DSC')),
    };
    const r = await sync(deps, { realmId: c.realmId, actor: 'tester' });
    const s = r.summary;
    expect(r.status).toBe('failed');
    expect(s.processed).toBeGreaterThan(3);
    expect(s.created + s.adopted + s.updated + s.voided + s.imported + s.failed + s.held).toBe(s.processed);
    expect(s.records).toHaveLength(s.processed);
    expect(s.progress.total).toBe(s.processed);
    const stopped = s.records.filter((x) => x.code === 'run.stopped');
    expect(stopped.length).toBeGreaterThan(0);
    expect(stopped[0]!.message).toMatch(/: not sent: the sync stopped before reaching it \(The QuickBooks connection for company \d+ has ended \(revoked\)/);
  });

  it('is refused while a sync runs, naming who started it; allowed once it has finished', async () => {
    const lock = await acquireSyncLock(c.app.ctx.db, { realmId: c.realmId, holder: 'user:ann@example.com', clock: c.app.ctx.clock, ttlMs: 60_000 });
    const refused = await cli(['disconnect']);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(
      /A sync of this company is running \(started by ann@example\.com at \d\d:\d\d (today|on \d{1,2} [A-Z][a-z]{2}) \([^)]*\)\); disconnecting now would stop it part-way\. Wait for it to finish, then disconnect\./,
    );
    const status = await cli(['status', '--json']);
    expect((JSON.parse(status.out) as { state: string }).state).toBe('connected');
    await lock.release();
    // A run queued for a worker (none ran it yet) is closed by the disconnect, never left queued.
    await insertRun(c.app.ctx.db, { id: 'run-queued-at-disconnect', realmId: c.realmId, actor: 'user:ann@example.com', at: c.app.ctx.clock(), status: 'queued' });
    const done = await cli(['disconnect']);
    expect(done.code, done.err).toBe(0);
    const queued = await c.app.ctx.db.selectFrom('runs').select(['status', 'finished_at', 'message']).where('id', '=', 'run-queued-at-disconnect').executeTakeFirstOrThrow();
    expect(queued.status).toBe('refused');
    expect(queued.finished_at).not.toBeNull();
    expect(queued.message).toContain('disconnected from QuickBooks before a worker ran it');
    expect((JSON.parse((await cli(['status', '--json'])).out) as { state: string }).state).toBe('disconnected');
  }, 60_000);
});
