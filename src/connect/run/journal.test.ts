import { expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/db.js';
import { getRun, latestRun, listRuns } from './history.js';
import { generationOf, heldWrites, journalWrites, recordProblem, resolveWrite, unresolvedWrites, type JournalEntry } from './journal.js';
import { acquireSyncLock } from './lock.js';
import { markInterruptedRuns } from './recover.js';

describeEachDialect(
  'journal, links and history',
  (t) => {
    const now = new Date('2026-11-26T02:00:00Z');
    const entry = (key: string, extra: Partial<JournalEntry> = {}): JournalEntry => ({
      realmId: '42',
      runId: 'run-1',
      rowKey: `invoices:${key}`,
      groupKind: 'invoices',
      label: `Invoice ${key} — Harbour Trust`,
      recordKind: 'invoice',
      recordKey: key,
      recordVersion: 3,
      operation: 'create',
      qboEntity: 'Invoice',
      requestId: `qcc-${key}`,
      body: JSON.stringify({ DocNumber: key }),
      payloadHash: 'hash-1',
      expectedTotalCents: 12_345_678_901,
      baseSyncToken: null,
      batchRequestId: 'qcb-1',
      ...extra,
    });
    const run = (id: string, status = 'running') =>
      t.db
        .insertInto('runs')
        .values({
          id,
          realm_id: '42',
          started_by: 'alice',
          started_at: now.toISOString(),
          finished_at: null,
          status,
          settings: '{"settingsHash":"s"}',
          processed: 0,
          created: 0,
          adopted: 0,
          updated: 0,
          voided: 0,
          imported: 0,
          failed: 0,
          held: 0,
          message: null,
        })
        .execute();

    it('journals before sending, resolves with link, run record and counters in one go, and reads it back as history', async () => {
      await run('run-1');
      const ids = await journalWrites(t.db, [entry('INV-1'), entry('INV-2'), entry('INV-3')], now);
      expect(ids).toHaveLength(3);
      expect(await generationOf(t.db, '42', 'invoice', 'INV-1', 'create', 'hash-1')).toBe(1);
      expect(await generationOf(t.db, '42', 'invoice', 'INV-1', 'create', 'hash-2')).toBe(0);
      const pending = await unresolvedWrites(t.db, '42');
      expect(pending.map((p) => p.record_key)).toEqual(['INV-1', 'INV-2', 'INV-3']);
      expect(Number(pending[0]!.expected_total_cents)).toBe(12_345_678_901);

      const base = { runId: 'run-1', realmId: '42', groupKind: 'invoices', recordKind: 'invoice', recordVersion: 3, payloadHash: 'c1', qboEntity: 'Invoice' };
      await resolveWrite(
        t.db,
        {
          ...base,
          journalId: ids[0]!,
          rowKey: 'invoices:INV-1',
          label: 'Invoice INV-1',
          recordKey: 'INV-1',
          action: 'create',
          qboId: '101',
          syncToken: '0',
          qboTotalCents: 12_345_678_901,
          linkState: 'linked',
          counter: 'created',
        },
        now,
        undefined,
      );
      await recordProblem(
        t.db,
        {
          journalId: ids[1]!,
          journalStatus: 'held',
          runId: 'run-1',
          rowKey: 'invoices:INV-2',
          groupKind: 'invoices',
          label: 'Invoice INV-2',
          recordKind: 'invoice',
          recordKey: 'INV-2',
          action: 'create',
          qboEntity: 'Invoice',
          qboId: null,
          code: 'run.lookup-several',
          message: 'two of them',
        },
        now,
        undefined,
      );
      await recordProblem(
        t.db,
        {
          journalId: ids[2]!,
          journalStatus: 'failed',
          runId: 'run-1',
          rowKey: 'invoices:INV-3',
          groupKind: 'invoices',
          label: 'Invoice INV-3',
          recordKind: 'invoice',
          recordKey: 'INV-3',
          action: 'create',
          qboEntity: 'Invoice',
          qboId: null,
          code: 'run.qbo-refused',
          message: 'refused',
        },
        now,
        undefined,
      );
      // An update of INV-1 later moves the same link on.
      await resolveWrite(
        t.db,
        {
          ...base,
          journalId: null,
          rowKey: 'invoices:INV-1',
          label: 'Invoice INV-1',
          recordKey: 'INV-1',
          recordVersion: 4,
          payloadHash: 'c2',
          action: 'update',
          qboId: '101',
          syncToken: '1',
          qboTotalCents: 100,
          linkState: 'linked',
          counter: 'updated',
        },
        now,
        undefined,
      );

      expect(await unresolvedWrites(t.db, '42')).toEqual([]);
      expect([...(await heldWrites(t.db, '42')).keys()]).toEqual(['invoice\u0000INV-2']);
      const links = await t.db.selectFrom('links').selectAll().execute();
      expect(links).toHaveLength(1);
      expect(links[0]).toMatchObject({ qbo_id: '101', sync_token: '1', payload_hash: 'c2', record_version: 4, state: 'linked', last_run_id: 'run-1' });
      expect(Number(links[0]!.qbo_total_cents)).toBe(100);

      const detail = await getRun(t.db, 'run-1', { now });
      // No lock names it: its process is gone, so it reads as interrupted (see the lease test below).
      expect(detail).toMatchObject({ processed: 4, created: 1, updated: 1, held: 1, failed: 1, status: 'interrupted', settings: { settingsHash: 's' } });
      expect(detail.records.map((r) => [r.recordKey, r.action, r.status, r.code])).toEqual([
        ['INV-1', 'create', 'done', null],
        ['INV-2', 'create', 'held', 'run.lookup-several'],
        ['INV-3', 'create', 'failed', 'run.qbo-refused'],
        ['INV-1', 'update', 'done', null],
      ]);
      await expect(getRun(t.db, 'run-nope')).rejects.toThrow(/There is no run run-nope/);
    });

    it('lists runs newest first and marks runs left running by a dead process as interrupted', async () => {
      await run('run-1');
      await t.db.updateTable('runs').set({ started_at: '2026-11-26T01:00:00.000Z' }).where('id', '=', 'run-1').execute();
      await run('run-2');
      const lock = await acquireSyncLock(t.db, { realmId: '42', holder: 'alice', clock: () => now, ttlMs: 60_000 });
      await lock.setRunId('run-2');
      expect((await listRuns(t.db, { realmId: '42', now })).map((r) => r.id)).toEqual(['run-2', 'run-1']);
      expect((await latestRun(t.db, '42', { now }))!.id).toBe('run-2');
      expect(await markInterruptedRuns({ db: t.db, clock: () => now }, '42', 'run-2')).toBe(1);
      expect((await getRun(t.db, 'run-1', { now })).status).toBe('interrupted');
      expect((await getRun(t.db, 'run-2', { now })).status).toBe('running');
      await lock.release();
    });

    it('a run taken over after its process died is closed out: its message and the records it never reached (issue 17)', async () => {
      await run('run-7');
      await t.db.updateTable('runs').set({ progress_total: 10, processed: 3 }).where('id', '=', 'run-7').execute();
      // Its last sign of life: a write journaled 5 minutes after it started; the takeover comes an hour later.
      const lastWrite = new Date(now.getTime() + 5 * 60_000);
      await journalWrites(t.db, [entry('INV-7', { runId: 'run-7' })], lastWrite);
      const takeover = new Date(now.getTime() + 60 * 60_000);
      expect(await markInterruptedRuns({ db: t.db, clock: () => takeover }, '42', null)).toBe(1);
      const closed = await getRun(t.db, 'run-7', { now: takeover });
      expect(closed.status).toBe('interrupted');
      // The old code stored no message. It still finishes at the takeover: recovery's processing window counts from there.
      expect(closed.finishedAt).toBe(takeover.toISOString());
      expect(closed.message).toContain('Run run-7 stopped before it finished (its process ended)');
      expect(closed.message).toContain('7 of the 10 record(s) it planned were never reached, so not sent');
    });

    it('mid-run, progress.done is never behind processed in the same answer (issue 17: processed 20 next to done 16)', async () => {
      await run('run-8');
      // The throttled progress write lags: 16 stored, while 20 records are already counted.
      await t.db.updateTable('runs').set({ progress_total: 50, progress_done: 16, processed: 20 }).where('id', '=', 'run-8').execute();
      const r = await getRun(t.db, 'run-8', { now });
      expect(r.progress.done).toBe(r.processed);
      expect(r.progress).toMatchObject({ done: 20, total: 50 });
      expect((await latestRun(t.db, '42', { now }))!.progress.done).toBe(20);
    });

    it('a run whose lock lease lapsed reads as interrupted at once, before any sync or recover marks it', async () => {
      await run('run-3');
      const lock = await acquireSyncLock(t.db, { realmId: '42', holder: 'alice', clock: () => now, ttlMs: 60_000 });
      await lock.setRunId('run-3');
      // While the lease runs, it is running (in the list, the latest, and on its own).
      const at = (ms: number) => ({ now: new Date(now.getTime() + ms) });
      expect((await getRun(t.db, 'run-3', at(59_000))).status).toBe('running');
      expect((await latestRun(t.db, '42', at(59_000)))!.status).toBe('running');
      // Its process was killed: no heartbeat came, and the lease ended (by the database's clock, lock.ts).
      await t.db.updateTable('sync_locks').set({ expires_at: '2000-01-01T00:00:00.000Z' }).where('realm_id', '=', '42').execute();
      const lapsed = await getRun(t.db, 'run-3', at(60_001));
      expect(lapsed.status).toBe('interrupted');
      expect(lapsed.finishedAt).toBe(at(60_001).now.toISOString());
      expect(lapsed.message).toContain('stopped before it finished: its process ended');
      expect((await listRuns(t.db, { realmId: '42', ...at(60_001) })).find((r) => r.id === 'run-3')!.status).toBe('interrupted');
      // The store still says running until the next sync or recover marks it; nothing was written by reading.
      expect((await t.db.selectFrom('runs').select('status').where('id', '=', 'run-3').executeTakeFirstOrThrow()).status).toBe('running');
      await lock.release();
    });
  },
  { fresh: 'each' },
);
