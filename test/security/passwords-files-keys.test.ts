/**
 * Issue 12 §7–§9: weak passwords are refused with a reason; a password typed into the email box
 * never reaches the log; the data folder and its files are private (and looser ones are named at
 * start); a key that cannot read the stored tokens stops start-up, and no new key file replaces a
 * lost one while encrypted tokens exist.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { KEY_FILE } from '../../src/connect/connection/crypto.js';
import { createHttpApp } from '../../src/server/http.js';
import { testConfig } from '../helpers/config.js';
import { WebClient } from '../helpers/web-client.js';
import { makeBench, type Bench } from './harness.js';
import { dataDirWithTokens, SECRET_A, SECRET_B } from './stored-tokens.js';

const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe('security: passwords', () => {
  it.each(['aaaaaaaaaa', 'password123', 'qwertyuiop', '1234567890', 'ada@example.com1'])('set-up refuses %s with a sentence saying why', async (weak) => {
    const app = await createApp(testConfig());
    try {
      const c = new WebClient(createHttpApp(app.ctx));
      await c.get('/setup');
      const res = await c.post('/setup', { name: 'Ada', email: 'ada@example.com', password: weak, confirm: weak });
      expect(res.status).toBe(400);
      expect(c.lastHtml).toMatch(/too easy to guess \([^)]+\): use a longer phrase/);
      expect(await app.ctx.db.selectFrom('users').select('id').execute()).toHaveLength(0);
    } finally {
      await app.close();
    }
  });

  describe('with people', () => {
    let b: Bench;
    beforeAll(async () => {
      b = await makeBench();
    });
    afterAll(async () => b?.close());

    it('an administrator cannot add a user with a common password, nor change their own to one', async () => {
      const admin = b.people.administrator;
      const add = await b.call('/users', {
        method: 'POST',
        as: { person: admin, via: 'session' },
        contentType: 'application/x-www-form-urlencoded',
        body: new URLSearchParams({ email: 'new@example.com', name: 'New', role: 'viewer', password: 'iloveyou123' }).toString(),
      });
      expect(add.status).toBe(400);
      expect(await add.text()).toContain('too easy to guess');
      const change = await b.call('/account/password', {
        method: 'POST',
        as: { person: admin, via: 'session' },
        contentType: 'application/x-www-form-urlencoded',
        body: new URLSearchParams({ current: admin.password, password: 'abcdefghijk' }).toString(),
      });
      expect(change.status).toBe(400);
      expect(await change.text()).toContain('too easy to guess');
    });

    it('a password typed into the email box is not written to the log', async () => {
      const c = new WebClient(b.http, b.origin);
      await c.get('/signin');
      const typed = 'Tr0ub4dor&3-my-real-password';
      await c.post('/signin', { email: typed, password: 'whatever else' });
      const log = b.lines.join('');
      expect(log).toContain('sign-in refused');
      expect(log).not.toContain(typed.toLowerCase());
      expect(log).not.toContain(typed);
      // An email-shaped value is still logged, so an administrator can see who is being tried.
      await c.post('/signin', { email: 'someone@example.com', password: 'whatever else' });
      expect(b.lines.join('')).toContain('someone@example.com');
    });
  });
});

describe('security: data folder permissions', () => {
  it('creates the folder 0700 and the database and key file 0600', async () => {
    const dataDir = await dataDirWithTokens(undefined);
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(path.join(dataDir, 'qbo-connect.db'))).toBe(0o600);
    expect(mode(path.join(dataDir, KEY_FILE))).toBe(0o600);
    for (const extra of ['qbo-connect.db-wal', 'qbo-connect.db-shm']) {
      if (fs.existsSync(path.join(dataDir, extra))) expect(mode(path.join(dataDir, extra)), extra).toBe(0o600);
    }
  });

  it('warns at start, naming each path, when the folder or a file is looser', async () => {
    const dataDir = await dataDirWithTokens(undefined);
    fs.chmodSync(dataDir, 0o755);
    fs.chmodSync(path.join(dataDir, 'qbo-connect.db'), 0o644);
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      const app = await createApp(loadConfig({ QBO_CONNECT_LOG_LEVEL: 'silent', QBO_CONNECT_DATA_DIR: dataDir }));
      await app.close();
    } finally {
      spy.mockRestore();
    }
    const warnings = lines.filter((l) => l.includes('permissions too loose'));
    expect(warnings.join('')).toContain(`chmod 700 ${dataDir}`);
    expect(warnings.join('')).toContain(`chmod 600 ${path.join(dataDir, 'qbo-connect.db')}`);
  });
});

describe('security: the token key is checked at start', () => {
  it('refuses to start with a QBO_CONNECT_SECRET that cannot read the stored tokens, in one line naming it and the key file', async () => {
    const dataDir = await dataDirWithTokens(SECRET_A);
    const attempt = createApp(loadConfig({ QBO_CONNECT_LOG_LEVEL: 'silent', QBO_CONNECT_DATA_DIR: dataDir, QBO_CONNECT_SECRET: SECRET_B }));
    await expect(attempt).rejects.toThrow(/QBO_CONNECT_SECRET cannot read the QuickBooks tokens/);
    await expect(attempt).rejects.toThrow(path.join(dataDir, KEY_FILE));
    const message = await attempt.then(
      () => '',
      (e: Error) => e.message,
    );
    expect(message.split('\n')).toHaveLength(1);
    expect(message).not.toContain(SECRET_A);
    expect(message).not.toContain(SECRET_B);
    // The right secret starts.
    const ok = await createApp(loadConfig({ QBO_CONNECT_LOG_LEVEL: 'silent', QBO_CONNECT_DATA_DIR: dataDir, QBO_CONNECT_SECRET: SECRET_A }));
    await ok.close();
  });

  it('does not make a new key file when the old one is gone and encrypted tokens exist', async () => {
    const dataDir = await dataDirWithTokens(undefined);
    fs.rmSync(path.join(dataDir, KEY_FILE));
    await expect(createApp(loadConfig({ QBO_CONNECT_LOG_LEVEL: 'silent', QBO_CONNECT_DATA_DIR: dataDir }))).rejects.toThrow(/key file .* is missing/);
    expect(fs.existsSync(path.join(dataDir, KEY_FILE))).toBe(false);
  });

  it('refuses a replaced key file too', async () => {
    const dataDir = await dataDirWithTokens(undefined);
    fs.writeFileSync(path.join(dataDir, KEY_FILE), Buffer.alloc(32, 7).toString('base64') + '\n', { mode: 0o600 });
    await expect(createApp(loadConfig({ QBO_CONNECT_LOG_LEVEL: 'silent', QBO_CONNECT_DATA_DIR: dataDir }))).rejects.toThrow(/the key file .* cannot read the QuickBooks tokens/);
  });

  it('a fresh installation still makes its key file', async () => {
    const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-sec-fresh-')), 'data');
    const app = await createApp(loadConfig({ QBO_CONNECT_LOG_LEVEL: 'silent', QBO_CONNECT_DATA_DIR: dataDir }));
    await app.close();
    expect(mode(dataDir)).toBe(0o700);
  });
});
