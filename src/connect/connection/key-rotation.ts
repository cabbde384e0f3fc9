/**
 * Re-encrypting the stored QuickBooks tokens under a new key (`qbo-connect rotate-key`, issue 17).
 * Every encrypted value is decrypted with the current key and encrypted with the new one in one
 * transaction: if the current key cannot read any of them, or a process holds a company's token lock,
 * nothing changes. The key file is replaced crash-safely (see rotateKeyFile); a key derived from
 * QBO_CONNECT_SECRET is replaced by the operator, who alone can change the environment of every host.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../../store/db.js';
import { dbTime } from '../run/lock.js';
import { createTokenCipher, KEY_FILE, VaultError } from './crypto.js';

/** Why the rotation did nothing: one line naming the company or file (main.ts prints it, exit 2). */
export class KeyRotationError extends Error {
  override name = 'KeyRotationError';
}

const COLUMNS = ['access_token_enc', 'refresh_token_enc'] as const;
type Column = (typeof COLUMNS)[number];
/** The additional data each value was encrypted with (connection/store.ts `enc`). */
const contextOf = (realmId: string, column: Column) => `${realmId}|${column.replace(/_enc$/, '')}`;

export interface ReencryptResult {
  companies: number;
  values: number;
}

/**
 * In one transaction: every stored token, decrypted with `oldKey`, encrypted with `newKey`. Refuses
 * (KeyRotationError, nothing written) when `oldKey` cannot read one, naming the company, or when a
 * company's token lock is held (a process is refreshing its tokens: it would write them back under
 * the old key).
 */
export async function reencryptTokens(db: Db, oldKey: Buffer, newKey: Buffer, now: Date): Promise<ReencryptResult> {
  if (oldKey.equals(newKey)) throw new KeyRotationError('the new key is the key in use: nothing to rotate.');
  const from = createTokenCipher(oldKey);
  const to = createTokenCipher(newKey);
  const nowIso = now.toISOString();
  return db.transaction().execute(async (trx) => {
    // The sync lock's lease is judged by the database's clock (connect/run/lock.ts).
    const running = await trx.selectFrom('sync_locks').select(['realm_id', 'holder']).where('expires_at', '>', dbTime(trx)).executeTakeFirst();
    if (running) {
      throw new KeyRotationError(`a sync of company ${running.realm_id} is running (${running.holder}): wait for it to end, stop every QBO Connect process, then rotate the key.`);
    }
    const rows = await trx.selectFrom('connections').select(['realm_id', 'company_name', 'access_token_enc', 'refresh_token_enc']).orderBy('realm_id').execute();
    let companies = 0;
    let values = 0;
    for (const row of rows) {
      const set: Partial<Record<Column, string>> = {};
      for (const column of COLUMNS) {
        const blob = row[column];
        if (!blob) continue;
        let plain: string;
        try {
          plain = from.decrypt(blob, contextOf(row.realm_id, column));
        } catch (err) {
          if (!(err instanceof VaultError)) throw err;
          const name = row.company_name ? `${row.company_name} (${row.realm_id})` : row.realm_id;
          throw new KeyRotationError(
            `the current key cannot decrypt the stored ${column.replace(/_enc$/, '').replace('_', ' ')} of company ${name}: nothing was changed; start with the key those tokens were stored with, or disconnect that company first.`,
          );
        }
        set[column] = to.encrypt(plain, contextOf(row.realm_id, column));
      }
      if (Object.keys(set).length === 0) continue;
      // Only while nobody holds the company's token lock (connection/store.ts): a refresh in flight would write old-key tokens after us.
      const r = await trx
        .updateTable('connections')
        .set(set)
        .where('realm_id', '=', row.realm_id)
        .where((eb) => eb.or([eb('lock_until', 'is', null), eb('lock_until', '<', nowIso)]))
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) {
        throw new KeyRotationError(
          `company ${row.realm_id} is refreshing its tokens now (its token lock is held): nothing was changed; stop every QBO Connect process, then rotate the key.`,
        );
      }
      companies += 1;
      values += Object.keys(set).length;
    }
    // The notification webhook's signing secret (connect/notify/store.ts) is under the same key. One
    // the current key cannot read was already unusable (delivery says to set it again): left as it is.
    const secrets = await trx.selectFrom('notification_settings').select(['practice_id', 'webhook_secret_enc']).where('webhook_secret_enc', 'is not', null).execute();
    for (const row of secrets) {
      const context = `${row.practice_id}|webhook_secret`;
      let plain: string;
      try {
        plain = from.decrypt(row.webhook_secret_enc!, context);
      } catch (err) {
        if (!(err instanceof VaultError)) throw err;
        continue;
      }
      await trx
        .updateTable('notification_settings')
        .set({ webhook_secret_enc: to.encrypt(plain, context) })
        .where('practice_id', '=', row.practice_id)
        .execute();
      values += 1;
    }
    return { companies, values };
  });
}

