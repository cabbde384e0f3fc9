/** `qbo-connect settings|skip|unskip|skipped` as a real child process on a throw-away data folder. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/store/db.js';

const bin = path.resolve('bin/qbo-connect.js');
let dataDir: string;

function run(...args: string[]) {
  return spawnSync(process.execPath, [bin, '--data-dir', dataDir, ...args], {
    env: { ...process.env, QBO_CONNECT_LOG_LEVEL: 'silent', DATABASE_URL: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('qbo-connect settings', () => {
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-connect-settings-cli-'));
  });

  it('asks for the company while none is connected', () => {
    const r = run('settings', 'show');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--realm ID');
  });

  it('shows the defaults, as text and as JSON', () => {
    const text = run('settings', 'show', '--realm', '9130');
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('invoices.memo = project-number');
    expect(text.stdout).toContain('contacts.supplierPrefix = on');
    const json = run('settings', 'show', '--realm', '9130', '--json');
    const body = JSON.parse(json.stdout) as { realmId: string; settings: { payments: { direction: string } } };
    expect(body.realmId).toBe('9130');
    expect(body.settings.payments.direction).toBe('import');
  });

  it('sets values, and the audit shows old and new value with the actor', () => {
    expect(run('settings', 'set', 'invoices.memo', 'client-reference', '--realm', '9130').stdout).toContain('invoices.memo: project-number -> client-reference');
    expect(run('settings', 'set', 'bills.export', 'off', '--realm', '9130').status).toBe(0);
    expect(run('settings', 'set', 'tax.sales.GST', '10', '--realm', '9130').status).toBe(0);
    const shown = JSON.parse(run('settings', 'show', '--realm', '9130', '--json').stdout) as { settings: { bills: { export: boolean }; tax: { sales: Record<string, string> } } };
    expect(shown.settings.bills.export).toBe(false);
    expect(shown.settings.tax.sales).toEqual({ GST: '10' });

    const audit = JSON.parse(run('settings', 'audit', '--realm', '9130', '--json').stdout) as {
      audit: Array<{ path: string; oldValue: unknown; newValue: unknown; actor: string }>;
    };
    expect(audit.audit.map((a) => [a.path, a.oldValue, a.newValue])).toEqual([
      ['tax.sales.GST', null, '10'],
      ['bills.export', true, false],
      ['invoices.memo', 'project-number', 'client-reference'],
    ]);
    expect(audit.audit[0]!.actor).toMatch(/^cli:.+/);
    const one = run('settings', 'audit', '--realm', '9130', '--path', 'bills');
    expect(one.stdout.trim().split('\n')).toHaveLength(1);
    expect(one.stdout).toContain('bills.export: on -> off');
    const badSince = run('settings', 'audit', '--realm', '9130', '--since', 'last week');
    expect(badSince.status).toBe(2);
    expect(badSince.stderr).toContain('--since=last week: must be a date');
    expect(run('settings', 'audit', '--realm', '9130', '--limit', '2').stdout.trim().split('\n')).toHaveLength(2);
    const group = run('settings', 'show', 'tax', '--realm', '9130');
    expect(group.stdout).toContain('tax.sales.GST = 10');
    expect(group.stdout).not.toContain('invoices.memo');
    expect(JSON.parse(run('settings', 'show', 'invoices.memo', '--json', '--realm', '9130').stdout)).toEqual({ realmId: '9130', path: 'invoices.memo', value: 'client-reference' });
    expect(run('settings', 'show', 'invoice', '--realm', '9130').status).toBe(2);
  });

  it.each([
    [['invoices.memo', 'reference'], 'Setting invoices.memo: reference is not allowed; allowed values: none, invoice-text, project-number, client-reference.'],
    [['contacts.shortenLongNames', 'maybe'], 'Setting contacts.shortenLongNames: maybe is not allowed; allowed values: on, off.'],
    [['general.exportFrom.invoices', '2026-13-01'], 'Setting general.exportFrom.invoices: 2026-13-01 is not allowed; allowed values: a date as YYYY-MM-DD'],
    [['invoices.memmo', 'none'], 'There is no setting invoices.memmo'],
  ])('refuses settings set %j with one line and exit code 2', (args, message) => {
    const r = run('settings', 'set', ...args, '--realm', '9130');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });

  it('skips, lists and adds back a record', () => {
    expect(run('skip', 'invoice', 'INV-7', '--realm', '9130').stdout).toContain('Skipped invoice INV-7.');
    const listed = JSON.parse(run('skipped', '--realm', '9130', '--json').stdout) as { skipped: Array<{ kind: string; recordId: string; skippedBy: string }> };
    expect(listed.skipped).toEqual([expect.objectContaining({ kind: 'invoice', recordId: 'INV-7', skippedBy: expect.stringMatching(/^cli:/) as unknown as string })]);
    expect(run('unskip', 'invoice', 'INV-7', '--realm', '9130').status).toBe(0);
    expect(run('skipped', '--realm', '9130').stdout).toContain('No skipped records.');
    const again = run('unskip', 'invoice', 'INV-7', '--realm', '9130');
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('invoice INV-7 is not skipped');
    const bad = run('skip', 'receipt', 'R-1', '--realm', '9130');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('acts on the single connected company when --realm is left out', async () => {
    const opened = await openDatabase({ sqliteFile: path.join(dataDir, 'qbo-connect.db') });
    const at = '2026-11-01T00:00:00.000Z';
    await opened.db
      .insertInto('connections')
      .values({
        realm_id: '9130',
        company_name: 'Demo',
        region: 'AU',
        status: 'connected',
        access_token_enc: null,
        refresh_token_enc: null,
        access_expires_at: null,
        refresh_expires_at: null,
        refresh_hard_expires_at: null,
        connected_at: at,
        connected_by: null,
        disconnected_reason: null,
        updated_at: at,
        lock_owner: null,
        lock_until: null,
      })
      .execute();
    await opened.close();
    const r = run('settings', 'set', 'invoices.jobItems', 'fixed-item');
    expect(r.status).toBe(0);
    expect(JSON.parse(run('settings', 'show', '--json').stdout)).toMatchObject({ realmId: '9130', settings: { invoices: { jobItems: 'fixed-item' } } });
  });
});
