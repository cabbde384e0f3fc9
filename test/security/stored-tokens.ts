/** A data folder whose database holds one company's tokens, encrypted with the given secret (or the key file). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { ConnectionStore } from '../../src/connect/connection/store.js';
import { createTokenCipher, loadOrCreateKey } from '../../src/connect/connection/crypto.js';

export const SECRET_A = 'the-first-secret-which-is-long-enough-0001';
export const SECRET_B = 'another-secret-which-is-long-enough-00002';

export async function dataDirWithTokens(secret: string | undefined): Promise<string> {
  const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'qbo-sec-keys-')), 'data');
  const config = loadConfig({ QBO_CONNECT_LOG_LEVEL: 'silent', QBO_CONNECT_DATA_DIR: dataDir, ...(secret ? { QBO_CONNECT_SECRET: secret } : {}) });
  const app = await createApp(config);
  const store = new ConnectionStore({ db: app.ctx.db, cipher: createTokenCipher(loadOrCreateKey(config)) });
  const soon = new Date(Date.now() + 3_600_000);
  await store.saveConnection({
    realmId: '9130350000000001',
    companyName: 'Stored Pty Ltd',
    region: 'AU',
    tokens: {
      accessToken: 'access-token-value',
      refreshToken: 'refresh-token-value',
      accessExpiresAt: soon,
      refreshExpiresAt: new Date(Date.now() + 86_400_000 * 90),
      refreshHardExpiresAt: null,
    },
  });
  await app.close();
  return dataDir;
}
