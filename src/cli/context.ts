/** What every command shares: configuration from env + global flags, and a clean way to fail. */
import type { Command } from 'commander';
import { createApp, type App } from '../app.js';
import { ConfigError, loadConfig, type Config, type LoadConfigOptions } from '../config.js';
import { UserFacingError } from '../user-facing-error.js';
import { createLogger, type LogFormat, type Logger } from '../log.js';

export interface GlobalFlags {
  dataDir?: string;
  logLevel?: string;
  port?: string;
  host?: string;
}

export function configFrom(cmd: Command, opts: LoadConfigOptions = {}): Config {
  const flags = cmd.optsWithGlobals<GlobalFlags>();
  return loadConfig(process.env, { dataDir: flags.dataDir, logLevel: flags.logLevel, port: flags.port, host: flags.host }, opts);
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

/** The app for one CLI command, logging to stderr (pretty on a terminal). */
export function cliApp(config: Config, level = config.logLevel): Promise<App> {
  return createApp(config, { logger: cliLogger(level, config.logFormat) });
}
