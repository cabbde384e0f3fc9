/**
 * Tokens at rest: AES-256-GCM with a random 96-bit IV per value and the realm and column as
 * additional data, so a ciphertext copied onto another company's row or column fails to decrypt
 * (docs/reliability.md §tokens-at-rest). The key comes from QBO_CONNECT_SECRET, or from a key file created with
 * 0600 permissions in the data folder on first start.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export const KEY_FILE = 'token-key';
const VERSION = 'v1';

export class VaultError extends Error {
  override name = 'VaultError';
}

export interface TokenCipher {
  encrypt(plain: string, context: string): string;
  decrypt(blob: string, context: string): string;
}

/** The 32-byte key: derived from the configured secret, or read from (or created in) the data folder. */
export function loadOrCreateKey(config: { secret?: string | undefined; dataDir: string }): Buffer {
  if (config.secret) {
    // HKDF, not the raw text: a long passphrase becomes exactly 32 uniformly distributed bytes.
    return Buffer.from(crypto.hkdfSync('sha256', Buffer.from(config.secret, 'utf8'), Buffer.from('qbo-connect'), Buffer.from('token-vault v1'), 32));
  }
  const file = path.join(config.dataDir, KEY_FILE);
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const fresh = crypto.randomBytes(32);
  try {
    // 'wx': only the first of several processes starting together creates it; the others read it.
    fs.writeFileSync(file, fresh.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    return fresh;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const text = fs.readFileSync(file, 'utf8').trim();
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32)
    throw new VaultError(`The key file ${file} is damaged (it must hold 32 bytes in base64); restore it from a backup, or remove it and connect every company again`);
  return key;
}

export function createTokenCipher(key: Buffer): TokenCipher {
  if (key.length !== 32) throw new VaultError('The token key must be 32 bytes');
  return {
    encrypt(plain, context) {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join(':');
    },
    decrypt(blob, context) {
      const parts = blob.split(':');
      if (parts.length !== 4 || parts[0] !== VERSION) throw new VaultError(`A stored token for ${context} is not in a format this version reads`);
      try {
        const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(parts[1]!, 'base64url'));
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(Buffer.from(parts[2]!, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(parts[3]!, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        // A running process keeps the key it read at start; `rotate-key` refuses while one runs, but a key
        // changed under it some other way (the key file replaced, a restore) lands here: a restart reads the new one.
        throw new VaultError(
          `A stored token for ${context} cannot be decrypted with the key this process read at start: if the key changed under a running process (rotate-key, a new key file or QBO_CONNECT_SECRET), restart it; if the key itself was lost, connect the company again`,
        );
      }
    },
  };
}

/**
 * A cipher whose key is loaded on first use, then kept: the process reads the key file once, and a
 * command that never touches a token never creates one.
 */
export function lazyTokenCipher(loadKey: () => Buffer): TokenCipher {
  let cipher: TokenCipher | undefined;
  const get = () => (cipher ??= createTokenCipher(loadKey()));
  return {
    encrypt: (plain, context) => get().encrypt(plain, context),
    decrypt: (blob, context) => get().decrypt(blob, context),
  };
}
