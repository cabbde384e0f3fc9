/**
 * Configuration: parsed once, from the environment and command-line flags (a flag wins), with zod.
 * A bad value stops start-up with one line that names the variable and the form it must take;
 * a secret's value is never echoed back.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

const port = z.coerce
  .number({ error: 'must be a port number (1-65535)' })
  .int({ error: 'must be a port number (1-65535)' })
  .min(1, { error: 'must be a port number (1-65535)' })
  .max(65535, { error: 'must be a port number (1-65535)' });

const httpUrl = z.string().refine((v) => /^https?:\/\/[^\s]+$/.test(v) && URL.canParse(v), { error: 'must be an http(s) URL, e.g. http://127.0.0.1:4010' });

const databaseUrl = z.string().refine((v) => /^postgres(ql)?:\/\//.test(v) && URL.canParse(v), {
  error: 'must be a PostgreSQL URL, e.g. postgres://user:password@host:5432/database',
});

/** Where each setting comes from: the environment variable, the flag, and whether its value is secret. */
export const configSources = {
  port: { env: 'QBO_CONNECT_PORT', flag: '--port', secret: false },
  host: { env: 'QBO_CONNECT_HOST', flag: '--host', secret: false },
  dataDir: { env: 'QBO_CONNECT_DATA_DIR', flag: '--data-dir', secret: false },
  databaseUrl: { env: 'DATABASE_URL', flag: undefined, secret: true },
  secret: { env: 'QBO_CONNECT_SECRET', flag: undefined, secret: true },
  logLevel: { env: 'QBO_CONNECT_LOG_LEVEL', flag: '--log-level', secret: false },
  logFormat: { env: 'QBO_CONNECT_LOG_FORMAT', flag: undefined, secret: false },
  metricsToken: { env: 'QBO_CONNECT_METRICS_TOKEN', flag: undefined, secret: true },
  webhookVerifierToken: { env: 'QBO_WEBHOOK_VERIFIER_TOKEN', flag: undefined, secret: true },
  publicUrl: { env: 'QBO_CONNECT_PUBLIC_URL', flag: undefined, secret: false },
  trustedProxy: { env: 'QBO_CONNECT_TRUSTED_PROXY', flag: undefined, secret: false },
  emulatorControl: { env: 'QBO_EMULATOR_CONTROL', flag: undefined, secret: false },
  qboEnv: { env: 'QBO_ENV', flag: undefined, secret: false },
  emulatorUrl: { env: 'QBO_EMULATOR_URL', flag: undefined, secret: false },
  emulatorPort: { env: 'QBO_EMULATOR_PORT', flag: undefined, secret: false },
  emulatorTimeScale: { env: 'QBO_EMULATOR_TIME_SCALE', flag: undefined, secret: false },
  batchMetering: { env: 'QBO_BATCH_METERING', flag: undefined, secret: false },
  clientId: { env: 'QBO_CLIENT_ID', flag: undefined, secret: false },
  clientSecret: { env: 'QBO_CLIENT_SECRET', flag: undefined, secret: true },
  redirectUri: { env: 'QBO_REDIRECT_URI', flag: undefined, secret: false },
  clockStart: { env: 'QBO_CONNECT_CLOCK_START', flag: undefined, secret: false },
  shutdownTimeout: { env: 'QBO_CONNECT_SHUTDOWN_TIMEOUT', flag: undefined, secret: false },
  workerLapseMs: { env: 'QBO_CONNECT_WORKER_LAPSE_MS', flag: undefined, secret: false },
  smtpUrl: { env: 'QBO_CONNECT_SMTP_URL', flag: undefined, secret: true },
  mailFrom: { env: 'QBO_CONNECT_MAIL_FROM', flag: undefined, secret: false },
} as const;

