/** Logging: pino, with every token, secret, password and cookie redacted wherever it appears. */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

const secretKeys = ['authorization', 'cookie', 'access_token', 'refresh_token', 'client_secret', 'password', 'accessToken', 'refreshToken', 'clientSecret', 'set-cookie'];

/** pino's redaction matches paths, not keys, so each key is listed at every depth we log. */
export const redactPaths = secretKeys.flatMap((k) => {
  const key = /^[A-Za-z_]+$/.test(k) ? k : `["${k}"]`;
  const dot = key.startsWith('[') ? '' : '.';
  return [key, `*${dot}${key}`, `*.*${dot}${key}`, `*.*.*${dot}${key}`];
});

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, redact: { paths: redactPaths, censor: '[redacted]' } }, destination);
}
