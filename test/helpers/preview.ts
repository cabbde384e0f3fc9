/**
 * A connected company on a running emulator, the way the product has one: tokens in the connections
 * table (encrypted), and the client built by `qboClientFor`. For the preview and sync tests.
 */
import { loadConfig, type Config } from '../../src/config.js';
import { createConnectionService } from '../../src/connect/connection/connection.js';
import { createQboClients } from '../../src/connect/connection/qbo-client.js';
import { startEmulator, type RunningEmulator, type StartEmulatorOptions } from '../../src/emulator/run/server.js';
import { createLogger } from '../../src/log.js';
import type { CompanyClient } from '../../src/qbo/client.js';
import type { Db } from '../../src/store/db.js';
import { testConfig } from './config.js';
import { api, connect, type Tokens } from './emulator-connect.js';
import { testClockEnv } from './test-time.js';

export interface ConnectedCompany {
  emu: RunningEmulator;
  realmId: string;
  tokens: Tokens;
  config: Config;
  qbo: CompanyClient;
  /** Raw API calls to the emulator as the company (to seed QBO-side records). */
  call: ReturnType<typeof api>;
  close(): Promise<void>;
}

export const silentLogger = createLogger('silent');

export async function connectedCompany(db: Db, clock: () => Date, opts: StartEmulatorOptions & { company?: string; dataDir?: string } = {}): Promise<ConnectedCompany> {
  const { company: _c, dataDir: _d, ...emuOpts } = opts;
  const emu = await startEmulator({ preset: 'au', limits: 'off', ...emuOpts });
  const env = { QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url };
  // A given data folder is shared with a child `qbo-connect` process (same token key, same database).
  const config = opts.dataDir ? loadConfig({ QBO_CONNECT_LOG_LEVEL: 'silent', ...testClockEnv(), ...env, QBO_CONNECT_DATA_DIR: opts.dataDir }) : testConfig(env);
  const tokens = await connect(emu, opts.company);
  const service = createConnectionService({ db, config, logger: silentLogger, clock });
  const now = clock().getTime();
  await service.store.saveConnection({
    realmId: tokens.realmId,
    region: (opts.preset ?? 'au').toUpperCase(),
    tokens: {
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token,
      accessExpiresAt: new Date(now + tokens.expires_in * 1000),
      refreshExpiresAt: new Date(now + tokens.x_refresh_token_expires_in * 1000),
      refreshHardExpiresAt: null,
    },
  });
  const qbo = createQboClients({ db, config, logger: silentLogger, clock }).company(tokens.realmId);
  return { emu, realmId: tokens.realmId, tokens, config, qbo, call: api(emu, tokens), close: () => emu.close() };
}

/** Creates a QBO record directly (as a person in QBO would); returns its body. */
export async function qboCreate(co: ConnectedCompany, entity: string, body: Record<string, unknown>): Promise<Record<string, unknown> & { Id: string; SyncToken: string }> {
  const res = await co.call(entity.toLowerCase(), { method: 'POST', body: JSON.stringify(body) });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`creating ${entity} failed: ${res.status} ${JSON.stringify(json)}`);
  return json[entity] as Record<string, unknown> & { Id: string; SyncToken: string };
}

/** The emulator's request count for the company (every API request, whatever its kind). */
export function requestCount(co: ConnectedCompany): number {
  const s = co.emu.control.stats(co.realmId).companies[0];
  return s ? Object.values(s.requests).reduce((a, b) => a + b, 0) : 0;
}
