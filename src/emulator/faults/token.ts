/**
 * Queued faults on the token endpoint (`tokenNext`), for the refresh races the product must survive:
 * above all `commit-then-drop`, where the refresh token has rotated but the client never saw the
 * new one (docs/reliability.md §refresh-race).
 */
import type { MiddlewareHandler } from 'hono';
import type { FaultPlan } from './plan.js';

interface NodeBindings {
  incoming?: { socket?: { destroy(): void; once(ev: 'close', cb: () => void): void } };
}

export interface TokenEndpointStats {
  requests: number;
  faults: Record<string, number>;
}

export function tokenFaults(faults: FaultPlan, stats: TokenEndpointStats, closing: Promise<void>): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.method !== 'POST') return next();
    stats.requests++;
    const fault = faults.decideToken();
    if (!fault) return next();
    stats.faults[fault] = (stats.faults[fault] ?? 0) + 1;
    const socket = (c.env as NodeBindings | undefined)?.incoming?.socket;
    switch (fault) {
      case '429':
        return c.json({ error: 'too_many_requests' }, 429);
      case '500':
        return c.json({ error: 'server_error' }, 500);
      case '401':
        return c.json({ error: 'invalid_client' }, 401, { 'WWW-Authenticate': 'Basic realm="Intuit"' });
      case '503':
        return c.body('Service Unavailable', 503, { 'Content-Type': 'text/plain' });
      case 'hang':
        await Promise.race([closing, new Promise<void>((r) => socket?.once('close', r))]);
        return c.body('Service Unavailable', 503, { 'Content-Type': 'text/plain' });
      case 'commit-then-drop':
        await next();
        socket?.destroy();
        return;
      case 'commit-then-500':
        await next();
        c.res = c.json({ error: 'server_error' }, 500);
        return;
    }
  };
}
