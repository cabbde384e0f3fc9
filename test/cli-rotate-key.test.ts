/**
 * `qbo-connect rotate-key`, the real bin, on both dialects, after a real connection through the
 * emulator: a key the stored tokens do not open is refused naming the company, with nothing changed;
 * the key file is replaced (0600, no companions left) and the connection still refreshes its token and
 * syncs, while the old key no longer opens anything stored; with QBO_CONNECT_SECRET the new secret
 * comes from an environment variable the operator names.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTokenCipher, KEY_FILE, loadOrCreateKey, VaultError } from '../src/connect/connection/crypto.js';
import { syncDepsFor } from '../src/connect/run/deps.js';
import { openDatabase, type OpenDb } from '../src/store/db.js';
import { withConnectedEmulator } from './helpers/connected-emulator.js';
import { dialects } from './helpers/db.js';
import { testDate } from './helpers/test-time.js';
import { readyDemo } from './sync/demo-setup.js';

const bin = path.resolve('bin/qbo-connect.js');

describe.each(dialects)('qbo-connect rotate-key [%s]', (dialect) => {
  const c = withConnectedEmulator(dialect);
  let keyFile: string;
  /** The database opened for one step and closed again: rotate-key refuses while another process has it open. */
  const withDb = async <T>(fn: (db: OpenDb['db']) => Promise<T>): Promise<T> => {
    const o = await openDatabase({ databaseUrl: c.config.databaseUrl, sqliteFile: path.join(c.config.dataDir, 'qbo-connect.db'), migrate: false });
    try {
      return await fn(o.db);
    } finally {
      await o.close();
    }
  };

  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, ...args], { env: c.cliEnv(extra), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.on('exit', (code) => resolve({ code, out, err }));
    });
  const row = () => withDb((db) => db.selectFrom('connections').select(['access_token_enc', 'refresh_token_enc']).where('realm_id', '=', c.realmId).executeTakeFirstOrThrow());
  const open = (key: Buffer, blob: string | null, column: string) => createTokenCipher(key).decrypt(blob!, `${c.realmId}|${column}`);
  const companions = () => fs.readdirSync(c.config.dataDir).filter((f) => f.startsWith(`${KEY_FILE}.`));

  beforeAll(async () => {
    await readyDemo(c.app.ctx, syncDepsFor(c.app.ctx, c.realmId).client, c.realmId, { size: 'small', direction: 'export', applyCredits: false });
    await c.app.close();
    keyFile = path.join(c.config.dataDir, KEY_FILE);
  });

  it('refuses while another process has the database open (a running start keeps the key it read), in one line, exit 2, changing nothing (issue 17)', async () => {
    const keyBefore = fs.readFileSync(keyFile);
    const before = await row();
    // The stand-in for a running `start`: this process with the database open (as `start` keeps it).
    const running = await openDatabase({ databaseUrl: c.config.databaseUrl, sqliteFile: path.join(c.config.dataDir, 'qbo-connect.db'), migrate: false });
    try {
      await running.db.selectFrom('connections').select('realm_id').execute();
      const r = await cli(['rotate-key']);
      expect(r.code, r.err).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/^qbo-connect: the database .*is in use by .*: stop it, then run rotate-key again; nothing was changed/);
      // PostgreSQL names the process by its application_name (our pid and host).
      if (dialect === 'postgres') expect(r.err).toContain(`in use by qbo-connect pid ${process.pid} on `);
    } finally {
      await running.close();
    }
    expect(fs.readFileSync(keyFile).equals(keyBefore)).toBe(true);
    expect(companions()).toEqual([]);
    expect(await row()).toEqual(before);
  });

  it('refuses when the current key cannot open a stored token, naming the company, and changes nothing', async () => {
    const before = await row();
    const keyBefore = fs.readFileSync(keyFile);
    // The refresh token stored under some other key (say, a host with another secret wrote it).
    const stranger = createTokenCipher(crypto.randomBytes(32)).encrypt('not-ours', `${c.realmId}|refresh_token`);
    await withDb((db) => db.updateTable('connections').set({ refresh_token_enc: stranger }).where('realm_id', '=', c.realmId).execute());
    const r = await cli(['rotate-key']);
    expect(r.code, r.err).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^qbo-connect: the current key cannot decrypt the stored refresh token of company .*: nothing was changed/);
    expect(r.err).toContain(c.realmId);
    expect(fs.readFileSync(keyFile).equals(keyBefore)).toBe(true);
    expect(companions()).toEqual([]);
    expect((await row()).access_token_enc).toBe(before.access_token_enc);
    await withDb((db) => db.updateTable('connections').set({ refresh_token_enc: before.refresh_token_enc }).where('realm_id', '=', c.realmId).execute());
  });

  it('replaces the key file; the old key opens nothing stored; the connection refreshes its token and syncs', async () => {
    const oldKey = loadOrCreateKey({ dataDir: c.config.dataDir });
    const before = await row();
    const access = open(oldKey, before.access_token_enc, 'access_token');
    const refresh = open(oldKey, before.refresh_token_enc, 'refresh_token');

    const r = await cli(['rotate-key']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^Re-encrypted 2 stored tokens of 1 company under a new key/);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(companions()).toEqual([]);
    const newKey = loadOrCreateKey({ dataDir: c.config.dataDir });
    expect(newKey.equals(oldKey)).toBe(false);
    const after = await row();
    expect(open(newKey, after.access_token_enc, 'access_token')).toBe(access);
    expect(open(newKey, after.refresh_token_enc, 'refresh_token')).toBe(refresh);
    expect(() => open(oldKey, after.access_token_enc, 'access_token')).toThrow(VaultError);
    expect(() => open(oldKey, after.refresh_token_enc, 'refresh_token')).toThrow(VaultError);

    // The access token has run out, here and at Intuit: the sync must refresh it with the re-encrypted refresh token.
    await withDb((db) =>
      db
        .updateTable('connections')
        .set({ access_expires_at: testDate(-1000).toISOString() })
        .where('realm_id', '=', c.realmId)
        .execute(),
    );
    c.emu.control.expireAccessTokens(c.realmId);
    const s = await cli(['sync', '--yes']);
    expect(s.code, `${s.out}\n${s.err}`).toBe(0);
    expect(s.out).toMatch(/Run run-\S+ succeeded/);
    const refreshed = await row();
    expect(open(newKey, refreshed.access_token_enc, 'access_token')).not.toBe(access);
    expect(() => open(oldKey, refreshed.access_token_enc, 'access_token')).toThrow(VaultError);
  }, 180_000);

  it('QBO_CONNECT_SECRET: refused without a named variable; moved onto a secret and on to another, which the product then uses', async () => {
    const first = 'first-shared-secret-of-at-least-32-chars';
    const second = 'second-shared-secret-of-at-least-32-chars';
    const refused = await cli(['rotate-key'], { QBO_CONNECT_SECRET: first });
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/^qbo-connect: QBO_CONNECT_SECRET is set, .*rotate-key --new-secret-from-env NEW_QBO_CONNECT_SECRET/);
    expect((await cli(['rotate-key', '--new-secret-from-env', 'UNSET_VARIABLE'])).err).toMatch(/UNSET_VARIABLE is not set/);
    // A long but guessable new secret, and one with a trailing line break, are refused without being quoted (issue 17).
    const weak = await cli(['rotate-key', '--new-secret-from-env', 'NEW_SECRET'], { NEW_SECRET: 'a'.repeat(40) });
    expect(weak.code).toBe(2);
    expect(weak.err).toMatch(/^qbo-connect: --new-secret-from-env NEW_SECRET: the new secret is too easy to guess/);
    expect(weak.err).not.toContain('a'.repeat(40));
    const spaced = await cli(['rotate-key', '--new-secret-from-env', 'NEW_SECRET'], { NEW_SECRET: `${first}\n` });
    expect(spaced.err).toMatch(/^qbo-connect: --new-secret-from-env NEW_SECRET: the new secret has spaces or a line break at its start or end/);

    const moved = await cli(['rotate-key', '--new-secret-from-env', 'NEW_SECRET'], { NEW_SECRET: first });
    expect(moved.code, moved.err).toBe(0);
    expect(moved.out).toContain('Now set QBO_CONNECT_SECRET to that value on every host');
    expect(moved.out + moved.err).not.toContain(first);
    // Without the secret the product refuses (the key file no longer opens the tokens); with it, it runs.
    expect((await cli(['status'])).code).toBe(2);
    expect((await cli(['status'], { QBO_CONNECT_SECRET: first })).code).toBe(0);

    const again = await cli(['rotate-key', '--new-secret-from-env', 'NEXT_SECRET'], { QBO_CONNECT_SECRET: first, NEXT_SECRET: second });
    expect(again.code, again.err).toBe(0);
    const stored = await row();
    const keyOf = (secret: string) => loadOrCreateKey({ secret, dataDir: c.config.dataDir });
    expect(() => open(keyOf(first), stored.refresh_token_enc, 'refresh_token')).toThrow(VaultError);
    expect(open(keyOf(second), stored.refresh_token_enc, 'refresh_token')).toMatch(/\S/);
    expect((await cli(['status'], { QBO_CONNECT_SECRET: second })).code).toBe(0);
  }, 120_000);
});
