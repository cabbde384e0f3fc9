/**
 * Logging: pino, with every token, secret, password and cookie redacted wherever it appears.
 * Human-readable (pino-pretty) when the log goes to a terminal, one JSON object a line otherwise;
 * the product writes its log to stderr, so a command's stdout carries only its answer.
 * Every line written while a request or a sync run is handled carries that request's id or that
 * run's id and company (`withLogContext`), also when written by code that holds the app's logger.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import tty from 'node:tty';
import { pino, type Logger, type DestinationStream } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

const secretKeys = ['authorization', 'cookie', 'access_token', 'refresh_token', 'client_secret', 'password', 'accessToken', 'refreshToken', 'clientSecret', 'set-cookie'];

/** pino's redaction matches paths, not keys, so each key is listed at every depth we log. */
export const redactPaths = secretKeys.flatMap((k) => {
  const key = /^[A-Za-z_]+$/.test(k) ? k : `["${k}"]`;
  const dot = key.startsWith('[') ? '' : '.';
  return [key, `*${dot}${key}`, `*.*${dot}${key}`, `*.*.*${dot}${key}`];
});

/** `auto`: pretty on a terminal, JSON otherwise (a file, a pipe, journald, a container's log). */
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface LogTarget {
  /** 2 (stderr, the default) or 1 (stdout). */
  fd?: 1 | 2;
  format?: LogFormat;
}

/** The fields of the request or run being handled, added to every line logged within it. */
const logContext = new AsyncLocalStorage<Readonly<Record<string, string>>>();

/**
 * Runs `fn` with `fields` (a request id; a run id and company id) on every line any logger of
 * createLogger writes until it settles, including from its callbacks and timers. The fields of an
 * enclosing context are kept (a sync started by a request carries both ids).
 */
export function withLogContext<T>(fields: Record<string, string>, fn: () => T): T {
  return logContext.run({ ...logContext.getStore(), ...fields }, fn);
}

/** The fields of the request or run being handled now (empty outside one). */
export function currentLogContext(): Readonly<Record<string, string>> {
  return logContext.getStore() ?? {};
}

export function isPretty(target: LogTarget = {}): boolean {
  const format = target.format ?? 'auto';
  return format === 'pretty' || (format === 'auto' && tty.isatty(target.fd ?? 2));
}

/**
 * The logger: JSON to `destination` when one is given (tests capture it), else to stderr (or
 * `target.fd`), pretty there when it is a terminal. Writes are synchronous, so nothing is lost at exit.
 */
export function createLogger(level: string, destination?: DestinationStream | LogTarget): Logger {
  const options = {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    // A line's own fields win over the context's (the mixin is merged first).
    mixin: () => ({ ...logContext.getStore() }),
  };
  if (destination && 'write' in destination) return pino(options, destination);
  const target = destination ?? {};
  const fd = target.fd ?? 2;
  if (isPretty(target)) {
    return pino(options, pretty({ destination: fd, sync: true, colorize: tty.isatty(fd), translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino(options, pino.destination({ dest: fd, sync: true }));
}
