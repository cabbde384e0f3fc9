/**
 * The bench of the end-to-end sync suites (test/sync/*): an emulator, and the product app connected
 * to its first company through the real connection flow (connectedApp), on SQLite or on a fresh
 * PostgreSQL database cloned from the run's migrated template. Call `withConnectedEmulator` inside a
 * describe block: it registers the hooks that start and stop everything, and its handle's fields are
 * valid inside that block's tests and hooks (hooks registered after it see them ready).
 */
import fs from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { App } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { startEmulator, type RunningEmulator, type StartEmulatorOptions } from '../../src/emulator/run/server.js';
import type { Dialect } from '../../src/store/dialect.js';
import { testConfig } from './config.js';
import { clonePostgres } from './db.js';
import { connectedApp, type ConnectedApp } from './emulator-company.js';

export interface ConnectedEmulator extends ConnectedApp {
  readonly dialect: Dialect;
  readonly emu: RunningEmulator;
  /**
   * The environment a spawned `qbo-connect` needs to open this app's data: its data folder, its
   * database (DATABASE_URL on PostgreSQL, and none inherited on SQLite), the emulator, silent logs.
   */
  cliEnv(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** Another app, on a fresh database of the same dialect, connected to `company` of this emulator; closed with the bench. */
  connectAnother(company: string): Promise<ConnectedApp>;
}

export interface ConnectedEmulatorOptions {
  /** 'each': a new emulator and a new app (a new database) for every test of the block; default: one for the block. */
  fresh?: 'all' | 'each';
}

/** An app on `dialect` connected to the emulator; `close` closes it (once, whoever asks first) and drops its database. */
async function appOn(dialect: Dialect, emu: RunningEmulator, company?: string): Promise<{ app: ConnectedApp; databaseUrl?: string; close: () => Promise<void> }> {
  const pgDb = dialect === 'postgres' ? await clonePostgres() : undefined;
  const config = testConfig({ QBO_ENV: 'emulator', QBO_EMULATOR_URL: emu.url, ...(pgDb ? { DATABASE_URL: pgDb.url } : {}) });
  let connected: ConnectedApp;
  try {
    connected = await connectedApp(emu, { config, ...(company ? { company } : {}) });
  } catch (err) {
    await pgDb?.drop();
    throw err;
  }
  // Some tests close the app themselves (to hand its data to a spawned CLI): closing twice is a no-op.
  let closing: Promise<void> | undefined;
  const closeApp = () => (closing ??= connected.app.close());
  const app: App = { ctx: connected.app.ctx, jobRunner: connected.app.jobRunner, close: closeApp };
  return {
    app: { ...connected, app },
    ...(pgDb ? { databaseUrl: pgDb.url } : {}),
    close: async () => {
      await closeApp();
      await pgDb?.drop();
      fs.rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts an emulator (preset au, rate limits off, unless `emulator` says otherwise) and an app on
 * `dialect` connected to it, before the block's tests (or before each, `fresh: 'each'`); closes
 * both, and drops the database, after them.
 */
export function withConnectedEmulator(dialect: Dialect, emulator: StartEmulatorOptions = {}, opts: ConnectedEmulatorOptions = {}): ConnectedEmulator {
  let emu: RunningEmulator | undefined;
  let main: Awaited<ReturnType<typeof appOn>> | undefined;
  let others: Array<() => Promise<void>> = [];
  const ready = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`withConnectedEmulator: ${what} is not ready yet; use it inside a test or a hook registered after the fixture`);
    return v;
  };

  const start = async () => {
    emu = await startEmulator({ preset: 'au', limits: 'off', ...emulator });
    main = await appOn(dialect, emu);
  };
  const stop = async () => {
    for (const close of others.reverse()) await close();
    others = [];
    await main?.close();
    await emu?.close();
    main = undefined;
    emu = undefined;
  };
  if (opts.fresh === 'each') {
    beforeEach(start);
    afterEach(stop);
  } else {
    beforeAll(start);
    afterAll(stop);
  }

  return {
    dialect,
    get emu(): RunningEmulator {
      return ready(emu, 'the emulator');
    },
    get app(): App {
      return ready(main, 'the app').app.app;
    },
    get config(): Config {
      return ready(main, 'the app').app.config;
    },
    get realmId(): string {
      return ready(main, 'the app').app.realmId;
    },
    cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
      const m = ready(main, 'the app');
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        QBO_CONNECT_DATA_DIR: m.app.config.dataDir,
        QBO_CONNECT_LOG_LEVEL: 'silent',
        QBO_ENV: 'emulator',
        QBO_EMULATOR_URL: ready(emu, 'the emulator').url,
        ...extra,
      };
      // The test runner's own DATABASE_URL (global-setup's server) is not this app's database.
      if (m.databaseUrl) env.DATABASE_URL = m.databaseUrl;
      else delete env.DATABASE_URL;
      return env;
    },
    async connectAnother(company: string): Promise<ConnectedApp> {
      const other = await appOn(dialect, ready(emu, 'the emulator'), company);
      others.push(other.close);
      return other.app;
    },
  };
}
