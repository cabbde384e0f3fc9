/**
 * `qbo-connect rotate-key`: the stored QuickBooks tokens re-encrypted under a new key
 * (connection/key-rotation.ts). Stop every QBO Connect process sharing the database first: each reads
 * the key once at start.
 * - Key file (QBO_CONNECT_SECRET unset): a new random key replaces the file, crash-safely.
 * - QBO_CONNECT_SECRET: only the operator can change it on every host, so the new secret is read from
 *   an environment variable the operator names (`--new-secret-from-env NAME`), never from the command
 *   line (visible to every user in the process list, kept in shell history); the command then says
 *   what to set where. The same option moves tokens from a key file onto a shared secret.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { clockFrom } from '../../clock.js';
import { secretProblem } from '../../config.js';
import { loadOrCreateKey } from '../../connect/connection/crypto.js';
import { keyFiles, reencryptTokens, rotateKeyFile } from '../../connect/connection/key-rotation.js';
import { BackupError, lockLiveDatabase } from '../../store/backup.js';
import { openDatabase, otherPostgresUsers, type Db } from '../../store/db.js';
import { configFrom, userError } from '../context.js';

async function hasStoredTokens(db: Db): Promise<boolean> {
  return (await db.selectFrom('connections').select('realm_id').where('access_token_enc', 'is not', null).limit(1).executeTakeFirst()) !== undefined;
}

/**
 * Refuses while another process has the SQLite database open: restore's exclusive lock, taken and
 * released at once (held, it would keep our own connection out too).
 */
function refuseWhileSqliteInUse(dbFile: string): void {
  let locked;
  try {
    locked = lockLiveDatabase(dbFile);
  } catch (err) {
    if (err instanceof BackupError) {
      throw userError(
        `the database ${dbFile} is in use by another process (QBO Connect start on this data folder, or a sync): stop it, then run rotate-key again; nothing was changed.`,
      );
    }
    throw err;
  }
  locked?.close();
}

export function registerRotateKey(program: Command): void {
  program
    .command('rotate-key')
    .description('re-encrypt the stored QuickBooks tokens under a new key (stop every QBO Connect process first)')
    .option('--new-secret-from-env <NAME>', 'the new QBO_CONNECT_SECRET is in environment variable NAME (needed when QBO_CONNECT_SECRET is set; moves a key file onto a secret)')
    .action(async (opts: { newSecretFromEnv?: string }, cmd: Command) => {
      const config = configFrom(cmd, { keyRotation: true });
      let newSecret: string | undefined;
      if (opts.newSecretFromEnv !== undefined) {
        const name = opts.newSecretFromEnv;
        newSecret = process.env[name];
        if (!newSecret) throw userError(`--new-secret-from-env ${name}: the environment variable ${name} is not set; put the new secret (at least 32 characters) in it.`);
        const weak = secretProblem(newSecret);
        if (weak) throw userError(`--new-secret-from-env ${name}: the new secret ${weak}.`);
        if (newSecret === config.secret) throw userError(`--new-secret-from-env ${name}: it holds the secret in use (QBO_CONNECT_SECRET); put a new one in it.`);
      } else if (process.env.NODE_ENV === 'production' && config.databaseUrl && !config.secret) {
        throw userError(
          'NODE_ENV=production with DATABASE_URL needs QBO_CONNECT_SECRET, shared by every host: move the tokens onto one with `qbo-connect rotate-key --new-secret-from-env NAME` (NAME holding the new secret).',
        );
      } else if (config.secret) {
        throw userError(
          'QBO_CONNECT_SECRET is set, so the key is derived from it and only you can change it on every host: put a new secret (at least 32 characters) in another environment variable, e.g. NEW_QBO_CONNECT_SECRET, and run `qbo-connect rotate-key --new-secret-from-env NEW_QBO_CONNECT_SECRET`.',
        );
      }
      const dbFile = path.join(config.dataDir, 'qbo-connect.db');
      // A running process keeps the key it read at start: re-encrypting under it would break it (issue 17).
      if (!config.databaseUrl) refuseWhileSqliteInUse(dbFile);
      const opened = await openDatabase({ databaseUrl: config.databaseUrl, sqliteFile: dbFile });
      if (config.databaseUrl) {
        const others = await otherPostgresUsers(opened.db);
        if (others.length > 0) {
          await opened.close();
          throw userError(
            `the database is in use by ${others.join(', ')} (QBO Connect start, a sync or another command): stop ${others.length === 1 ? 'it' : 'them'}, then run rotate-key again; nothing was changed.`,
          );
        }
      }
      const now = clockFrom(config.clockStart)();
      try {
        if (newSecret === undefined) {
          const r = await rotateKeyFile(opened.db, config.dataDir, now);
          const file = keyFiles(config.dataDir).current;
          if (r.kind === 'no-key-yet') console.log(`No key file yet (${file}) and no stored tokens: nothing to rotate; a key is made when the first company connects.`);
          else if (r.kind === 'finished-interrupted') console.log(`Finished an interrupted rotation: the tokens were already under the new key, now in ${file}.`);
          else
            console.log(
              `Re-encrypted ${r.values} stored tokens of ${r.companies} compan${r.companies === 1 ? 'y' : 'ies'} under a new key, now in ${file}. Database backups taken before now hold tokens under the old key.`,
            );
          return;
        }
        // Never loadOrCreateKey without a key file: it would make one, which reads nothing stored.
        const oldKey = config.secret || fs.existsSync(keyFiles(config.dataDir).current) ? loadOrCreateKey(config) : undefined;
        if (!oldKey) {
          if (await hasStoredTokens(opened.db))
            throw userError(`the key file ${keyFiles(config.dataDir).current} is missing but the database holds QuickBooks tokens: restore it first; nothing was changed.`);
          console.log(`No stored tokens: nothing to re-encrypt. Set QBO_CONNECT_SECRET to the value of ${opts.newSecretFromEnv} on every host that shares this database.`);
          return;
        }
        const newKey = loadOrCreateKey({ secret: newSecret, dataDir: config.dataDir });
        const r = await reencryptTokens(opened.db, oldKey, newKey, now);
        console.log(`Re-encrypted ${r.values} stored tokens of ${r.companies} compan${r.companies === 1 ? 'y' : 'ies'} under the secret in ${opts.newSecretFromEnv}.`);
        console.log(
          `Now set QBO_CONNECT_SECRET to that value on every host that shares this database, then start them: until then they refuse to start (their key cannot read the tokens).${config.secret ? '' : ` The key file ${keyFiles(config.dataDir).current} is no longer used once QBO_CONNECT_SECRET is set; keep it only with backups taken before now.`}`,
        );
      } finally {
        await opened.close();
      }
    });
}
