/**
 * The composition root: builds every dependency once per process — configuration, logger, clock,
 * database, the token cipher (key read once), the stored connections, the QBO clients with one
 * limiter per company, and for `qbo-connect start` the HTTP app and the embedded emulator — and hands
 * them down explicitly. Nothing else in src/ creates these; only the CLI, the benchmarks and test
 * helpers import this file (the shared types live in `context.ts`).
 */
import crypto from 'node:crypto';
import path from 'node:path';
import type { Config } from './config.js';
import type { AppContext, Clock, OpsMetrics } from './context.js';
import { createLogger, type Logger } from './log.js';
import { openDatabase } from './store/db.js';
import { version } from './version.js';
import { clockFrom } from './clock.js';
import { prepareDataFolder, warnLooseModes } from './data-folder.js';
import { checkTokenKey } from './connect/connection/key-check.js';
import { lazyTokenCipher, loadOrCreateKey } from './connect/connection/crypto.js';
import { createQboClients } from './connect/connection/qbo-client.js';
import type { FirstStartDemo } from './practice/demo.js';
import type { RunningServer } from './server/serve.js';
import { Drain } from './connect/run/drain.js';
import { createJobQueue, startJobRunner, type JobRunner } from './jobs/index.js';
import { notifyConnectionDisconnected } from './connect/notify/index.js';

export type { AppContext, Clock } from './context.js';
export { clockFrom } from './clock.js';

export interface App {
  ctx: AppContext;
  /** The jobs this process runs (`runJobs`): stopped by `close`. */
  jobRunner?: JobRunner | undefined;
  close(): Promise<void>;
}

export interface CreateAppOptions {
  logger?: Logger;
  clock?: Clock;
  /** `startApp` checks this between its steps: true once a stop signal has arrived (start.ts). */
  stopRequested?: () => boolean;
  /** Apply pending migrations (default), or only check them (`start --no-migrate`: src/store/migrate.ts). */
  migrate?: 'run' | 'check';
  /** What the app counts for /metrics (startApp makes it when QBO_CONNECT_METRICS_TOKEN is set; tests, their own). */
  metrics?: OpsMetrics;
  /** `startApp`: run the jobs in this process too (default); false for a web-only host (`start --no-worker`). */
  worker?: boolean;
  /** `createApp`: run the queued jobs in this process (jobs/index.ts startJobRunner); `close` stops them first. */
  runJobs?: boolean;
}

export async function createApp(config: Config, opts: CreateAppOptions = {}): Promise<App> {
  const logger = opts.logger ?? createLogger(config.logLevel, { fd: 2, format: config.logFormat });
  const sqliteFile = path.join(config.dataDir, 'qbo-connect.db');
  // The folder holds the database under SQLite, the key file unless a secret is set, and the embedded
  // emulator's company: made whenever one of them will live there (issue 17: PostgreSQL with a secret
  // and the embedded emulator found no folder).
  const embeddedEmulator = config.qboEnv === 'emulator' && !config.emulatorUrl;
  if (!config.databaseUrl || !config.secret || embeddedEmulator) prepareDataFolder(config.dataDir, config.databaseUrl ? undefined : sqliteFile);
  const opened = await openDatabase({
    databaseUrl: config.databaseUrl,
    sqliteFile,
    migrate: opts.migrate === 'check' ? 'check' : true,
    onMigrationWarning: (line) => logger.warn(line),
    onIdleError: (err) => logger.warn({ err: err.message }, 'an idle PostgreSQL connection failed; the next query opens a new one'),
  });
  let checkedKey: Buffer | undefined;
  try {
    checkedKey = await checkTokenKey(opened.db, config);
  } catch (err) {
    await opened.close();
    throw err;
  }
  warnLooseModes(config.dataDir);
  const clock = opts.clock ?? clockFrom(config.clockStart);
  // The key is read once: at the check above when tokens are stored, else when the first is.
  const cipher = lazyTokenCipher(() => checkedKey ?? loadOrCreateKey(config));
  const ctx: AppContext = {
    config,
    db: opened.db,
    dialect: opened.dialect,
    logger,
    clock,
    version,
    qbo: createQboClients({ db: opened.db, config, logger, clock, cipher, ...(opts.metrics ? { metrics: opts.metrics } : {}) }),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    // On PostgreSQL every process can add jobs (web, CLI, worker): any worker runs them. On SQLite only
    // a process that runs them, or the web side of `start --no-worker`, has the queue: a CLI command
    // there does its work itself (a CLI sync's notification is sent at once, not queued for a `start`
    // that may not be running).
    ...(opened.dialect === 'postgres' || opts.runJobs || opts.worker === false ? { jobs: createJobQueue(opened.db, opened.dialect, clock) } : {}),
  };
  // A company that becomes disconnected tells someone (connect/notify); read at the time, so ctx.jobs set later is used.
  ctx.qbo.connections.onDisconnected = (realmId, reason, actor) => notifyConnectionDisconnected(ctx, realmId, reason, actor);
  let jobRunner: JobRunner | undefined;
  if (opts.runJobs) {
    try {
      jobRunner = await startJobRunner(ctx, { shutdownMs: config.shutdownTimeout * 1000 });
    } catch (err) {
      await opened.close();
      throw err;
    }
  }
  return {
    ctx,
    jobRunner,
    close: async () => {
      await jobRunner?.stop();
      await opened.close();
    },
  };
}