/**
 * Whether a new QBO_CONNECT_SECRET is fit to encrypt QuickBooks tokens (issue 17): length alone let
 * `aaaa…` through. The rule is an entropy estimate, not a character-class rule: the secret's length
 * times the Shannon entropy of its characters must reach 128 bits (`openssl rand -base64 48` gives
 * about 370; 32 repeats of one character give 0). Whitespace at either end is refused, since
 * env-file loaders differ on whether they keep it (systemd strips it, Compose keeps it), so two
 * hosts could read two keys from one file.
 */
export const SECRET_MIN_LENGTH = 32;
export const SECRET_MIN_BITS = 128;

/** Shannon entropy of the characters, times the length: an upper bound on what the secret can hold. */
export function secretBits(secret: string): number {
  const chars = [...secret];
  const counts = new Map<string, number>();
  for (const ch of chars) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / chars.length) * Math.log2(n / chars.length);
  return perChar * chars.length;
}

/** Why `secret` cannot be a new token secret, or undefined when it can; never quotes it. */
export function secretProblem(secret: string): string | undefined {
  if (/^\s|\s$/.test(secret)) return 'has spaces or a line break at its start or end (env-file loaders differ on keeping them); remove them';
  if (secret.length < SECRET_MIN_LENGTH) return `must be at least ${SECRET_MIN_LENGTH} characters (a random string; it encrypts QBO tokens at rest)`;
  if (secretBits(secret) < SECRET_MIN_BITS) return 'is too easy to guess (too few different characters for its length): use a random one, e.g. `openssl rand -base64 48`';
  return undefined;
}

/** `<UTC instant>` or `<UTC instant>@<epoch ms>`. */
function isClockStart(v: string): boolean {
  const [instant = '', anchor, ...rest] = v.split('@');
  return rest.length === 0 && /^\d{4}-\d{2}-\d{2}T[\d:.]{5,12}Z$/.test(instant) && !Number.isNaN(Date.parse(instant)) && (anchor === undefined || /^\d{1,15}$/.test(anchor));
}

