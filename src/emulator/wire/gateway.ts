/**
 * What stands in front of the API routes, in the order QBO's gateway applies it: the bearer token
 * (401/403 in the lower-case envelope), then the company's limits (429 ThrottleExceeded), then any
 * armed fault (latency, 429/500/503, hang, commit-then-drop, commit-then-500, 401).
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { EmulatorClock } from '../run/clock.js';
import type { FaultPlan } from '../faults/plan.js';
import { requestKind } from '../limits/kinds.js';
import type { Limiter } from '../limits/limiter.js';
import { throttleResponse } from '../limits/throttle.js';
import type { TokenStore } from '../oauth/tokens.js';

export interface AuthEnvelopes {
  /** 401 AuthenticationFailed (3200) with WWW-Authenticate. */
  unauthorized(c: Context, detail: string): Response;
  /** 403 ApplicationAuthorizationFailed (3100). */
  forbidden(c: Context): Response;
  /** 500 after a fault (gateway-style InternalServerError). */
  serverError(c: Context): Response;
}

export interface GatewayDeps {
  tokens: TokenStore;
  limiter: Limiter;
  faults: FaultPlan;
  clock: EmulatorClock;
  envelopes: AuthEnvelopes;
  /** Resolved when the emulator is closing: hung and delayed requests let go then. */
  closing: Promise<void>;
  /** Known companies; requests for others skip metering and go to the routes (which answer 4xx). */
  hasCompany(realmId: string): boolean;
}

interface NodeBindings {
  incoming?: { socket?: { destroy(): void; destroyed?: boolean; once(ev: 'close', cb: () => void): void } };
}

const sleep = (ms: number, closing: Promise<void>) => (ms <= 0 ? Promise.resolve() : Promise.race([new Promise<void>((r) => setTimeout(r, ms).unref()), closing]));

export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

async function batchUnits(c: Context): Promise<number> {
  try {
    const body = (await c.req.raw.clone().json()) as { BatchItemRequest?: unknown };
    return Array.isArray(body.BatchItemRequest) ? body.BatchItemRequest.length : 1;
  } catch {
    return 1;
  }
}

export function apiGateway(deps: GatewayDeps): MiddlewareHandler {
  return async (c, next) => {
    const realmId = c.req.param('realmId') ?? '';
    const token = bearerToken(c.req.header('authorization'));
    if (!token) return deps.envelopes.unauthorized(c, 'Authorization header missing or not a Bearer token');
    if (token.length < 20 || token.length > 4096) return deps.envelopes.unauthorized(c, 'Malformed bearer token: too short or too long');
    const access = deps.tokens.checkAccess(token, realmId);
    if (!access.ok) {
      if (access.reason === 'wrong-realm') return deps.envelopes.forbidden(c);
      const detail = access.reason === 'expired' ? 'Token expired' : access.reason === 'revoked' ? 'Token revoked' : 'Token invalid';
      return deps.envelopes.unauthorized(c, detail);
    }
    if (!deps.hasCompany(realmId)) return next();

    const rest = c.req.path.split('/').slice(4).join('/');
    const kind = requestKind(c.req.method, rest);
    const units = kind === 'batch' ? await batchUnits(c) : 1;
    const admission = deps.limiter.admit(realmId, kind, units);
    if (!admission.ok) {
      const s = deps.limiter.settings();
      const retryAfterSeconds = s.retryAfter === 'none' ? undefined : s.retryAfter === 'auto' ? deps.clock.realMs(admission.retryAfterMs) / 1000 : s.retryAfter;
      return throttleResponse(c, { format: s.throttleFormat, retryAfterSeconds, now: deps.clock.now() });
    }
    try {
      // A query sent by POST is a read; batch counts as a write, since it may hold writes.
      const decision = deps.faults.decide(realmId, kind === 'write' || kind === 'batch' ? 'POST' : 'GET');
      await sleep(decision.delayMs, deps.closing);
      const fault = decision.fault;
      if (!fault) return await next();
      deps.limiter.recordFault(realmId, fault, fault === '429');
      switch (fault) {
        case '429': {
          const retry = deps.faults.settings().retryAfterSeconds;
          return throttleResponse(c, { format: deps.limiter.settings().throttleFormat, retryAfterSeconds: retry, now: deps.clock.now() });
        }
        case '500':
          return deps.envelopes.serverError(c);
        case '401':
          // Before anything is stored, as the gateway's own token check.
          return deps.envelopes.unauthorized(c, 'Token invalid');
        case '503':
          return c.body('Service Unavailable', 503, { 'Content-Type': 'text/plain' });
        case 'hang': {
          // Held (and counted in flight) until the client hangs up or the emulator closes.
          const socket = (c.env as NodeBindings | undefined)?.incoming?.socket;
          await Promise.race([deps.closing, new Promise<void>((r) => (socket ? socket.once('close', r) : undefined))]);
          return c.body('Service Unavailable', 503, { 'Content-Type': 'text/plain' });
        }
        case 'commit-then-drop': {
          await next();
          const socket = (c.env as NodeBindings | undefined)?.incoming?.socket;
          socket?.destroy();
          return;
        }
        case 'commit-then-500': {
          await next();
          c.res = deps.envelopes.serverError(c);
          return;
        }
      }
    } finally {
      admission.release();
    }
  };
}
