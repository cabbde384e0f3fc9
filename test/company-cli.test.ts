/** `qbo-connect company offices` as a real child process on a throw-away data folder (SQLite). */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.js';
import { createRecord } from '../src/practice/store.js';
import { testConfig } from './helpers/config.js';

const bin = path.resolve('bin/qbo-connect.js');
let dataDir: string;

function run(...args: string[]) {
  return spawnSync(process.execPath, [bin, '--data-dir', dataDir, ...args], {
    env: { ...process.env, QBO_CONNECT_LOG_LEVEL: 'silent', DATABASE_URL: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('qbo-connect company offices', () => {
  beforeAll(async () => {
    const config = testConfig();
    dataDir = config.dataDir;
    const app = await createApp(config);
    const now = app.ctx.clock();
    await app.ctx.db
      .insertInto('connections')
      .values({
        realm_id: '9130',
        company_name: 'Sydney books',
        region: 'AU',
        status: 'disconnected',
        access_token_enc: null,
        refresh_token_enc: null,
        access_expires_at: null,
        refresh_expires_at: null,
        refresh_hard_expires_at: null,
        connected_at: now.toISOString(),
        connected_by: null,
        disconnected_reason: 'disconnected',
        updated_at: now.toISOString(),
        lock_owner: null,
        lock_until: null,
        offices: null,
      })
      .execute();
    await createRecord(app.ctx.db, 'default', 'office', { code: 'SYD', name: 'Sydney' }, now);
    await createRecord(app.ctx.db, 'default', 'office', { code: 'MEL', name: 'Melbourne' }, now);
    await app.close();
  }, 60_000);

  it('shows the whole ledger, then takes the offices set (each code checked, each change audited)', () => {
    const shown = run('company', 'offices', '--realm', '9130');
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('Company 9130 (Sydney books) of practice default takes all offices (the whole ledger).');
    const set = run('company', 'offices', '--realm', '9130', '--set', 'SYD, MEL', '--json');
    expect(set.status, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ changed: true, oldValue: null, newValue: ['MEL', 'SYD'] });
    expect(run('settings', 'audit', '--path', 'company', '--realm', '9130').stdout).toMatch(/cli:\S+ {2}company\.offices: /);
  });

  it('--none takes no document, --all the whole ledger again', () => {
    expect(run('company', 'offices', '--realm', '9130', '--none').stdout).toContain('Company 9130 offices: offices MEL, SYD -> no office (takes no documents)');
    expect(run('company', 'offices', '--realm', '9130', '--all').stdout).toContain('-> all offices (the whole ledger)');
  });

  it.each([
    [['--set', 'SYD,PER'], '"PER" is not an office of practice default'],
    [['--set', ','], '--set needs office codes'],
    [['--set', 'SYD', '--all'], 'Give one of --set, --all or --none'],
  ])('refuses %j with one line, exit 2, nothing changed', (args, says) => {
    const r = run('company', 'offices', '--realm', '9130', ...args);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(says);
    expect(run('company', 'offices', '--realm', '9130').stdout).toContain('takes all offices');
  });
});