/** The key file and its two companions: the new key before it takes over, the old one until the rotation succeeded. */
export function keyFiles(dataDir: string): { current: string; next: string; backup: string } {
  const current = path.join(dataDir, KEY_FILE);
  return { current, next: `${current}.new`, backup: `${current}.old` };
}

function readKey(file: string): Buffer {
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new KeyRotationError(`the key file ${file} is damaged (it must hold 32 bytes in base64); nothing was changed.`);
  return key;
}

/** Writes and flushes a key file that did not exist, readable by this user only. */
function writeKeyFile(file: string, key: Buffer): void {
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    fs.writeFileSync(fd, key.toString('base64') + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function syncFolder(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Does `key` read the first stored token? undefined when none is stored. */
async function readsStoredTokens(db: Db, key: Buffer): Promise<boolean | undefined> {
  const row = await db.selectFrom('connections').select(['realm_id', 'access_token_enc']).where('access_token_enc', 'is not', null).orderBy('realm_id').limit(1).executeTakeFirst();
  if (!row?.access_token_enc) return undefined;
  try {
    createTokenCipher(key).decrypt(row.access_token_enc, contextOf(row.realm_id, 'access_token_enc'));
    return true;
  } catch (err) {
    if (err instanceof VaultError) return false;
    throw err;
  }
}

export type KeyFileRotation = ({ kind: 'rotated' } & ReencryptResult) | { kind: 'finished-interrupted' } | { kind: 'no-key-yet' };

/**
 * Rotates the key file in the data folder. Steps, each safe to be interrupted:
 * 1. the new key is written to `token-key.new` (0600, flushed);
 * 2. the current key is copied to `token-key.old`;
 * 3. the tokens are re-encrypted in one transaction;
 * 4. `token-key.new` is renamed over `token-key` (atomic), the folder flushed;
 * 5. `token-key.old` is removed.
 * Run again after an interruption, it finds `token-key.new`: if that key reads the stored tokens,
 * step 3 had committed and it finishes 4–5; otherwise it discards it and starts over.
 */
export async function rotateKeyFile(db: Db, dataDir: string, now: Date): Promise<KeyFileRotation> {
  const files = keyFiles(dataDir);
  if (fs.existsSync(files.next)) {
    const pending = readKey(files.next);
    if ((await readsStoredTokens(db, pending)) === true) {
      fs.renameSync(files.next, files.current);
      syncFolder(dataDir);
      fs.rmSync(files.backup, { force: true });
      return { kind: 'finished-interrupted' };
    }
    fs.rmSync(files.next);
  }
  if (!fs.existsSync(files.current)) {
    if ((await readsStoredTokens(db, crypto.randomBytes(32))) !== undefined) {
      throw new KeyRotationError(`the key file ${files.current} is missing but the database holds QuickBooks tokens: restore the key file first; nothing was changed.`);
    }
    return { kind: 'no-key-yet' };
  }
  const oldKey = readKey(files.current);
  const newKey = crypto.randomBytes(32);
  writeKeyFile(files.next, newKey);
  let result: ReencryptResult;
  try {
    fs.rmSync(files.backup, { force: true });
    fs.copyFileSync(files.current, files.backup, fs.constants.COPYFILE_EXCL);
    fs.chmodSync(files.backup, 0o600);
    result = await reencryptTokens(db, oldKey, newKey, now);
  } catch (err) {
    if (err instanceof KeyRotationError) {
      // Refused inside the transaction, so rolled back: the current key stays, and the tokens under it.
      fs.rmSync(files.next, { force: true });
      fs.rmSync(files.backup, { force: true });
      throw err;
    }
    // The database failed, perhaps at the commit: whether the tokens moved is unknown, so both keys stay for the next run to sort out.
    throw new KeyRotationError(
      `the rotation was interrupted (${err instanceof Error ? err.message : String(err)}); both keys are kept (${files.current}, ${files.next}): run \`qbo-connect rotate-key\` again to finish it.`,
      { cause: err },
    );
  }
  fs.renameSync(files.next, files.current);
  syncFolder(dataDir);
  fs.rmSync(files.backup, { force: true });
  return { kind: 'rotated', ...result };
}
