/**
 * The start-up check of the token key (issue 12 §9): decrypt one stored token before anything else
 * runs. A key that cannot read what the database holds (another QBO_CONNECT_SECRET, a lost or
 * replaced key file, or two hosts sharing one database with different secrets) refuses to start with
 * one line naming both, instead of saying "Connected" and failing later; and while encrypted tokens
 * exist, a missing key file is never silently replaced by a new one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../config.js';
import type { Db } from '../../store/db.js';
import { createTokenCipher, KEY_FILE, loadOrCreateKey, VaultError } from './crypto.js';

export class TokenKeyError extends ConfigError {
  override name = 'TokenKeyError';
}

/** Returns the key when it had to read it (tokens are stored), so the process need not read it again. */
export async function checkTokenKey(db: Db, config: { secret?: string | undefined; dataDir: string }): Promise<Buffer | undefined> {
  const row = await db.selectFrom('connections').select(['realm_id', 'access_token_enc']).where('access_token_enc', 'is not', null).limit(1).executeTakeFirst();
  if (!row?.access_token_enc) return undefined;
  const keyFile = path.join(config.dataDir, KEY_FILE);
  const restore = `every host sharing this database needs the same QBO_CONNECT_SECRET; if the key is lost, connect each company again after removing its stored tokens`;
  if (!config.secret && !fs.existsSync(keyFile)) {
    throw new TokenKeyError(
      `QBO_CONNECT_SECRET is not set and the key file ${keyFile} is missing, but the database holds QuickBooks tokens encrypted with one of them: set QBO_CONNECT_SECRET to the secret they were stored with, or restore the key file (${restore}).`,
    );
  }
  try {
    const key = loadOrCreateKey(config);
    createTokenCipher(key).decrypt(row.access_token_enc, `${row.realm_id}|access_token`);
    return key;
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    const using = config.secret ? 'QBO_CONNECT_SECRET' : `the key file ${keyFile} (QBO_CONNECT_SECRET is not set)`;
    // key-rotation.ts: stopped between its commit and renaming the new key file over the old one.
    if (!config.secret && fs.existsSync(`${keyFile}.new`)) {
      throw new TokenKeyError(
        `${using} cannot read the QuickBooks tokens stored in the database: a key rotation was interrupted (${keyFile}.new is there); run \`qbo-connect rotate-key\` again to finish it.`,
      );
    }
    throw new TokenKeyError(
      `${using} cannot read the QuickBooks tokens stored in the database (company ${row.realm_id}): they were encrypted with another QBO_CONNECT_SECRET or key file ${keyFile}; start with the one they were stored with (${restore}).`,
    );
  }
}
