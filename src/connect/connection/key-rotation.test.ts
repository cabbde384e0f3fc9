import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/helpers/db.js';
import { createTokenCipher, KEY_FILE } from './crypto.js';
import { checkTokenKey } from './key-check.js';
import { keyFiles, KeyRotationError, reencryptTokens, rotateKeyFile } from './key-rotation.js';

const now = new Date('2026-11-26T02:00:00.000Z');
const realm = '9130350000000001';

describeEachDialect(
  'key rotation, interrupted and refused',
  (ctx) => {
    let dir: string;
    let oldKey: Buffer;
    const store = async (key: Buffer) => {
      const c = createTokenCipher(key);
      await ctx.db
        .insertInto('connections')
        .values({
          realm_id: realm,
          status: 'connected',
          access_token_enc: c.encrypt('access-1', `${realm}|access_token`),
          refresh_token_enc: c.encrypt('refresh-1', `${realm}|refresh_token`),
          connected_at: now.toISOString(),
          updated_at: now.toISOString(),
        })
        .execute();
    };
    const stored = () => ctx.db.selectFrom('connections').select(['access_token_enc', 'lock_until']).where('realm_id', '=', realm).executeTakeFirstOrThrow();
    const reads = async (key: Buffer) => createTokenCipher(key).decrypt((await stored()).access_token_enc!, `${realm}|access_token`);

    beforeEach(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-key-rotation-'));
      oldKey = crypto.randomBytes(32);
      fs.writeFileSync(path.join(dir, KEY_FILE), oldKey.toString('base64') + '\n', { mode: 0o600 });
      await store(oldKey);
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('finishes a rotation interrupted after the commit (token-key.new opens the tokens): renames it over the key file', async () => {
      const newKey = crypto.randomBytes(32);
      await reencryptTokens(ctx.db, oldKey, newKey, now);
      fs.writeFileSync(keyFiles(dir).next, newKey.toString('base64') + '\n', { mode: 0o600 });
      fs.copyFileSync(keyFiles(dir).current, keyFiles(dir).backup);
      // Meanwhile a start refuses, saying how to finish.
      await expect(checkTokenKey(ctx.db, { dataDir: dir })).rejects.toThrow(/a key rotation was interrupted .*run `qbo-connect rotate-key` again to finish it/);
      expect(await rotateKeyFile(ctx.db, dir, now)).toEqual({ kind: 'finished-interrupted' });
      expect(fs.readFileSync(keyFiles(dir).current, 'utf8').trim()).toBe(newKey.toString('base64'));
      expect(fs.existsSync(keyFiles(dir).next) || fs.existsSync(keyFiles(dir).backup)).toBe(false);
      expect(await reads(newKey)).toBe('access-1');
      expect(await checkTokenKey(ctx.db, { dataDir: dir })).toEqual(newKey);
    });

    it('discards a token-key.new left before the commit (it opens nothing) and rotates afresh', async () => {
      fs.writeFileSync(keyFiles(dir).next, crypto.randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
      const r = await rotateKeyFile(ctx.db, dir, now);
      expect(r).toEqual({ kind: 'rotated', companies: 1, values: 2 });
      const current = Buffer.from(fs.readFileSync(keyFiles(dir).current, 'utf8').trim(), 'base64');
      expect(await reads(current)).toBe('access-1');
      expect(fs.existsSync(keyFiles(dir).next)).toBe(false);
    });

    it('refuses while a process holds the company token lock, changing nothing', async () => {
      await ctx.db
        .updateTable('connections')
        .set({ lock_owner: 'web', lock_until: new Date(now.getTime() + 30_000).toISOString() })
        .execute();
      const before = await stored();
      await expect(rotateKeyFile(ctx.db, dir, now)).rejects.toThrow(KeyRotationError);
      await expect(rotateKeyFile(ctx.db, dir, now)).rejects.toThrow(/is refreshing its tokens now/);
      expect((await stored()).access_token_enc).toBe(before.access_token_enc);
      expect(fs.readFileSync(keyFiles(dir).current, 'utf8').trim()).toBe(oldKey.toString('base64'));
      expect(fs.readdirSync(dir)).toEqual([KEY_FILE]);
    });
  },
  { fresh: 'each' },
);
