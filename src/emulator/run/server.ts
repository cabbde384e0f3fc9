/**
 * `startEmulator`: the local QBO on a port — OAuth, the API behind the gateway (token, limits,
 * faults), the optional control surface, an `intuit_tid` on every answer, and optional persistence.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { createEmulatorClock, type EmulatorClock } from './clock.js';
import { createControl, presetSchema, type EmulatorControl } from '../control/control.js';
import { controlRoutes } from '../control/routes.js';
import { controlGuard, newControlToken } from '../control/guard.js';
import { createCoreAdapter } from '../wire/core-adapter.js';
import { parseFidelity, type Fidelity } from '../core/fidelity.js';
import type { CorePort } from '../wire/core-port.js';
import { createFaultPlan } from '../faults/plan.js';
import { tokenFaults, type TokenEndpointStats } from '../faults/token.js';
import { apiGateway, bearerToken, type AuthEnvelopes } from '../wire/gateway.js';
import { createLimiter } from '../limits/limiter.js';
import { createClientRegistry, demoClient, type OAuthClientSpec } from '../oauth/clients.js';
import { oauthPaths, oauthRoutes } from '../oauth/routes.js';
import { createTokenStore, type TokenLifetimes } from '../oauth/tokens.js';
import { openPersistence, PersistenceError, type Persistence } from './persist.js';
import { seedPreset } from '../presets/seed.js';
import { forbiddenBody, forbiddenResponse, unauthorizedResponse } from '../wire/errors.js';
import { createWebhookSender, type WebhookSender } from '../webhooks/sender.js';

/**
 * Where the emulator says what it does: the product's pino logger fits, but the emulator declares
 * the little it needs so it depends on nothing outside itself (ARCHITECTURE §3).
 */
export interface EmulatorLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface StartEmulatorOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** SQLite file to persist to and restore from. */
  dataFile?: string;
  /** Region of the company seeded when the emulator starts empty ('none' seeds nothing). Default au. */
  preset?: 'au' | 'us' | 'uk' | 'ca' | 'AU' | 'US' | 'UK' | 'CA' | 'none';
  /** With the us preset: Automated Sales Tax on for the seeded company (default off). */
  automatedSalesTax?: boolean;
  /** Seed of every PRNG (core and faults), so a failing run replays. Default 1. */
  seed?: number;
  limits?: 'real' | 'off';
  batchMetering?: 'request' | 'item';
  /** An emulated minute lasts 60/timeScale seconds (limits and token lifetimes). Default 1. */
  timeScale?: number;
  /** Epoch ms the emulated clock starts at (tests and demos on a fixed date). Default: the
   *  QBO_EMULATOR_CLOCK_START instant when set, else real time. */
  startMs?: number;
  /** Serve /control/… (always available programmatically). Default false. */
  control?: boolean;
  /** The X-Control-Token control writes must carry; a random one when not given. */
  controlToken?: string;
  autoConsent?: boolean;
  /** OAuth clients besides the demo client (e.g. the product's, from QBO_CLIENT_ID/…). */
  clients?: OAuthClientSpec[];
  tokenLifetimes?: Partial<TokenLifetimes>;
  /** requestids remembered per company (0 = none). Default: the core's default. */
  requestIdMemory?: number;
  /** strict: only Intuit's documented guarantees (requestid replays only an identical, answered
   *  request within `requestIdRetentionSeconds`; WHERE only on documented filterable fields; CDC
   *  capped at 1,000 objects per answer). generous: the emulator before issue 13. Default: the
   *  QBO_EMULATOR_FIDELITY environment variable, else strict (the product is proven against
   *  the strictest honest QBO: issue 13). */
  fidelity?: Fidelity;
  /** Strict mode: how long (emulated seconds) an answered requestid is replayed. Default 60. */
  requestIdRetentionSeconds?: number;
  logger?: EmulatorLogger;
}

