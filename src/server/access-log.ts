/**
 * The access log: one line per request (pino-http, on the Node request and response that
 * @hono/node-server hands the app as `c.env.incoming` / `c.env.outgoing`), and a request id that the
 * answer carries in `X-Request-Id` and every line logged while the request is handled carries as
 * `reqId` (log.ts withLogContext: also lines of code that holds the app's logger, like the sync).
 *
 * What the line holds is chosen, not filtered: method, path without its query string, status,
 * time and the id. Never headers (Authorization, Cookie), never the query (the OAuth callback's
 * `?code=&state=`), never a body.
 */
import crypto from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { pinoHttp } from 'pino-http';
import { withLogContext, type Logger } from '../log.js';

/** An incoming id is kept only when it is short and plain, so it cannot inject into a log or a header. */
const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/** The caller's X-Request-Id when well formed (a proxy's, to follow one request across logs), else a new one. */
export function requestIdFrom(header: string | undefined): string {
  return header !== undefined && WELL_FORMED_ID.test(header) ? header : crypto.randomUUID();
}

/** Probes answer many times a minute: logged at debug when they succeed, so the log stays readable. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

const pathOf = (url: string | undefined) => (url ?? '').split('?')[0]!;

interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

export function accessLog(logger: Logger): MiddlewareHandler {
  const http = pinoHttp({
    logger,
    // The id was decided by the middleware below (it also serves requests with no Node socket: tests' app.request).
    genReqId: (req) => (req as IncomingMessage & { qboRequestId?: string }).qboRequestId ?? crypto.randomUUID(),
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, path: pathOf(req.url) }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (req, res, err) => {
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return PROBES.has(pathOf(req.url)) ? 'debug' : 'info';
    },
    customSuccessMessage: (req, res) => `${req.method} ${pathOf(req.url)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${pathOf(req.url)} ${res.statusCode}`,
  });
  return async (c, next) => {
    const id = requestIdFrom(c.req.header('x-request-id'));
    const node = (c.env ?? {}) as NodeBindings;
    if (node.incoming && node.outgoing) {
      (node.incoming as IncomingMessage & { qboRequestId?: string }).qboRequestId = id;
      http(node.incoming, node.outgoing);
    }
    c.set('requestId' as never, id as never);
    await withLogContext({ reqId: id }, () => next());
    // After next(): the answer may be a new Response (an error page, a redirect), which must carry it too.
    try {
      c.res.headers.set('X-Request-Id', id);
    } catch {
      // A Response whose headers are immutable (one fetched from elsewhere): answer a copy.
      c.res = new Response(c.res.body, c.res);
      c.res.headers.set('X-Request-Id', id);
    }
  };
}

/** The request id of the request being answered (set by accessLog). */
export function requestId(c: Context): string | undefined {
  return c.get('requestId' as never) as string | undefined;
}
