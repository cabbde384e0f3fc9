/**
 * A run whose only problem is a held (diverged) row reads "succeeded with N held", not "failed"
 * (issue 19), on the CLI (the real bin) and the web pages; its stored status stays `failed` for the
 * API. A run with a failed row, or one that stopped part-way, still reads as failed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { heldOnly, problemsMessage, runStatusWords } from '../src/connect/run/history.js';
import { runStatusText } from '../src/server/pages/sync.js';
import { openDatabase } from '../src/store/db.js';

const bin = path.resolve('bin/qbo-connect.js');

describe('the words for a run with held rows', () => {
  const heldRun = { status: 'failed', failed: 0, held: 2, message: problemsMessage('r1', 0, 2) };

  it('reads a held-only run as succeeded with N held; failed and stopped runs stay failed', () => {
    expect(heldOnly(heldRun)).toBe(true);
    expect(runStatusWords(heldRun)).toBe('succeeded with 2 held');
    expect(runStatusText('failed', heldRun)).toBe('Finished with 2 held for review');
    // A run recorded before this wording said "0 record(s) failed and N are held".
    expect(runStatusWords({ ...heldRun, message: '0 record(s) failed and 2 are held for review; `qbo-connect history --run r1` says why for each.' })).toBe(
      'succeeded with 2 held',
    );
    // Held because of errors in the preview (a sync-ready schedule): still held-only, said as its own kind.
    const errorsHeld = { ...heldRun, message: problemsMessage('r1', 0, 2, 2) };
    expect(heldOnly(errorsHeld)).toBe(true);
    expect(runStatusText('failed', errorsHeld)).toBe('Finished with 2 held because of errors');
    expect(runStatusText('failed', { ...heldRun, held: 3, message: problemsMessage('r1', 0, 3, 2) })).toBe('Finished with 3 held: 2 because of errors, 1 for review');
    expect(errorsHeld.message).toMatch(/^Nothing failed; 2 record\(s\) held because of errors in the preview: fix them in the practice or skip them;/);
    expect(problemsMessage('r1', 0, 3, 2)).toContain('; 1 record(s) are held for review (changed in QuickBooks too');
    const failedRun = { status: 'failed', failed: 1, held: 2, message: problemsMessage('r1', 1, 2) };
    expect(runStatusWords(failedRun)).toBe('failed');
    expect(runStatusText('failed', failedRun)).toBe('Finished with problems');
    // A sync that stopped with only pending writes left is held-only by its counts, and still failed.
    const stopped = { status: 'failed', failed: 0, held: 3, message: 'The sync stopped: connection lost' };
    expect(runStatusWords(stopped)).toBe('failed');
    expect(runStatusWords({ status: 'succeeded', failed: 0, held: 0, message: null })).toBe('succeeded');
  });

  it('qbo-connect history shows it so, and --json keeps the status `failed`', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-run-words-'));
    const opened = await openDatabase({ sqliteFile: path.join(dataDir, 'qbo-connect.db') });
    const base = { realm_id: '4620', started_by: 'cli:test', settings: '{}', processed: 5, created: 3, adopted: 0, updated: 1, voided: 0, imported: 0, progress_group: null };
    await opened.db
      .insertInto('runs')
      .values([
        {
          ...base,
          id: 'run-held',
          started_at: '2026-11-02T00:00:00.000Z',
          finished_at: '2026-11-02T00:00:05.000Z',
          status: 'failed',
          failed: 0,
          held: 1,
          message: problemsMessage('run-held', 0, 1),
        },
        {
          ...base,
          id: 'run-bad',
          started_at: '2026-11-01T00:00:00.000Z',
          finished_at: '2026-11-01T00:00:05.000Z',
          status: 'failed',
          failed: 1,
          held: 0,
          message: problemsMessage('run-bad', 1, 0),
        },
      ])
      .execute();
    await opened.close();
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [bin, '--data-dir', dataDir, ...args], {
        env: { ...process.env, QBO_CONNECT_LOG_LEVEL: 'silent', DATABASE_URL: '' },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const text = run('history', '--realm', '4620');
    expect(text.status).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toContain('run-held');
    expect(lines[0]).toContain('succeeded with 1 held');
    expect(lines[0]).not.toContain('failed  ');
    expect(lines[1]).toContain('run-bad');
    expect(lines[1]).toContain('  failed  ');
    const one = run('history', '--run', 'run-held');
    expect(one.status).toBe(0);
    expect(one.stdout).toContain('succeeded with 1 held');
    expect(one.stdout).toContain('Nothing failed; 1 record(s) are held for review');
    const json = JSON.parse(run('history', '--realm', '4620', '--json').stdout) as { runs: Array<{ id: string; status: string }> };
    expect(json.runs.find((r) => r.id === 'run-held')!.status).toBe('failed');
  }, 60_000);
});
