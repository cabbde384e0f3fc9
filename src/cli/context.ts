/** What every command shares: configuration from env + global flags, and a clean way to fail. */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { KEY_FILE } from '../connect/connection/crypto.js';
import { createApp, type App } from '../app.js';
import { ConfigError, loadConfig, type Config, type LoadConfigOptions } from '../config.js';
import { resolvePractice } from '../practice/practices.js';
import { UserFacingError } from '../user-facing-error.js';
import { createLogger, type LogFormat, type Logger } from '../log.js';

export interface GlobalFlags {
  dataDir?: string;
  logLevel?: string;
  port?: string;
  host?: string;
  /** The practice a command acts on (issue 15); see practiceFrom. */
  practice?: string;
}

export function configFrom(cmd: Command, opts: LoadConfigOptions = {}): Config {
  const flags = cmd.optsWithGlobals<GlobalFlags>();
  return loadConfig(process.env, { dataDir: flags.dataDir, logLevel: flags.logLevel, port: flags.port, host: flags.host }, opts);
}

/**
 * The practice a command that reads or writes practice data acts on: `--practice ID` (it must exist),
 * else the only practice; with several and none named, a refusal listing them.
 */
export function practiceFrom(app: App, cmd: Command): Promise<string> {
  return resolvePractice(app.ctx.db, cmd.optsWithGlobals<GlobalFlags>().practice, '--practice ID');
}

/** `--practice ID` when given (a company's own practice is otherwise the one its connection names). */
export function practiceFlag(cmd: Command): string | undefined {
  return cmd.optsWithGlobals<GlobalFlags>().practice;
}

/**
 * A refusal of the command line itself (a flag it cannot use, a file it cannot read): a
 * `UserFacingError` like every part's refusals, so main.ts prints it as one line, exit code 2.
 */
export function userError(message: string): UserFacingError<'cli.refused'> {
  return new UserFacingError('cli.refused', message);
}

/** What main.ts prints as one line (exit 2, no stack trace): any part's refusal, or a configuration it cannot use. */
export function isUserFacing(err: unknown): err is Error {
  return err instanceof UserFacingError || err instanceof ConfigError;
}

/**
 * The CLI's logger writes to stderr (synchronously, so nothing is lost at exit): stdout carries only
 * the command's answer, so `--json` output stays one JSON document whatever is logged.
 */
export function cliLogger(level: string, format: LogFormat = 'auto'): Logger {
  return createLogger(level, { fd: 2, format });
}

/**
 * A data folder that was used before (it holds the token key file, or SQLite's write-ahead log) but
 * has no database: the database was moved or deleted. A command that only reads or changes the
 * ledger must not quietly make a new empty one there (issue 17) — the person would see "not
 * connected" and nothing else. `start` (and `restore`) still make or bring one; a fresh folder (no
 * key file) is a first use and gets its database as before.
 */
function refuseMissingDatabase(config: Config): void {
  if (config.databaseUrl) return;
  const dbFile = path.join(config.dataDir, 'qbo-connect.db');
  if (fs.existsSync(dbFile)) return;
  const sign = [KEY_FILE, 'qbo-connect.db-wal'].find((f) => fs.existsSync(path.join(config.dataDir, f)));
  if (!sign) return;
  throw userError(
    `QBO_CONNECT_DATA_DIR=${config.dataDir}: the folder was used before (it has ${sign}) but its database qbo-connect.db is missing (moved or deleted?); put it back or \`qbo-connect restore FILE\`, or run \`qbo-connect start\` to begin a new empty one.`,
  );
}

/** The app for one CLI command, logging to stderr (pretty on a terminal). */
export function cliApp(config: Config, level = config.logLevel, opts: { migrate?: 'run' | 'check' } = {}): Promise<App> {
  refuseMissingDatabase(config);
  return createApp(config, { logger: cliLogger(level, config.logFormat), ...(opts.migrate ? { migrate: opts.migrate } : {}) });
}