export const configSchema = z.object({
  port: port.default(3000),
  host: z.string().min(1, { error: 'must be a host name or address, e.g. 127.0.0.1' }).default('127.0.0.1'),
  dataDir: z.string().min(1, { error: 'must be a folder path' }).default('./data'),
  databaseUrl: databaseUrl.optional(),
  secret: z.string().min(32, { error: 'must be at least 32 characters (a random string; it encrypts QBO tokens at rest)' }).optional(),
  logLevel: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  /** `auto`: pretty on a terminal, one JSON object a line otherwise (files, pipes, journald, containers). */
  logFormat: z.enum(['auto', 'json', 'pretty'], { error: 'must be one of auto, json, pretty' }).default('auto'),
  /** `/metrics` (Prometheus) is served only when this is set, and only to `Authorization: Bearer <it>`. */
  metricsToken: z.string().min(16, { error: 'must be at least 16 characters (a random string the Prometheus scraper sends as a bearer token)' }).optional(),
  /** The Intuit app's webhook verifier token (developer portal → Webhooks → Show token): POST
   *  /webhooks/intuit answers only while it is set, and only to bodies signed with it. */
  webhookVerifierToken: z.string().min(8, { error: "must be the verifier token shown on your Intuit app's Webhooks page (at least 8 characters)" }).optional(),
  publicUrl: httpUrl.optional(),
  /** The reverse proxy's address (e.g. 127.0.0.1): only a request arriving from it has its
   *  X-Forwarded-For read, and then only the address that proxy appended (the last one), so the
   *  sign-in limit counts per client rather than locking everyone behind the proxy out together. */
  trustedProxy: z
    .string()
    .refine((v) => isIP(v) !== 0, { error: 'must be the IP address of the reverse proxy in front of QBO Connect, e.g. 127.0.0.1' })
    .optional(),
  /** The embedded emulator's /control surface (seed, reset, faults, dumps): off unless asked for. */
  emulatorControl: z.enum(['on', 'off'], { error: 'must be on or off' }).default('off'),
  qboEnv: z.enum(['emulator', 'sandbox', 'production'], { error: 'must be one of emulator, sandbox, production' }).default('emulator'),
  emulatorUrl: httpUrl.optional(),
  emulatorPort: port.default(4010),
  /** The emulator's `--time-scale`: its minutes last 60/scale seconds, so the client's minute-based
   *  waits (rate window, 429 pause, timeouts) shrink to match. Only read when QBO_ENV=emulator. */
  emulatorTimeScale: z.coerce
    .number({ error: 'must be a number from 1 to 1000, e.g. 20' })
    .min(1, { error: 'must be a number from 1 to 1000, e.g. 20' })
    .max(1000, { error: 'must be a number from 1 to 1000, e.g. 20' })
    .default(1),
  /** How QBO counts a batch toward its 500 requests a minute: once ('request') or once per operation
   *  ('item'). Intuit's documentation does not say which; 'item' is the default because it can never
   *  overshoot QBO's limit (a batch weighed once could, and a 429 pauses the company for a minute),
   *  at the cost of sending slower when QBO in fact counts a batch once. */
  batchMetering: z.enum(['request', 'item'], { error: 'must be request or item' }).default('item'),
  clientId: z.string().min(1).optional(),
  clientSecret: z.string().min(1).optional(),
  redirectUri: httpUrl.optional(),
  /** Tests and demos on a fixed date: the product's clock reads this UTC instant at start (or at
   *  `@<epoch ms>`) and runs on at real speed, whatever the machine's date. Unset in production: real time. */
  clockStart: z
    .string()
    .refine((v) => isClockStart(v), {
      error: 'must be a UTC instant, e.g. 2026-11-26T02:00:00Z, optionally @ the real epoch milliseconds at which the clock reads it',
    })
    .optional(),
  /** Seconds `start` waits, after SIGTERM or SIGINT, for running syncs to finish their batch and close
   *  their run before it exits anyway (non-zero, the journal left for recovery). Keep it below the
   *  supervisor's own kill timeout (systemd TimeoutStopSec, Docker's stop --time, Kubernetes'
   *  terminationGracePeriodSeconds). */
  shutdownTimeout: z.coerce
    .number({ error: 'must be a number of seconds from 1 to 3600, e.g. 30' })
    .int({ error: 'must be a number of seconds from 1 to 3600, e.g. 30' })
    .min(1, { error: 'must be a number of seconds from 1 to 3600, e.g. 30' })
    .max(3600, { error: 'must be a number of seconds from 1 to 3600, e.g. 30' })
    .default(30),
  // A graphile-worker worker silent this long is dead: its jobs are taken over (jobs/pg-runner.ts).
  workerLapseMs: z.coerce
    .number({ error: 'must be milliseconds from 1000 to 3600000, e.g. 60000' })
    .int({ error: 'must be milliseconds from 1000 to 3600000, e.g. 60000' })
    .min(1000, { error: 'must be milliseconds from 1000 to 3600000, e.g. 60000' })
    .max(3_600_000, { error: 'must be milliseconds from 1000 to 3600000, e.g. 60000' })
    .default(60_000),
  /** The SMTP server notifications are emailed through (connect/notify): `smtp://` or `smtps://`, user and password in the URL. Secret (it may hold a password). */
  smtpUrl: z
    .string()
    .refine((v) => /^smtps?:\/\/[^\s]+$/.test(v) && URL.canParse(v), { error: 'must be an smtp:// or smtps:// URL, e.g. smtps://user:password@mail.example.com:465' })
    .optional(),
  /** The From address of notification emails. */
  mailFrom: z
    .string()
    .refine((v) => /^[^\s@<>]+@[^\s@<>]+$/.test(v) || /^[^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>$/.test(v), {
      error: 'must be an email address, e.g. qbo-connect@example.com or "QBO Connect <qbo-connect@example.com>"',
    })
    .default('qbo-connect@localhost'),
});

export type Config = z.infer<typeof configSchema> & {
  /** Absolute data folder. */
  dataDir: string;
  /** The URL people and Intuit reach the product on. */
  publicUrl: string;
  dialect: 'sqlite' | 'postgres';
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Key = keyof typeof configSources;
export type ConfigFlags = Partial<Record<Key, string | number | undefined>>;

export interface LoadConfigOptions {
  /** `rotate-key` may run where the production profile would refuse the key in use: moving tokens onto a shared secret is how one satisfies it. */
  keyRotation?: boolean;
}

/**
 * The production profile (`NODE_ENV=production`): nothing may fall back to a demonstration default.
 * QBO_ENV must be said (its default, the emulator, would load the demo practice and start the
 * embedded emulator); with PostgreSQL the token key must be QBO_CONNECT_SECRET, shared by every
 * host, since a key file lives in one host's data folder and the others would create their own.
 */
function productionProblem(
  env: NodeJS.ProcessEnv,
  c: { databaseUrl?: string | undefined; secret?: string | undefined; clientId?: string | undefined; clientSecret?: string | undefined },
  opts: LoadConfigOptions,
): string | undefined {
  if (env.NODE_ENV !== 'production') return undefined;
  if (!env.QBO_ENV) return 'QBO_ENV: must be set when NODE_ENV=production (sandbox or production; emulator only for a demonstration, which then loads the demo practice)';
  if (c.databaseUrl && !c.secret && !opts.keyRotation) {
    return 'QBO_CONNECT_SECRET: must be set when NODE_ENV=production and DATABASE_URL is set (at least 32 characters, the same on every host sharing the database; tokens already stored under a key file move to it with `qbo-connect rotate-key --new-secret-from-env NAME`)';
  }
  // Real QuickBooks without the Intuit app's OAuth client would start and fail only at the first connect.
  if (env.QBO_ENV !== 'emulator' && !opts.keyRotation) {
    const missing = [c.clientId ? '' : 'QBO_CLIENT_ID', c.clientSecret ? '' : 'QBO_CLIENT_SECRET'].filter(Boolean);
    if (missing.length > 0) {
      return `${missing.join(' and ')}: must be set when NODE_ENV=production and QBO_ENV=${env.QBO_ENV} (your Intuit app's Keys & credentials in the developer portal)`;
    }
  }
  return undefined;
}

/** Builds the configuration from the environment and flags, or throws a ConfigError naming the bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, flags: ConfigFlags = {}, opts: LoadConfigOptions = {}): Config {
  const raw: Record<string, unknown> = {};
  for (const [key, source] of Object.entries(configSources) as [Key, (typeof configSources)[Key]][]) {
    const fromFlag = flags[key];
    const fromEnv = env[source.env];
    const value = fromFlag !== undefined ? fromFlag : fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined;
    if (value !== undefined) raw[key] = value;
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path[0] as Key;
    const source = configSources[key];
    const given = flags[key] !== undefined && source.flag ? source.flag : source.env;
    const shown = source.secret ? '' : `=${String(raw[key])}`;
    throw new ConfigError(`${given}${shown}: ${issue.message}`);
  }
  const c = parsed.data;
  // The secret in use is only checked for length while rotate-key moves the tokens off it (a weak one must be leavable).
  const weak = c.secret !== undefined && !opts.keyRotation ? secretProblem(c.secret) : undefined;
  if (weak) throw new ConfigError(`QBO_CONNECT_SECRET: ${weak}; tokens already stored under it move to a new one with \`qbo-connect rotate-key --new-secret-from-env NAME\``);
  const refused = productionProblem(env, c, opts);
  if (refused) throw new ConfigError(refused);
  const publicUrl = (c.publicUrl ?? `http://${c.host === '0.0.0.0' ? '127.0.0.1' : c.host}:${c.port}`).replace(/\/$/, '');
  return {
    ...c,
    dataDir: path.resolve(c.dataDir),
    publicUrl,
    dialect: c.databaseUrl ? 'postgres' : 'sqlite',
  };
}