export interface RunningEmulator {
  url: string;
  urls: { authorize: string; token: string; revoke: string; api: string; control: string | undefined };
  port: number;
  control: EmulatorControl;
  /** What control writes over HTTP must send as X-Control-Token (only meaningful with `control`). */
  controlToken: string;
  core: CorePort;
  /** Outgoing webhooks (off until given a URL and a verifier token: control.setWebhooks or PUT /control/webhooks). */
  webhooks: WebhookSender;
  close(): Promise<void>;
}

/** `1-<8 hex seconds>-<24 hex>`, the shape of Intuit's transaction ids. */
function newTid(): string {
  return `1-${Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
}

/** QBO_EMULATOR_CLOCK_START: `<UTC instant>[@<real epoch ms at which the clock reads it>]`, as now. */
function clockStartFromEnv(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const [instant, anchor] = v.split('@');
  const ms = Date.parse(instant!);
  if (!/^\d{4}-\d{2}-\d{2}T[\d:.]{5,12}Z$/.test(instant!) || (anchor !== undefined && !/^\d{1,15}$/.test(anchor)) || Number.isNaN(ms))
    throw new RangeError(`QBO_EMULATOR_CLOCK_START=${v}: must be a UTC instant, e.g. 2026-11-26T02:00:00Z`);
  return anchor ? ms + (Date.now() - Number(anchor)) : ms;
}

export async function startEmulator(opts: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const host = opts.host ?? '127.0.0.1';
  const seed = opts.seed ?? 1;
  const startMs = opts.startMs ?? clockStartFromEnv(process.env.QBO_EMULATOR_CLOCK_START);
  const clock = createEmulatorClock({ scale: opts.timeScale ?? 1, ...(startMs !== undefined ? { startMs } : {}) });
  const fidelity = opts.fidelity ?? parseFidelity(process.env.QBO_EMULATOR_FIDELITY, 'QBO_EMULATOR_FIDELITY') ?? 'strict';
  const core = createCoreAdapter({ clock, seed, fidelity, requestIdRetentionMs: opts.requestIdRetentionSeconds === undefined ? undefined : opts.requestIdRetentionSeconds * 1000 });
  if (opts.requestIdMemory !== undefined) core.setRequestIdMemory(opts.requestIdMemory);
  const tokens = createTokenStore(clock, opts.tokenLifetimes);
  const limiter = createLimiter(clock, { enabled: opts.limits !== 'off', batchMetering: opts.batchMetering ?? 'request' });
  const faults = createFaultPlan(seed);
  const clients = createClientRegistry([demoClient, ...(opts.clients ?? [])]);
  const settings = { autoConsent: opts.autoConsent ?? false };
  const log = opts.logger;

  let persistence: Persistence | undefined;
  if (opts.dataFile) {
    persistence = openPersistence(opts.dataFile, () => ({ core: core.toJSON(), oauth: tokens.snapshot() }));
    const saved = persistence.load();
    if (saved) {
      try {
        core.fromJSON(saved.core);
        tokens.restore(saved.oauth);
      } catch (err) {
        persistence.close();
        throw new PersistenceError(`${opts.dataFile}: the saved emulator state cannot be restored (${(err as Error).message}); start with a new data file`);
      }
    }
  }
  if (core.companies().length === 0 && opts.preset !== 'none') {
    seedPreset(core, presetSchema.parse(opts.preset ?? 'au'), undefined, { automatedSalesTax: opts.automatedSalesTax === true });
    persistence?.changed();
  }
  const changed = () => persistence?.changed();

  let releaseClosing!: () => void;
  const closing = new Promise<void>((r) => (releaseClosing = r));

  const tokenStats: TokenEndpointStats = { requests: 0, faults: {} };
  const webhooks = createWebhookSender({
    source: { companies: () => core.companies(), changes: (realmId, since) => core.changes(realmId, since), connected: (realmId) => tokens.connected(realmId) },
    clock,
  });
  const control = createControl({ core, clock, limiter, faults, tokens, settings, changed, tokenStats, webhooks });
  const envelopes = gatewayEnvelopes(clock);

  const app = new Hono();
  app.use('*', async (c, next) => {
    const tid = newTid();
    const started = Date.now();
    await next();
    // The API routes set their own; everything else (OAuth, control, gateway answers) gets one here.
    if (!c.res.headers.has('intuit_tid')) c.res.headers.set('intuit_tid', tid);
    log?.debug({ method: c.req.method, path: c.req.path, status: c.res.status, intuit_tid: tid, ms: Date.now() - started }, 'emulator request');
  });
  app.use(oauthPaths.token, tokenFaults(faults, tokenStats, closing));
  app.route(
    '/',
    oauthRoutes({
      clients,
      tokens,
      companies: () => core.companies().map((co) => ({ realmId: co.realmId, name: co.name })),
      autoConsent: () => settings.autoConsent,
      changed,
    }),
  );
  const controlToken = opts.controlToken ?? newControlToken();
  if (opts.control) {
    app.use('/control', controlGuard(controlToken));
    app.use('/control/*', controlGuard(controlToken));
    app.route('/control', controlRoutes(control));
  }
  app.use('/v3/company/:realmId/*', apiGateway({ tokens, limiter, faults, clock, envelopes, closing, hasCompany: (id) => core.hasCompany(id) }));
  app.use('/v3/company/:realmId/*', async (c, next) => {
    await next();
    if (c.req.method === 'POST') {
      changed();
      // A write (or a batch of them) may have changed the company: its webhook goes after the delay, if any change was logged.
      webhooks.poke(c.req.param('realmId'));
    }
  });
  // The gateway has already checked the token; the routes check again so they are safe on their own.
  app.route(
    '/',
    core.routes((req, realmId) => {
      const token = bearerToken(req.headers.get('authorization') ?? undefined);
      const check = token ? tokens.checkAccess(token, realmId) : undefined;
      if (check?.ok) return undefined;
      if (check?.reason === 'wrong-realm') return forbiddenResponse(clock.nowMs());
      return unauthorizedResponse('Token invalid', clock.nowMs());
    }, newTid),
  );

  app.onError((err, c) => {
    // A bug, not a QBO answer: logged (never with the request body) and answered as QBO's gateway would.
    log?.error({ err, method: c.req.method, path: c.req.path }, 'emulator error');
    return envelopes.serverError(c);
  });

  let server: ServerType;
  try {
    server = await new Promise<ServerType>((resolve, reject) => {
      const s: ServerType = serve({ fetch: app.fetch, hostname: host, port: opts.port ?? 0 }, () => resolve(s));
      s.once('error', reject);
    });
  } catch (err) {
    persistence?.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log?.info({ url }, 'QBO emulator listening');

  let closed: Promise<void> | undefined;
  return {
    url,
    urls: {
      authorize: url + oauthPaths.authorize,
      token: url + oauthPaths.token,
      revoke: url + oauthPaths.revoke,
      api: url,
      control: opts.control ? `${url}/control` : undefined,
    },
    port,
    control,
    controlToken,
    core,
    webhooks,
    close() {
      closed ??= new Promise<void>((resolve) => {
        webhooks.close();
        releaseClosing();
        server.close(() => {
          persistence?.close();
          resolve();
        });
        if ('closeIdleConnections' in server) server.closeIdleConnections();
        // Hung and delayed requests were let go above; anything still open after that is cut.
        setTimeout(() => {
          if ('closeAllConnections' in server) server.closeAllConnections();
        }, 200).unref();
      });
      return closed;
    },
  };
}

function gatewayEnvelopes(clock: EmulatorClock): AuthEnvelopes {
  return {
    unauthorized: (_c, detail) => unauthorizedResponse(detail, clock.nowMs()),
    forbidden: () => forbiddenResponse(clock.nowMs()),
    serverError: (c: Context) => {
      // The gateway's 500 uses the same lower-case envelope (docs/qbo-api.md §error-envelopes).
      const body = forbiddenBody(clock.nowMs());
      body.fault.error[0]!.message = 'message=InternalServerError; errorCode=003100; statusCode=500';
      return c.json(body, 500);
    },
  };
}
