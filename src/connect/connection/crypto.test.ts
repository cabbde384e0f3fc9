import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KEY_FILE, VaultError, createTokenCipher, loadOrCreateKey } from './crypto.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-vault-'));

describe('token vault crypto', () => {
  const cipher = createTokenCipher(loadOrCreateKey({ secret: 'x'.repeat(40), dataDir: tmp() }));

  it('round-trips any text and never shows it in the blob', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 8, unit: 'grapheme' }), (plain) => {
        const blob = cipher.encrypt(plain, '123|access_token');
        expect(cipher.decrypt(blob, '123|access_token')).toBe(plain);
        expect(blob.includes(plain)).toBe(false);
      }),
    );
  });

  it('uses a fresh IV every time', () => {
    const a = cipher.encrypt('same', 'c');
    const b = cipher.encrypt('same', 'c');
    expect(a).not.toBe(b);
    expect(a.split(':')[1]).not.toBe(b.split(':')[1]);
  });

  it('refuses a blob moved to another company or column, or tampered with', () => {
    const blob = cipher.encrypt('token-value', '111|refresh_token');
    expect(() => cipher.decrypt(blob, '222|refresh_token')).toThrow(VaultError);
    expect(() => cipher.decrypt(blob, '111|access_token')).toThrow(VaultError);
    const parts = blob.split(':');
    const ct = Buffer.from(parts[3]!, 'base64url');
    ct[0] = ct[0]! ^ 1;
    parts[3] = ct.toString('base64url');
    expect(() => cipher.decrypt(parts.join(':'), '111|refresh_token')).toThrow(VaultError);
    expect(() => cipher.decrypt('v0:a:b:c', '111|refresh_token')).toThrow(VaultError);
  });

  it('derives the same key from the same secret and a different one from another', () => {
    const dir = tmp();
    const k1 = loadOrCreateKey({ secret: 'a'.repeat(32), dataDir: dir });
    expect(loadOrCreateKey({ secret: 'a'.repeat(32), dataDir: dir }).equals(k1)).toBe(true);
    expect(loadOrCreateKey({ secret: 'b'.repeat(32), dataDir: dir }).equals(k1)).toBe(false);
    // With a secret, no key file is written.
    expect(fs.existsSync(path.join(dir, KEY_FILE))).toBe(false);
  });

  it('creates a 0600 key file on first start and reuses it after', () => {
    const dir = path.join(tmp(), 'data');
    const k1 = loadOrCreateKey({ dataDir: dir });
    const file = path.join(dir, KEY_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const k2 = loadOrCreateKey({ dataDir: dir });
    expect(k2.equals(k1)).toBe(true);
    const c1 = createTokenCipher(k1);
    expect(createTokenCipher(k2).decrypt(c1.encrypt('t', 'x'), 'x')).toBe('t');
  });

  it('says what to do when the key file is damaged', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, KEY_FILE), 'short\n', { mode: 0o600 });
    expect(() => loadOrCreateKey({ dataDir: dir })).toThrow(/damaged/);
  });
});