/** A start that failed for a reason a person can fix: which listener, and the system's code (EADDRINUSE…). */
export class StartError extends Error {
  override name = 'StartError';
  constructor(
    readonly part: 'emulator' | 'http',
    readonly code: string | undefined,
    cause: unknown,
  ) {
    super(`${part}: ${code ?? (cause instanceof Error ? cause.message : String(cause))}`, { cause });
  }
}

/** A stop signal arrived during start-up: what was opened is closed again; `step` names the last one done. */
export class StartStopped extends Error {
  override name = 'StartStopped';
  constructor(readonly step: string) {
    super(`stopped during start-up after ${step}`);
  }
}

export interface EmbeddedEmulator {
  url: string;
  controlToken: string;
  close(): Promise<void>;
}

/**
 * With QBO_ENV=emulator and no QBO_EMULATOR_URL, the product brings its own QuickBooks: the
 * emulator on QBO_EMULATOR_PORT, persisted in the data folder, an AU company, control surface on
 * only when asked for. Loaded lazily so a production start never loads emulator code.
 */
async function startEmbeddedEmulator(config: Config, logger: Logger): Promise<EmbeddedEmulator | undefined> {
  if (config.qboEnv !== 'emulator' || config.emulatorUrl) return undefined;
  const { startEmulator } = await import('./emulator/run/server.js');
  const clients =
    config.clientId && config.clientSecret && config.redirectUri ? [{ clientId: config.clientId, clientSecret: config.clientSecret, redirectUris: [config.redirectUri] }] : [];
  try {
    return await startEmulator({
      host: '127.0.0.1',
      port: config.emulatorPort,
      dataFile: path.join(config.dataDir, 'emulator.db'),
      preset: 'au',
      // The control surface resets and dumps companies: only when asked for (QBO_EMULATOR_CONTROL=on).
      control: config.emulatorControl === 'on',
      clients,
      logger,
      // The embedded QBO keeps the product's date (QBO_CONNECT_CLOCK_START), so a demo on a fixed date agrees with itself.
      ...(config.clockStart ? { startMs: clockFrom(config.clockStart)().getTime() } : {}),
    });
  } catch (err) {
    throw new StartError('emulator', (err as NodeJS.ErrnoException).code, err);
  }
}

/** How a graceful stop ended: `left` names sync runs still going, `requests` counts requests cut off at the deadline. */
export interface ShutdownOutcome {
  settled: boolean;
  left: string[];
  requests: number;
}

