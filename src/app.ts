/**
 * The composition root: builds every dependency once (configuration, logger, clock, database) and
 * hands it down. Nothing else in src/ creates these; tests build their own.
 */
import path from 'node:path';
import type { Config } from './config.js';
import { createLogger, type Logger } from './log.js';
import { openDatabase, type Db } from './store/db.js';
import type { Dialect } from './store/dialect.js';
import { version } from './version.js';
import { prepareDataFolder, warnLooseModes } from './data-folder.js';
import { checkTokenKey } from './connect/connection-key-check.js';

export type Clock = () => Date;

export interface AppContext {
  config: Config;
  db: Db;
  dialect: Dialect;
  logger: Logger;
  clock: Clock;
  version: string;
}

export interface App {
  ctx: AppContext;
  close(): Promise<void>;
}

export interface CreateAppOptions {
  logger?: Logger;
  clock?: Clock;
}

/**
 * Real time, or (QBO_CONNECT_CLOCK_START) real time shifted to read the given instant: at `@<epoch
 * ms>` when given (so several processes share one timeline: a child started later reads a later
 * time, never the same start again), else when the process builds its clock.
 */
export function clockFrom(start: string | undefined, realNow: () => number = Date.now): Clock {
  if (start === undefined) return () => new Date(realNow());
  const [instant, anchor] = start.split('@');
  const offset = Date.parse(instant!) - (anchor ? Number(anchor) : realNow());
  return () => new Date(realNow() + offset);
}

export async function createApp(config: Config, opts: CreateAppOptions = {}): Promise<App> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const sqliteFile = path.join(config.dataDir, 'qbo-connect.db');
  // The folder holds the key file unless a secret is set, and the database under SQLite.
  if (!config.databaseUrl || !config.secret) prepareDataFolder(config.dataDir, config.databaseUrl ? undefined : sqliteFile);
  const opened = await openDatabase({ databaseUrl: config.databaseUrl, sqliteFile });
  try {
    await checkTokenKey(opened.db, config);
  } catch (err) {
    await opened.close();
    throw err;
  }
  warnLooseModes(config.dataDir);
  const ctx: AppContext = {
    config,
    db: opened.db,
    dialect: opened.dialect,
    logger,
    clock: opts.clock ?? clockFrom(config.clockStart),
    version,
  };
  return {
    ctx,
    close: async () => {
      await opened.close();
    },
  };
}
