/** Serving the HTTP app on a port, and stopping it gracefully: in-flight requests finish first, within a bound. */
import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';

export interface RunningServer {
  url: string;
  port: number;
  /** Requests being answered now (a stop names them when they outlast the shutdown timeout). */
  inFlight(): number;
  /**
   * Stops listening and waits for requests in flight. With `withinMs`, a request still going then has
   * its connection closed (issue 17: a slow GET must not stretch a stop past QBO_CONNECT_SHUTDOWN_TIMEOUT);
   * resolves with how many requests were cut off that way.
   */
  closeWithin(withinMs?: number): Promise<{ cutOff: number }>;
  close(): Promise<void>;
}

export function listen(app: Hono, host: string, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    let inFlight = 0;
    const server: ServerType = serve({ fetch: app.fetch, hostname: host, port }, (info) => {
      server.off('error', onError);
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`,
        port: info.port,
        inFlight: () => inFlight,
        close: () => closeWithin().then(() => undefined),
        closeWithin,
      });
      function closeWithin(withinMs?: number): Promise<{ cutOff: number }> {
        return new Promise<{ cutOff: number }>((res) => {
          let timer: NodeJS.Timeout | undefined;
          let cutOff = 0;
          server.close(() => {
            clearTimeout(timer);
            res({ cutOff });
          });
          // Idle keep-alive sockets would hold close() open; busy ones finish their request first.
          if ('closeIdleConnections' in server) server.closeIdleConnections();
          if (withinMs !== undefined) {
            timer = setTimeout(
              () => {
                cutOff = inFlight;
                if ('closeAllConnections' in server) server.closeAllConnections();
              },
              Math.max(0, withinMs),
            );
            timer.unref();
          }
        });
      }
    });
    server.on('request', (_req, res: NodeJS.EventEmitter) => {
      inFlight++;
      res.once('close', () => inFlight--);
    });
    server.once('error', onError);
  });
}