export interface RunningApp {
  app: App;
  server: RunningServer;
  emulator: EmbeddedEmulator | undefined;
  /** What the first start did about the demo practice. */
  demo: FirstStartDemo;
  /** Until the first administrator exists, /setup asks for this code, shown only at the console. */
  setupCode: string | undefined;
  /** Between a stop signal and exit: refuses new work, lets running syncs close their runs. */
  drain: Drain;
  /** The jobs run in this process (absent with `start --no-worker`). */
  jobRunner: JobRunner | undefined;
  /**
   * The graceful stop: drain (nothing new starts; `/readyz` answers 503; each running sync finishes
   * its batch, closes its run and releases its lock), then close the HTTP server, the emulator and
   * the database. `timeoutMs` bounds the whole stop: resolves `settled: false` with the runs still
   * going when it passes during the drain (then nothing is closed, and the caller exits: the journal
   * keeps their writes for recovery), or with `requests` > 0 when requests were still being answered
   * at the deadline (their connections are closed, then the rest closes).
   */
  shutdown(signal: string, timeoutMs: number): Promise<ShutdownOutcome>;
  close(): Promise<void>;
}

/** The product (`qbo-connect start`): the app, the demo on a first start, the embedded emulator, the HTTP app on its port. */
export async function startApp(config: Config, opts: CreateAppOptions = {}): Promise<RunningApp> {
  // Loaded here, not at the top: every other command builds the app without the web side.
  const [{ countUsers }, { loadDemoOnFirstStart }, { createHttpApp }, { listen }] = await Promise.all([
    import('./accounts/users.js'),
    import('./practice/demo.js'),
    import('./server/http.js'),
    import('./server/serve.js'),
  ]);
  // A stop signal during start-up ends it between steps, closing what was opened (issue 17).
  const stopAfter = (step: string) => {
    if (opts.stopRequested?.()) throw new StartStopped(step);
  };
  // Counted only when something may scrape it: one registry for this app (server/metrics.ts).
  const metrics = opts.metrics ?? (config.metricsToken ? (await import('./server/metrics.js')).createMetrics() : undefined);
  // The queued jobs (a click's sync, schedules) run here too unless this host is web-only.
  const app = await createApp(config, { ...opts, runJobs: opts.worker !== false, ...(metrics ? { metrics } : {}) });
  const drain = new Drain();
  app.ctx.drain = drain;
  const jobRunner = app.jobRunner;
  let emulator: EmbeddedEmulator | undefined;
  try {
    stopAfter('opening the database');
    // A newcomer sees a real-looking practice at once: on the first start, with the emulator, into
    // an empty ledger; otherwise the caller shows a one-line hint.
    const demo = await loadDemoOnFirstStart({ db: app.ctx.db, clock: app.ctx.clock, logger: app.ctx.logger }, { qboEnv: config.qboEnv });
    stopAfter('the demo check');
    emulator = await startEmbeddedEmulator(config, app.ctx.logger);
    stopAfter('starting the emulator');
    // Whoever else reaches the port first cannot claim the installation: the code is printed here only.
    const setupCode = (await countUsers(app.ctx.db)) === 0 ? crypto.randomBytes(6).toString('hex') : undefined;
    const server = await listen(createHttpApp(app.ctx, { setupCode }), config.host, config.port).catch((err: unknown) => {
      throw new StartError('http', (err as NodeJS.ErrnoException).code, err);
    });
    const running = emulator;
    const close = async () => {
      await server.close();
      await running?.close();
      await app.close();
    };
    return {
      app,
      server,
      emulator,
      demo,
      setupCode,
      drain,
      jobRunner,
      shutdown: async (signal, timeoutMs) => {
        // Real time, not the injected clock: the bound is the operator's wall-clock timeout.
        const deadline = Date.now() + timeoutMs;
        drain.begin(signal, app.ctx.clock());
        // No new job starts; a running sync sees the drain, finishes its batch and closes its run.
        const runnerStopped = jobRunner?.stop().catch(() => {});
        const outcome = await drain.settled(timeoutMs);
        if (outcome.settled) await Promise.race([runnerStopped, new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref())]);
        if (!outcome.settled) return { ...outcome, requests: 0 };
        // A request still in flight at the deadline (a preview waiting on slow QBO reads) has its
        // connection closed: the timeout bounds the whole stop, not only the syncs (issue 17).
        const { cutOff } = await server.closeWithin(deadline - Date.now());
        await running?.close();
        await app.close();
        return { settled: cutOff === 0, left: [], requests: cutOff };
      },
      close,
    };
  } catch (err) {
    await emulator?.close();
    await app.close();
    throw err;
  }
}
